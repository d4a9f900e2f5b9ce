/*
 * The host side of the VM's network interfaces, done as root before QEMU exists: QEMU gets the
 * opened tap (and /dev/vhost-net) as inherited fds, so it needs neither CAP_NET_ADMIN nor access
 * to /dev/net/tun under DevicePolicy=closed. What libvirt does for the same XML:
 *   type='bridge'    a new tap "vnetN" (or <target dev>), MAC of the guest with the first byte 0xFE
 *                    (so that the bridge never takes the guest's address), the bridge's MTU or
 *                    <mtu size>, plugged into <source bridge>, up;
 *   type='network'   the same, into the bridge of the network, whose definition is libvirt's network
 *                    XML in /etc/vmunit/networks/NAME.xml (<bridge name=...>); vmunit runs no
 *                    dnsmasq or NAT: the bridge and what it forwards are the host's set-up;
 *   type='ethernet'  a new tap (or, managed='no', the existing tap <target dev>), up, then <script>
 *                    run with the tap's name.
 * A tap is not persistent: it goes away with its last fd, QEMU's.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cleanup.h"
#include "instance-paths.h"
#include "log.h"
#include "vm.h"

#define NET_FAIL(vm, n, r, fmt, ...) \
        log_full_errno(LOG_ERR, (r), VMUNIT_MESSAGE_VM_CONFIG, "%s:%u: <interface type='%s'>: " fmt, \
                       (vm)->domain_path, (n)->line, (n)->type, ##__VA_ARGS__)

static int ifreq_ioctl(int sock, unsigned long request, const char *name, struct ifreq *ifr) {
        snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
        return ioctl(sock, request, ifr) < 0 ? -errno : 0;
}

/* The bridge of network @name: /etc/vmunit/networks/NAME.xml's <bridge name=...>. */
static int network_bridge(Vm *vm, const VmNet *n, char **ret) {
        _cleanup_free_ char *path = NULL;
        xmlDoc *doc;
        xmlNode *root;
        char *bridge = NULL, *mode = NULL, *name = NULL;
        int r = 0;

        if (vm_name_validate(n->source_network) < 0)
                return NET_FAIL(vm, n, -EINVAL, "invalid network name '%s'", n->source_network);
        if (asprintf(&path, "%s/%s.xml", VMUNIT_NETWORK_DIR, n->source_network) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (access(path, R_OK) < 0)
                return NET_FAIL(vm, n, -errno, "network '%s' is not defined: no %s (libvirt's network XML with "
                                "<bridge name=...>; vmunit plugs the VM into that bridge and runs no DHCP or NAT)",
                                n->source_network, path);
        doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return NET_FAIL(vm, n, -EINVAL, "%s: not well-formed XML", path);
        root = xmlDocGetRootElement(doc);
        if (!root || !xmlStrEqual(root->name, (const xmlChar *) "network")) {
                r = NET_FAIL(vm, n, -EINVAL, "%s: the root element is not <network>", path);
                goto out;
        }
        for (xmlNode *c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(c->name, (const xmlChar *) "name") && !name)
                        name = (char *) xmlNodeGetContent(c);
                else if (xmlStrEqual(c->name, (const xmlChar *) "bridge") && !bridge)
                        bridge = (char *) xmlGetProp(c, (const xmlChar *) "name");
                else if (xmlStrEqual(c->name, (const xmlChar *) "forward") && !mode)
                        mode = (char *) xmlGetProp(c, (const xmlChar *) "mode");
                else if (xmlStrEqual(c->name, (const xmlChar *) "virtualport") ||
                         xmlStrEqual(c->name, (const xmlChar *) "portgroup") ||
                         xmlStrEqual(c->name, (const xmlChar *) "vlan")) {
                        r = NET_FAIL(vm, n, -EOPNOTSUPP, "%s:%ld: <%s> in a network is not applied by vmunit", path,
                                     xmlGetLineNo(c), (const char *) c->name);
                        goto out;
                }
        }
        if (!name || !streq(name, n->source_network))
                r = NET_FAIL(vm, n, -EINVAL, "%s: <name> is '%s', not '%s'", path, strempty(name), n->source_network);
        else if (mode && !streq(mode, "bridge") && !streq(mode, "nat") && !streq(mode, "route") &&
                 !streq(mode, "open"))
                r = NET_FAIL(vm, n, -EOPNOTSUPP, "%s: <forward mode='%s'> (a macvtap or host device pool) is not "
                             "supported; a network with a <bridge> is", path, mode);
        else if (!bridge || !*bridge || strlen(bridge) >= IFNAMSIZ || strchr(bridge, '/'))
                r = NET_FAIL(vm, n, -EINVAL, "%s: network '%s' names no valid <bridge name=...>", path, name);
        else {
                *ret = strdup(bridge);
                r = *ret ? 0 : log_error_errno(-ENOMEM, "Out of memory.");
        }
out:
        xmlFree(bridge);
        xmlFree(mode);
        xmlFree(name);
        xmlFreeDoc(doc);
        return r;
}

