/*
 * The MCS category registry: which pair (cX,cY) each running VM holds, unique host-wide.
 *
 * libvirt keeps this table in the memory of one libvirtd; we have one supervisor per VM, so the
 * table is a directory that all of them share (/run/vmunit/selinux, gone at reboot like the VMs):
 *
 *   lock             flock()ed exclusively around every change, shared around a lookup
 *   pair-cX,cY  ->   NAME   (symlink) the pair is taken, by VM NAME
 *   vm-NAME     ->   cX,cY  (symlink) the pair VM NAME holds
 *
 * A symlink is created in one step and fails with EEXIST when the name exists, so even without the
 * lock no pair could be handed out twice; the lock keeps the two links of one VM consistent. Both
 * are written pair first: a crash in between leaves a pair-* link that no vm-* link points back to,
 * which security_selinux_mcs_reclaim() frees.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "security-selinux.h"

#define PAIR_PREFIX "pair-"
#define VM_PREFIX "vm-"
#define RANDOM_TRIES 1000
#define LINK_MAX (NAME_MAX + 8)       /* a prefix and a link target of up to NAME_MAX */

typedef struct Registry {
        int dir_fd;
        int lock_fd;
} Registry;

static void registry_close(Registry *reg) {
        if (reg->lock_fd >= 0)
                (void) close(reg->lock_fd);     /* drops the flock */
        if (reg->dir_fd >= 0)
                (void) close(reg->dir_fd);
        *reg = (Registry) { .dir_fd = -EBADF, .lock_fd = -EBADF };
}

/* @dir 0700, its missing parents 0755 as tmpfiles.d makes /run/vmunit: QEMU's user reaches its
 * runtime directory through them. */
static int mkdir_parents(const char *dir) {
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); ; s = strchr(s + 1, '/')) {
                if (s)
                        *s = 0;
                mode_t mode = s ? 0755 : 0700;
                if (mkdir(p, mode) >= 0)
                        (void) chmod(p, mode);  /* whatever the umask */
                else if (errno != EEXIST)
                        return -errno;
                if (!s)
                        return 0;
                *s = '/';
        }
}

static int name_check(const char *name) {
        int r = vm_name_validate(name);
        if (r < 0)
                return r;
        /* "vm-" + NAME must be one file name */
        return strlen(name) + strlen(VM_PREFIX) > NAME_MAX ? -ENAMETOOLONG : 0;
}

