/* Shared between the qemu-import*.c files; not a public interface. */
#pragma once

#include "qemu-import.h"
#include "qemu-opts-parse.h"

struct OptionSpec;

/* One option of the command line, as written. */
typedef struct ImportOpt {
        const struct OptionSpec *spec;  /* NULL: an option vmunit does not know */
        char *name;                     /* as written, e.g. "--drive" (points into the word vector) */
        char *arg;                      /* its value, NULL for a flag */
        unsigned pos;                   /* word index, to keep pass-through in command-line order */
        bool bare;                      /* a word without a dash, which QEMU reads as -hda */
        QemuOptList o;                  /* @arg parsed, once imp_parse() ran */
        const char *id;                 /* its id= (node-name= for -blockdev), for backend look-ups */
        bool parsed;
        bool done;                      /* imported, or dropped on purpose */
        bool keep;                      /* pass through although (partly) imported: QEMU merges or lets
                                           the last one win, so the original overrides vmunit's */
        char *why;                      /* why it is passed through (malloc'd) */
        char *keep_arg;                 /* with @keep: the value to pass instead of @arg (malloc'd), e.g.
                                           only the -machine properties vmunit cannot represent */
} ImportOpt;

typedef enum ImportIdKind {
        ID_PCI_BUS,                     /* a PCI controller's id is its bus name */
        ID_USB,                         /* USB controller: bus "<id>.0" */
        ID_SCSI,
        ID_VIRTIO_SERIAL,
        ID_CCID,
        ID_SOUND,                       /* HDA controller: codec bus "<id>.0" */
        ID_SATA,
        ID_AUDIO,                       /* -audiodev id -> <audio id=N> */
        _ID_KIND_MAX,
} ImportIdKind;

typedef struct ImportId {
        ImportIdKind kind;
        char *id;
        unsigned index;
} ImportId;

typedef struct Import {
        VmDef *def;
        const QemuImportOptions *options;
        ImportOpt *opts;
        size_t n_opts;
        char **notes;
        char **dropped;                 /* options vmunit manages itself, for one note */
        char *error;
        int status;                     /* first fatal failure, sticky */
        bool q35;
        bool nodefaults, nographic, no_local_display;
        bool usb_requested;             /* -usb, -machine usb=on, -usbdevice */
        bool vga_none;                  /* -vga none */
        bool have_net_option;           /* any -net/-netdev/-nic */
        bool have_balloon;
        ImportId *ids;
        size_t n_ids;
        unsigned next_pci_index;
        unsigned n_legacy_nics;
        char *ram_backend;              /* -machine memory-backend= (points into an ImportOpt) */
        char *pflash_node[2];           /* -machine pflash0=, pflash1= */
        bool irqchip_split;             /* -machine kernel-irqchip=split: implied by an Intel IOMMU */
        unsigned fdc_boot[2];           /* -device isa-fdc,bootindexA=,bootindexB= */
        bool tap_fd_noted;
        char *pcspk_audiodev;           /* -machine pcspk-audiodev= */
} Import;

/* A fatal error: the line is not a valid QEMU command line. Returns -EINVAL (first one kept). */
int imp_fail(Import *imp, const char *fmt, ...) _printf_(2, 3);
/* "warning: ..." / "note: ..." for the caller to print. */
void imp_warn(Import *imp, const char *fmt, ...) _printf_(2, 3);
void imp_note(Import *imp, const char *fmt, ...) _printf_(2, 3);
/* Records an option vmunit manages itself (one note lists them all). */
void imp_dropped(Import *imp, const ImportOpt *o);
/* Marks @o to be passed through, with a reason for the warning. Returns 1 (the handler result for
 * "not imported"). */
int imp_passthrough(Import *imp, ImportOpt *o, const char *fmt, ...) _printf_(3, 4);
/* Passes @o through unless every key of it was used; returns 0 when all were, 1 otherwise. */
int imp_check_unused(Import *imp, ImportOpt *o);
/* For options QEMU merges (-machine, -overcommit, -boot, -global ...): imports what was used and passes
 * only the unused keys through, as "@o->name key=value,...". Returns 0. */
int imp_keep_unused(Import *imp, ImportOpt *o);

/* Arena copy (NULL in, NULL out); records -ENOMEM. */
char *imp_strdup(Import *imp, const char *s);
char *imp_strdupf(Import *imp, const char *fmt, ...) _printf_(2, 3);
/* @path as an absolute path (arena copy): relative ones are joined to the caller's base directory with a
 * warning naming @what; NULL when that is impossible (no base directory) or @path is empty. */
char *imp_abs_path(Import *imp, const char *path, const char *what);
/* The first @n bytes of @s, without the brackets of an IPv6 address ("[::1]" -> "::1"). */
char *imp_strndup_host(Import *imp, const char *s, size_t n);
int imp_oom(Import *imp);

