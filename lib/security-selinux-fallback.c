/*
 * security-selinux-host.c for builds without libselinux (-Dselinux=disabled): SELinux is never
 * detected, there are no policy files, and QEMU cannot be given an exec context.
 */
#include <errno.h>

#include "security-selinux.h"

bool security_selinux_enabled(void) {
        return false;
}

const char *security_selinux_policy_domain_file(void) {
        return NULL;
}

const char *security_selinux_policy_image_file(void) {
        return NULL;
}

int security_selinux_exec_label(const SelinuxLabels *l) {
        if (!l->confined || !l->process)
                return 0;
        return -EOPNOTSUPP;
}
