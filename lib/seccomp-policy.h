/*
 * The syscall deny-list the supervisor installs in QEMU's process before exec (on top of
 * QEMU's own -sandbox). A table only: loading it with libseccomp is supervisor/sandbox.c's job,
 * so that lib/ stays free of process-wide side effects.
 */
#pragma once

typedef struct SeccompDeny {
        const char *name;               /* syscall name as libseccomp resolves it */
        const char *why;                /* why a VM never needs it (for docs and the test output) */
} SeccompDeny;

/* Terminated by an entry with name NULL. Names the running architecture lacks are skipped. */
extern const SeccompDeny seccomp_deny_list[];
