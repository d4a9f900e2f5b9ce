/*
 * The DAC driver (dynamic_ownership=1): QEMU's user gets the files its domain names for as long as
 * it runs, and the owners come back afterwards. See security.h for the journal and the shared
 * reference count.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "security.h"

/* Who should own @st for QEMU: (uid, gid), with -1 for "keep". 0: nothing to change; 1: change;
 * -EACCES when QEMU needs read access that cannot be given without write access too. */
static int dac_target(const SecurityResource *res, const struct stat *st, const SecurityUser *user,
                      uid_t *ret_uid, gid_t *ret_gid) {
        if (!res->readonly) {
                *ret_uid = user->uid;
                *ret_gid = user->gid;
                return 1;
        }
        if (security_mode_allows(st, user, R_OK))
                return 0;
        /* Read-only: QEMU may get the file's user or group only where that class may read but
         * not write, so that the kernel, not QEMU, keeps it read-only. */
        if ((st->st_mode & S_IRUSR) && !(st->st_mode & S_IWUSR)) {
                *ret_uid = user->uid;
                *ret_gid = (gid_t) -1;
                return 1;
        }
        if ((st->st_mode & S_IRGRP) && !(st->st_mode & S_IWGRP)) {
                *ret_uid = (uid_t) -1;
                *ret_gid = user->gid;
                return 1;
        }
        return -EACCES;
}

static int dac_prepare_one(const SecurityResource *res, const void *options, char **ret_error) {
        const SecurityDacOptions *o = options;
        _cleanup_free_ char *original = NULL;
        struct stat st;
        uid_t uid;
        gid_t gid;
        int r;

        if (stat(res->path, &st) < 0) {
                if (errno != ENOENT)
                        return security_resource_fail(ret_error, -errno, o->domain_path, res,
                                                      "cannot look at it: %s", strerror(errno));
                if (res->kind != SECURITY_RESOURCE_CHARDEV_FILE)
                        return 0;       /* optional disks, sockets that appear later: not ours to create */
                /* QEMU appends its output here: create it, for QEMU's user. */
                _cleanup_close_ int fd = open(res->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return security_resource_fail(ret_error, -errno, o->domain_path, res,
                                                      "cannot create it: %s", strerror(errno));
        }
        if (res->kind == SECURITY_RESOURCE_SOCKET_DIR) {
                /* QEMU creates its listening socket here: the directory is not handed over. */
                if (!security_mode_allows(&st, o->user, W_OK | X_OK))
                        return security_resource_fail(ret_error, -EACCES, o->domain_path, res,
                                                      "QEMU's user '%s' cannot create its socket in this "
                                                      "directory (mode %04o, owner %u:%u); put the socket in a "
                                                      "directory it may write", o->user->name,
                                                      (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid,
                                                      (unsigned) st.st_gid);
                return 0;
        }
        if (S_ISDIR(st.st_mode))
                return security_resource_fail(ret_error, -EISDIR, o->domain_path, res, "is a directory");
        if (res->kind == SECURITY_RESOURCE_DEVICE && security_mode_allows(&st, o->user, res->readonly ? R_OK : R_OK | W_OK))
                return 0;       /* /dev/urandom and the like: everyone may already */

        r = dac_target(res, &st, o->user, &uid, &gid);
        if (r == -EACCES)
                return security_resource_fail(ret_error, r, o->domain_path, res,
                                              "QEMU's user '%s' may not read it (mode %04o, owner %u:%u), and "
                                              "handing it over would let QEMU write a read-only file; make it "
                                              "readable (chmod o+r '%s', or g+r,g-w)",
                                              o->user->name, (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid,
                                              (unsigned) st.st_gid, res->path);
        if (r == 0)
                return 0;

        if (asprintf(&original, "%u:%u", (unsigned) st.st_uid, (unsigned) st.st_gid) < 0)
                return -ENOMEM;
        /* Write-ahead: the journal says what to undo before anything changes. */
        r = security_journal_append(o->journal, "dac", res->path, original);
        if (r < 0)
                return security_resource_fail(ret_error, r, o->domain_path, res,
                                              "cannot record its owner in '%s': %s", o->journal, strerror(-r));
        if (o->remember_owner) {
                r = security_remember_acquire(res->path, "dac", original);
                if (r == 0)
                        return 0;       /* another running VM handed it over already */
                if (r < 0 && r != -EOPNOTSUPP)
                        return security_resource_fail(ret_error, r, o->domain_path, res,
                                                      "cannot remember its owner: %s", strerror(-r));
        }
        if (chown(res->path, uid, gid) < 0)
                return security_resource_fail(ret_error, -errno, o->domain_path, res,
                                              "cannot hand it to QEMU's user '%s': %s",
                                              o->user->name, strerror(errno));
        return 0;
}

int security_dac_prepare(const SecurityResources *res, const SecurityDacOptions *o, char **ret_error) {
        return security_prepare_each(res, o->journal, dac_prepare_one, o, ret_error);
}

int security_dac_restore_file(const char *path, const char *original) {
        unsigned uid, gid;
        int n = 0;

        if (sscanf(original, "%u:%u%n", &uid, &gid, &n) != 2 || original[n] != 0)
                return -EBADMSG;
        if (chown(path, (uid_t) uid, (gid_t) gid) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}
