/*
 * Host device assignment (vfio-pci, usb-host, scsi-generic), USB hubs, 9p and virtiofs filesystems, ivshmem
 * and vhost-vsock; and the virtio <driver> options shared by all virtio devices.
 */
#include <stdio.h>

#include "qemu-argv-internal.h"
#include "virtiofs.h"

void qb_virtio_props(Props *p, const VmVirtioOpts *o) {
        if (o->iommu != VM_TRISTATE_ABSENT)
                props_bool(p, "iommu_platform", o->iommu == VM_TRISTATE_ON);
        if (o->ats != VM_TRISTATE_ABSENT)
                props_bool(p, "ats", o->ats == VM_TRISTATE_ON);
        if (o->packed != VM_TRISTATE_ABSENT)
                props_bool(p, "packed", o->packed == VM_TRISTATE_ON);
        if (o->page_per_vq != VM_TRISTATE_ABSENT)
                props_bool(p, "page-per-vq", o->page_per_vq == VM_TRISTATE_ON);
}

void qb_usb_props(QemuBuild *b, Props *p, const VmAddress *a) {
        const VmController *k = vm_find_controller(b->def, VM_CONTROLLER_USB, a->bus);

        if (k && k->alias)
                props_strf(p, "bus", "%s.0", k->alias);
        else if (a->bus == 0)
                props_str(p, "bus", "usb.0");
        else
                props_strf(p, "bus", "usb%u.0", a->bus);
        props_str(p, "port", a->usb_port);
}

/* SCSI generic: libvirt opens the /dev/sgN behind the host address (sysfs' H:B:T:U/scsi_generic) at
 * start and names it; the supervisor does the same and passes it as an fd in fd set @index, so that
 * QEMU needs no access of its own to the node. */
static void build_scsi_generic(QemuBuild *b, Props *p, const VmHostdev *h, unsigned index, const char *id) {
        const VmController *k = vm_find_controller(b->def, VM_CONTROLLER_SCSI, h->addr.controller);
        char node[64], fdset[64];
        Props s;

        snprintf(fdset, sizeof(fdset), "set=%u,fd=%d", index, qb_pass_fd(b, QEMU_FD_SCSI_GENERIC, index));
        argv_add(b->a, "-add-fd");
        argv_add(b->a, fdset);
        snprintf(node, sizeof(node), "vmunit-hostdev%u", index);
        props_init(&s);
        props_str(&s, "driver", "host_device");
        props_strf(&s, "filename", "/dev/fdset/%u", index);
        props_str(&s, "node-name", node);
        props_bool(&s, "read-only", h->readonly);
        argv_add_props(b->a, "-blockdev", &s);
        props_str(p, "driver", "scsi-generic");
        props_str(p, "drive", node);
        props_str(p, "id", h->alias ?: id);
        if (!k || !k->model || streq(k->model, "lsilogic")) {
                /* the LSI controller's buses are QEMU buses, and it has no LUNs */
                props_strf(p, "bus", "scsi%u.%u", h->addr.controller, h->addr.bus);
                props_uint(p, "scsi-id", h->addr.unit);
        } else {
                props_strf(p, "bus", "scsi%u.0", h->addr.controller);
                props_uint(p, "channel", h->addr.bus);
                props_uint(p, "scsi-id", h->addr.target);
                props_uint(p, "lun", h->addr.unit);
        }
        qb_bootindex(p, h->boot_order);
}

