/*
 * /etc/vmunit/vmunit.conf: the host-wide settings of vmunit's QEMU driver, the analogue of
 * libvirt's qemu.conf. Pure: parsing and validation only; acting on a setting is the caller's job.
 *
 * Syntax, one setting per line:
 *     # a comment, also after a value
 *     key = value                 a bare word: no blank, '#', '"', ',', '=', '[' or ']'
 *     key = "value"               a quoted string; \" and \\ are its only escapes
 *     key = [ "a", "b", ]         a list (cgroup_device_acl, security_driver); may span lines
 * Booleans are 0 or 1 (yes/no and true/false also do), numbers are plain decimal.
 * Strict: an unknown key, a key given twice, or a value of the wrong shape or out of range is an
 * error that names FILE:LINE. libvirt's qemu.conf lines for the same keys parse unchanged.
 * See docs/vmunit.conf.5.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance-paths.h"       /* VMUNIT_CONFIG_PATH */

#define CONFIG_DEFAULT_USER "vmunit-qemu"
#define CONFIG_DEFAULT_SHUTDOWN_TIMEOUT_SEC 60U
#define CONFIG_DEFAULT_HUGETLBFS_MOUNT "/dev/hugepages"
#define CONFIG_DEFAULT_SPICE_TLS_X509_CERT_DIR "/etc/pki/libvirt-spice"
#define CONFIG_SHUTDOWN_TIMEOUT_MAX_SEC (24U * 3600U)
#define CONFIG_MAX_PROCESSES_MAX 4194304U       /* the kernel's PID_MAX_LIMIT */
#define CONFIG_FILE_SIZE_MAX (1024U * 1024U)

typedef struct VmunitConfig {
        char *user;                     /* QEMU's user, a name or a numeric uid */
        char *group;                    /* QEMU's group; NULL: the user's primary group */
        char **security_driver;         /* NULL: detect; else one or more of dac selinux apparmor, or none */
        bool dynamic_ownership;         /* chown the VM's files to user:group while it runs */
        bool remember_owner;            /* ... and remember the owner to restore it after */
        char **cgroup_device_acl;       /* NULL: cgroup_device_acl_default; else the whole list (may be empty) */
        bool seccomp_sandbox;           /* QEMU's own -sandbox on,... */
        uint64_t shutdown_timeout_usec; /* ACPI power button -> QMP quit */
        uint64_t max_processes;         /* TasksMax= of the VM's scope; 0: no limit */
        char *hugetlbfs_mount;          /* where 2 MiB huge pages are mounted */
        char *spice_tls_x509_cert_dir;  /* SPICE TLS certificates */
        bool session;                   /* config_init_session(): settings that need privileges are refused */
} VmunitConfig;

/* Fills @c with the defaults. Returns 0 or -ENOMEM (@c is then empty but safe to pass to
 * config_done()). */
int config_init(VmunitConfig *c);
/* The defaults of the session instance (instance-paths.h), which has no privilege at all: QEMU runs
 * as the calling user ("+UID") in its primary group, and the DAC driver only checks QEMU's access
 * to the domain's files (dynamic_ownership = 0). config_parse() into such a configuration refuses,
 * with FILE:LINE, what would need privileges: dynamic_ownership = 1 (handing files to QEMU's user and
 * remembering their owners in trusted.* attributes), the selinux and apparmor drivers (labelling
 * files, loading profiles). Whether user= and group= name the caller is for the caller to check.
 * Returns 0 or -ENOMEM. */
int config_init_session(VmunitConfig *c);
void config_done(VmunitConfig *c);

/* Parses @size bytes of @text, named @filename in messages, over the values already in @c.
 * Returns 0, -EINVAL with "FILE:LINE: message" in *@ret_error (when non-NULL) for any error in
 * the text, or -ENOMEM. On failure @c may hold some of the file's settings: throw it away. */
int config_parse(VmunitConfig *c, const char *text, size_t size, const char *filename, char **ret_error);

/* Reads and parses @path. Returns -ENOENT if there is no such file (the caller decides whether
 * the defaults then do), -EFBIG beyond CONFIG_FILE_SIZE_MAX, other -errno if it cannot be read,
 * or config_parse()'s result. */
int config_load(VmunitConfig *c, const char *path, char **ret_error);

/* Is @name one of the security drivers the configuration may name? */
bool config_security_driver_known(const char *name);
