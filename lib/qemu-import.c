/*
 * QEMU command line -> VmDef, the driver: the environment and the binary, splitting the arguments
 * into options (QEMU's own rule: every option takes a value unless it is one of a few flags), one
 * table of the options vmunit understands and the phase each is read in, and the final pass that
 * adds what QEMU would have had implicitly and hands every option nobody imported to the
 * qemu:commandline pass-through. Option families live in qemu-import-{machine,block,devices}.c.
 */
#include <stdarg.h>
#include <stdio.h>

#include "qemu-import-internal.h"
#include "qemu-opts.h"
#include "shell-words.h"
#include "strv.h"

/* Real command lines have a few hundred; the bound keeps the id look-ups (linear) cheap. */
#define IMPORT_MAX_ARGS 8192U

enum {
        PHASE_MACHINE,                  /* the machine type decides how buses are named */
        PHASE_EARLY,                    /* memory, CPUs, boot, clock, firmware, globals, objects */
        PHASE_CONTROLLERS,              /* -device controllers: later devices refer to their buses */
        PHASE_DEVICES,                  /* the other -device */
        PHASE_LEGACY,                   /* -drive if=..., -hda, -net nic, -serial ...: after -device claimed
                                           the backends it uses */
        PHASE_DISPLAY,
        _PHASE_MAX,
};

typedef enum OptionKind {
        OPT_HANDLED,                    /* a handler imports it */
        OPT_MANAGED,                    /* vmunit does this itself: dropped with a note */
        OPT_BACKEND,                    /* imported when a device uses it, else passed through */
        OPT_FLAG_IGNORED,               /* a flag only read by others (-nodefaults) */
} OptionKind;

typedef struct OptionSpec {
        const char *name;
        bool has_arg;
        OptionKind kind;
        unsigned phase;
        int (*handler)(Import *imp, ImportOpt *o);
} OptionSpec;

static int imp_flag(Import *imp, ImportOpt *o);
static int imp_name(Import *imp, ImportOpt *o);
static int imp_uuid(Import *imp, ImportOpt *o);
static int imp_os_path(Import *imp, ImportOpt *o);
static int imp_watchdog_action(Import *imp, ImportOpt *o);
static int imp_keymap(Import *imp, ImportOpt *o);
static int imp_acpitable(Import *imp, ImportOpt *o);
static int imp_soundhw(Import *imp, ImportOpt *o);

static const OptionSpec options[] = {
        { "machine", true, OPT_HANDLED, PHASE_MACHINE, imp_machine },
        { "M", true, OPT_HANDLED, PHASE_MACHINE, imp_machine },
        { "accel", true, OPT_HANDLED, PHASE_MACHINE, imp_accel },
        { "enable-kvm", false, OPT_HANDLED, PHASE_MACHINE, imp_accel },
        { "no-kvm", false, OPT_HANDLED, PHASE_MACHINE, imp_accel },
        { "nodefaults", false, OPT_FLAG_IGNORED, PHASE_MACHINE, imp_flag },
        { "nographic", false, OPT_HANDLED, PHASE_MACHINE, imp_flag },
        { "usb", false, OPT_HANDLED, PHASE_MACHINE, imp_flag },

        { "name", true, OPT_HANDLED, PHASE_EARLY, imp_name },
        { "uuid", true, OPT_HANDLED, PHASE_EARLY, imp_uuid },
        { "m", true, OPT_HANDLED, PHASE_EARLY, imp_memory },
        { "smp", true, OPT_HANDLED, PHASE_EARLY, imp_smp },
        { "cpu", true, OPT_HANDLED, PHASE_EARLY, imp_cpu },
        { "numa", true, OPT_HANDLED, PHASE_EARLY, imp_numa },
        { "overcommit", true, OPT_HANDLED, PHASE_EARLY, imp_overcommit },
        { "mem-prealloc", false, OPT_HANDLED, PHASE_EARLY, imp_flag },
        { "boot", true, OPT_HANDLED, PHASE_EARLY, imp_boot },
        { "rtc", true, OPT_HANDLED, PHASE_EARLY, imp_rtc },
        { "localtime", false, OPT_HANDLED, PHASE_EARLY, imp_rtc },
        { "no-hpet", false, OPT_HANDLED, PHASE_EARLY, imp_flag },
        { "no-acpi", false, OPT_HANDLED, PHASE_EARLY, imp_flag },
        { "no-reboot", false, OPT_HANDLED, PHASE_EARLY, imp_flag },
        { "bios", true, OPT_HANDLED, PHASE_EARLY, imp_os_path },
        { "kernel", true, OPT_HANDLED, PHASE_EARLY, imp_os_path },
        { "initrd", true, OPT_HANDLED, PHASE_EARLY, imp_os_path },
        { "append", true, OPT_HANDLED, PHASE_EARLY, imp_os_path },
        { "global", true, OPT_HANDLED, PHASE_EARLY, imp_global },
        { "smbios", true, OPT_HANDLED, PHASE_EARLY, imp_smbios },
        { "fw_cfg", true, OPT_HANDLED, PHASE_EARLY, imp_fw_cfg },
        { "acpitable", true, OPT_HANDLED, PHASE_EARLY, imp_acpitable },
        { "object", true, OPT_BACKEND, PHASE_EARLY, imp_object },
        { "audiodev", true, OPT_BACKEND, PHASE_EARLY, imp_audiodev },
        { "vga", true, OPT_HANDLED, PHASE_EARLY, imp_vga },
        { "display", true, OPT_HANDLED, PHASE_EARLY, imp_display },

        { "device", true, OPT_HANDLED, PHASE_CONTROLLERS, imp_device_controller },

        { "drive", true, OPT_BACKEND, PHASE_LEGACY, imp_drive_legacy },
        { "hda", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "hdb", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "hdc", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "hdd", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "cdrom", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "fda", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "fdb", true, OPT_HANDLED, PHASE_LEGACY, imp_disk_shorthand },
        { "pflash", true, OPT_HANDLED, PHASE_LEGACY, imp_pflash },
        { "nic", true, OPT_HANDLED, PHASE_LEGACY, imp_nic },
        { "serial", true, OPT_HANDLED, PHASE_LEGACY, imp_serial_parallel },
        { "parallel", true, OPT_HANDLED, PHASE_LEGACY, imp_serial_parallel },
        { "usbdevice", true, OPT_HANDLED, PHASE_LEGACY, imp_usbdevice },
        { "soundhw", true, OPT_HANDLED, PHASE_LEGACY, imp_soundhw },
        { "watchdog-action", true, OPT_HANDLED, PHASE_LEGACY, imp_watchdog_action },

        { "vnc", true, OPT_HANDLED, PHASE_DISPLAY, imp_vnc },
        { "spice", true, OPT_HANDLED, PHASE_DISPLAY, imp_spice },
        { "k", true, OPT_HANDLED, PHASE_DISPLAY, imp_keymap },

        /* read by the handlers that use them (-net by imp_net_legacy(), the rest by devices) */
        { "net", true, OPT_BACKEND, _PHASE_MAX, NULL },
        { "netdev", true, OPT_BACKEND, _PHASE_MAX, NULL },
        { "blockdev", true, OPT_BACKEND, _PHASE_MAX, NULL },
        { "chardev", true, OPT_BACKEND, _PHASE_MAX, NULL },
        { "tpmdev", true, OPT_BACKEND, _PHASE_MAX, NULL },

        /* what vmunit does itself, for every VM the same way */
        { "S", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "daemonize", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "pidfile", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "monitor", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "qmp", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "qmp-pretty", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "mon", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "no-shutdown", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "no-user-config", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "nodefconfig", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "msg", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "sandbox", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "runas", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "chroot", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "D", true, OPT_MANAGED, PHASE_EARLY, NULL },
        { "no-kqemu", false, OPT_MANAGED, PHASE_EARLY, NULL },
        { "enable-fips", false, OPT_MANAGED, PHASE_EARLY, NULL },
};

