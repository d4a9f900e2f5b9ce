/*
 * vmunit.conf's user and group: see user-lookup.h.
 */
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "user-lookup.h"

/* "+N" or "N" -> N; -EINVAL for anything else (a name). */
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

/* getpwnam(3): a missing entry leaves errno 0 or sets one of these, depending on the NSS module. */
static bool missing(int e) {
        return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

int user_lookup(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid, char **ret_name) {
        struct passwd *pw;
        unsigned long n;
        gid_t gid;

        assert(user);
        errno = 0;
        pw = parse_id(user, &n) >= 0 ? getpwuid((uid_t) n) : getpwnam(user);
        if (!pw)
                return missing(errno) ? -ESRCH : -errno;
        gid = pw->pw_gid;
        if (group) {
                struct group *gr;

                errno = 0;
                gr = parse_id(group, &n) >= 0 ? getgrgid((gid_t) n) : getgrnam(group);
                if (!gr)
                        return missing(errno) ? -ENXIO : -errno;
                gid = gr->gr_gid;
        }
        if (ret_name) {
                *ret_name = strdup(pw->pw_name);
                if (!*ret_name)
                        return -ENOMEM;
        }
        *ret_uid = pw->pw_uid;
        *ret_gid = gid;
        return 0;
}