/* What vmunit cannot do for @n yet: refused before anything is created. */
static int net_check(Vm *vm, const VmNet *n) {
        if (n->virtualport.present)
                return NET_FAIL(vm, n, -EOPNOTSUPP, "<virtualport%s%s%s>: plugging into Open vSwitch, MidoNet or an "
                                "802.1Qbg/h switch is not supported by the supervisor yet; a Linux bridge is",
                                n->virtualport.type ? " type='" : "", strempty(n->virtualport.type),
                                n->virtualport.type ? "'" : "");
        if (n->vlan.n_tags)
                return NET_FAIL(vm, n, -EOPNOTSUPP, "<vlan>: VLAN tagging on the tap is not supported by the "
                                "supervisor yet (it needs Open vSwitch); use a bridge on a VLAN device");
        if (n->source_portgroup)
                return NET_FAIL(vm, n, -EOPNOTSUPP, "portgroup '%s': network port groups are not applied by vmunit",
                                n->source_portgroup);
        if (n->queues > 1)
                return NET_FAIL(vm, n, -EOPNOTSUPP, "<driver queues='%u'>: multiqueue taps are not supported by the "
                                "supervisor yet", n->queues);
        if (vm->cfg.session)
                return NET_FAIL(vm, n, -EPERM, "the session instance cannot create taps (that needs CAP_NET_ADMIN); "
                                "use type='user', or run the VM in the system instance");
        return 0;
}

static bool auto_name(const char *name) {
        /* libvirt's own prefixes: a name it generated (in a live dump) is generated again */
        return !name || startswith(name, "vnet") || startswith(name, "macvtap") || startswith(name, "macvlan");
}

static int tap_open(Vm *vm, const VmNet *n, bool existing, char name[static IFNAMSIZ]) {
        struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
        _cleanup_close_ int fd = -EBADF;

        if (vm_model_is_virtio(n->model))
                ifr.ifr_flags |= IFF_VNET_HDR;
        if (existing && if_nametoindex(n->target_dev) == 0)
                return NET_FAIL(vm, n, -ENODEV, "<target dev='%s' managed='no'>: no such tap device", n->target_dev);
        if (!existing)
                ifr.ifr_flags |= IFF_TUN_EXCL;          /* a new one: never someone else's */
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", auto_name(n->target_dev) && !existing ? "vnet%d" : n->target_dev);
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return NET_FAIL(vm, n, -errno, "cannot open /dev/net/tun: %m");
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                int r = -errno;
                if (r == -EBUSY || r == -EEXIST)
                        return NET_FAIL(vm, n, r, "tap '%s' exists already or is in use", ifr.ifr_name);
                return NET_FAIL(vm, n, r, "cannot create tap '%s': %s", ifr.ifr_name, strerror(-r));
        }
        memcpy(name, ifr.ifr_name, IFNAMSIZ);
        name[IFNAMSIZ - 1] = 0;
        return TAKE_FD(fd);
}

