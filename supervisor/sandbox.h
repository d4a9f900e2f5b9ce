/*
 * Confinement of the QEMU child, applied between fork() and exec(): user and groups, every
 * capability dropped (bounding and ambient sets too), no_new_privs, and the seccomp deny-list
 * from lib/seccomp-policy.c. Runs in the child only: no logging, errors are returned.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct SandboxUser {
        uid_t uid;
        gid_t gid;
        const char *name;               /* for initgroups(): supplementary groups such as kvm */
} SandboxUser;

/* In the child: applies everything. After success the process has no capability left and, with
 * @no_new_privs, cannot gain one and runs under the seccomp deny-list; without it (a MAC label
 * takes over at exec) neither is set here. Returns 0 or -errno. */
int sandbox_enter(const SandboxUser *user, bool no_new_privs);

/* Installs the seccomp deny-list (also used alone by the tests). */
int sandbox_seccomp(void);
