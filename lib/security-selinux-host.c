/*
 * The SELinux driver's calls into libselinux: detection, the policy's context files and the exec
 * context. Builds without libselinux use security-selinux-fallback.c instead.
 */
#include <errno.h>
#include <selinux/selinux.h>

#include "security-selinux.h"

bool security_selinux_enabled(void) {
        return is_selinux_enabled() > 0;
}

const char *security_selinux_policy_domain_file(void) {
        return selinux_virtual_domain_context_path();
}

const char *security_selinux_policy_image_file(void) {
        return selinux_virtual_image_context_path();
}

int security_selinux_exec_label(const SelinuxLabels *l) {
        if (!l->confined || !l->process)
                return 0;
        if (setexeccon_raw(l->process) < 0)
                return errno > 0 ? -errno : -EINVAL;
        return 0;
}
