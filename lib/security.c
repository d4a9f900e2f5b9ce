/*
 * The driver-independent half of the security drivers (see security.h): the host resources of a
 * domain, the access check, the journal and its undo, the remembered originals and the lock.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "apparmor-profile.h"
#include "cleanup.h"
#include "security.h"
#include "security-selinux.h"
#include "string-table.h"
#include "strv.h"

#define REMEMBER_XATTR_PREFIX "trusted.vmunit."
#define REMEMBER_VALUE_MAX 4096
#define JOURNAL_SIZE_MAX (16U * 1024U * 1024U)

static const char * const security_resource_kind_table[_SECURITY_RESOURCE_KIND_MAX] = {
        [SECURITY_RESOURCE_IMAGE] = "image",
        [SECURITY_RESOURCE_BOOT] = "boot",
        [SECURITY_RESOURCE_NVRAM] = "nvram",
        [SECURITY_RESOURCE_CHARDEV_FILE] = "chardev-file",
        [SECURITY_RESOURCE_SOCKET] = "socket",
        [SECURITY_RESOURCE_SOCKET_DIR] = "socket-dir",
        [SECURITY_RESOURCE_DEVICE] = "device",
};

DEFINE_STRING_TABLE_LOOKUP(security_resource_kind, SecurityResourceKind);

/* ---- resources ---- */

static int resource_add(SecurityResources *res, const char *path, SecurityResourceKind kind, const char *element,
                        unsigned line, bool readonly, bool shared) {
        SecurityResource *items;

        if (!path || !*path)
                return 0;
        /* The same path twice (a kernel also used as a disk ...): the widest access wins. */
        for (size_t i = 0; i < res->n; i++)
                if (streq(res->items[i].path, path)) {
                        res->items[i].readonly = res->items[i].readonly && readonly;
                        res->items[i].shared = res->items[i].shared || shared;
                        return 0;
                }
        items = realloc(res->items, (res->n + 1) * sizeof(*items));
        if (!items)
                return -ENOMEM;
        res->items = items;
        res->items[res->n] = (SecurityResource) {
                .path = strdup(path),
                .kind = kind,
                .element = element,
                .line = line,
                .readonly = readonly,
                .shared = shared,
                .relabel = true,
        };
        if (!res->items[res->n].path)
                return -ENOMEM;
        res->n++;
        return 0;
}

static int collect_disk(SecurityResources *res, const VmDisk *d) {
        int r = 0;

        if (d->src.type == VM_DISK_TYPE_NETWORK || d->src.type == VM_DISK_TYPE_DIR)
                return 0;
        /* The image QEMU writes, then its backing chain, which QEMU only reads. A <transient
         * shareBacking='yes'/> disk's image is the backing of its overlay, opened read-only and
         * shared with the other VMs that use it the same way. */
        for (const VmDiskSource *s = &d->src; s && r >= 0; s = s->backing) {
                if (s->type == VM_DISK_TYPE_NETWORK)
                        break;
                r = resource_add(res, s->path, SECURITY_RESOURCE_IMAGE, "disk", d->line,
                                 s != &d->src || d->readonly || d->transient_share_backing,
                                 d->shareable || d->transient_share_backing);
        }
        return r;
}

static int collect_char_source(SecurityResources *res, const VmCharSource *s, const char *element) {
        int r;

        if (!s->type)
                return 0;
        if (streq(s->type, "file"))
                r = resource_add(res, s->path, SECURITY_RESOURCE_CHARDEV_FILE, element, 0, false, false);
        else if (streq(s->type, "dev") || streq(s->type, "pipe"))
                r = resource_add(res, s->path, SECURITY_RESOURCE_DEVICE, element, 0, false, false);
        else if (streq(s->type, "unix") && s->path) {
                if (s->listen) {
                        _cleanup_free_ char *dir = strdup(s->path);
                        char *slash;
                        if (!dir)
                                return -ENOMEM;
                        slash = strrchr(dir, '/');
                        if (!slash)
                                return 0;
                        slash[slash == dir] = 0;
                        r = resource_add(res, dir, SECURITY_RESOURCE_SOCKET_DIR, element, 0, false, false);
                } else
                        r = resource_add(res, s->path, SECURITY_RESOURCE_SOCKET, element, 0, false, false);
        } else
                r = 0;
        if (r >= 0 && s->log_file)
                r = resource_add(res, s->log_file, SECURITY_RESOURCE_CHARDEV_FILE, element, 0, false, false);
        return r;
}

