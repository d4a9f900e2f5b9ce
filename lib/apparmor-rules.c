/*
 * AppArmor sVirt, first half: which host paths a domain makes QEMU open, with the permissions
 * each needs (apparmor_rules_collect(), pure), and what only the host can add to that
 * (apparmor_rules_resolve(): symlink targets, VFIO groups). Rendering and files: apparmor-profile.c.
 *
 * The walk follows what qemu-argv*.c hands to QEMU. Paths vmunit derives inside the VM's own
 * runtime and state directories (QMP socket, channel, VNC, SPICE and swtpm sockets, NVRAM
 * default, memory files) are covered by one rule for each whole directory.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apparmor-profile.h"
#include "cleanup.h"
#include "config.h"
#include "virtiofs.h"

#define PERM_R          APPARMOR_PERM_READ
#define PERM_RW         (APPARMOR_PERM_READ | APPARMOR_PERM_WRITE)
#define PERM_RK         (APPARMOR_PERM_READ | APPARMOR_PERM_LOCK)
#define PERM_RWK        (APPARMOR_PERM_READ | APPARMOR_PERM_WRITE | APPARMOR_PERM_LOCK)

/* Which element a path came from, for messages: "<disk> 'vda'", "<serial> 1", "<os><kernel>". */
typedef struct Where {
        const char *element;
        const char *name;               /* NULL: @index is shown instead */
        unsigned index;                 /* NO_INDEX: neither is shown */
        unsigned line;                  /* in the domain XML; 0: unknown */
} Where;
#define NO_INDEX UINT_MAX
#define WHERE(e) { (e), NULL, NO_INDEX, 0 }

typedef struct Collector {
        const VmDef *def;
        const AppArmorOptions *opts;
        AppArmorRules rules;
        char *error;
} Collector;

void apparmor_rules_done(AppArmorRules *rules) {
        for (size_t i = 0; i < rules->n; i++)
                free(rules->rules[i].path);
        free(rules->rules);
        *rules = (AppArmorRules) {};
}

/* The path as it can be shown in a message: control characters as \xHH. */
static char *printable(const char *path) {
        size_t n = strlen(path);
        char *s = malloc(4 * n + 1), *p = s;

        if (!s)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) path; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        p += sprintf(p, "\\x%02x", *c);
                else
                        *p++ = (char) *c;
        *p = 0;
        return s;
}

static int fail(Collector *c, const Where *w, const char *path, const char *why) {
        const char *file = c->opts->filename ?: "domain";
        _cleanup_free_ char *shown = printable(path), *elem = NULL;
        int k;

        if (!shown)
                return -ENOMEM;
        if (w->name)
                k = asprintf(&elem, "%s '%s'", w->element, w->name);
        else if (w->index != NO_INDEX)
                k = asprintf(&elem, "%s %u", w->element, w->index);
        else
                k = asprintf(&elem, "%s", w->element);
        if (k < 0)
                return -ENOMEM;
        free(c->error);
        c->error = NULL;
        k = w->line > 0 ? asprintf(&c->error, "%s:%u: %s: path '%s' %s", file, w->line, elem, shown, why)
                        : asprintf(&c->error, "%s: %s: path '%s' %s", file, elem, shown, why);
        if (k < 0)
                c->error = NULL;
        return -EINVAL;
}