/* QEMU options without a value; every other option takes one (qemu-options.hx). */
static const char * const flag_options[] = {
        "h", "help", "version", "snapshot", "full-screen", "no-fd-bootchk", "win2k-hack", "no-quit", "portrait",
        "alt-grab", "ctrl-grab", "semihosting", "preconfig", "s", "singlestep", "xen-attach",
        "xen-domid-restrict", "no-kvm-irqchip", "no-kvm-pit", "no-kvm-pit-reinjection", "no-frame", "sdl",
        "curses", "only-migratable", "kernel-kqemu", "enable-nesting", "tdf", "old-param",
        "enable-sync-profile", NULL,
};

/* Environment that QEMU's caller sets for itself (vmunit sets its own): dropped with a note. */
static const char * const managed_env[] = {
        "LC_ALL", "LANG", "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "XDG_DATA_HOME", "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", NULL,
};

static bool strv_has(const char * const *l, const char *s) {
        for (; *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

/* ---- messages and helpers shared by the handlers ---- */

static void add_message(Import *imp, const char *prefix, const char *fmt, va_list ap) {
        _cleanup_free_ char *m = NULL;
        char *full;

        if (vasprintf(&m, fmt, ap) < 0) {
                (void) imp_oom(imp);
                return;
        }
        if (asprintf(&full, "%s%s", prefix, m) < 0 || strv_consume(&imp->notes, full) < 0)
                (void) imp_oom(imp);
}

int imp_fail(Import *imp, const char *fmt, ...) {
        va_list ap;

        if (imp->status < 0)
                return imp->status;
        va_start(ap, fmt);
        if (vasprintf(&imp->error, fmt, ap) < 0)
                imp->error = NULL;
        va_end(ap);
        imp->status = imp->error ? -EINVAL : -ENOMEM;
        return imp->status;
}

int imp_oom(Import *imp) {
        if (imp->status == 0)
                imp->status = -ENOMEM;
        return -ENOMEM;
}

void imp_warn(Import *imp, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        add_message(imp, "warning: ", fmt, ap);
        va_end(ap);
}

void imp_note(Import *imp, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        add_message(imp, "note: ", fmt, ap);
        va_end(ap);
}

void imp_dropped(Import *imp, const ImportOpt *o) {
        if (strv_extend(&imp->dropped, o->name) < 0)
                (void) imp_oom(imp);
}

int imp_passthrough(Import *imp, ImportOpt *o, const char *fmt, ...) {
        va_list ap;

        if (!o->why) {
                va_start(ap, fmt);
                if (vasprintf(&o->why, fmt, ap) < 0)
                        o->why = NULL;
                va_end(ap);
        }
        return 1;
}

int imp_check_unused(Import *imp, ImportOpt *o) {
        _cleanup_free_ char *l = qemu_opt_unused_list(&o->o);

        if (!l)
                return 0;
        return imp_passthrough(imp, o, "vmunit cannot represent %s", l);
}

int imp_keep_unused(Import *imp, ImportOpt *o) {
        _cleanup_free_ char *list = NULL, *why = qemu_opt_unused_list(&o->o);
        size_t len = 0;
        FILE *f;

        if (!why)
                return 0;
        f = open_memstream(&list, &len);
        if (!f)
                return imp_oom(imp);
        for (size_t i = 0, n = 0; i < o->o.n; i++) {
                _cleanup_free_ char *e = NULL;
                const QemuOptPair *p = &o->o.v[i];

                if (p->used)
                        continue;
                if (p->value && *p->value && qemu_escape_value(p->value, &e) < 0) {
                        fclose(f);
                        return imp_oom(imp);
                }
                fprintf(f, "%s%s=%s", n++ ? "," : "", p->key, e ?: strempty(p->value));
        }
        if (fclose(f) != 0)
                return imp_oom(imp);
        free(o->keep_arg);
        o->keep_arg = TAKE_PTR(list);
        o->keep = true;
        free(o->why);
        if (asprintf(&o->why, "vmunit cannot represent %s", why) < 0)
                o->why = NULL;
        return 0;
}

char *imp_strdup(Import *imp, const char *s) {
        char *c;

        if (!s)
                return NULL;
        c = vm_def_strdup(imp->def, s);
        if (!c)
                (void) imp_oom(imp);
        return c;
}

char *imp_strdupf(Import *imp, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                (void) imp_oom(imp);
                return NULL;
        }
        return imp_strdup(imp, s);
}

char *imp_abs_path(Import *imp, const char *path, const char *what) {
        const char *base = imp->options ? imp->options->base_dir : NULL;

        if (!path || !*path)
                return NULL;
        if (path[0] == '/')
                return imp_strdup(imp, path);
        if (!base || base[0] != '/')
                return NULL;
        imp_warn(imp, "%s '%s' is a relative path: taken relative to %s", what, path, base);
        return imp_strdupf(imp, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/",
                           startswith(path, "./") ?: path);
}

char *imp_strndup_host(Import *imp, const char *s, size_t n) {
        _cleanup_free_ char *c = NULL;

        if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
                s++, n -= 2;
        c = strndup(s, n);
        if (!c) {
                (void) imp_oom(imp);
                return NULL;
        }
        return imp_strdup(imp, c);
}

static const char *bare_name(const ImportOpt *o) {
        return o->name + (o->name[1] == '-' ? 2 : 1);
}

int imp_parse(Import *imp, ImportOpt *o, const char *implied_key) {
        _cleanup_free_ char *error = NULL;
        int r;

        if (o->parsed)
                return 0;
        if (!o->arg)
                return imp_fail(imp, "option '%s' needs a value", o->name);
        r = qemu_opts_parse(o->arg, implied_key, &o->o, &error);
        if (r == -ENOMEM)
                return imp_oom(imp);
        if (r < 0)
                return imp_fail(imp, "%s '%s': %s", o->name, o->arg, error ?: "malformed value");
        o->parsed = true;
        /* the id backends are looked up by; reading it does not count as using the option */
        for (size_t k = 0; k < o->o.n; k++)
                if (streq(o->o.v[k].key, streq(bare_name(o), "blockdev") ? "node-name" : "id"))
                        o->id = o->o.v[k].value;
        return 0;
}

static const char *implied_key_of(const char *name) {
        static const struct { const char *option, *key; } t[] = {
                { "machine", "type" }, { "M", "type" }, { "accel", "accel" }, { "smp", "cpus" },
                { "m", "size" }, { "boot", "order" }, { "numa", "type" }, { "netdev", "type" },
                { "net", "type" }, { "nic", "type" }, { "chardev", "backend" }, { "device", "driver" },
                { "object", "qom-type" }, { "audiodev", "driver" }, { "tpmdev", "type" },
                { "display", "type" }, { "vnc", "vnc" }, { "name", "guest" }, { "overcommit", NULL },
                { "blockdev", "driver" }, { "fsdev", "fsdriver" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(t[i].option, name))
                        return t[i].key;
        return NULL;
}

ImportOpt *imp_find_backend(Import *imp, const char *name, const char *id_key, const char *id) {
        if (!id)
                return NULL;
        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];

                if (!o->arg || !streq(bare_name(o), name))
                        continue;
                if (imp_parse(imp, o, implied_key_of(name)) < 0)
                        return NULL;
                assert(streq(id_key ?: "id", streq(name, "blockdev") ? "node-name" : "id"));
                if (o->id && streq(o->id, id))
                        return o;
        }
        return NULL;
}

