/*
 * Who QEMU runs as: vmunit.conf's user= and group= resolved through the user database.
 */
#pragma once

#include <sys/types.h>

/* Resolves @user (a name, a numeric uid, or libvirt's "+UID") and @group the same way; a NULL
 * @group means the user's primary group. A numeric user must exist in the user database too
 * (QEMU's supplementary groups come from there). *@ret_name (when non-NULL) gets the user's name.
 * Returns 0, -ESRCH for an unknown user, -ENXIO for an unknown group, or -errno. */
int user_lookup(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid, char **ret_name);
