/*
 * The domain store: see domain-store.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-store.h"
#include "domxml.h"
#include "fs-util.h"
#include "model.h"
#include "strv.h"

int domain_store_init_dirs(DomainStore *s, const char *domain_dir, const char *autostart_dir) {
        *s = (DomainStore) {};
        s->domain_dir = strdup(domain_dir);
        s->autostart_dir = strdup(autostart_dir);
        if (!s->domain_dir || !s->autostart_dir) {
                domain_store_done(s);
                return -ENOMEM;
        }
        return 0;
}

int domain_store_init(DomainStore *s, bool user) {
        _cleanup_(instance_paths_done) InstancePaths p = {};
        int r;

        r = instance_paths_init(&p, user);
        if (r < 0)
                return r;
        *s = (DomainStore) { .domain_dir = TAKE_PTR(p.domain_dir), .autostart_dir = TAKE_PTR(p.autostart_dir) };
        return 0;
}

void domain_store_done(DomainStore *s) {
        s->domain_dir = mfree(s->domain_dir);
        s->autostart_dir = mfree(s->autostart_dir);
}

int domain_store_path(const DomainStore *s, const char *name, char **ret) {
        if (vm_name_validate(name) < 0)
                return -EINVAL;
        return asprintf(ret, "%s/%s.xml", s->domain_dir, name) < 0 ? -ENOMEM : 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int domain_store_list(const DomainStore *s, char ***ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t n;
        int r;

        d = opendir(s->domain_dir);
        if (!d && errno != ENOENT)
                return -errno;
        for (struct dirent *de; d && (errno = 0, de = readdir(d)); ) {
                size_t l = strlen(de->d_name);
                char *name;

                if (l <= 4 || !streq(de->d_name + l - 4, ".xml"))
                        continue;
                name = strndup(de->d_name, l - 4);
                if (!name)
                        return -ENOMEM;
                if (vm_name_validate(name) < 0) {       /* ".#web.xml.XXXXXX" never gets here; ".x.xml" does */
                        free(name);
                        continue;
                }
                r = strv_consume(&names, name);
                if (r < 0)
                        return r;
        }
        if (d && errno != 0)
                return -errno;
        n = strv_length(names);
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_str);
        else if (!names && !(names = new0(char *, 1)))
                return -ENOMEM;
        *ret = TAKE_PTR(names);
        return 0;
}

int domain_store_read(const DomainStore *s, const char *name, char **ret, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = domain_store_path(s, name, &path);
        if (r < 0)
                return r;
        return read_file_full(path, DOMXML_MAX_SIZE, ret, ret_len);
}

static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *slash = p + 1; (slash = strchr(slash, '/')); slash++) {
                *slash = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *slash = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int domain_store_write(const DomainStore *s, const char *name, const char *text, size_t len) {
        _cleanup_free_ char *file = NULL;
        int r;

        if (vm_name_validate(name) < 0)
                return -EINVAL;
        if (asprintf(&file, "%s.xml", name) < 0)
                return -ENOMEM;
        r = mkdir_parents(s->domain_dir, 0755);
        if (r < 0)
                return r;
        /* 0600, as libvirt keeps /etc/libvirt/qemu: a definition may hold passwords */
        return write_file_atomic(s->domain_dir, file, text, len, 0600);
}

static void sync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0)
                (void) fsync(fd);
}

static int autostart_path(const DomainStore *s, const char *name, char **ret) {
        if (vm_name_validate(name) < 0)
                return -EINVAL;
        return asprintf(ret, "%s/%s", s->autostart_dir, name) < 0 ? -ENOMEM : 0;
}

int domain_store_remove(const DomainStore *s, const char *name) {
        _cleanup_free_ char *path = NULL, *link = NULL;
        int r;

        r = domain_store_path(s, name, &path);
        if (r < 0)
                return r;
        r = autostart_path(s, name, &link);
        if (r < 0)
                return r;
        if (unlink(path) < 0)
                return -errno;
        sync_dir(s->domain_dir);
        /* an entry without a definition would only make the generator complain at every boot */
        if (unlink(link) >= 0)
                sync_dir(s->autostart_dir);
        return 0;
}

int domain_store_get_autostart(const DomainStore *s, const char *name) {
        _cleanup_free_ char *link = NULL;
        struct stat st;
        int r;

        r = autostart_path(s, name, &link);
        if (r < 0)
                return r;
        if (lstat(link, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

/* What the entry points to: "../domains/NAME.xml" when the two directories are siblings (the
 * normal layout, which survives moving the whole tree), else the absolute path. */
static int autostart_target(const DomainStore *s, const char *name, char **ret) {
        _cleanup_free_ char *a = strdup(s->autostart_dir), *d = strdup(s->domain_dir);
        const char *da, *dd;

        if (!a || !d)
                return -ENOMEM;
        da = dirname(a);
        dd = dirname(d);
        if (streq(da, dd))
                return asprintf(ret, "../%s/%s.xml", s->domain_dir + strlen(dd) + (streq(dd, "/") ? 0 : 1),
                                name) < 0 ? -ENOMEM : 0;
        return domain_store_path(s, name, ret);
}

int domain_store_set_autostart(const DomainStore *s, const char *name, bool on) {
        _cleanup_free_ char *link = NULL, *path = NULL, *target = NULL, *tmp = NULL;
        uint64_t rnd;
        int r;

        r = autostart_path(s, name, &link);
        if (r < 0)
                return r;
        if (!on) {
                if (unlink(link) < 0)
                        return errno == ENOENT ? 0 : -errno;
                sync_dir(s->autostart_dir);
                return 0;
        }
        r = domain_store_path(s, name, &path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0)
                return -errno;
        r = autostart_target(s, name, &target);
        if (r < 0)
                return r;
        r = mkdir_parents(s->autostart_dir, 0755);
        if (r < 0)
                return r;
        /* a new link under a temporary name, renamed over the entry: replacing is atomic */
        if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return -errno ?: -EIO;
        if (asprintf(&tmp, "%s/.#%s.%016llx", s->autostart_dir, name, (unsigned long long) rnd) < 0)
                return -ENOMEM;
        if (symlink(target, tmp) < 0)
                return -errno;
        if (rename(tmp, link) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        sync_dir(s->autostart_dir);
        return 0;
}