int imp_id_add(Import *imp, ImportIdKind kind, const char *id, unsigned index) {
        ImportId *n;

        if (!id)
                return 0;
        n = realloc(imp->ids, (imp->n_ids + 1) * sizeof(ImportId));
        if (!n)
                return imp_oom(imp);
        imp->ids = n;
        imp->ids[imp->n_ids] = (ImportId) { .kind = kind, .id = strdup(id), .index = index };
        if (!imp->ids[imp->n_ids].id)
                return imp_oom(imp);
        imp->n_ids++;
        return 0;
}

int imp_id_find(const Import *imp, ImportIdKind kind, const char *id, unsigned *ret) {
        for (size_t i = imp->n_ids; i > 0; i--)
                if (imp->ids[i - 1].kind == kind && streq(imp->ids[i - 1].id, id)) {
                        *ret = imp->ids[i - 1].index;
                        return 0;
                }
        return -ENOENT;
}

int imp_bus_find(const Import *imp, ImportIdKind kind, const char *bus, unsigned *ret_index, unsigned *ret_sub) {
        const char *dot = strrchr(bus, '.');
        _cleanup_free_ char *id = NULL;
        unsigned sub = 0;
        char *end;

        if (dot) {
                errno = 0;
                unsigned long v = strtoul(dot + 1, &end, 10);
                if (errno || *end || end == dot + 1 || v > 1000)
                        dot = NULL;
                else
                        sub = (unsigned) v;
        }
        id = dot ? strndup(bus, (size_t) (dot - bus)) : strdup(bus);
        if (!id)
                return -ENOMEM;
        if (imp_id_find(imp, kind, id, ret_index) < 0)
                return -ENOENT;
        if (ret_sub)
                *ret_sub = sub;
        return 0;
}