int security_resources_collect(const VmDef *def, SecurityResources *ret) {
        SecurityResources res = {};
        int r = 0;

        for (unsigned i = 0; i < def->n_disks && r >= 0; i++)
                r = collect_disk(&res, &def->disks[i]);
        if (r >= 0)
                r = resource_add(&res, def->os.kernel, SECURITY_RESOURCE_BOOT, "kernel", 0, true, true);
        if (r >= 0)
                r = resource_add(&res, def->os.initrd, SECURITY_RESOURCE_BOOT, "initrd", 0, true, true);
        if (r >= 0)
                r = resource_add(&res, def->os.dtb, SECURITY_RESOURCE_BOOT, "dtb", 0, true, true);
        if (r >= 0)
                r = resource_add(&res, def->os.loader, SECURITY_RESOURCE_BOOT, "loader", 0, true, true);
        if (r >= 0)
                r = resource_add(&res, def->os.acpi_table, SECURITY_RESOURCE_BOOT, "acpi", 0, true, true);
        if (r >= 0)
                r = resource_add(&res, def->os.nvram, SECURITY_RESOURCE_NVRAM, "nvram", 0, false, false);
        if (r >= 0)
                r = resource_add(&res, def->os.nvram_template, SECURITY_RESOURCE_BOOT, "nvram", 0, true, true);
        for (unsigned i = 0; i < def->n_chars && r >= 0; i++)
                r = collect_char_source(&res, &def->chars[i].src, vm_char_kind_to_string(def->chars[i].kind));
        for (unsigned i = 0; i < def->n_rngs && r >= 0; i++) {
                const VmRng *g = &def->rngs[i];
                if (g->backend_model && streq(g->backend_model, "random"))
                        r = resource_add(&res, g->backend_path ?: "/dev/urandom", SECURITY_RESOURCE_DEVICE,
                                         "rng", 0, true, true);
                else if (g->backend_model && streq(g->backend_model, "egd"))
                        r = collect_char_source(&res, &g->egd, "rng");
        }
        for (unsigned i = 0; i < def->n_tpms && r >= 0; i++)
                if (def->tpms[i].backend_path)
                        r = resource_add(&res, def->tpms[i].backend_path,
                                         streq_ptr(def->tpms[i].backend_type, "passthrough") ?
                                         SECURITY_RESOURCE_DEVICE : SECURITY_RESOURCE_SOCKET,
                                         "tpm", 0, false, false);
        if (r < 0) {
                security_resources_done(&res);
                return r;
        }
        /* <seclabel relabel='no'> on the domain: nothing is relabelled. */
        if (def->seclabel.present && def->seclabel.relabel == VM_TRISTATE_OFF)
                for (size_t i = 0; i < res.n; i++)
                        res.items[i].relabel = false;
        *ret = res;
        return 0;
}

void security_resources_done(SecurityResources *r) {
        for (size_t i = 0; i < r->n; i++)
                free(r->items[i].path);
        free(r->items);
        *r = (SecurityResources) {};
}

/* ---- access ---- */

static bool user_in_group(const SecurityUser *user, gid_t gid) {
        if (user->gid == gid)
                return true;
        for (size_t i = 0; i < user->n_groups; i++)
                if (user->groups[i] == gid)
                        return true;
        return false;
}

