/*
 * apparmor-exec.c for builds without libapparmor (-Dapparmor=disabled): AppArmor is never used.
 */
#include "apparmor-profile.h"

bool apparmor_is_enabled(void) {
        return false;
}

int apparmor_change_onexec(const char *profile_name) {
        return -EOPNOTSUPP;
}