/* Can an AppArmor rule name @path exactly? NULL if so, else why not. */
static const char *path_problem(const char *path) {
        if (path[0] != '/')
                return "is not absolute; an AppArmor rule needs an absolute path";
        if (strlen(path) >= PATH_MAX)
                return "is longer than PATH_MAX";
        for (const unsigned char *p = (const unsigned char *) path; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return "contains a control character, which an AppArmor rule cannot hold";
        /* AppArmor matches the path the kernel resolved: a rule naming "." or ".." never matches. */
        for (const char *p = path; p; p = strchr(p + 1, '/')) {
                size_t l = strcspn(p + 1, "/");
                if ((l == 1 && p[1] == '.') || (l == 2 && p[1] == '.' && p[2] == '.'))
                        return "has a '.' or '..' component; AppArmor matches resolved paths only";
        }
        return NULL;
}

static int rules_add(AppArmorRules *rules, const char *path, size_t len, unsigned perms, bool tree) {
        AppArmorRule *n;

        for (size_t i = 0; i < rules->n; i++)
                if (rules->rules[i].tree == tree && strlen(rules->rules[i].path) == len &&
                    strncmp(rules->rules[i].path, path, len) == 0) {
                        rules->rules[i].perms |= perms;
                        return 0;
                }
        n = realloc(rules->rules, (rules->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        rules->rules = n;
        n[rules->n] = (AppArmorRule) { .path = strndup(path, len), .perms = perms, .tree = tree };
        if (!n[rules->n].path)
                return -ENOMEM;
        rules->n++;
        return 0;
}

static int add_path(Collector *c, const Where *w, const char *path, unsigned perms, bool tree) {
        const char *why;
        size_t len;

        if (!path || !*path)
                return 0;
        why = path_problem(path);
        if (why)
                return fail(c, w, path, why);
        /* "/dir/" and "/dir" are the same directory; the rule is written without the slash. */
        len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                len--;
        return rules_add(&c->rules, path, len, perms, tree);
}

static int add_pathf(Collector *c, const Where *w, unsigned perms, bool tree, const char *fmt, ...)
        _printf_(5, 6);
static int add_pathf(Collector *c, const Where *w, unsigned perms, bool tree, const char *fmt, ...) {
        _cleanup_free_ char *path = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&path, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return add_path(c, w, path, perms, tree);
}

/* ---- the walk ---- */

static int collect_disks(Collector *c) {
        int r;

        for (unsigned i = 0; i < c->def->n_disks; i++) {
                const VmDisk *d = &c->def->disks[i];
                const Where w = { "<disk>", d->dst, i, d->line };
                /* as qemu-argv-disk.c opens it: a cdrom is always read-only */
                bool readonly = d->readonly || d->device == VM_DISK_DEVICE_CDROM;

                for (const VmDiskSource *s = &d->src; s; s = s->backing) {
                        bool top = s == &d->src;

                        if (s->type == VM_DISK_TYPE_NETWORK) {
                                for (unsigned h = 0; h < s->n_hosts; h++)
                                        if (streq_ptr(s->hosts[h].transport, "unix")) {
                                                r = add_path(c, &w, s->hosts[h].socket, PERM_RW, false);
                                                if (r < 0)
                                                        return r;
                                        }
                                continue;
                        }
                        /* Backing images are only ever read; QEMU locks read-only images too. */
                        r = add_path(c, &w, s->path, top && !readonly ? PERM_RWK : PERM_RK,
                                     s->type == VM_DISK_TYPE_DIR);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int collect_os(Collector *c) {
        const VmOs *os = &c->def->os;
        const Where kernel = WHERE("<os><kernel>"), initrd = WHERE("<os><initrd>"),
                    dtb = WHERE("<os><dtb>"), acpi = WHERE("<os><acpi><table>"),
                    loader = WHERE("<os><loader>"), nvram = WHERE("<os><nvram>"),
                    emulator = WHERE("<emulator>");
        /* A pflash loader is opened read-write unless it is marked read-only. */
        bool rw_loader = streq_ptr(os->loader_type, "pflash") && os->loader_readonly != VM_TRISTATE_ON;
        int r;

        if ((r = add_path(c, &emulator, c->def->emulator, APPARMOR_PERM_READ | APPARMOR_PERM_MMAP, false)) < 0 ||
            (r = add_path(c, &kernel, os->kernel, PERM_R, false)) < 0 ||
            (r = add_path(c, &initrd, os->initrd, PERM_R, false)) < 0 ||
            (r = add_path(c, &dtb, os->dtb, PERM_R, false)) < 0 ||
            (r = add_path(c, &acpi, os->acpi_table, PERM_R, false)) < 0 ||
            (r = add_path(c, &loader, os->loader, rw_loader ? PERM_RWK : PERM_RK, false)) < 0 ||
            (r = add_path(c, &nvram, os->nvram, PERM_RWK, false)) < 0)
                return r;
        for (unsigned i = 0; i < c->def->sysinfo.n_fw_cfg; i++) {
                const VmSysinfoEntry *e = &c->def->sysinfo.fw_cfg[i];
                const Where w = { "<sysinfo type='fwcfg'><entry>", e->name, i, 0 };
                r = add_path(c, &w, e->file, PERM_R, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A character device backend as qemu_build_chardev() opens it. */
static int collect_char_source(Collector *c, const Where *w, const VmCharSource *s) {
        int r;

        if (!s->type)
                return 0;
        if (streq(s->type, "file") || streq(s->type, "dev") || streq(s->type, "unix")) {
                r = add_path(c, w, s->path, PERM_RW, false);
                if (r < 0)
                        return r;
        } else if (streq(s->type, "pipe") && s->path) {
                /* QEMU opens PATH.in and PATH.out, or PATH itself when those do not exist. */
                if ((r = add_path(c, w, s->path, PERM_RW, false)) < 0 ||
                    (r = add_pathf(c, w, PERM_RW, false, "%s.in", s->path)) < 0 ||
                    (r = add_pathf(c, w, PERM_RW, false, "%s.out", s->path)) < 0)
                        return r;
        }
        return add_path(c, w, s->log_file, PERM_RW, false);
}

static int collect_chars(Collector *c) {
        static const char * const elements[_VM_CHAR_KIND_MAX] = {
                [VM_CHAR_SERIAL] = "<serial>", [VM_CHAR_PARALLEL] = "<parallel>",
                [VM_CHAR_CONSOLE] = "<console>", [VM_CHAR_CHANNEL] = "<channel>",
        };
        unsigned seen[_VM_CHAR_KIND_MAX] = {};
        int r;

        for (unsigned i = 0; i < c->def->n_chars; i++) {
                const VmChar *ch = &c->def->chars[i];
                const Where w = { elements[ch->kind], NULL, seen[ch->kind]++, 0 };

                /* A unix channel without a path gets one in the runtime directory (covered). */
                r = collect_char_source(c, &w, &ch->src);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < c->def->n_redirdevs; i++) {
                const Where w = { "<redirdev>", NULL, i, 0 };
                r = collect_char_source(c, &w, &c->def->redirdevs[i].src);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < c->def->n_smartcards; i++) {
                const Where w = { "<smartcard>", NULL, i, 0 };
                r = collect_char_source(c, &w, &c->def->smartcards[i].src);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* RNG, TPM, evdev inputs and host devices: nodes under /dev (and the TPM's cancel file). */
static int collect_host_nodes(Collector *c) {
        const VmDef *def = c->def;
        int r;

        for (unsigned i = 0; i < def->n_rngs; i++) {
                const VmRng *g = &def->rngs[i];
                const Where w = { "<rng>", NULL, i, 0 };
                if (streq_ptr(g->backend_model, "random"))
                        r = add_path(c, &w, g->backend_path ?: "/dev/urandom", PERM_RW, false);
                else if (streq_ptr(g->backend_model, "egd"))
                        r = collect_char_source(c, &w, &g->egd);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_tpms; i++) {
                const VmTpm *t = &def->tpms[i];
                const Where w = { "<tpm>", NULL, i, 0 };
                if (streq_ptr(t->backend_type, "passthrough")) {
                        const char *dev = t->backend_path ?: "/dev/tpm0";
                        r = add_path(c, &w, dev, PERM_RW, false);
                        if (r >= 0 && startswith(dev, "/dev/"))
                                r = add_pathf(c, &w, PERM_RW, false, "/sys/class/tpm/%s/device/cancel",
                                              dev + strlen("/dev/"));
                } else if (streq_ptr(t->backend_type, "external"))
                        r = add_path(c, &w, t->backend_path, PERM_RW, false);
                else
                        r = 0;          /* emulator: swtpm's socket is in the runtime directory */
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_inputs; i++) {
                const Where w = { "<input>", def->inputs[i].type, i, 0 };
                r = add_path(c, &w, def->inputs[i].source_evdev, PERM_RW, false);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                const VmHostdev *h = &def->hostdevs[i];
                const Where w = { "<hostdev>", h->type, i, 0 };
                if (streq_ptr(h->type, "pci"))
                        /* the container; the group node is added by apparmor_rules_resolve() */
                        r = add_path(c, &w, "/dev/vfio/vfio", PERM_RW, false);
                else if (streq_ptr(h->type, "usb") && h->source_addr.type == VM_ADDRESS_USB)
                        r = add_pathf(c, &w, PERM_RW, false, "/dev/bus/usb/%03u/%03u", h->source_addr.bus,
                                      h->source_addr.unit);
                else if (streq_ptr(h->type, "mdev")) {
                        /* NEEDSWORK: and its VFIO group node, once the supervisor grants mediated devices */
                        r = add_path(c, &w, "/dev/vfio/vfio", PERM_RW, false);
                        if (r >= 0)
                                r = add_pathf(c, &w, PERM_R, true, "/sys/bus/mdev/devices/%s", h->mdev_uuid);
                } else if (streq_ptr(h->type, "scsi") || streq_ptr(h->type, "scsi_host"))
                        /* NEEDSWORK: the supervisor passes /dev/sgN (found in sysfs at start) and
                         * /dev/vhost-scsi as fds; a confined QEMU keeps them only if its profile names the
                         * node, which is resolved at start like a VFIO group would have to be */
                        r = 0;
                else
                        r = 0;          /* NEEDSWORK: USB by vendor/product is found by libusb at run time */
                if (r >= 0)
                        r = add_path(c, &w, h->rom_file, PERM_R, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* QEMU makes (and unlinks) its huge page files in DIR/vmunit/NAME of each page size used
 * (qemu-argv-memory.c). */
static int add_hugepage_dir(Collector *c, uint64_t page_kib) {
        const Where w = WHERE("<memoryBacking><hugepages>");
        char dir[PATH_MAX];

        if (!page_kib)
                return 0;
        qemu_hugetlbfs_dir(c->opts->build, page_kib, dir, sizeof(dir));
        return add_pathf(c, &w, PERM_RW, true, "%s/vmunit/%s", dir, c->def->name);
}

static int collect_memory(Collector *c) {
        const VmDef *def = c->def;
        int r;

        for (int cell = def->cpu.n_cells > 0 ? 0 : -1; cell < (int) MAX(def->cpu.n_cells, 1u); cell++)
                if (!streq_ptr(def->mem.source_type, "memfd") &&
                    (r = add_hugepage_dir(c, qemu_cell_hugepage_kib(def, cell))) < 0)
                        return r;
        for (unsigned i = 0; i < def->n_memory_devices; i++) {
                const Where w = { "<memory>", def->memory_devices[i].model, i, 0 };
                r = add_hugepage_dir(c, qemu_memory_device_hugepage_kib(def, &def->memory_devices[i]));
                if (r < 0)
                        return r;
                r = add_path(c, &w, def->memory_devices[i].source_path, PERM_RW, false);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_shmems; i++) {
                const VmShmem *s = &def->shmems[i];
                const Where w = { "<shmem>", s->name, i, 0 };
                if (streq_ptr(s->model, "ivshmem-plain"))
                        r = add_pathf(c, &w, PERM_RW, false, "/dev/shm/%s", s->name);
                else
                        r = add_path(c, &w, s->server_path, PERM_RW, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int collect_io(Collector *c) {
        const VmDef *def = c->def;
        int r;

        for (unsigned i = 0; i < def->n_filesystems; i++) {
                const VmFilesystem *f = &def->filesystems[i];
                const Where w = { "<filesystem>", f->target_dir, i, 0 };
                if (virtiofs_is(f))
                        /* virtiofsd reads the tree; QEMU only talks to its socket (ours is in the
                         * runtime dir, which the profile has anyway) */
                        r = f->source_socket ? add_path(c, &w, f->source_socket, PERM_RW, false) : 0;
                else
                        r = add_path(c, &w, f->source_dir, f->readonly ? PERM_R : PERM_RW, true);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_audios; i++) {
                const VmAudio *a = &def->audios[i];
                const Where w = { "<audio>", a->type, i, 0 };
                if (streq_ptr(a->type, "file"))
                        r = add_path(c, &w, a->path, PERM_RW, false);
                else
                        r = 0;
                /* OSS names device nodes; ALSA and the others name devices of their own */
                if (r >= 0 && a->in.dev && a->in.dev[0] == '/')
                        r = add_path(c, &w, a->in.dev, PERM_RW, false);
                if (r >= 0 && a->out.dev && a->out.dev[0] == '/')
                        r = add_path(c, &w, a->out.dev, PERM_RW, false);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_graphics; i++) {
                const VmGraphics *g = &def->graphics[i];
                const Where w = { "<graphics>", g->type, i, 0 };
                r = 0;
                if (streq_ptr(g->listen_type, "socket"))
                        r = add_path(c, &w, g->listen_socket, PERM_RW, false);
                if (r >= 0 && streq_ptr(g->type, "spice") && g->tls_port >= 0)
                        r = add_path(c, &w, c->opts->build->spice_tls_x509_dir ?: CONFIG_DEFAULT_SPICE_TLS_X509_CERT_DIR,
                                     PERM_R, true);
                if (r >= 0)
                        r = add_path(c, &w, g->rendernode, PERM_RW, false);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_nets; i++) {
                const VmNet *n = &def->nets[i];
                const Where w = { "<interface>", n->type, i, 0 };
                bool tap = streq_ptr(n->type, "network") || streq_ptr(n->type, "bridge") ||
                           streq_ptr(n->type, "ethernet");
                r = 0;
                /* the tap comes as a file descriptor, but with vhost=on QEMU opens vhost-net itself */
                if (tap && streq_ptr(n->driver_name, "vhost"))
                        r = add_path(c, &w, "/dev/vhost-net", PERM_RW, false);
                if (r >= 0 && n->rom_enabled != VM_TRISTATE_OFF)
                        r = add_path(c, &w, n->rom_file, PERM_R, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The VM's own directories and files, whatever the domain says. */
static int collect_runtime(Collector *c) {
        const AppArmorOptions *o = c->opts;
        const Where runtime = WHERE("runtime directory"), state = WHERE("state directory"),
                    pidfile = WHERE("pidfile"), log = WHERE("log file");
        int r;

        if ((r = add_path(c, &runtime, o->build->runtime_dir, PERM_RWK, true)) < 0 ||
            (r = add_path(c, &state, o->build->state_dir, PERM_RWK, true)) < 0 ||
            (r = add_path(c, &pidfile, o->pidfile, PERM_RWK, false)) < 0 ||
            (r = add_path(c, &log, o->log_path, APPARMOR_PERM_WRITE, false)) < 0)
                return r;
        return 0;
}

int apparmor_rules_collect(const VmDef *def, const AppArmorOptions *opts, AppArmorRules *ret, char **ret_error) {
        Collector c = { .def = def, .opts = opts };
        int r;

        assert(def && opts && opts->build && ret);
        if (!opts->build->runtime_dir || !opts->build->state_dir)
                return -EINVAL;

        if ((r = collect_disks(&c)) < 0 ||
            (r = collect_os(&c)) < 0 ||
            (r = collect_chars(&c)) < 0 ||
            (r = collect_host_nodes(&c)) < 0 ||
            (r = collect_memory(&c)) < 0 ||
            (r = collect_io(&c)) < 0 ||
            (r = collect_runtime(&c)) < 0) {
                apparmor_rules_done(&c.rules);
                if (ret_error)
                        *ret_error = TAKE_PTR(c.error);
                free(c.error);
                return r;
        }
        *ret = c.rules;
        return 0;
}

/* ---- what the host adds ---- */

/* @path with its longest existing prefix resolved (libvirt's virt-aa-helper rule: a socket or an
 * output file QEMU creates later lies in a directory that exists). NULL in *@ret when nothing of
 * it exists or nothing changes. */
static int resolve_path(const char *path, char **ret) {
        _cleanup_free_ char *prefix = strdup(path), *real = NULL;
        size_t len;

        *ret = NULL;
        if (!prefix)
                return -ENOMEM;
        for (;;) {
                char *slash;
                real = realpath(prefix, NULL);
                if (real)
                        break;
                if (errno == ENOMEM)
                        return -ENOMEM;
                slash = strrchr(prefix, '/');
                if (!slash || slash == prefix)
                        return 0;
                *slash = 0;
        }
        len = strlen(prefix);
        if (asprintf(ret, "%s%s", streq(real, "/") ? "" : real, path + len) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        if (streq(*ret, path))
                *ret = mfree(*ret);
        return 0;
}

static int add_vfio_groups(AppArmorRules *rules, const VmDef *def, const char *sysfs, char **ret_error) {
        int r;

        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                const VmHostdev *h = &def->hostdevs[i];
                _cleanup_free_ char *link = NULL, *node = NULL;
                char target[PATH_MAX];
                const char *group;
                ssize_t n;

                if (!streq_ptr(h->type, "pci"))
                        continue;
                if (asprintf(&link, "%s/bus/pci/devices/%04x:%02x:%02x.%x/iommu_group", sysfs ?: "/sys",
                             h->source_addr.domain, h->source_addr.bus, h->source_addr.slot,
                             h->source_addr.function) < 0)
                        return -ENOMEM;
                n = readlink(link, target, sizeof(target) - 1);
                if (n < 0) {
                        if (ret_error && asprintf(ret_error, "<hostdev> %04x:%02x:%02x.%x: no IOMMU group (%s: %m)",
                                                  h->source_addr.domain, h->source_addr.bus, h->source_addr.slot,
                                                  h->source_addr.function, link) < 0)
                                *ret_error = NULL;
                        return -ENODEV;
                }
                target[n] = 0;
                group = strrchr(target, '/');
                group = group ? group + 1 : target;
                if (!*group || strspn(group, "0123456789") != strlen(group)) {
                        if (ret_error && asprintf(ret_error, "%s: '%s' is not an IOMMU group", link, target) < 0)
                                *ret_error = NULL;
                        return -ENODEV;
                }
                if (asprintf(&node, "/dev/vfio/%s", group) < 0)
                        return -ENOMEM;
                r = rules_add(rules, node, strlen(node), PERM_RW, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

int apparmor_rules_resolve(AppArmorRules *rules, const VmDef *def, const char *sysfs, char **ret_error) {
        size_t n = rules->n;
        int r;

        /* only the collected rules: a resolved path is resolved already */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *real = NULL;
                r = resolve_path(rules->rules[i].path, &real);
                if (r < 0)
                        return r;
                if (!real || path_problem(real))
                        continue;       /* a target no rule can name is left to QEMU's own error */
                r = rules_add(rules, real, strlen(real), rules->rules[i].perms, rules->rules[i].tree);
                if (r < 0)
                        return r;
        }
        return add_vfio_groups(rules, def, sysfs, ret_error);
}
