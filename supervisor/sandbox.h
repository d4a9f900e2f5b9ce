/*
 * Confinement of the QEMU child, applied between fork() and exec(): user and groups, every
 * capability dropped (bounding and ambient sets too), no_new_privs, and the seccomp deny-list
 * from lib/seccomp-policy.c. Runs in the child only: no logging, errors are returned.
 */
#pragma once

#include <sys/types.h>

typedef struct SandboxUser {
        uid_t uid;
        gid_t gid;
        const char *name;               /* for initgroups(): supplementary groups such as kvm */
} SandboxUser;

/* Resolves @user (a name, a numeric uid, or libvirt's "+UID") in the parent, before fork(), and
 * @group the same way; a NULL @group means the user's primary group. Returns -ESRCH for an unknown
 * user, -ENXIO for an unknown group. */
int sandbox_user_lookup(const char *user, const char *group, SandboxUser *ret, char **ret_name);

/* In the child: applies everything. After success the process has no capability left and
 * cannot gain one. Returns 0 or -errno. */
int sandbox_enter(const SandboxUser *user);

/* Installs the seccomp deny-list (also used alone by the tests). */
int sandbox_seccomp(void);