bool security_mode_allows(const struct stat *st, const SecurityUser *user, int mode_bits) {
        unsigned shift;

        if (user->uid == 0)
                return !(mode_bits & X_OK) || S_ISDIR(st->st_mode) || (st->st_mode & 0111);
        if (st->st_uid == user->uid)
                shift = 6;
        else if (user_in_group(user, st->st_gid))
                shift = 3;
        else
                shift = 0;
        return (((st->st_mode >> shift) & 7) & (unsigned) mode_bits) == (unsigned) mode_bits;
}

int security_path_traversable(const char *path, const SecurityUser *user, char **ret_dir) {
        _cleanup_free_ char *p = strdup(path);
        char *slash;

        if (!p)
                return -ENOMEM;
        if (p[0] != '/')
                return -EINVAL;
        /* Every ancestor, from the root down. */
        for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                struct stat st;
                *slash = 0;
                if (stat(p, &st) < 0) {
                        int r = -errno;
                        *slash = '/';
                        if (r == -ENOENT)
                                return 0;       /* the caller reports the missing file itself */
                        return r;
                }
                if (!security_mode_allows(&st, user, X_OK)) {
                        if (ret_dir)
                                *ret_dir = strdup(p);
                        return -EACCES;
                }
                *slash = '/';
        }
        return 0;
}

static char *format_where(const char *domain_path, const SecurityResource *r) {
        char *s;

        int k;

        if (r->line > 0)
                k = asprintf(&s, "%s:%u: <%s> '%s'", domain_path, r->line, r->element, r->path);
        else
                k = asprintf(&s, "%s: <%s> '%s'", domain_path, r->element, r->path);
        return k < 0 ? NULL : s;
}

