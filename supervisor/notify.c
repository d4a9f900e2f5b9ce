/*
 * sd_notify() without libsystemd: see notify.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cleanup.h"
#include "notify.h"

int notify_send(const char *state) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        const char *e = getenv("NOTIFY_SOCKET");
        socklen_t len;
        size_t l;

        if (!e || !*e)
                return 0;
        l = strlen(e);
        if ((e[0] != '/' && e[0] != '@') || l >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, e, l);
        if (e[0] == '@')
                sa.sun_path[0] = 0;     /* abstract namespace */
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + (e[0] == '/'));

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &sa, len) < 0)
                return -errno;
        return 0;
}