void qemu_build_hostdevs(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_hubs; i++) {
                Props p;
                props_init(&p);
                props_str(&p, "driver", "usb-hub");
                props_strf(&p, "id", "hub%u", i);
                qb_usb_props(b, &p, &def->hubs[i].addr);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                const VmHostdev *h = &def->hostdevs[i];
                char id[32];
                Props p;

                snprintf(id, sizeof(id), "hostdev%u", i);
                props_init(&p);
                if (streq(h->type, "pci")) {
                        props_str(&p, "driver", "vfio-pci");
                        props_strf(&p, "host", "%04x:%02x:%02x.%x", h->source_addr.domain, h->source_addr.bus,
                                   h->source_addr.slot, h->source_addr.function);
                        props_str(&p, "id", h->alias ?: id);
                        if (h->failover_pair)
                                props_str(&p, "failover_pair_id", h->failover_pair);
                        qb_bootindex(&p, h->boot_order);
                        if (h->rom_bar != VM_TRISTATE_ABSENT)
                                props_uint(&p, "rombar", h->rom_bar == VM_TRISTATE_ON);
                        if (h->rom_file)
                                props_str(&p, "romfile", h->rom_file);
                        qb_pci_props(b, &p, &h->addr);
                } else if (streq(h->type, "usb")) {
                        props_str(&p, "driver", "usb-host");
                        if (h->usb_by_id) {
                                props_uint(&p, "vendorid", h->usb_vendor);
                                props_uint(&p, "productid", h->usb_product);
                        }
                        if (h->source_addr.type == VM_ADDRESS_USB)
                                props_strf(&p, "hostdevice", "/dev/bus/usb/%03u/%03u", h->source_addr.bus,
                                           h->source_addr.unit);
                        props_str(&p, "id", h->alias ?: id);
                        if (h->guest_reset_mode) {
                                props_bool(&p, "guest-reset", !streq(h->guest_reset_mode, "off"));
                                props_bool(&p, "guest-resets-all", streq(h->guest_reset_mode, "on"));
                        }
                        qb_bootindex(&p, h->boot_order);
                        qb_usb_props(b, &p, &h->addr);
                } else if (streq(h->type, "mdev")) {
                        /* as libvirt: a ramfb boot display only exists on the non-hotpluggable variant */
                        props_str(&p, "driver", h->ramfb == VM_TRISTATE_ON ? "vfio-pci-nohotplug" : "vfio-pci");
                        props_str(&p, "id", h->alias ?: id);
                        props_strf(&p, "sysfsdev", "/sys/bus/mdev/devices/%s", h->mdev_uuid);
                        if (h->display != VM_TRISTATE_ABSENT)
                                props_str(&p, "display", h->display == VM_TRISTATE_ON ? "on" : "off");
                        if (h->ramfb == VM_TRISTATE_ON)
                                props_bool(&p, "ramfb", true);
                        qb_pci_props(b, &p, &h->addr);
                } else if (streq(h->type, "scsi_host")) {
                        /* the supervisor opens /dev/vhost-scsi; QEMU binds it to the LIO target */
                        props_str(&p, "driver", streq_ptr(h->model, "virtio-transitional") ? "vhost-scsi-pci-transitional" :
                                                streq_ptr(h->model, "virtio-non-transitional") ?
                                                "vhost-scsi-pci-non-transitional" : "vhost-scsi-pci");
                        props_str(&p, "wwpn", h->wwpn);
                        props_strf(&p, "vhostfd", "%d", qb_pass_fd(b, QEMU_FD_VHOST_SCSI, i));
                        props_str(&p, "id", h->alias ?: id);
                        qb_bootindex(&p, h->boot_order);
                        qb_pci_props(b, &p, &h->addr);
                } else
                        build_scsi_generic(b, &p, h, i, id);
                argv_add_props(b->a, "-device", &p);
        }
}

/* libvirt's vhost-user-fs: the chardev to virtiofsd's socket, then the device on it. */
static void build_virtiofs(QemuBuild *b, const VmFilesystem *f, unsigned index) {
        _cleanup_free_ char *alias = NULL, *sock = NULL;
        _cleanup_(qemu_opts_done) QemuOpts o = {};
        char chr[80];
        Props p;

        if (virtiofs_alias(f, index, &alias) < 0 ||
            virtiofs_socket_path(f, index, b->opts->runtime_dir, &sock) < 0) {
                (void) qb_fail(b, -ENOMEM, "out of memory");
                return;
        }
        snprintf(chr, sizeof(chr), "chr-vu-%s", alias);
        qemu_opts_add_literal(&o, "socket");
        qemu_opts_add(&o, "id", chr);
        qemu_opts_add(&o, "path", sock);
        argv_add_opts(b->a, "-chardev", &o);
        props_init(&p);
        props_str(&p, "driver", "vhost-user-fs-pci");
        qb_virtio_props(&p, &f->virtio);
        props_str(&p, "id", alias);
        props_str(&p, "chardev", chr);
        if (f->queue_size)
                props_uint(&p, "queue-size", f->queue_size);
        props_str(&p, "tag", f->target_dir);
        qb_bootindex(&p, f->boot_order);
        qb_pci_props(b, &p, &f->addr);
        argv_add_props(b->a, "-device", &p);
}

