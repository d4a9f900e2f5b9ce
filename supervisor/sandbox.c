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
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "sandbox.h"
#include "seccomp-policy.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

/* "+N" or "N" -> N; else -EINVAL (a name). */
static int parse_id(const char *s, unsigned long *ret) {
        char *end;

        if (*s == '+')
                s++;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        *ret = strtoul(s, &end, 10);
        return errno || *end || *ret >= (unsigned long) UINT32_MAX ? -EINVAL : 0;
}

int sandbox_user_lookup(const char *user, const char *group, SandboxUser *ret, char **ret_name) {
        struct passwd *pw;
        unsigned long n;
        gid_t gid;

        errno = 0;
        if (parse_id(user, &n) >= 0)
                pw = getpwuid((uid_t) n);
        else
                pw = getpwnam(user);
        if (!pw)
                return errno > 0 ? -errno : -ESRCH;
        gid = pw->pw_gid;
        if (group) {
                struct group *gr;

                errno = 0;
                if (parse_id(group, &n) >= 0)
                        gr = getgrgid((gid_t) n);
                else
                        gr = getgrnam(group);
                if (!gr)
                        return errno > 0 ? -errno : -ENXIO;
                gid = gr->gr_gid;
        }
        *ret_name = strdup(pw->pw_name);
        if (!*ret_name)
                return -ENOMEM;
        *ret = (SandboxUser) { .uid = pw->pw_uid, .gid = gid, .name = *ret_name };
        return 0;
}

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

int sandbox_enter(const SandboxUser *user) {
        /* The bounding set first: dropping from it needs CAP_SETPCAP, which the uid change
         * below takes away. */
        capng_clear(CAPNG_SELECT_ALL);
        if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
                return -EPERM;

        if (user->uid != 0 || user->gid != 0) {
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

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;

        return sandbox_seccomp();
}