static int parse_hex(const char *s, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!*s)
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 16);       /* QEMU reads PCI slot and function in hex, "0x" optional */
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int imp_pci_address(Import *imp, QemuOptList *o, VmAddress *ret) {
        const char *bus = qemu_opt_get(o, "bus"), *addr = qemu_opt_get(o, "addr");
        VmTristate mf = VM_TRISTATE_ABSENT;
        VmAddress a = { .type = VM_ADDRESS_PCI, .assigned = true };
        unsigned index = 0;

        if (qemu_opt_get_bool(o, "multifunction", &mf) < 0)
                return -EINVAL;
        if (!bus && !addr) {
                *ret = (VmAddress) {};
                return 0;
        }
        if (bus && !streq(bus, "pci.0") && !streq(bus, "pcie.0")) {
                if (imp_id_find(imp, ID_PCI_BUS, bus, &index) < 0)
                        return -EINVAL;
        }
        a.bus = index;
        if (!addr) {
                /* on a given bus but in whatever slot QEMU picks: let vmunit pick too */
                *ret = (VmAddress) {};
                return bus && index != 0 ? -EINVAL : 0;
        }
        {
                _cleanup_free_ char *s = strdup(addr);
                char *dot;
                if (!s)
                        return -ENOMEM;
                dot = strchr(s, '.');
                if (dot)
                        *dot++ = 0;
                if (parse_hex(startswith(s, "0x") ?: s, 31, &a.slot) < 0 ||
                    (dot && parse_hex(startswith(dot, "0x") ?: dot, 7, &a.function) < 0))
                        return -EINVAL;
        }
        a.multifunction = mf == VM_TRISTATE_ON ? VM_TRISTATE_ON : VM_TRISTATE_ABSENT;
        *ret = a;
        return 0;
}

int imp_virtio_opts(Import *imp, ImportOpt *o, VmVirtioOpts *ret) {
        if (qemu_opt_get_bool(&o->o, "iommu_platform", &ret->iommu) < 0 ||
            qemu_opt_get_bool(&o->o, "ats", &ret->ats) < 0 || qemu_opt_get_bool(&o->o, "packed", &ret->packed) < 0 ||
            qemu_opt_get_bool(&o->o, "page-per-vq", &ret->page_per_vq) < 0)
                return imp_fail(imp, "%s '%s': invalid virtio option", o->name, o->arg);
        return 0;
}

char *imp_audio_ref(Import *imp, ImportOpt *o) {
        const char *a = qemu_opt_get(&o->o, "audiodev");
        unsigned id;

        if (!a || imp_id_find(imp, ID_AUDIO, a, &id) < 0)
                return NULL;    /* vmunit's own default backend */
        return imp_strdupf(imp, "%u", id);
}