int security_check_access(const SecurityResources *res, const SecurityUser *user, bool will_chown,
                          const char *domain_path, char **ret_error) {
        for (size_t i = 0; i < res->n; i++) {
                const SecurityResource *r = &res->items[i];
                _cleanup_free_ char *dir = NULL, *where = NULL;
                struct stat st, dst;
                int k;

                if (r->path[0] != '/') {
                        where = format_where(domain_path, r);
                        if (ret_error && asprintf(ret_error, "%s: the path must be absolute", strempty(where)) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                k = security_path_traversable(r->path, user, &dir);
                if (k == -EACCES) {
                        where = format_where(domain_path, r);
                        if (stat(dir, &dst) < 0)
                                dst = (struct stat) {};
                        if (ret_error &&
                            asprintf(ret_error,
                                     "%s: QEMU's user '%s' cannot reach it: directory '%s' (mode %04o, owner %u:%u) "
                                     "is not searchable for it; allow it with 'chmod o+x %s'",
                                     strempty(where), user->name, dir, (unsigned) (dst.st_mode & 07777),
                                     (unsigned) dst.st_uid, (unsigned) dst.st_gid, dir) < 0)
                                *ret_error = NULL;
                        return -EACCES;
                }
                if (k < 0)
                        return k;
                if (will_chown && r->relabel)
                        continue;       /* the DAC driver hands it over (or says why it cannot) */
                if (stat(r->path, &st) < 0)
                        continue;       /* missing files are the caller's to report, with their policy */
                int need = r->kind == SECURITY_RESOURCE_SOCKET_DIR ? W_OK | X_OK :
                           r->readonly ? R_OK : R_OK | W_OK;
                if (!security_mode_allows(&st, user, need)) {
                        where = format_where(domain_path, r);
                        if (ret_error &&
                            asprintf(ret_error,
                                     "%s: QEMU's user '%s' may not %s it (mode %04o, owner %u:%u) and it is not "
                                     "relabelled (dynamic_ownership=0 or relabel='no')",
                                     strempty(where), user->name,
                                     need & W_OK ? "write" : "read", (unsigned) (st.st_mode & 07777),
                                     (unsigned) st.st_uid, (unsigned) st.st_gid) < 0)
                                *ret_error = NULL;
                        return -EACCES;
                }
        }
        return 0;
}

int security_resource_fail(char **ret_error, int r, const char *domain_path, const SecurityResource *res,
                           const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *where = NULL;
        va_list ap;
        int k;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        where = format_where(domain_path, res);
        if (k < 0 || !where || asprintf(ret_error, "%s: %s", where, msg) < 0)
                *ret_error = NULL;
        return r;
}

/* ---- system files ---- */

/* The host's own files: not an image, and handing one to QEMU, by owner or by label, would hand it
 * the host. @tree: anything below too, else only the directory and the files directly in it (a disk
 * image in /var/lib/..., firmware in /usr/share/OVMF is fine). Since the /usr merge, /bin is
 * /usr/bin: both are listed, as symlinks are resolved first. */
static const struct {
        const char *dir;
        bool tree;
        bool boot_ok;           /* read-only boot files (kernel, initrd, firmware) may be used from it */
} system_dirs[] = {
        { "/",            false, false },
        { "/bin",         true,  false },
        { "/boot",        false, true  },   /* /boot/vmlinuz-*, as virt-aa-helper allows */
        { "/dev",         false, false },   /* device nodes are allowed, see below */
        { "/etc",         true,  false },
        { "/lib",         true,  true  },
        { "/lib32",       true,  false },
        { "/lib64",       true,  false },
        { "/libx32",      true,  false },
        { "/proc",        true,  false },
        { "/sbin",        true,  false },
        { "/sys",         true,  false },
        { "/usr",         false, false },
        { "/usr/bin",     true,  false },
        { "/usr/lib",     true,  true  },   /* /usr/lib/u-boot, /usr/lib/ipxe/qemu */
        { "/usr/lib32",   true,  false },
        { "/usr/lib64",   true,  false },
        { "/usr/libexec", true,  false },
        { "/usr/libx32",  true,  false },
        { "/usr/sbin",    true,  false },
        { "/var",         false, false },
};

/* @path with symlinks and ".." resolved, as chown() and setxattr() will see it; for a file that does
 * not exist yet (a chardev output), its directory resolved. */
static char *resolve(const char *path) {
        _cleanup_free_ char *dir = NULL, *rdir = NULL;
        char *p, *slash;

        p = realpath(path, NULL);
        if (p || errno != ENOENT)
                return p ?: strdup(path);
        dir = strdup(path);
        if (!dir)
                return NULL;
        slash = strrchr(dir, '/');
        if (!slash)
                return strdup(path);
        *slash = 0;
        rdir = realpath(slash == dir ? "/" : dir, NULL);
        if (!rdir)
                return strdup(path);
        if (asprintf(&p, "%s/%s", streq(rdir, "/") ? "" : rdir, slash + 1) < 0)
                return NULL;
        return p;
}

/* Is @path @dir or in it: directly (1), deeper (2)? 0 if not. */
static int path_in(const char *path, const char *dir) {
        const char *rest = streq(dir, "/") ? path : startswith(path, dir);

        if (!rest || (*rest != 0 && *rest != '/'))
                return 0;
        if (*rest == 0 || (streq(dir, "/") && streq(path, "/")))
                return 1;
        return strchr(rest + 1, '/') ? 2 : 1;
}

/* The system directory @path is in, or NULL when it may be relabelled. The deepest match decides:
 * /usr/share/... is not refused for being under /usr. */
static const char *system_dir_of(const char *path, const SecurityResource *res) {
        size_t best = SIZE_MAX;
        int depth = 0;
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                int k = path_in(path, system_dirs[i].dir);
                if (k > 0 && (best == SIZE_MAX || strlen(system_dirs[i].dir) > strlen(system_dirs[best].dir))) {
                        best = i;
                        depth = k;
                }
        }
        if (best == SIZE_MAX || (depth == 2 && !system_dirs[best].tree))
                return NULL;
        if (!streq(path, system_dirs[best].dir)) {
                if (system_dirs[best].boot_ok && res->kind == SECURITY_RESOURCE_BOOT && res->readonly)
                        return NULL;
                /* Device nodes live in /dev: a block device as a disk, a tty as a serial port. */
                if (streq(system_dirs[best].dir, "/dev") && stat(path, &st) >= 0 &&
                    (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
                        return NULL;
        }
        return system_dirs[best].dir;
}

int security_check_relabel_allowed(const SecurityResources *res, const char *domain_path, char **ret_error) {
        for (size_t i = 0; i < res->n; i++) {
                const SecurityResource *r = &res->items[i];
                _cleanup_free_ char *resolved = NULL, *via = NULL;
                const char *dir;

                if (!r->relabel)
                        continue;
                if (r->path[0] != '/')
                        return security_resource_fail(ret_error, -EINVAL, domain_path, r, "the path must be absolute");
                resolved = resolve(r->path);
                if (!resolved)
                        return -ENOMEM;
                dir = system_dir_of(resolved, r);
                if (!dir)
                        continue;
                if (!streq(resolved, r->path) && asprintf(&via, " (that is '%s')", resolved) < 0)
                        return -ENOMEM;
                return security_resource_fail(ret_error, -EPERM, domain_path, r,
                                              "refusing to relabel it%s: it is in '%s', a system directory of the "
                                              "host whose files vmunit never hands to QEMU, by owner or by label; "
                                              "use a file elsewhere, or <seclabel relabel='no'/> to leave it as it is",
                                              strempty(via), dir);
        }
        return 0;
}

int security_prepare_each(const SecurityResources *res, const char *journal, SecurityPrepareOne prepare_one,
                          const void *options, char **ret_error) {
        for (size_t i = 0; i < res->n; i++) {
                int r;

                if (!res->items[i].relabel)
                        continue;
                r = prepare_one(&res->items[i], options, ret_error);
                if (r < 0) {
                        /* Nothing stays half-done: undo what this start changed. */
                        (void) security_restore(journal, NULL);
                        return r;
                }
        }
        return 0;
}

/* ---- remembered originals ---- */

static int remember_name(const char *driver, char name[static 64]) {
        if (strlen(driver) > 32 || strchr(driver, '.'))
                return -EINVAL;
        snprintf(name, 64, REMEMBER_XATTR_PREFIX "%s", driver);
        return 0;
}

/* "REFS ORIGINAL" -> refs, original */
static int remember_read(const char *path, const char *name, unsigned *ret_refs, char **ret_original) {
        char buf[REMEMBER_VALUE_MAX + 1], *end;
        ssize_t n;
        unsigned long refs;

        n = getxattr(path, name, buf, REMEMBER_VALUE_MAX);
        if (n < 0)
                return errno == ENODATA ? -ENODATA : errno == ENOTSUP ? -EOPNOTSUPP : -errno;
        buf[n] = 0;
        errno = 0;
        refs = strtoul(buf, &end, 10);
        if (errno != 0 || end == buf || *end != ' ' || refs == 0 || refs > UINT_MAX)
                return -EBADMSG;
        *ret_refs = (unsigned) refs;
        if (ret_original) {
                *ret_original = strdup(end + 1);
                if (!*ret_original)
                        return -ENOMEM;
        }
        return 0;
}

static int remember_write(const char *path, const char *name, unsigned refs, const char *original) {
        _cleanup_free_ char *v = NULL;

        if (asprintf(&v, "%u %s", refs, original) < 0)
                return -ENOMEM;
        if (strlen(v) > REMEMBER_VALUE_MAX)
                return -E2BIG;
        if (setxattr(path, name, v, strlen(v), 0) < 0)
                return errno == ENOTSUP ? -EOPNOTSUPP : -errno;
        return 0;
}

int security_remember_acquire(const char *path, const char *driver, const char *original) {
        _cleanup_free_ char *stored = NULL;
        char name[64];
        unsigned refs;
        int r;

        r = remember_name(driver, name);
        if (r < 0)
                return r;
        r = remember_read(path, name, &refs, &stored);
        if (r == -ENODATA || r == -EBADMSG) {
                r = remember_write(path, name, 1, original);
                return r < 0 ? r : 1;
        }
        if (r < 0)
                return r;
        if (refs == UINT_MAX)
                return -EOVERFLOW;
        r = remember_write(path, name, refs + 1, stored);
        return r < 0 ? r : 0;
}

int security_remember_release(const char *path, const char *driver, char **ret_original) {
        _cleanup_free_ char *stored = NULL;
        char name[64];
        unsigned refs;
        int r;

        r = remember_name(driver, name);
        if (r < 0)
                return r;
        r = remember_read(path, name, &refs, &stored);
        if (r < 0)
                return r;
        if (refs > 1) {
                r = remember_write(path, name, refs - 1, stored);
                return r < 0 ? r : 0;
        }
        if (removexattr(path, name) < 0 && errno != ENODATA)
                return -errno;
        *ret_original = TAKE_PTR(stored);
        return 1;
}

/* ---- journal ---- */

int security_journal_append(const char *journal, const char *driver, const char *path, const char *original) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *rec = NULL;
        size_t ld = strlen(driver), lp = strlen(path), lo = strlen(original);

        /* NUL-separated fields: any path can be recorded. */
        rec = malloc(ld + lp + lo + 3);
        if (!rec)
                return -ENOMEM;
        memcpy(rec, driver, ld + 1);
        memcpy(rec + ld + 1, path, lp + 1);
        memcpy(rec + ld + lp + 2, original, lo + 1);
        fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, rec, ld + lp + lo + 3) != (ssize_t) (ld + lp + lo + 3))
                return errno ? -errno : -EIO;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

typedef int (*RestoreFile)(const char *path, const char *original);

/* A per-VM resource that no other VM shares: the VM's AppArmor profile (path: the profile, original:
 * the domain UUID) and its SELinux category pair (path: the registry, original: the VM name). */
static int restore_apparmor(const char *path, const char *uuid) {
        _cleanup_free_ char *dir = strdup(path), *output = NULL;
        char *slash;
        int r;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        *slash = 0;
        r = apparmor_parser_run(NULL, APPARMOR_PARSER_REMOVE, path, &output);
        if (r < 0 && r != -ENOENT)
                return r;
        return apparmor_profile_delete(dir, uuid, false);
}

static int restore_mcs(const char *dir, const char *name) {
        int r = security_selinux_mcs_release(dir, name);
        return r == -ENOENT ? 0 : r;
}

static const struct {
        const char *driver;
        RestoreFile restore;
        bool shared;                    /* files other VMs may use too: the remembered refcount decides */
} restorers[] = {
        { "dac",         security_dac_restore_file,     true  },
        { "selinux",     security_selinux_restore_file, true  },
        { "apparmor",    restore_apparmor,              false },
        { "selinux-mcs", restore_mcs,                   false },
};

static int restore_one(const char *driver, const char *path, const char *journal_original) {
        _cleanup_free_ char *original = NULL;
        RestoreFile restore = NULL;
        bool shared = false;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(restorers); i++)
                if (streq(restorers[i].driver, driver)) {
                        restore = restorers[i].restore;
                        shared = restorers[i].shared;
                }
        if (!restore)
                return -EPROTONOSUPPORT;
        if (!shared)
                return restore(path, journal_original);
        r = security_remember_release(path, driver, &original);
        if (r == 0)
                return 0;               /* another VM still uses it */
        if (r == -ENOENT)
                return 0;               /* the file is gone: nothing to restore */
        if (r < 0 && r != -ENODATA && r != -EOPNOTSUPP)
                return r;
        /* Without a shared record (remember_owner=0, no trusted xattrs): what this VM saw. */
        return restore(path, r > 0 ? original : journal_original);
}