/* Opens and locks the registry in @dir, for VM @name when not NULL (checked first). */
static int registry_open(const char *dir, const char *name, bool exclusive, Registry *ret) {
        Registry reg = { .dir_fd = -EBADF, .lock_fd = -EBADF };
        int r;

        if (name) {
                r = name_check(name);
                if (r < 0)
                        return r;
        }
        if (dir[0] != '/')
                return -EINVAL;
        r = mkdir_parents(dir);
        if (r < 0)
                return r;
        reg.dir_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (reg.dir_fd < 0)
                return -errno;
        reg.lock_fd = openat(reg.dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (reg.lock_fd < 0 || flock(reg.lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
                r = -errno;
                registry_close(&reg);
                return r;
        }
        *ret = reg;
        return 0;
}

static int read_link(int dir_fd, const char *name, char *buf, size_t size) {
        ssize_t n = readlinkat(dir_fd, name, buf, size - 1);
        if (n < 0)
                return -errno;
        if ((size_t) n >= size - 1)
                return -ENAMETOOLONG;
        buf[n] = 0;
        return 0;
}

/* "cX,cY" with X < Y <= max */
static int mcs_parse(const char *s, SelinuxMcs *ret) {
        unsigned c1, c2;
        int n = 0;

        if (sscanf(s, "c%u,c%u%n", &c1, &c2, &n) != 2 || s[n] != 0)
                return -EBADMSG;
        if (c1 >= c2 || c2 > SELINUX_CATEGORY_MAX)
                return -EBADMSG;
        *ret = (SelinuxMcs) { c1, c2 };
        return 0;
}

static void mcs_format(const SelinuxMcs *m, char buf[static 16]) {
        snprintf(buf, 16, "c%u,c%u", m->c1, m->c2);
}

/* @what is a checked VM name or a parsed pair: it always fits. */
static void link_name(const char *prefix, const char *what, char buf[static LINK_MAX]) {
        int k = snprintf(buf, LINK_MAX, "%s%s", prefix, what);
        assert(k > 0 && k < LINK_MAX);
        (void) k;
}

/* The pair of @name, when both links agree. -ENOENT when it holds none (or only half a record). */
static int registry_find(const Registry *reg, const char *name, SelinuxMcs *ret) {
        char vm_link[LINK_MAX], pair_link[LINK_MAX], target[LINK_MAX], owner[LINK_MAX];
        int r;

        link_name(VM_PREFIX, name, vm_link);
        r = read_link(reg->dir_fd, vm_link, target, sizeof(target));
        if (r < 0)
                return r;
        if (mcs_parse(target, ret) < 0)
                return -ENOENT;
        link_name(PAIR_PREFIX, target, pair_link);
        r = read_link(reg->dir_fd, pair_link, owner, sizeof(owner));
        if (r == -ENOENT || (r >= 0 && !streq(owner, name)))
                return -ENOENT;
        return r;
}

static int random_category(unsigned *ret) {
        uint32_t v;

        if (getrandom(&v, sizeof(v), 0) != (ssize_t) sizeof(v))
                return -errno;
        *ret = v % (SELINUX_CATEGORY_MAX + 1);          /* 2^32 % 1024 == 0: no bias */
        return 0;
}

/* Takes the pair, if free: 0, -EEXIST when another VM holds it. */
static int pair_take(const Registry *reg, const SelinuxMcs *m, const char *name) {
        char pair[16], pair_link[LINK_MAX];

        mcs_format(m, pair);
        link_name(PAIR_PREFIX, pair, pair_link);
        if (symlinkat(name, reg->dir_fd, pair_link) < 0)
                return -errno;
        return 0;
}

static int pair_pick(const Registry *reg, const char *name, SelinuxMcs *ret) {
        SelinuxMcs m;
        unsigned start = 0;
        int r;

        /* Random, as libvirt does, so that labels say nothing about start order. */
        for (unsigned i = 0; i < RANDOM_TRIES; i++) {
                unsigned a = 0, b = 0;
                r = random_category(&a);
                if (r >= 0)
                        r = random_category(&b);
                if (r < 0)
                        return r;
                if (a == b)
                        continue;
                m = (SelinuxMcs) { MIN(a, b), MAX(a, b) };
                r = pair_take(reg, &m, name);
                if (r != -EEXIST) {
                        if (r >= 0)
                                *ret = m;
                        return r;
                }
        }
        /* Nearly full: walk every pair once, from a random one. */
        r = random_category(&start);
        if (r < 0)
                return r;
        for (unsigned i = 0; i <= SELINUX_CATEGORY_MAX; i++) {
                unsigned a = (start + i) % (SELINUX_CATEGORY_MAX + 1);
                for (unsigned b = a + 1; b <= SELINUX_CATEGORY_MAX; b++) {
                        m = (SelinuxMcs) { a, b };
                        r = pair_take(reg, &m, name);
                        if (r != -EEXIST) {
                                if (r >= 0)
                                        *ret = m;
                                return r;
                        }
                }
        }
        return -ENOSPC;
}

/* Removes both links of @name, whatever state they are in. */
static int registry_drop(const Registry *reg, const char *name) {
        char vm_link[LINK_MAX], pair_link[LINK_MAX], target[LINK_MAX], owner[LINK_MAX];
        SelinuxMcs m;
        int r;

        link_name(VM_PREFIX, name, vm_link);
        r = read_link(reg->dir_fd, vm_link, target, sizeof(target));
        if (r < 0)
                return r;
        link_name(PAIR_PREFIX, mcs_parse(target, &m) >= 0 ? target : "-", pair_link);
        /* Only a pair that is really ours: after a crash the pair may have gone to another VM. */
        if (read_link(reg->dir_fd, pair_link, owner, sizeof(owner)) >= 0 && streq(owner, name) &&
            unlinkat(reg->dir_fd, pair_link, 0) < 0 && errno != ENOENT)
                return -errno;
        if (unlinkat(reg->dir_fd, vm_link, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int security_selinux_mcs_allocate(const char *dir, const char *name, SelinuxMcs *ret) {
        _cleanup_(registry_close) Registry reg = { .dir_fd = -EBADF, .lock_fd = -EBADF };
        char vm_link[LINK_MAX], pair[16];
        SelinuxMcs m;
        int r;

        r = registry_open(dir, name, /* exclusive= */ true, &reg);
        if (r < 0)
                return r;
        r = registry_find(&reg, name, &m);
        if (r >= 0) {
                *ret = m;
                return 0;
        }
        if (r != -ENOENT)
                return r;
        /* A half record of this VM (a crash between the two links): start afresh. */
        r = registry_drop(&reg, name);
        if (r < 0 && r != -ENOENT)
                return r;

        r = pair_pick(&reg, name, &m);
        if (r < 0)
                return r;
        mcs_format(&m, pair);
        link_name(VM_PREFIX, name, vm_link);
        if (symlinkat(pair, reg.dir_fd, vm_link) < 0) {
                char pair_link[LINK_MAX];
                r = -errno;
                link_name(PAIR_PREFIX, pair, pair_link);
                (void) unlinkat(reg.dir_fd, pair_link, 0);
                return r;
        }
        *ret = m;
        return 1;
}

int security_selinux_mcs_lookup(const char *dir, const char *name, SelinuxMcs *ret) {
        _cleanup_(registry_close) Registry reg = { .dir_fd = -EBADF, .lock_fd = -EBADF };
        int r;

        r = registry_open(dir, name, /* exclusive= */ false, &reg);
        if (r < 0)
                return r;
        return registry_find(&reg, name, ret);
}

int security_selinux_mcs_release(const char *dir, const char *name) {
        _cleanup_(registry_close) Registry reg = { .dir_fd = -EBADF, .lock_fd = -EBADF };
        SelinuxMcs m;
        int r;

        r = registry_open(dir, name, /* exclusive= */ true, &reg);
        if (r < 0)
                return r;
        r = registry_find(&reg, name, &m);
        if (r < 0) {
                (void) registry_drop(&reg, name);      /* a half record, if any */
                return r;
        }
        return registry_drop(&reg, name);
}

/* A pair-* link whose VM does not point back at it: left by a crash between the two links. */
static bool pair_orphaned(const Registry *reg, const char *pair) {
        char pair_link[LINK_MAX], owner[LINK_MAX];
        SelinuxMcs m, held;

        if (mcs_parse(pair, &m) < 0)
                return false;           /* not ours to judge */
        link_name(PAIR_PREFIX, pair, pair_link);
        if (read_link(reg->dir_fd, pair_link, owner, sizeof(owner)) < 0)
                return false;
        if (name_check(owner) < 0)
                return true;            /* no VM has that name */
        return registry_find(reg, owner, &held) < 0 || held.c1 != m.c1 || held.c2 != m.c2;
}

int security_selinux_mcs_reclaim(const char *dir, SelinuxMcsAlive alive, void *userdata) {
        _cleanup_(registry_close) Registry reg = { .dir_fd = -EBADF, .lock_fd = -EBADF };
        DIR *d;
        struct dirent *de;
        int r, n = 0, dup_fd;

        r = registry_open(dir, /* name= */ NULL, /* exclusive= */ true, &reg);
        if (r < 0)
                return r;
        dup_fd = fcntl(reg.dir_fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d) {
                r = -errno;
                (void) close(dup_fd);
                return r;
        }
        /* Unlinking while iterating may show or hide entries once more; each step is idempotent. */
        while ((errno = 0, de = readdir(d))) {
                const char *rest;
                if ((rest = startswith(de->d_name, VM_PREFIX)) && !alive(rest, userdata)) {
                        r = registry_drop(&reg, rest);
                        if (r < 0 && r != -ENOENT)
                                break;
                        n++;
                } else if ((rest = startswith(de->d_name, PAIR_PREFIX)) && pair_orphaned(&reg, rest)) {
                        if (unlinkat(reg.dir_fd, de->d_name, 0) < 0 && errno != ENOENT) {
                                r = -errno;
                                break;
                        }
                        n++;
                }
                r = 0;
        }
        if (r >= 0 && errno != 0)
                r = -errno;
        (void) closedir(d);
        return r < 0 ? r : n;
}