char *imp_alias(Import *imp, QemuOptList *o) {
        const char *id = qemu_opt_get(o, "id");

        if (!id || !startswith(id, "ua-") || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789-_") != strlen(id))
                return NULL;
        return imp_strdup(imp, id);
}

char *imp_disk_dst(Import *imp, const char *prefix, unsigned preferred) {
        for (unsigned idx = preferred; idx < preferred + 18278; idx++) {
                char name[16];
                bool used = false;
                unsigned v = idx;
                char letters[8];
                int n = 0;

                /* a..z, aa..zz, aaa..zzz as libvirt numbers disks */
                do {
                        letters[n++] = (char) ('a' + v % 26);
                        v = v / 26;
                } while (v-- > 0 && n < 3);
                snprintf(name, sizeof(name), "%s", prefix);
                for (int k = n - 1; k >= 0; k--) {
                        size_t l = strlen(name);
                        name[l] = letters[k];
                        name[l + 1] = 0;
                }
                for (unsigned i = 0; i < imp->def->n_disks && !used; i++)
                        if (imp->def->disks[i].dst && streq(imp->def->disks[i].dst, name))
                                used = true;
                if (!used)
                        return imp_strdup(imp, name);
        }
        (void) imp_fail(imp, "too many disks");
        return NULL;
}

/* ---- small handlers that fit nowhere else ---- */

static int imp_flag(Import *imp, ImportOpt *o) {
        const char *n = bare_name(o);

        if (streq(n, "nodefaults"))
                imp->nodefaults = true;
        else if (streq(n, "nographic"))
                imp->nographic = true;
        else if (streq(n, "usb"))
                imp->usb_requested = true;
        else if (streq(n, "no-acpi"))
                imp->def->features.acpi = false;
        else if (streq(n, "no-reboot"))
                imp->def->on_reboot = VM_LIFECYCLE_DESTROY;
        else if (streq(n, "no-hpet")) {
                VmTimer *t = VM_ARRAY_NEW(imp->def, imp->def->clock.timers, imp->def->clock.n_timers);
                if (!t)
                        return imp_oom(imp);
                t->name = (char *) "hpet";
                t->present = VM_TRISTATE_OFF;
        } else if (streq(n, "mem-prealloc"))
                imp->def->mem.allocation_mode = (char *) "immediate";   /* the RAM backends' prealloc */
        return 0;
}

static int imp_name(Import *imp, ImportOpt *o) {
        const char *v;
        VmTristate dt = VM_TRISTATE_ABSENT;
        int r;

        r = imp_parse(imp, o, "guest");
        if (r < 0)
                return r;
        v = qemu_opt_get(&o->o, "guest");
        if (qemu_opt_get_bool(&o->o, "debug-threads", &dt) < 0)
                return imp_fail(imp, "-name: invalid debug-threads value");
        if (dt != VM_TRISTATE_ABSENT)
                imp_dropped(imp, &(ImportOpt) { .name = (char *) "-name debug-threads" });
        if (qemu_opt_get(&o->o, "process"))
                imp_dropped(imp, &(ImportOpt) { .name = (char *) "-name process" });
        if (!v || vm_name_validate(v) < 0)
                return imp_fail(imp, "-name '%s': not a valid domain name (1-200 characters, no '/', no leading "
                                "'.', no control characters)", strempty(v));
        imp->def->name = imp_strdup(imp, v);
        return imp_keep_unused(imp, o);         /* QEMU merges -name options */
}

static int imp_uuid(Import *imp, ImportOpt *o) {
        char out[37];

        /* QEMU takes the 36-character form only */
        if (strlen(o->arg) != 36)
                return imp_fail(imp, "-uuid '%s': not a UUID", o->arg);
        for (size_t i = 0; i < 36; i++) {
                char c = o->arg[i];
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? c != '-' : !strchr("0123456789abcdefABCDEF", c))
                        return imp_fail(imp, "-uuid '%s': not a UUID", o->arg);
                out[i] = (char) (c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
        }
        out[36] = 0;
        imp->def->uuid = imp_strdup(imp, out);
        return 0;
}

static int imp_os_path(Import *imp, ImportOpt *o) {
        const char *n = bare_name(o);
        VmOs *os = &imp->def->os;
        char *path;

        if (streq(n, "append")) {
                os->cmdline = imp_strdup(imp, o->arg);
                return 0;
        }
        /* relative to QEMU's working directory, which under vmunit is not the user's */
        path = imp_abs_path(imp, o->arg, o->name);
        if (!path)
                return imp_passthrough(imp, o, "a relative path and no directory to resolve it against");
        if (streq(n, "kernel"))
                os->kernel = path;
        else if (streq(n, "initrd"))
                os->initrd = path;
        else {
                os->loader = path;
                os->loader_type = (char *) "rom";
        }
        return 0;
}

static int imp_watchdog_action(Import *imp, ImportOpt *o) {
        static const char * const actions[] = { "reset", "shutdown", "poweroff", "pause", "none", "debug",
                                                "inject-nmi", NULL };

        if (!strv_has(actions, o->arg))
                return imp_fail(imp, "-watchdog-action '%s': unknown action", o->arg);
        if (imp->def->n_watchdogs == 0)
                return imp_passthrough(imp, o, "there is no watchdog device it could apply to");
        if (streq(o->arg, "debug"))
                return imp_passthrough(imp, o, "action 'debug' has no domain XML equivalent");
        for (unsigned i = 0; i < imp->def->n_watchdogs; i++)
                imp->def->watchdogs[i].action = imp_strdup(imp, o->arg);
        return 0;
}

static int imp_keymap(Import *imp, ImportOpt *o) {
        if (imp->def->n_graphics == 0)
                return imp_passthrough(imp, o, "there is no VNC display it could apply to");
        if (strspn(o->arg, "abcdefghijklmnopqrstuvwxyz-_") != strlen(o->arg))
                return imp_fail(imp, "-k '%s': not a keymap name", o->arg);
        for (unsigned i = 0; i < imp->def->n_graphics; i++)
                imp->def->graphics[i].keymap = imp_strdup(imp, o->arg);
        return 0;
}

static int imp_acpitable(Import *imp, ImportOpt *o) {
        const char *sig, *file;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        sig = qemu_opt_get(&o->o, "sig");
        file = qemu_opt_get(&o->o, "file");
        if (!sig || !streq(sig, "SLIC") || !file || strchr(file, ':') || imp->def->os.acpi_table)
                return imp_passthrough(imp, o, "only a single SLIC table from one file is supported");
        if (imp_check_unused(imp, o))
                return 1;
        imp->def->os.acpi_table = imp_strdup(imp, file);
        return 0;
}

static int imp_soundhw(Import *imp, ImportOpt *o) {
        static const struct { const char *hw, *model; } t[] = {
                { "ac97", "ac97" }, { "es1370", "es1370" }, { "sb16", "sb16" }, { "hda", "ich6" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(o->arg, t[i].hw)) {
                        VmSound *s = VM_DEVICE_NEW(imp->def, sounds);
                        if (!s)
                                return imp_oom(imp);
                        s->model = (char *) t[i].model;
                        return 0;
                }
        return imp_passthrough(imp, o, "sound card '%s' is not supported", o->arg);
}

/* ---- the environment, the binary ---- */

static bool env_name_ok(const char *s, size_t n) {
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", s[i]))
                        return false;
        return true;
}

static int import_env(Import *imp, const char *word, char **tz) {
        const char *eq = strchr(word, '=');
        _cleanup_free_ char *name = strndup(word, (size_t) (eq - word));
        VmQemuEnv *e;

        if (!name)
                return imp_oom(imp);
        if (strv_has(managed_env, name)) {
                imp_dropped(imp, &(ImportOpt) { .name = name });
                return 0;
        }
        if (streq(name, "TZ")) {
                *tz = (char *) eq + 1;
                return 0;
        }
        e = VM_DEVICE_NEW(imp->def, qemu_env);
        if (!e)
                return imp_oom(imp);
        e->name = imp_strdup(imp, name);
        e->value = imp_strdup(imp, eq + 1);
        imp_warn(imp, "environment variable %s is passed to QEMU as <qemu:env>", name);
        return 0;
}

static void import_binary(Import *imp, const char *bin) {
        const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
        VmDef *def = imp->def;

        if (bin[0] == '/')
                def->emulator = imp_strdup(imp, bin);
        else
                imp_warn(imp, "QEMU binary '%s' is not an absolute path: using vmunit's default emulator", bin);
        if (strstr(base, "x86_64") || streq(base, "qemu-kvm") || streq(base, "kvm"))
                def->os.arch = (char *) "x86_64";
        else if (strstr(base, "i386") || streq(base, "qemu"))
                def->os.arch = (char *) "i686";     /* plain "qemu" was the 32-bit PC emulator */
        else if (startswith(base, "qemu-system-")) {
                def->os.arch = imp_strdup(imp, base + strlen("qemu-system-"));
                imp_warn(imp, "'%s' emulates '%s': vmunit runs x86 guests only", base, def->os.arch);
        } else {
                def->os.arch = (char *) "x86_64";
                imp_warn(imp, "'%s' does not look like a QEMU binary; assuming an x86_64 system emulator", base);
        }
        if (strstr(base, "kvm"))
                def->virt_type = (char *) "kvm";
}

/* ---- options ---- */

static const OptionSpec *find_spec(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(options); i++)
                if (streq(options[i].name, name))
                        return &options[i];
        return NULL;
}

static int split_options(Import *imp, char **args) {
        size_t n = strv_length(args);

        if (n > IMPORT_MAX_ARGS)
                return imp_fail(imp, "more than %u arguments: not a command line vmunit imports", IMPORT_MAX_ARGS);

        imp->opts = calloc(n + 1, sizeof(ImportOpt));
        if (!imp->opts)
                return imp_oom(imp);
        for (size_t i = 0; args[i]; i++) {
                ImportOpt *o = &imp->opts[imp->n_opts++];
                const char *name;
                bool has_arg;

                o->pos = (unsigned) i;
                if (args[i][0] != '-' || !args[i][1]) {
                        /* a bare word is QEMU's old spelling of -hda */
                        o->name = (char *) "-hda";
                        o->arg = args[i];
                        o->bare = true;
                        o->spec = find_spec("hda");
                        continue;
                }
                o->name = args[i];
                name = args[i] + (args[i][1] == '-' ? 2 : 1);
                o->spec = find_spec(name);
                has_arg = o->spec ? o->spec->has_arg : !strv_has(flag_options, name);
                if (!has_arg)
                        continue;
                if (!args[i + 1])
                        return imp_fail(imp, "option '%s' needs a value", args[i]);
                o->arg = args[++i];
        }
        return 0;
}

/* -mon chardev=X, -monitor chardev:X, -qmp chardev:X: the chardev goes with the monitor. */
static void drop_monitor_chardev(Import *imp, ImportOpt *o) {
        const char *n = bare_name(o), *id = NULL;
        ImportOpt *c;

        if (!o->arg)
                return;
        if (streq(n, "mon")) {
                if (imp_parse(imp, o, "chardev") < 0)
                        return;
                id = qemu_opt_get(&o->o, "chardev");
        } else if (streq(n, "monitor") || streq(n, "qmp") || streq(n, "qmp-pretty"))
                id = startswith(o->arg, "chardev:");
        c = imp_find_backend(imp, "chardev", "id", id);
        if (c) {
                c->done = true;
                imp_dropped(imp, c);
        }
}

static int run_phase(Import *imp, unsigned phase) {
        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];
                int r;

                if (o->done || o->why || !o->spec || o->spec->phase != phase)
                        continue;
                if (o->spec->kind == OPT_MANAGED) {
                        imp_dropped(imp, o);
                        o->done = true;
                        drop_monitor_chardev(imp, o);
                        continue;
                }
                if (!o->spec->handler)
                        continue;
                r = o->spec->handler(imp, o);
                if (r < 0)
                        return r;
                if (imp->status < 0)
                        return imp->status;
                if (r == 0)
                        o->done = true;
        }
        /* -device: controllers first, then everything else in a second round */
        if (phase == PHASE_CONTROLLERS)
                for (size_t i = 0; i < imp->n_opts; i++) {
                        ImportOpt *o = &imp->opts[i];
                        int r;

                        if (o->done || o->why || !streq(bare_name(o), "device"))
                                continue;
                        r = imp_device(imp, o);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                o->done = true;
                }
        return imp->status;
}

