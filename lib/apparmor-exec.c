/*
 * The AppArmor calls made from the running system (libapparmor): is AppArmor on, and the
 * child's exec label. Built when libapparmor is found; apparmor-exec-fallback.c otherwise.
 */
#include <sys/apparmor.h>

#include "apparmor-profile.h"

bool apparmor_is_enabled(void) {
        return aa_is_enabled() > 0;
}

int apparmor_change_onexec(const char *profile_name) {
        assert(profile_name);
        if (aa_change_onexec(profile_name) < 0)
                return -errno;
        return 0;
}