int security_restore(const char *journal, char **ret_error) {
        _cleanup_free_ char *data = NULL, *errors = NULL;
        _cleanup_free_ const char **fields = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size = 0, n_fields = 0;
        struct stat st;
        bool failed = false;

        fd = open(journal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size > JOURNAL_SIZE_MAX)
                return -EFBIG;
        data = malloc(st.st_size + 1);
        if (!data)
                return -ENOMEM;
        while (size < (size_t) st.st_size) {
                ssize_t k = read(fd, data + size, st.st_size - size);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                size += k;
        }
        /* At most one field per two bytes (a character and its NUL). A record cut short by a crash
         * mid-write ends the journal. */
        fields = new0(const char *, size / 2 + 1);
        if (!fields)
                return -ENOMEM;
        for (size_t off = 0; off < size;) {
                const char *f = data + off, *z = memchr(f, 0, size - off);
                if (!z)
                        break;
                fields[n_fields++] = f;
                off = z - data + 1;
        }
        n_fields -= n_fields % 3;

        for (size_t i = n_fields; i >= 3; i -= 3) {
                const char *driver = fields[i - 3], *path = fields[i - 2], *original = fields[i - 1];
                int r = restore_one(driver, path, original);
                if (r < 0) {
                        char *e;
                        failed = true;
                        if (asprintf(&e, "%s%sfailed to restore the %s label of '%s' to '%s': %s", strempty(errors),
                                     errors ? "\n" : "", driver, path, original, strerror(-r)) >= 0)
                                free(errors), errors = e;
                }
        }
        if (unlink(journal) < 0 && errno != ENOENT)
                return -errno;
        if (ret_error)
                *ret_error = TAKE_PTR(errors);
        return failed ? -EIO : 0;
}