/* ---- what QEMU has without being asked, and the rest ---- */

static int finalize_defaults(Import *imp) {
        VmDef *def = imp->def;
        bool usb_ctrl = false;

        for (unsigned i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == VM_CONTROLLER_USB)
                        usb_ctrl = true;
        if (!usb_ctrl && !imp->usb_requested) {
                VmController *k = VM_DEVICE_NEW(def, controllers);
                if (!k)
                        return imp_oom(imp);
                *k = (VmController) { .type = VM_CONTROLLER_USB, .model = (char *) "none", .ports = -1, .vectors = -1,
                                      .chassis_nr = -1, .chassis = -1, .port = -1, .bus_nr = -1, .target_index = -1,
                                      .numa_node = -1 };
        }
        if (!imp->have_balloon) {
                def->memballoon.present = true;
                def->memballoon.model = (char *) "none";
        }
        if (!imp->nodefaults && !imp->have_net_option && def->n_nets == 0) {
                /* QEMU's default: one NIC on user networking */
                VmNet *n = VM_DEVICE_NEW(def, nets);
                if (!n)
                        return imp_oom(imp);
                n->type = (char *) "user";
                n->model = (char *) (imp->q35 ? "e1000e" : "e1000");
                imp_note(imp, "no -net/-nic/-netdev and no -nodefaults: imported QEMU's default %s NIC on user "
                         "networking", n->model);
        }
        if (def->n_videos == 0 && !imp->nodefaults && !imp->vga_none && !imp->nographic) {
                VmVideo *v = VM_DEVICE_NEW(def, videos);
                if (!v)
                        return imp_oom(imp);
                v->model = (char *) "vga";     /* QEMU's default card on PC machines */
        } else if (def->n_videos == 0 && def->n_graphics > 0) {
                VmVideo *v = VM_DEVICE_NEW(def, videos);
                if (!v)
                        return imp_oom(imp);
                v->model = (char *) "none";    /* else vmunit would add a card the line does not have */
        }
        if (imp->pcspk_audiodev) {
                VmSound *snd = VM_DEVICE_NEW(def, sounds);
                unsigned id;
                if (!snd)
                        return imp_oom(imp);
                snd->model = (char *) "pcspk";
                if (imp_id_find(imp, ID_AUDIO, imp->pcspk_audiodev, &id) == 0)
                        snd->audio_id = imp_strdupf(imp, "%u", id);
        }
        if (def->os.loader_secure == VM_TRISTATE_ON && def->features.smm == VM_TRISTATE_ABSENT) {
                /* secure boot firmware needs SMM, which QEMU's default smm=auto turns on */
                def->features.smm = VM_TRISTATE_ON;
                imp_note(imp, "secure-boot firmware: SMM made explicit (QEMU's smm=auto turned it on)");
        }
        if (!imp->nodefaults)
                imp_note(imp, "the line has no -nodefaults: QEMU's other default devices (an empty IDE CD-ROM, "
                         "a floppy drive, serial and parallel ports, a monitor) are not imported");
        if (!imp->nodefaults && !imp->nographic && def->n_graphics == 0 && !imp->no_local_display)
                imp_note(imp, "QEMU would open a local display window; vmunit runs VMs headless: add a <graphics "
                         "type='vnc'/> to reach the console");
        return imp->status;
}

