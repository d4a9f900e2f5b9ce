/*
 * Forking QEMU: the child waits on a pipe until the parent has put it into its scope, then
 * confines itself (sandbox.c), keeps only stdin/stdout/stderr and the fds passed to it (taps,
 * vhost devices), and execs QEMU. QEMU's stdout
 * (the serial console when it is type='stdio') and stderr are journal streams of their own, so
 * they keep flowing while the supervisor restarts.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "qemu-argv.h"
#include "sandbox.h"

/* How the child confines itself before exec. */
typedef struct SpawnConfine {
        const SandboxUser *user;
        bool no_new_privs;              /* off when a MAC label takes over (an SELinux or AppArmor
                                           transition under no_new_privs is refused) */
        int (*exec_labels)(const void *userdata);       /* SELinux exec context, AppArmor profile: in
                                                           the child, before the uid changes; NULL: none */
        const void *userdata;
        const int *pass_fds;            /* handed to QEMU as fds 3, 4, ... (the QemuCommand's fds, opened) */
        unsigned n_pass_fds;
} SpawnConfine;

/* Forks the child. On success the child is blocked; *@ret_sync_fd releases it and
 * *@ret_err_fd reports its exec failure (see spawn_release()). */
int spawn_qemu(const QemuCommand *cmd, const SpawnConfine *confine, const char *vm_name,
               pid_t *ret_pid, int *ret_pidfd, int *ret_sync_fd, int *ret_err_fd);

/* Lets the child go and waits until it exec'ed: returns 0, or the child's -errno of the step
 * that failed (confinement or exec). Closes both fds. */
int spawn_release(int sync_fd, int err_fd);
