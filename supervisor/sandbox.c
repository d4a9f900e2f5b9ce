/*
 * QEMU child confinement: see sandbox.h.
 *
 * Order matters: groups and uid change while we still hold CAP_SETUID/CAP_SETGID, then the
 * capability sets (including bounding and ambient) are cleared, then no_new_privs, then the
 * seccomp filter (which needs no_new_privs when unprivileged, and must come last so that the
 * set-up calls above are not themselves filtered).
 */
#include <cap-ng.h>
#include <grp.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "sandbox.h"
#include "seccomp-policy.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

int sandbox_seccomp(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        static const uint32_t extra_arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        /* A deny-list on the native ABI alone is bypassed through int 0x80 or x32 syscalls:
         * the same rules go on every ABI this CPU runs. */
        if (seccomp_arch_native() == SCMP_ARCH_X86_64)
                for (size_t i = 0; i < ELEMENTSOF(extra_arches); i++) {
                        r = seccomp_arch_add(ctx, extra_arches[i]);
                        if (r < 0 && r != -EEXIST)
                                return r;
                }

        for (const SeccompDeny *d = seccomp_deny_list; d->name; d++) {
                int nr = seccomp_syscall_resolve_name(d->name);
                if (nr == __NR_SCMP_ERROR)
                        continue;       /* unknown to this libseccomp: nothing to deny */
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return r;
        }
        return seccomp_load(ctx);
}

int sandbox_enter(const SandboxUser *user, bool no_new_privs) {
        /* The bounding set first: dropping from it needs CAP_SETPCAP, which the uid change
         * below takes away. A process without any capability (the session instance) may not drop
         * from it, and need not: no_new_privs below keeps an exec from gaining anything. */
        capng_get_caps_process();
        if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
                capng_clear(CAPNG_SELECT_ALL);
                if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
                        return -EPERM;
        }

        /* The session instance's QEMU runs as the user itself: nothing to switch (nor the right to). */
        if (user->uid != getuid() || user->gid != getgid()) {
                if (initgroups(user->name, user->gid) < 0)
                        return -errno;
                if (setresgid(user->gid, user->gid, user->gid) < 0)
                        return -errno;
                if (setresuid(user->uid, user->uid, user->uid) < 0)
                        return -errno;
        }

        /* Even for root: QEMU never needs a capability (the seed's rule). For another user the
         * uid change has emptied the sets already; this makes it explicit and covers root. */
        capng_clear(CAPNG_SELECT_ALL);
        if (capng_apply(CAPNG_SELECT_CAPS) < 0)
                return -EPERM;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        capng_get_caps_process();
        if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
                return -EPERM;

        /* Under an SELinux or AppArmor label the exec is a label transition, which the kernel refuses
         * under no_new_privs (and a seccomp filter needs no_new_privs without CAP_SYS_ADMIN): then the
         * label confines QEMU, and QEMU's own -sandbox (seccomp_sandbox, after the exec) filters its
         * system calls, as under libvirt. */
        if (!no_new_privs)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return sandbox_seccomp();
}