static int finalize_identity(Import *imp, const char *tz) {
        VmDef *def = imp->def;

        if (!def->name) {
                def->name = imp_strdup(imp, imp->options && imp->options->default_name ?
                                            imp->options->default_name : "unnamed");
                imp_note(imp, "no -name: the domain is called '%s'", strempty(def->name));
        }
        if (!def->uuid && imp->options && imp->options->default_uuid)
                def->uuid = imp_strdup(imp, imp->options->default_uuid);
        if (!def->virt_type)
                def->virt_type = (char *) "qemu";
        if (!def->os.machine)
                def->os.machine = (char *) "pc";
        if (!def->vcpus)
                def->vcpus = 1;
        if (!def->memory_kib)
                def->memory_kib = 128 * 1024;   /* QEMU's default RAM size */
        if (tz && (strchr(tz, '\n') || strchr(tz, '=') || !*tz)) {
                VmQemuEnv *e = VM_DEVICE_NEW(def, qemu_env);
                if (!e)
                        return imp_oom(imp);
                e->name = (char *) "TZ";
                e->value = imp_strdup(imp, tz);
                imp_warn(imp, "TZ is not a time zone name; passed to QEMU as <qemu:env>");
        } else if (tz) {
                if (def->clock.offset && streq(def->clock.offset, "localtime")) {
                        def->clock.offset = (char *) "timezone";
                        def->clock.timezone = imp_strdup(imp, tz);
                } else
                        imp_warn(imp, "TZ=%s only matters for -rtc base=localtime, which the line does not use; "
                                 "dropped", tz);
        }
        return imp->status;
}

/* Another option that is passed through and names @backend's id in one of its values. */
static const ImportOpt *find_user(Import *imp, const ImportOpt *backend) {
        for (size_t i = 0; i < imp->n_opts; i++) {
                const ImportOpt *o = &imp->opts[i];
                if (o == backend || (o->done && !o->keep) || !o->parsed)
                        continue;
                for (size_t k = 0; k < o->o.n; k++)
                        if (o->o.v[k].value && streq(o->o.v[k].value, backend->id) && !streq(o->o.v[k].key, "id") &&
                            !streq(o->o.v[k].key, "node-name"))
                                return o;
        }
        return NULL;
}