int security_lock(const char *lock_path) {
        int fd;

        fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int security_drivers_select(char * const *configured, bool selinux_enabled, bool apparmor_enabled,
                            const VmSeclabel *seclabel, const char *conf_path, const char *domain_path,
                            unsigned *ret, char **ret_error) {
        static const struct {
                const char *name, *what;
                unsigned bit;
        } drivers[] = {
                { "dac",      "DAC",      SECURITY_DRIVER_DAC },
                { "selinux",  "SELinux",  SECURITY_DRIVER_SELINUX },
                { "apparmor", "AppArmor", SECURITY_DRIVER_APPARMOR },
        };
        unsigned mask = 0;

        if (!configured)
                mask = SECURITY_DRIVER_DAC | (selinux_enabled ? SECURITY_DRIVER_SELINUX : 0) |
                       (apparmor_enabled ? SECURITY_DRIVER_APPARMOR : 0);
        else
                for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                        if (!strv_contains(configured, drivers[i].name))
                                continue;
                        if ((drivers[i].bit == SECURITY_DRIVER_SELINUX && !selinux_enabled) ||
                            (drivers[i].bit == SECURITY_DRIVER_APPARMOR && !apparmor_enabled)) {
                                if (ret_error && asprintf(ret_error, "%s: security_driver '%s': %s is not enabled on this host.",
                                                          conf_path, drivers[i].name, drivers[i].what) < 0)
                                        *ret_error = NULL;
                                return -EOPNOTSUPP;
                        }
                        mask |= drivers[i].bit;
                }

        if (seclabel && seclabel->present) {
                unsigned bit = 0;
                for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                        if (streq_ptr(seclabel->model, drivers[i].name))
                                bit = drivers[i].bit;
                if (seclabel->model && !streq(seclabel->model, "none") && !(mask & bit)) {
                        if (ret_error && asprintf(ret_error, "%s:%u: <seclabel>: model '%s' is not an active security driver "
                                                  "on this host (see security_driver in %s)", domain_path, seclabel->line,
                                                  seclabel->model, conf_path) < 0)
                                *ret_error = NULL;
                        return -EOPNOTSUPP;
                }
                if (streq_ptr(seclabel->type, "none"))
                        mask &= ~(seclabel->model && !streq(seclabel->model, "none") ? bit :
                                  SECURITY_DRIVER_SELINUX | SECURITY_DRIVER_APPARMOR);
        }
        *ret = mask;
        return 0;
}
