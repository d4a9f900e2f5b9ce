/*
 * The QEMU seccomp deny-list (lib/seccomp-policy.c): every name is known to libseccomp, there
 * are no duplicates, and the calls the issue names are all in it.
 */
#include <criterion/criterion.h>
#include <seccomp.h>

#include "macro.h"
#include "seccomp-policy.h"

static bool listed(const char *name) {
        for (const SeccompDeny *d = seccomp_deny_list; d->name; d++)
                if (streq(d->name, name))
                        return true;
        return false;
}

Test(seccomp_policy, names_resolve) {
        for (const SeccompDeny *d = seccomp_deny_list; d->name; d++) {
                cr_assert_neq(seccomp_syscall_resolve_name(d->name), __NR_SCMP_ERROR, "unknown syscall %s", d->name);
                cr_assert_not_null(d->why);
                for (const SeccompDeny *e = d + 1; e->name; e++)
                        cr_assert_str_neq(d->name, e->name, "duplicate %s", d->name);
        }
}

Test(seccomp_policy, required_entries) {
        static const char *must[] = {
                "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
                "mount", "umount2", "pivot_root", "ptrace", "bpf", "perf_event_open", "keyctl",
                "add_key", "open_by_handle_at", "reboot", "swapon", "swapoff", "settimeofday",
        };
        for (size_t i = 0; i < ELEMENTSOF(must); i++)
                cr_assert(listed(must[i]), "%s is not denied", must[i]);
        /* QEMU needs these: a deny-list that grew them would break every VM. */
        cr_assert_not(listed("ioctl"));
        cr_assert_not(listed("clone"));
        cr_assert_not(listed("mmap"));
}
