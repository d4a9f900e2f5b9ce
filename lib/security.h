/*
 * The security drivers: what the supervisor does to host resources so that QEMU, running as an
 * unprivileged user under a confinement label, can use exactly the files its domain names, and
 * how all of it is undone.
 *
 *   1. security_resources_collect(): the host paths a domain uses (disks, kernel, nvram, chardev
 *      files and sockets ...), each with its access (read-only or read-write), whether it is
 *      shared with other VMs and whether it may be relabelled at all.
 *   2. security_check_access(): before anything changes, can QEMU's user reach every path?
 *      A directory it cannot traverse is named, with the `chmod o+x DIR` advice.
 *   3. Each active driver's prepare step (dac_prepare() here; selinux, apparmor in their files)
 *      changes a file only after writing what it did to the VM's journal.
 *   4. security_restore() undoes the journal, entry by entry, for any driver: on stop, on a
 *      failed start, and on the next start after a supervisor that crashed with QEMU gone.
 *
 * A file used by several running VMs (a <shareable/> disk, a kernel) is restored only when the
 * last of them stops: the original owner or label and a reference count live in an xattr on the
 * file itself, trusted.vmunit.DRIVER = "REFS ORIGINAL" (security_remember_*()). The journal keeps
 * the original too, for file systems without trusted xattrs (then the count is not shared).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "model.h"
#include "string-table.h"

typedef enum SecurityResourceKind {
        SECURITY_RESOURCE_IMAGE,        /* disk image or block device, backing files */
        SECURITY_RESOURCE_BOOT,         /* kernel, initrd, dtb, loader, ACPI table: read-only */
        SECURITY_RESOURCE_NVRAM,        /* per-VM variable store: read-write */
        SECURITY_RESOURCE_CHARDEV_FILE, /* serial/channel output file, QEMU appends (created if absent) */
        SECURITY_RESOURCE_SOCKET,       /* unix socket QEMU connects to (mode='connect') */
        SECURITY_RESOURCE_SOCKET_DIR,   /* directory where QEMU creates a listening socket (mode='bind') */
        SECURITY_RESOURCE_DEVICE,       /* character device node (<serial type='dev'>, tpm, rng) */
        _SECURITY_RESOURCE_KIND_MAX,
} SecurityResourceKind;

typedef struct SecurityResource {
        char *path;
        SecurityResourceKind kind;
        const char *element;            /* "disk", "kernel", "serial", ... for messages */
        unsigned line;                  /* of the element in the domain XML, 0 if not known */
        bool readonly;                  /* QEMU only reads it: never made writable */
        bool shared;                    /* <shareable/>: other running VMs may use it too */
        bool relabel;                   /* false: <seclabel relabel='no'/>, leave it as it is */
} SecurityResource;

typedef struct SecurityResources {
        SecurityResource *items;
        size_t n;
} SecurityResources;

/* Fills @ret with the host paths @def makes QEMU open (network disks, empty cdroms and paths
 * under the VM's own runtime dir are not in it). Returns 0 or -ENOMEM. */
int security_resources_collect(const VmDef *def, SecurityResources *ret);
void security_resources_done(SecurityResources *r);
DECLARE_STRING_TABLE_LOOKUP(security_resource_kind, SecurityResourceKind);

/* QEMU's identity, for the access check and DAC. */
typedef struct SecurityUser {
        uid_t uid;
        gid_t gid;
        const char *name;               /* for messages */
        const gid_t *groups;            /* supplementary groups */
        size_t n_groups;
} SecurityUser;

/* Is @path reachable by @user: every parent directory searchable? Returns 0, or -EACCES with
 * *@ret_dir set to the first directory that is not. */
int security_path_traversable(const char *path, const SecurityUser *user, char **ret_dir);
/* Could @user open an existing @path with @mode_bits (R_OK, W_OK, X_OK) by its mode and owner? */
bool security_mode_allows(const struct stat *st, const SecurityUser *user, int mode_bits);

/* Before QEMU starts: every resource's parent directories are searchable by @user, and, when the
 * drivers will not change the file (@will_chown false, or relabel='no'), the file itself allows
 * the access QEMU needs. Returns 0, or -EACCES with "DOMAIN:LINE: <elem> 'PATH': ..." in *@ret_error
 * naming the directory or file and the chmod that fixes it. */
int security_check_access(const SecurityResources *res, const SecurityUser *user, bool will_chown,
                          const char *domain_path, char **ret_error);

