/* Shared between the qemu-argv*.c builder files and qemu-prepare.c; not a public interface. */
#pragma once

#include "argv.h"
#include "qemu-argv.h"
#include "qemu-opts.h"
#include "qemu-props.h"

typedef struct QemuBuild {
        VmDef *def;
        const QemuBuildOptions *opts;
        Argv *a;
        bool q35;                       /* Q35 (PCIe) machine, otherwise i440fx */
        char *error;                    /* first validation message */
        int status;                     /* first failure, sticky */
        QemuFd *fds;                    /* passed fds, numbered from opts->tap_fd_base */
        unsigned n_fds;
        char **env;
} QemuBuild;

/* Adds a file descriptor the spawner passes in; returns its number (-1 on out of memory, recorded). */
int qb_pass_fd(QemuBuild *b, QemuFdKind kind, unsigned net);

/* Records a validation failure ("<disk> 'vda': message"); returns -EOPNOTSUPP or @r. */
int qb_fail(QemuBuild *b, int r, const char *fmt, ...) _printf_(3, 4);

static inline bool qb_failed(const QemuBuild *b) {
        return b->status < 0 || b->a->error < 0;
}

/* qemu-prepare.c: defaults, implicit devices, drive and PCI addresses */
int qemu_prepare(QemuBuild *b);
bool vm_machine_is_q35(const char *machine);
bool vm_machine_is_i440fx(const char *machine);
const char *qemu_usb_model_default(const QemuBuild *b);
VmController *vm_find_controller(VmDef *def, VmControllerType type, unsigned index);

/* "pci.N"/"pcie.0" bus name and "0xS[.0xF]" for a PCI address into @p */
void qb_pci_props(QemuBuild *b, Props *p, const VmAddress *addr);
/* bootindex for a device's <boot order> */
void qb_bootindex(Props *p, unsigned order);

void qemu_build_memory(QemuBuild *b);
void qemu_build_numa(QemuBuild *b);
void qemu_build_memory_devices(QemuBuild *b);
void qemu_build_sgx_epc(QemuBuild *b);
void qemu_build_controllers(QemuBuild *b);
void qemu_build_disks(QemuBuild *b);
void qemu_build_pflash(QemuBuild *b);
void qemu_build_nets(QemuBuild *b);
void qemu_build_chardevs(QemuBuild *b);
void qemu_build_inputs(QemuBuild *b);
void qemu_build_audio(QemuBuild *b);
void qemu_build_graphics(QemuBuild *b);
void qemu_build_videos(QemuBuild *b);
void qemu_build_sounds(QemuBuild *b);
void qemu_build_misc_devices(QemuBuild *b);
void qemu_build_hostdevs(QemuBuild *b);
void qemu_build_filesystems(QemuBuild *b);
void qemu_build_shmems(QemuBuild *b);
void qemu_build_vsock(QemuBuild *b);
void qb_virtio_props(Props *p, const VmVirtioOpts *o);
void qb_usb_props(QemuBuild *b, Props *p, const VmAddress *a);
const char *qemu_audiodev_id(QemuBuild *b, const char *audio_id);
/* "-chardev" for @src with id @id (honours every source option or fails) */
void qemu_build_chardev(QemuBuild *b, const char *id, const VmCharSource *src, const char *what);
