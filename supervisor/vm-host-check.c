/*
 * What the host must have for the devices the converter builds without looking at the host, checked
 * at start before anything is created, each refusal naming the domain file, line and element; and
 * the fds of those devices the supervisor opens for QEMU (vm-net.c's open_fd() hands them here):
 *   <hostdev type='scsi'>       the /dev/sgN behind the host address (lib/host-scsi.h), opened and
 *                               passed in the fd set the command line names;
 *   <hostdev type='scsi_host'>  /dev/vhost-scsi, opened and passed (QEMU binds it to the wwpn);
 * and refused for now, as the supervisor cannot set them up yet: OpenGL displays (SPICE <gl>,
 * egl-headless: a host render node in QEMU's device cgroup), mediated devices (their VFIO group),
 * vhost-user GPUs (a vhost-user-gpu process per video) and AMD SEV (the launch certificates).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "host-scsi.h"
#include "log.h"
#include "vm.h"

#define HOST_FAIL(vm, line, r, fmt, ...) \
        log_full_errno(LOG_ERR, (r), VMUNIT_MESSAGE_VM_CONFIG, "%s:%u: " fmt, (vm)->domain_path, (line), \
                       ##__VA_ARGS__)

static int check_scsi_generic(Vm *vm, const VmHostdev *h) {
        _cleanup_free_ char *node = NULL;
        int r;

        r = host_scsi_generic_node("/sys", h, &node);
        if (r == -ENOENT)
                return HOST_FAIL(vm, h->line, r, "<hostdev type='scsi'>: the host has no SCSI device %s:%u:%u:%u "
                                 "with a generic node (/sys/bus/scsi/devices/%s:%u:%u:%u/scsi_generic; modprobe sg?)",
                                 h->scsi_adapter, h->source_addr.bus, h->source_addr.target, h->source_addr.unit,
                                 h->scsi_adapter + 9, h->source_addr.bus, h->source_addr.target, h->source_addr.unit);
        if (r < 0)
                return HOST_FAIL(vm, h->line, r, "<hostdev type='scsi'>: cannot look up %s: %m", h->scsi_adapter);
        return 0;
}

static int check_hostdev(Vm *vm, const VmHostdev *h) {
        if (h->net)
                return HOST_FAIL(vm, h->line, -EOPNOTSUPP, "<interface type='hostdev'>: SR-IOV VFs are not supported by "
                                 "the supervisor yet (it does not set the VF's MAC address and VLAN on the host, nor "
                                 "bind it to vfio-pci)");
        if (streq(h->type, "pci"))
                return HOST_FAIL(vm, h->line, -EOPNOTSUPP, "<hostdev type='pci'>: PCI device assignment is not "
                                 "supported by the supervisor yet (it does not bind the device to vfio-pci nor grant "
                                 "QEMU its VFIO group)");
        if (streq(h->type, "usb"))
                return HOST_FAIL(vm, h->line, -EOPNOTSUPP, "<hostdev type='usb'>: USB device assignment is not "
                                 "supported by the supervisor yet (it does not grant QEMU the device node)");
        if (streq(h->type, "scsi"))
                return check_scsi_generic(vm, h);
        if (streq(h->type, "scsi_host") && access("/dev/vhost-scsi", R_OK | W_OK) < 0)
                return HOST_FAIL(vm, h->line, -errno, "<hostdev type='scsi_host'>: /dev/vhost-scsi is not available "
                                 "on this host (modprobe vhost_scsi): %m");
        if (streq(h->type, "mdev")) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "/sys/bus/mdev/devices/%s", h->mdev_uuid) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory.");
                if (access(path, F_OK) < 0)
                        return HOST_FAIL(vm, h->line, -errno, "<hostdev type='mdev'>: no mediated device %s on this "
                                         "host: %m", h->mdev_uuid);
                return HOST_FAIL(vm, h->line, -EOPNOTSUPP, "<hostdev type='mdev'>: mediated devices are not supported "
                                 "by the supervisor yet (it does not grant QEMU their VFIO group)");
        }
        return 0;
}

int vm_host_check(Vm *vm) {
        const VmDef *def = vm->def;
        int r;

        for (unsigned i = 0; i < def->n_graphics; i++) {
                const VmGraphics *g = &def->graphics[i];
                if (g->gl == VM_TRISTATE_ON || streq(g->type, "egl-headless"))
                        return HOST_FAIL(vm, g->line, -EOPNOTSUPP, "<graphics type='%s'>%s: OpenGL on a host render "
                                         "node (/dev/dri) is not supported by the supervisor yet (it does not grant "
                                         "QEMU the node)", g->type, streq(g->type, "spice") ? "<gl enable='yes'>" : "");
        }
        for (unsigned i = 0; i < def->n_videos; i++) {
                if (def->videos[i].accel3d == VM_TRISTATE_ON && !streq_ptr(def->videos[i].driver_name, "vhostuser"))
                        return HOST_FAIL(vm, def->videos[i].line, -EOPNOTSUPP, "<video><acceleration accel3d='yes'>: "
                                         "virgl needs OpenGL on a host render node (/dev/dri), which the supervisor "
                                         "does not grant QEMU yet");
                if (streq_ptr(def->videos[i].driver_name, "vhostuser"))
                        return HOST_FAIL(vm, def->videos[i].line, -EOPNOTSUPP, "<video><driver name='vhostuser'>: "
                                         "the supervisor does not run vhost-user-gpu backends yet");
        }
        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                r = check_hostdev(vm, &def->hostdevs[i]);
                if (r < 0)
                        return r;
        }
        if (def->launch_security.type) {
                if (access("/dev/sev", R_OK | W_OK) < 0)
                        return HOST_FAIL(vm, def->launch_security.line, -errno, "<launchSecurity type='sev'>: this "
                                         "host has no AMD SEV (/dev/sev): %m");
                return HOST_FAIL(vm, def->launch_security.line, -EOPNOTSUPP, "<launchSecurity type='sev'>: SEV guests "
                                 "are not supported by the supervisor yet (it does not write the launch certificates "
                                 "or grant QEMU /dev/sev)");
        }
        return 0;
}

int vm_host_open_fd(Vm *vm, const QemuFd *f) {
        const VmHostdev *h;
        _cleanup_free_ char *node = NULL;
        int fd, r;

        switch (f->kind) {
        case QEMU_FD_SCSI_GENERIC:
                h = &vm->def->hostdevs[f->net];
                r = host_scsi_generic_node("/sys", h, &node);
                if (r < 0)
                        return HOST_FAIL(vm, h->line, r, "<hostdev type='scsi'>: cannot find the generic node of "
                                         "%s: %m", h->scsi_adapter);
                fd = open(node, (h->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return HOST_FAIL(vm, h->line, -errno, "<hostdev type='scsi'>: cannot open %s: %m", node);
                log_info("%s:%u: <hostdev type='scsi'>: %s:%u:%u:%u is %s.", vm->domain_path, h->line,
                         h->scsi_adapter, h->source_addr.bus, h->source_addr.target, h->source_addr.unit, node);
                return fd;
        case QEMU_FD_VHOST_SCSI:
                h = &vm->def->hostdevs[f->net];
                fd = open("/dev/vhost-scsi", O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        return HOST_FAIL(vm, h->line, -errno, "<hostdev type='scsi_host'>: cannot open /dev/vhost-scsi: %m");
                return fd;
        case QEMU_FD_VHOST_USER_GPU:
                return HOST_FAIL(vm, vm->def->videos[f->net].line, -EOPNOTSUPP,
                                 "<video><driver name='vhostuser'>: the supervisor does not run vhost-user-gpu "
                                 "backends yet");
        case QEMU_FD_TAP:
        case QEMU_FD_VHOST_NET:
        case QEMU_FD_VHOST_VSOCK:
        default:
                return log_error_errno(-EINVAL, "Internal error: fd kind %d is not a host device's.", (int) f->kind);
        }
}