/* Before any driver changes a file: refuses, with -EPERM and "DOMAIN:LINE: <elem> 'PATH': ..." in
 * *@ret_error, to relabel (chown, or label) a file of the host's own, symlinks resolved: one directly
 * in /, /boot, /dev, /usr or /var, or anywhere under /bin, /sbin, /etc, /lib*, /usr/bin, /usr/sbin,
 * /usr/lib*, /usr/libexec, /proc and /sys. Allowed: device nodes in /dev, read-only boot files
 * (kernel, initrd, firmware) in /boot, /lib and /usr/lib. Resources with relabel='no' are not checked:
 * nothing touches them. -EINVAL for a relative path. */
int security_check_relabel_allowed(const SecurityResources *res, const char *domain_path, char **ret_error);

/* For drivers: returns @r, with "DOMAIN:LINE: <elem> 'PATH': MESSAGE" in *@ret_error (if non-NULL). */
int security_resource_fail(char **ret_error, int r, const char *domain_path, const SecurityResource *res,
                           const char *fmt, ...) _printf_(5, 6);

/* A driver's prepare step: @prepare_one on every resource that may be relabelled, in order; on the
 * first failure everything @journal records is restored (nothing stays half-done) and its error
 * returned. */
typedef int (*SecurityPrepareOne)(const SecurityResource *res, const void *options, char **ret_error);
int security_prepare_each(const SecurityResources *res, const char *journal, SecurityPrepareOne prepare_one,
                          const void *options, char **ret_error);

/* ---- the journal: RUNTIME_DIR/security ---- */

/* Records, before the file is changed, that @driver changes @path whose value now is @original
 * ("UID:GID" for dac, a context for selinux). Appends one record and syncs. */
int security_journal_append(const char *journal, const char *driver, const char *path, const char *original);

/* Undoes every record of @journal, last first, then removes it. A file still used by another VM
 * (its shared reference count) is left as it is. Failures to restore one file are logged through
 * @ret_error (all of them, one per line) and do not stop the others. Returns 0 when all were restored
 * (or there was no journal), -EIO when some were not. */
int security_restore(const char *journal, char **ret_error);

/* ---- remembered originals: trusted.vmunit.DRIVER xattrs ---- */

/* Takes a reference on @driver's label of @path. Returns 1 when it is the first (the caller changes
 * the file; @original is stored), 0 when other VMs hold it already (the file is changed already:
 * leave it), -EOPNOTSUPP when the file system has no trusted xattrs. */
int security_remember_acquire(const char *path, const char *driver, const char *original);
/* Drops a reference. Returns 1 with the original in *@ret_original when it was the last (the
 * caller restores), 0 when other VMs still hold it, -ENODATA when nothing is remembered. */
int security_remember_release(const char *path, const char *driver, char **ret_original);

/* ---- drivers ---- */

typedef struct SecurityDacOptions {
        const SecurityUser *user;       /* who QEMU runs as */
        bool remember_owner;            /* keep trusted.vmunit.dac (shared refcount) */
        const char *journal;            /* RUNTIME_DIR/security */
        const char *domain_path;        /* for messages */
} SecurityDacOptions;

/* dynamic_ownership: hands every resource QEMU writes to its user:group; a read-only one only as far
 * as that keeps it read-only for QEMU (its group, when the group may read but not write), never to
 * its user when the owner may write. Creates an absent chardev output file. On failure everything
 * it changed is restored, and *@ret_error names the file. */
int security_dac_prepare(const SecurityResources *res, const SecurityDacOptions *o, char **ret_error);

/* The restore step of each driver, for security_restore(): puts @original back on @path. */
int security_dac_restore_file(const char *path, const char *original);

/* A host-wide lock around prepare/restore (the xattr read-modify-write of shared files), on
 * @lock_path (/run/vmunit/security.lock). Returns the fd to close, or -errno. */
int security_lock(const char *lock_path);

/* ---- which drivers ---- */

typedef enum SecurityDriverMask {
        SECURITY_DRIVER_DAC      = 1 << 0,
        SECURITY_DRIVER_SELINUX  = 1 << 1,
        SECURITY_DRIVER_APPARMOR = 1 << 2,
} SecurityDriverMask;

/* The drivers that confine a domain. @configured is vmunit.conf's security_driver: NULL detects (dac,
 * plus selinux and apparmor where the host runs them), "none" alone means none. A configured MAC
 * driver the host does not run is an error naming @conf_path, and so is a <seclabel model=> that is
 * not an active driver (naming @domain_path and the line). <seclabel type='none'> switches its model
 * off for this domain (without a model: every MAC driver; QEMU still runs as vmunit.conf's user).
 * Returns 0 with SecurityDriverMask bits in *@ret, or -EOPNOTSUPP with *@ret_error. */
int security_drivers_select(char * const *configured, bool selinux_enabled, bool apparmor_enabled,
                            const VmSeclabel *seclabel, const char *conf_path, const char *domain_path,
                            unsigned *ret, char **ret_error);