void qemu_build_filesystems(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_filesystems; i++) {
                const VmFilesystem *f = &def->filesystems[i];
                char id[32], fsdev[40];
                _cleanup_(qemu_opts_done) QemuOpts o = {};
                Props p;

                if (virtiofs_is(f)) {
                        build_virtiofs(b, f, i);
                        continue;
                }
                snprintf(id, sizeof(id), "fs%u", i);
                snprintf(fsdev, sizeof(fsdev), "fsdev-%s", f->alias ?: id);
                if (f->driver && streq(f->driver, "handle"))
                        qemu_opts_add_literal(&o, "handle");
                else {
                        qemu_opts_add_literal(&o, "local");
                        qemu_opts_add(&o, "security_model", streq(f->accessmode, "squash") ? "none" : f->accessmode);
                }
                if (f->wrpolicy)
                        qemu_opts_add(&o, "writeout", f->wrpolicy);
                qemu_opts_add(&o, "id", fsdev);
                qemu_opts_add(&o, "path", f->source_dir);
                if (f->readonly)
                        qemu_opts_add_literal(&o, "readonly=on");
                if (f->multidevs && !streq(f->multidevs, "default"))
                        qemu_opts_add(&o, "multidevs", f->multidevs);
                if (f->fmode)
                        qemu_opts_addf(&o, "fmode", "0%o", f->fmode);
                if (f->dmode)
                        qemu_opts_addf(&o, "dmode", "0%o", f->dmode);
                argv_add_opts(b->a, "-fsdev", &o);
                props_init(&p);
                props_strf(&p, "driver", "virtio-9p-pci%s", vm_virtio_model_suffix(f->model));
                qb_virtio_props(&p, &f->virtio);
                props_str(&p, "id", f->alias ?: id);
                props_str(&p, "fsdev", fsdev);
                props_str(&p, "mount_tag", f->target_dir);
                qb_pci_props(b, &p, &f->addr);
                argv_add_props(b->a, "-device", &p);
        }
}

void qemu_build_shmems(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_shmems; i++) {
                const VmShmem *s = &def->shmems[i];
                char mem[64], chr[64];
                Props p;

                props_init(&p);
                if (streq(s->model, "ivshmem-plain")) {
                        Props o;
                        snprintf(mem, sizeof(mem), "shmmem-%s", s->name);
                        props_init(&o);
                        props_str(&o, "qom-type", "memory-backend-file");
                        props_str(&o, "id", mem);
                        props_strf(&o, "mem-path", "/dev/shm/%s", s->name);
                        props_uint(&o, "size", s->size ?: 4 << 20);
                        props_bool(&o, "share", true);
                        argv_add_props(b->a, "-object", &o);
                        props_str(&p, "driver", "ivshmem-plain");
                        props_str(&p, "id", s->name);
                        props_str(&p, "memdev", mem);
                } else {
                        VmCharSource cs = { .type = (char *) "unix" };
                        char path[4096];
                        snprintf(chr, sizeof(chr), "charshmem%u", i);
                        if (s->server_path)
                                cs.path = s->server_path;
                        else {
                                snprintf(path, sizeof(path), "%s/shmem-%s-sock", b->opts->runtime_dir, s->name);
                                cs.path = path;
                        }
                        qemu_build_chardev(b, chr, &cs, "<shmem>");
                        props_str(&p, "driver", "ivshmem-doorbell");
                        props_str(&p, "id", s->name);
                        props_str(&p, "chardev", chr);
                        if (s->msi_vectors)
                                props_uint(&p, "vectors", s->msi_vectors);
                        props_bool(&p, "ioeventfd", s->msi_ioeventfd != VM_TRISTATE_OFF);
                }
                if (s->role)
                        props_str(&p, "master", streq(s->role, "master") ? "on" : "off");
                qb_pci_props(b, &p, &s->addr);
                argv_add_props(b->a, "-device", &p);
        }
}

void qemu_build_vsock(QemuBuild *b) {
        const VmVsock *v = &b->def->vsock;
        Props p;

        if (!v->present)
                return;
        props_init(&p);
        props_strf(&p, "driver", "vhost-vsock-pci%s", vm_virtio_model_suffix(v->model));
        qb_virtio_props(&p, &v->virtio);
        props_str(&p, "id", "vsock0");
        /* with auto='yes' the supervisor picks a free CID; offline we show the XML's or 3 */
        props_uint(&p, "guest-cid", v->cid >= 3 ? v->cid : 3);
        /* the supervisor opens /dev/vhost-vsock and passes it */
        props_strf(&p, "vhostfd", "%d", qb_pass_fd(b, QEMU_FD_VHOST_VSOCK, 0));
        qb_pci_props(b, &p, &v->addr);
        argv_add_props(b->a, "-device", &p);
}