/* MAC (guest's with 0xFE first), MTU, bridge, up. */
static int tap_setup(Vm *vm, const VmNet *n, const char *tap, const char *bridge) {
        _cleanup_close_ int sock = -EBADF;
        struct ifreq ifr = {};
        unsigned mtu = n->mtu;
        int r;

        sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return NET_FAIL(vm, n, -errno, "socket: %m");
        if (n->mac) {
                unsigned b[6];
                if (sscanf(n->mac, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
                        ifr = (struct ifreq) { .ifr_hwaddr.sa_family = ARPHRD_ETHER };
                        ifr.ifr_hwaddr.sa_data[0] = (char) 0xfe;
                        for (int i = 1; i < 6; i++)
                                ifr.ifr_hwaddr.sa_data[i] = (char) b[i];
                        r = ifreq_ioctl(sock, SIOCSIFHWADDR, tap, &ifr);
                        if (r < 0)
                                return NET_FAIL(vm, n, r, "cannot set the MAC address of tap '%s': %s", tap, strerror(-r));
                }
        }
        if (bridge) {
                if (if_nametoindex(bridge) == 0)
                        return NET_FAIL(vm, n, -ENODEV, "bridge '%s' does not exist on this host", bridge);
                ifr = (struct ifreq) {};
                if (!mtu && ifreq_ioctl(sock, SIOCGIFMTU, bridge, &ifr) == 0)
                        mtu = (unsigned) ifr.ifr_mtu;
        }
        if (mtu) {
                ifr = (struct ifreq) { .ifr_mtu = (int) mtu };
                r = ifreq_ioctl(sock, SIOCSIFMTU, tap, &ifr);
                if (r < 0)
                        return NET_FAIL(vm, n, r, "cannot set MTU %u on tap '%s': %s", mtu, tap, strerror(-r));
        }
        if (bridge) {
                ifr = (struct ifreq) { .ifr_ifindex = (int) if_nametoindex(tap) };
                r = ifreq_ioctl(sock, SIOCBRADDIF, bridge, &ifr);
                if (r < 0)
                        return NET_FAIL(vm, n, r, "cannot plug tap '%s' into bridge '%s': %s%s", tap, bridge,
                                        strerror(-r), r == -EOPNOTSUPP ? " (not a Linux bridge?)" : "");
        }
        ifr = (struct ifreq) {};
        r = ifreq_ioctl(sock, SIOCGIFFLAGS, tap, &ifr);
        if (r >= 0) {
                ifr.ifr_flags |= IFF_UP;
                r = ifreq_ioctl(sock, SIOCSIFFLAGS, tap, &ifr);
        }
        if (r < 0)
                return NET_FAIL(vm, n, r, "cannot bring tap '%s' up: %s", tap, strerror(-r));
        return 0;
}

/* <script path=...> of an ethernet interface, with the tap's name: as QEMU's ifup scripts. */
static int run_script(Vm *vm, const VmNet *n, const char *tap) {
        int status;
        pid_t pid;

        if (access(n->script, X_OK) < 0)
                return NET_FAIL(vm, n, -errno, "<script path='%s'>: not executable: %m", n->script);
        pid = fork();
        if (pid < 0)
                return NET_FAIL(vm, n, -errno, "fork: %m");
        if (pid == 0) {
                int null_fd = open("/dev/null", O_RDONLY);
                if (null_fd >= 0)
                        (void) dup2(null_fd, STDIN_FILENO);
                execl(n->script, n->script, tap, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return NET_FAIL(vm, n, -errno, "waitpid: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return NET_FAIL(vm, n, -EIO, "<script path='%s'> failed for tap '%s' (%s %d)", n->script, tap,
                                WIFEXITED(status) ? "exit status" : "signal",
                                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return 0;
}

static int open_tap(Vm *vm, const VmNet *n) {
        _cleanup_free_ char *bridge = NULL;
        _cleanup_close_ int fd = -EBADF;
        char name[IFNAMSIZ];
        bool existing = n->target_managed == VM_TRISTATE_OFF;
        int r;

        r = net_check(vm, n);
        if (r < 0)
                return r;
        if (streq(n->type, "network")) {
                r = network_bridge(vm, n, &bridge);
                if (r < 0)
                        return r;
        } else if (streq(n->type, "bridge")) {
                bridge = strdup(n->source_bridge);
                if (!bridge)
                        return log_error_errno(-ENOMEM, "Out of memory.");
        }
        fd = tap_open(vm, n, existing, name);
        if (fd < 0)
                return fd;
        if (!existing) {
                r = tap_setup(vm, n, name, bridge);
                if (r < 0)
                        return r;
        }
        if (n->script && streq(n->type, "ethernet")) {
                r = run_script(vm, n, name);
                if (r < 0)
                        return r;
        }
        r = vm_downscript_record(vm, n, name);
        if (r < 0)
                return r;
        log_info("%s:%u: <interface type='%s'>: tap '%s'%s%s.", vm->domain_path, n->line, n->type, name,
                 bridge ? " in bridge " : "", strempty(bridge));
        return TAKE_FD(fd);
}

static int open_fd(Vm *vm, const QemuFd *f) {
        const VmNet *n = f->kind == QEMU_FD_TAP || f->kind == QEMU_FD_VHOST_NET ? &vm->def->nets[f->net] : NULL;
        int fd;

        switch (f->kind) {
        case QEMU_FD_SCSI_GENERIC:
        case QEMU_FD_VHOST_SCSI:
        case QEMU_FD_VHOST_USER_GPU:
                return vm_host_open_fd(vm, f);
        case QEMU_FD_TAP:
                return open_tap(vm, n);
        case QEMU_FD_VHOST_NET:
                fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        return NET_FAIL(vm, n, -errno, "cannot open /dev/vhost-net: %m");
                return fd;
        case QEMU_FD_VHOST_VSOCK:
        default:
                return log_full_errno(LOG_ERR, -EOPNOTSUPP, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: <vsock> is not supported by the supervisor yet.", vm->domain_path);
        }
}

int vm_net_open(Vm *vm) {
        int r;

        for (unsigned i = 0; i < vm->cmd.n_fds; i++) {
                const VmNet *n;
                if (vm->cmd.fds[i].kind != QEMU_FD_TAP)
                        continue;
                n = &vm->def->nets[vm->cmd.fds[i].net];
                if (streq_ptr(n->driver_name, "vhost") && vm_model_is_virtio(n->model) && !vm->build_opts.vhost_net)
                        return NET_FAIL(vm, n, -ENODEV, "<driver name='vhost'>: /dev/vhost-net is not available on "
                                        "this host (modprobe vhost_net), or use name='qemu'");
        }
        vm->pass_fds = calloc(vm->cmd.n_fds ?: 1, sizeof(int));
        if (!vm->pass_fds)
                return log_error_errno(-ENOMEM, "Out of memory.");
        for (unsigned i = 0; i < vm->cmd.n_fds; i++) {
                r = open_fd(vm, &vm->cmd.fds[i]);
                if (r < 0) {
                        vm_net_close(vm);
                        return r;
                }
                vm->pass_fds[vm->n_pass_fds++] = r;
        }
        return 0;
}

void vm_net_close(Vm *vm) {
        for (unsigned i = 0; i < vm->n_pass_fds; i++)
                (void) close(vm->pass_fds[i]);
        vm->pass_fds = mfree(vm->pass_fds);
        vm->n_pass_fds = 0;
}
