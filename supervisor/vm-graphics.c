/*
 * Free TCP ports for autoport VNC and SPICE displays. As libvirt does, the supervisor picks the first
 * port from 5900 up that it can bind on the listen address and puts it on the command line (VNC as
 * its display number, still with to=99 so that QEMU moves on should someone else take it first).
 * Several VMs start at the same time: the choice is made under RUNTIME_ROOT/graphics-ports.lock,
 * held until QEMU has bound its ports (QMP answers only after the displays are set up), so that
 * two supervisors never pick the same one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "vm.h"

#define PORT_MIN 5900
#define PORT_MAX 65535

/* Can a listener bind @addr:@port right now? */
static bool port_free(const char *addr, int port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } u = {};
        socklen_t len;
        int fd, one = 1;
        bool ok;

        if (inet_pton(AF_INET, addr, &u.in.sin_addr) == 1) {
                u.in.sin_family = AF_INET;
                u.in.sin_port = htons((uint16_t) port);
                len = sizeof(u.in);
        } else if (inet_pton(AF_INET6, addr, &u.in6.sin6_addr) == 1) {
                u.in6.sin6_family = AF_INET6;
                u.in6.sin6_port = htons((uint16_t) port);
                len = sizeof(u.in6);
        } else
                return true;            /* a host name: QEMU resolves it, we cannot test it */
        fd = socket(u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return true;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));      /* as QEMU does */
        ok = bind(fd, &u.sa, len) == 0;
        close(fd);
        return ok;
}

static bool wants_port(const VmGraphics *g) {
        return (streq_ptr(g->type, "spice") || streq_ptr(g->type, "vnc")) && g->autoport && g->port <= 0 &&
                !streq_ptr(g->listen_type, "socket") && !streq_ptr(g->listen_type, "none");
}

/* The first port from @from up that is free on @addr; -EADDRINUSE if none. */
static int free_port(const VmGraphics *g, int from) {
        for (int port = from; port <= PORT_MAX; port++)
                if (port != g->tls_port && port != g->websocket && port_free(g->listen_address ?: "127.0.0.1", port))
                        return port;
        return -EADDRINUSE;
}

int vm_graphics_pick_ports(Vm *vm) {
        _cleanup_free_ char *lock_path = NULL;
        bool any = false;
        int next = PORT_MIN;

        for (unsigned i = 0; i < vm->def->n_graphics; i++)
                any = any || wants_port(&vm->def->graphics[i]);
        if (!any)
                return 0;
        if (asprintf(&lock_path, "%s/graphics-ports.lock", vm->cfg.runtime_root) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        vm->ports_lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (vm->ports_lock_fd < 0)
                return log_error_errno(-errno, "Failed to open '%s': %m", lock_path);
        if (flock(vm->ports_lock_fd, LOCK_EX) < 0)
                return log_error_errno(-errno, "Failed to lock '%s': %m", lock_path);
        for (unsigned i = 0; i < vm->def->n_graphics; i++) {
                const VmGraphics *g = &vm->def->graphics[i];
                bool vnc = streq(g->type, "vnc");
                int port;

                if (!wants_port(g))
                        continue;
                port = free_port(g, next);
                if (port < 0 || (vnc && port > PORT_MIN + 99))
                        return log_full_errno(LOG_ERR, -EADDRINUSE, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s: <graphics type='%s' autoport='yes'>: no free port from %d up on %s.",
                                              vm->domain_path, g->type, next, g->listen_address ?: "127.0.0.1");
                if (vnc)
                        vm->build_opts.vnc_display = port - PORT_MIN;
                else
                        vm->build_opts.spice_port = port;
                log_debug("%s autoport: port %d.", g->type, port);
                next = port + 1;
        }
        return 0;
}

void vm_graphics_ports_release(Vm *vm) {
        if (vm->ports_lock_fd >= 0)
                (void) close(vm->ports_lock_fd);
        vm->ports_lock_fd = -EBADF;
}