static int finalize_passthrough(Import *imp) {
        VmDef *def = imp->def;
        char **a;

        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];

                if (o->done && !o->keep)
                        continue;
                if (o->keep && !o->why)
                        (void) imp_passthrough(imp, o, "part of it has no domain XML equivalent");
                if (!o->why) {
                        const ImportOpt *user = o->id ? find_user(imp, o) : NULL;
                        if (!o->spec)
                                (void) imp_passthrough(imp, o, "vmunit does not know this option");
                        else if (o->spec->kind == OPT_BACKEND && user)
                                (void) imp_passthrough(imp, o, "the '%s' that uses it is passed through", user->name);
                        else if (o->spec->kind == OPT_BACKEND)
                                (void) imp_passthrough(imp, o, "no imported device uses it");
                        else
                                (void) imp_passthrough(imp, o, "it was not imported");
                }
                imp_warn(imp, "'%s%s%s' passed through as <qemu:arg>: %s", o->name, o->arg ? " " : "",
                         o->keep_arg ?: strempty(o->arg), strempty(o->why));
                a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
                if (!a)
                        return imp_oom(imp);
                *a = imp_strdup(imp, o->name);
                if (o->arg) {
                        a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
                        if (!a)
                                return imp_oom(imp);
                        *a = imp_strdup(imp, o->keep_arg ?: o->arg);
                }
        }
        if (def->n_qemu_args > 0) {
                /* NULL-terminated, as the parser leaves it */
                if (!VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args))
                        return imp_oom(imp);
                def->n_qemu_args--;
        }
        if (imp->dropped) {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&list, &len);
                if (!f)
                        return imp_oom(imp);
                STRV_FOREACH(d, imp->dropped) {
                        bool dup = false;
                        for (char **e = imp->dropped; e < d; e++)
                                if (streq(*e, *d))
                                        dup = true;
                        if (!dup)
                                fprintf(f, "%s%s", d == imp->dropped ? "" : ", ", *d);
                }
                if (fclose(f) != 0)
                        return imp_oom(imp);
                imp_note(imp, "dropped what vmunit sets up itself for every VM: %s", list);
        }
        return imp->status;
}

static void import_done(Import *imp) {
        for (size_t i = 0; i < imp->n_opts; i++) {
                qemu_opt_list_done(&imp->opts[i].o);
                free(imp->opts[i].why);
                free(imp->opts[i].keep_arg);
        }
        free(imp->opts);
        for (size_t i = 0; i < imp->n_ids; i++)
                free(imp->ids[i].id);
        free(imp->ids);
        strv_free(imp->notes);
        strv_free(imp->dropped);
        free(imp->error);
}

/* The domain XML is UTF-8 and XML 1.0 carries no C0 control character but tab, newline and carriage
 * return: a line with others (or with broken UTF-8) cannot become XML and is refused up front.
 * Returns the offset of the first offending byte, or @len. */
static size_t first_unrepresentable(const char *line, size_t len) {
        const unsigned char *s = (const unsigned char *) line;

        for (size_t i = 0; i < len; ) {
                unsigned char c = s[i];
                size_t n;
                uint32_t cp;

                if (c < 0x80) {
                        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                                return i;
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 3, cp = c & 0x07;
                else
                        return i;
                for (size_t k = 1; k <= n; k++) {
                        if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                /* overlong forms, UTF-16 surrogates, beyond U+10FFFF, and the non-characters XML refuses */
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
                    cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
                        return i;
                i += n + 1;
        }
        return len;
}

int qemu_import(const char *line, size_t len, const QemuImportOptions *opts, VmDef **ret, char ***ret_notes,
                char **ret_error) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_strv_free_ char **words = NULL;
        Import imp = { .options = opts };
        char **w, *tz = NULL;
        size_t bad;
        int r;

        assert(ret);
        r = shell_split(line, len, &words, ret_error);
        if (r < 0)
                return r;
        bad = first_unrepresentable(line, len);
        if (bad < len) {
                if (ret_error && asprintf(ret_error, "column %zu: byte 0x%02x: the domain XML can carry neither control "
                                          "characters nor bytes that are not UTF-8", bad + 1,
                                          (unsigned) (unsigned char) line[bad]) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        r = vm_def_new(&def);
        if (r < 0)
                return r;
        imp.def = def;
        def->features.acpi = true;              /* QEMU's default; -no-acpi turns it off */

        for (w = words; *w && strchr(*w, '=') && env_name_ok(*w, (size_t) (strchr(*w, '=') - *w)); w++) {
                r = import_env(&imp, *w, &tz);
                if (r < 0)
                        goto finish;
        }
        if (!*w) {
                r = imp_fail(&imp, "no QEMU binary on the line");
                goto finish;
        }
        import_binary(&imp, *w);
        r = split_options(&imp, w + 1);
        if (r < 0)
                goto finish;
        for (unsigned phase = 0; phase < _PHASE_MAX; phase++) {
                r = run_phase(&imp, phase);
                if (r < 0)
                        goto finish;
                if (phase == PHASE_DEVICES) {
                        r = imp_machine_pflash(&imp);
                        if (r < 0)
                                goto finish;
                }
                if (phase == PHASE_LEGACY) {
                        r = imp_net_legacy(&imp);
                        if (r < 0)
                                goto finish;
                }
        }
        r = finalize_defaults(&imp);
        if (r >= 0)
                r = finalize_identity(&imp, tz);
        if (r >= 0)
                r = finalize_passthrough(&imp);

finish:
        if (r < 0 || imp.status < 0) {
                r = imp.status < 0 ? imp.status : r;
                if (ret_error)
                        *ret_error = TAKE_PTR(imp.error);
                import_done(&imp);
                return r;
        }
        if (ret_notes)
                *ret_notes = TAKE_PTR(imp.notes);
        import_done(&imp);
        *ret = TAKE_PTR(def);
        return 0;
}
