/*
 * The seccomp deny-list for QEMU: see seccomp-policy.h. Each group says why a VM process never
 * needs the calls; a denied call fails with EPERM (not SIGSYS) so a mistake shows up in QEMU's
 * error message in the journal instead of as a dead VM.
 */
#include <stddef.h>

#include "seccomp-policy.h"

const SeccompDeny seccomp_deny_list[] = {
        /* Kernel modules: a VM never loads code into the host kernel. */
        { "init_module",        "module loading" },
        { "finit_module",       "module loading" },
        { "delete_module",      "module loading" },
        /* Replacing the host kernel or rebooting the host. */
        { "kexec_load",         "kexec" },
        { "kexec_file_load",    "kexec" },
        { "reboot",             "host reboot" },
        /* The mount table is the host's; QEMU opens files, it does not mount them. */
        { "mount",              "mount" },
        { "umount2",            "mount" },
        { "pivot_root",         "mount" },
        { "fsopen",             "mount (new API)" },
        { "fsconfig",           "mount (new API)" },
        { "fsmount",            "mount (new API)" },
        { "fspick",             "mount (new API)" },
        { "move_mount",         "mount (new API)" },
        { "open_tree",          "mount (new API)" },
        { "mount_setattr",      "mount (new API)" },
        /* Debugging and inspecting other processes. */
        { "ptrace",             "ptrace" },
        { "process_vm_readv",   "cross-process memory access" },
        { "process_vm_writev",  "cross-process memory access" },
        { "kcmp",               "process inspection" },
        /* Kernel attack surface a VM has no use for. */
        { "bpf",                "eBPF" },
        { "perf_event_open",    "perf events" },
        { "userfaultfd",        "userfaultfd (postcopy migration is not supported yet)" },
        /* The kernel keyring is per-user state shared beyond this VM. */
        { "keyctl",             "kernel keyring" },
        { "add_key",            "kernel keyring" },
        { "request_key",        "kernel keyring" },
        /* Opening files by handle bypasses path-based checks. */
        { "open_by_handle_at",  "file handles" },
        { "name_to_handle_at",  "file handles" },
        /* Host-global state: swap, clocks, hostname, accounting, quotas. */
        { "swapon",             "swap" },
        { "swapoff",            "swap" },
        { "settimeofday",       "host clock" },
        { "clock_settime",      "host clock" },
        { "clock_adjtime",      "host clock" },
        { "adjtimex",           "host clock" },
        { "stime",              "host clock" },
        { "sethostname",        "host name" },
        { "setdomainname",      "host name" },
        { "acct",               "process accounting" },
        { "quotactl",           "quotas" },
        { "syslog",             "kernel log" },
        { "iopl",               "raw I/O ports" },
        { "ioperm",             "raw I/O ports" },
        /* New namespaces would let QEMU escape the scope's view of the system. */
        { "unshare",            "namespaces" },
        { "setns",              "namespaces" },
        { "lookup_dcookie",     "profiling" },
        { "vhangup",            "terminal hangup" },
        { "nfsservctl",         "obsolete" },
        { "uselib",             "obsolete" },
        { NULL, NULL },
};