/* Parses @o->arg once with @implied_key; a malformed value is fatal. */
int imp_parse(Import *imp, ImportOpt *o, const char *implied_key);

/* The first not-yet-done option named @name (without dashes) whose "id" (or @id_key) is @id. */
ImportOpt *imp_find_backend(Import *imp, const char *name, const char *id_key, const char *id);

int imp_id_add(Import *imp, ImportIdKind kind, const char *id, unsigned index);
int imp_id_find(const Import *imp, ImportIdKind kind, const char *id, unsigned *ret);
/* Resolves "<id>.<n>" of a child bus: returns the controller index, and n in *@ret_sub. */
int imp_bus_find(const Import *imp, ImportIdKind kind, const char *bus, unsigned *ret_index, unsigned *ret_sub);

/* PCI placement of a -device: bus= (pci.0/pcie.0 or a PCI controller id), addr= ("0xS[.0xF]"),
 * multifunction=. Returns 0 (address filled or left NONE), -EINVAL on a value it cannot resolve. */
int imp_pci_address(Import *imp, QemuOptList *o, VmAddress *ret);
/* The virtio transport options (iommu_platform, ats, packed, page-per-vq) of a virtio device. */
int imp_virtio_opts(Import *imp, ImportOpt *o, VmVirtioOpts *ret);
/* audiodev=X of a device: the <audio id> it names as a string (arena), NULL when absent. */
char *imp_audio_ref(Import *imp, ImportOpt *o);
/* A user alias ("ua-...") from id=, else NULL; ids vmunit makes itself are naming, not hardware. */
char *imp_alias(Import *imp, QemuOptList *o);

/* Handlers, by family. Each returns 0 when @o was imported (or dropped on purpose), 1 when it is to be
 * passed through (imp_passthrough() says why), -errno on a fatal error. */
int imp_machine(Import *imp, ImportOpt *o);
int imp_accel(Import *imp, ImportOpt *o);
int imp_memory(Import *imp, ImportOpt *o);
int imp_smp(Import *imp, ImportOpt *o);
int imp_cpu(Import *imp, ImportOpt *o);
int imp_numa(Import *imp, ImportOpt *o);
int imp_boot(Import *imp, ImportOpt *o);
int imp_rtc(Import *imp, ImportOpt *o);
int imp_global(Import *imp, ImportOpt *o);
int imp_smbios(Import *imp, ImportOpt *o);
int imp_fw_cfg(Import *imp, ImportOpt *o);
int imp_overcommit(Import *imp, ImportOpt *o);
int imp_vnc(Import *imp, ImportOpt *o);
int imp_spice(Import *imp, ImportOpt *o);
int imp_display(Import *imp, ImportOpt *o);
int imp_vga(Import *imp, ImportOpt *o);
int imp_object(Import *imp, ImportOpt *o);
int imp_audiodev(Import *imp, ImportOpt *o);

int imp_device(Import *imp, ImportOpt *o);
int imp_device_controller(Import *imp, ImportOpt *o);
int imp_device_disk(Import *imp, ImportOpt *o, const char *driver);
int imp_drive_legacy(Import *imp, ImportOpt *o);
int imp_disk_shorthand(Import *imp, ImportOpt *o);
int imp_pflash(Import *imp, ImportOpt *o);
int imp_machine_pflash(Import *imp);
int imp_net_legacy(Import *imp);
int imp_nic(Import *imp, ImportOpt *o);
int imp_serial_parallel(Import *imp, ImportOpt *o);
int imp_usbdevice(Import *imp, ImportOpt *o);
int imp_device_chardev_frontend(Import *imp, ImportOpt *o, const char *driver);
int imp_device_net(Import *imp, ImportOpt *o, const char *driver);

/* bus=/port= of a USB device into @a (bus = the controller's index); 1 when not representable. */
int imp_usb_port(Import *imp, ImportOpt *o, VmAddress *a);
/* A -chardev (or the backend part of -serial/-parallel) into @src; 1 when not representable. */
int imp_chardev_source(Import *imp, ImportOpt *chardev, VmCharSource *src);
/* The -chardev a front end names with chardev= (parsed into @src), or NULL with a reason on @o. */
ImportOpt *imp_frontend_chardev(Import *imp, ImportOpt *o, VmCharSource *src);
/* "virtio" for virtio-net-pci, the driver name for the NICs vmunit knows, else NULL. */
const char *imp_nic_model(const char *driver);
/* Legacy "-serial tcp:host:port,server" style specification into @src; 1 when not representable. */
int imp_char_spec(Import *imp, const char *spec, VmCharSource *src);

/* Disk target names: the preferred one ("hd" + index) or the next free one with that prefix. */
char *imp_disk_dst(Import *imp, const char *prefix, unsigned preferred);
