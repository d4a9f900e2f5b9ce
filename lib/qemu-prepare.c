/*
 * The preparation pass run before argv building (libvirt's post-parse + address assignment):
 * machine and emulator defaults, implicit controllers and balloon, console/serial pairing,
 * drive, virtio-serial and USB port addresses, boot order, and PCI slot assignment with
 * auto-added pcie-root-ports on Q35. Deterministic: the same XML always gives the same hardware.
 */
#include <inttypes.h>
#include <stdio.h>

#include "firmware.h"
#include "qemu-argv-internal.h"

#define PCI_MAX_BUSES 256

bool vm_machine_is_q35(const char *m) {
        return m && (streq(m, "q35") || startswith(m, "pc-q35-"));
}

bool vm_machine_is_i440fx(const char *m) {
        return m && (streq(m, "pc") || startswith(m, "pc-i440fx-") || startswith(m, "pc-0.") ||
                     startswith(m, "pc-1."));
}

VmController *vm_find_controller(VmDef *def, VmControllerType type, unsigned index) {
        for (unsigned i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type && def->controllers[i].index == index)
                        return &def->controllers[i];
        return NULL;
}

const char *qemu_usb_model_default(const QemuBuild *b) {
        return b->q35 ? "qemu-xhci" : "piix3-uhci";
}

static VmController *add_controller(QemuBuild *b, VmControllerType type, unsigned index, const char *model) {
        VmController *k = VM_DEVICE_NEW(b->def, controllers);

        if (!k) {
                (void) qb_fail(b, -ENOMEM, "out of memory");
                return NULL;
        }
        k->type = type;
        k->index = index;
        k->model = (char *) model;
        k->ports = k->vectors = -1;
        k->chassis_nr = k->chassis = k->port = k->bus_nr = k->target_index = k->numa_node = -1;
        return k;
}

static void ensure_controller(QemuBuild *b, VmControllerType type, unsigned index, const char *model) {
        if (!vm_find_controller(b->def, type, index))
                (void) add_controller(b, type, index, model);
}

/* ---- defaults and non-PCI addresses ---- */

static int prepare_controllers(QemuBuild *b) {
        VmDef *def = b->def;
        VmController *root;

        root = vm_find_controller(def, VM_CONTROLLER_PCI, 0);
        if (root && root->model && !streq(root->model, b->q35 ? "pcie-root" : "pci-root"))
                return qb_fail(b, -EINVAL, "<controller type='pci' index='0' model='%s'>: machine '%s' needs "
                               "model '%s'", root->model, def->os.machine, b->q35 ? "pcie-root" : "pci-root");
        if (!root)
                root = add_controller(b, VM_CONTROLLER_PCI, 0, b->q35 ? "pcie-root" : "pci-root");
        if (!root)
                return b->status;
        root->model = (char *) (b->q35 ? "pcie-root" : "pci-root");

        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];

                if (k->type == VM_CONTROLLER_PCI && !k->model)
                        return qb_fail(b, -EINVAL, "<controller type='pci' index='%u'>: a model is required",
                                       k->index);
                if (k->type == VM_CONTROLLER_USB && !k->model)
                        k->model = (char *) "piix3-uhci";       /* libvirt's default even on Q35 */
                if (k->type == VM_CONTROLLER_USB && startswith(k->model, "ich9-") &&
                    !streq(k->model, "ich9-ehci1") && !streq(k->model, "ich9-uhci1") &&
                    !streq(k->model, "ich9-uhci2") && !streq(k->model, "ich9-uhci3"))
                        return qb_fail(b, -EOPNOTSUPP, "<controller type='usb' model='%s'>: not supported", k->model);
                if (k->type == VM_CONTROLLER_SCSI && !k->model)
                        k->model = (char *) "lsilogic";
                if (k->type == VM_CONTROLLER_IDE && b->q35)
                        return qb_fail(b, -EINVAL, "<controller type='ide'>: Q35 machines have no IDE controller "
                                       "(use bus='sata')");
                if (k->type == VM_CONTROLLER_IDE && k->index > 0)
                        return qb_fail(b, -EINVAL, "<controller type='ide' index='%u'>: the PIIX3 has one IDE "
                                       "controller", k->index);
                if (k->type == VM_CONTROLLER_XENBUS || k->type == VM_CONTROLLER_ISA)
                        return qb_fail(b, -EOPNOTSUPP, "<controller type='%s'>: not supported",
                                       vm_controller_type_to_string(k->type));
                for (unsigned j = 0; j < i; j++) {
                        VmController *o = &def->controllers[j];
                        if (o->type == k->type && o->index == k->index &&
                            !(k->type == VM_CONTROLLER_USB && (k->has_master || o->has_master ||
                                                               (startswith(k->model, "ich9-") &&
                                                                startswith(o->model, "ich9-")))))
                                return qb_fail(b, -EINVAL, "<controller type='%s' index='%u'>: defined twice",
                                               vm_controller_type_to_string(k->type), k->index);
                }
        }

        /* ich9 companions without <master>: the EHCI's three UHCIs, as libvirt lays them out */
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (k->type == VM_CONTROLLER_USB && startswith(k->model, "ich9-uhci") && !k->has_master) {
                        k->has_master = true;
                        k->master_startport = (unsigned) (k->model[strlen(k->model) - 1] - '1') * 2;
                }
        }

        if (!vm_find_controller(def, VM_CONTROLLER_USB, 0))
                ensure_controller(b, VM_CONTROLLER_USB, 0, qemu_usb_model_default(b));
        if (!b->q35)
                ensure_controller(b, VM_CONTROLLER_IDE, 0, NULL);
        else
                ensure_controller(b, VM_CONTROLLER_SATA, 0, NULL);

        for (unsigned i = 0; i < def->n_disks; i++) {
                VmDisk *d = &def->disks[i];
                if (d->bus == VM_DISK_BUS_SCSI)
                        ensure_controller(b, VM_CONTROLLER_SCSI, d->addr.controller, "lsilogic");
                else if (d->bus == VM_DISK_BUS_SATA)
                        ensure_controller(b, VM_CONTROLLER_SATA, d->addr.controller, NULL);
                else if (d->bus == VM_DISK_BUS_FDC)
                        ensure_controller(b, VM_CONTROLLER_FDC, 0, NULL);
                else if (d->bus == VM_DISK_BUS_IDE && b->q35)
                        return qb_fail(b, -EINVAL, "<disk> '%s': Q35 machines have no IDE bus (use bus='sata')",
                                       d->dst);
        }
        for (unsigned i = 0; i < def->n_chars; i++) {
                VmChar *ch = &def->chars[i];
                if (ch->kind == VM_CHAR_CHANNEL ||
                    (ch->kind == VM_CHAR_CONSOLE && ch->target_type && streq(ch->target_type, "virtio")))
                        ensure_controller(b, VM_CONTROLLER_VIRTIO_SERIAL, ch->addr.controller, NULL);
        }
        for (unsigned i = 0; i < def->n_smartcards; i++) {
                VmSmartcard *sc = &def->smartcards[i];
                /* a usb-ccid holds one card: give each card without an address a controller of its own */
                if (sc->addr.type == VM_ADDRESS_NONE) {
                        unsigned idx = 0;
                        for (bool clash = true; clash; ) {
                                clash = false;
                                for (unsigned j = 0; j < def->n_smartcards; j++)
                                        if (j != i && def->smartcards[j].addr.type == VM_ADDRESS_CCID &&
                                            def->smartcards[j].addr.controller == idx) {
                                                idx++;
                                                clash = true;
                                        }
                        }
                        sc->addr = (VmAddress) { .type = VM_ADDRESS_CCID, .controller = idx };
                }
                for (unsigned j = 0; j < i; j++)
                        if (def->smartcards[j].addr.controller == sc->addr.controller)
                                return qb_fail(b, -EINVAL, "<smartcard>: CCID controller %u already holds a card",
                                               sc->addr.controller);
                ensure_controller(b, VM_CONTROLLER_CCID, sc->addr.controller, NULL);
        }
        return b->status;
}

/* hda -> 0, hdz -> 25, hdaa -> 26 */
static int disk_index(const char *dst) {
        int idx = 0;
        const char *p = dst + 2;

        if (strlen(dst) < 3)
                return -EINVAL;
        for (const char *c = p; *c; c++) {
                if (*c < 'a' || *c > 'z')
                        return -EINVAL;
                idx = (idx + (c == p ? 0 : 1)) * 26 + (*c - 'a');
                if (idx > 100000)
                        return -EINVAL;
        }
        return idx;
}

static bool scsi_unit_used(const VmDef *def, unsigned controller, unsigned unit) {
        if (unit == 7)
                return true;            /* the controller's own ID on a wide bus */
        for (unsigned j = 0; j < def->n_disks; j++)
                if (def->disks[j].bus == VM_DISK_BUS_SCSI && def->disks[j].addr.type == VM_ADDRESS_DRIVE &&
                    def->disks[j].addr.controller == controller && def->disks[j].addr.bus == 0 &&
                    def->disks[j].addr.target == 0 && def->disks[j].addr.unit == unit)
                        return true;
        for (unsigned j = 0; j < def->n_hostdevs; j++)
                if (streq(def->hostdevs[j].type, "scsi") && def->hostdevs[j].addr.type == VM_ADDRESS_DRIVE &&
                    def->hostdevs[j].addr.controller == controller && def->hostdevs[j].addr.bus == 0 &&
                    def->hostdevs[j].addr.target == 0 && def->hostdevs[j].addr.unit == unit)
                        return true;
        return false;
}

/* libvirt's address for a SCSI hostdev without one: the first free unit (of 7) on the first SCSI
 * controller that has one, else on the controllers after the last, which are added for it. */
static void scsi_hostdev_assign(VmDef *def, VmHostdev *h) {
        unsigned n_controllers = 0;

        for (unsigned i = 0; i < def->n_controllers; i++) {
                const VmController *k = &def->controllers[i];
                if (k->type != VM_CONTROLLER_SCSI)
                        continue;
                n_controllers++;
                for (unsigned unit = 0; unit < 7; unit++)
                        if (!scsi_unit_used(def, k->index, unit)) {
                                h->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = k->index, .unit = unit };
                                return;
                        }
        }
        /* the controllers to come (added below), as full as earlier hostdevs made them */
        for (unsigned k = n_controllers;; k++)
                for (unsigned unit = 0; unit < 7; unit++)
                        if (!scsi_unit_used(def, k, unit)) {
                                h->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = k, .unit = unit };
                                return;
                        }
}

/* The controllers up to the highest a SCSI hostdev is on, of the model of the controller that
 * hostdev's address found (libvirt keeps one model for all of them), else lsilogic. */
static void scsi_hostdev_controllers(QemuBuild *b) {
        VmDef *def = b->def;
        const char *model = NULL;
        int max = -1;

        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                const VmHostdev *h = &def->hostdevs[i];
                const VmController *k;
                if (!streq(h->type, "scsi") || (int) h->addr.controller <= max)
                        continue;
                max = (int) h->addr.controller;
                k = vm_find_controller(def, VM_CONTROLLER_SCSI, h->addr.controller);
                if (k && k->model)
                        model = k->model;
        }
        for (int i = 0; i <= max; i++)
                ensure_controller(b, VM_CONTROLLER_SCSI, (unsigned) i, model ?: "lsilogic");
}

static int prepare_disks(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_disks; i++) {
                VmDisk *d = &def->disks[i];
                int idx = disk_index(d->dst);

                if (idx < 0)
                        return qb_fail(b, -EINVAL, "<disk> '%s': invalid target name", d->dst);
                for (unsigned j = 0; j < i; j++)
                        if (streq(def->disks[j].dst, d->dst))
                                return qb_fail(b, -EINVAL, "<disk> '%s': target used twice", d->dst);
                if (d->device == VM_DISK_DEVICE_FLOPPY && d->bus != VM_DISK_BUS_FDC)
                        return qb_fail(b, -EINVAL, "<disk> '%s': a floppy needs bus='fdc'", d->dst);
                if (d->bus == VM_DISK_BUS_FDC && d->device != VM_DISK_DEVICE_FLOPPY)
                        return qb_fail(b, -EINVAL, "<disk> '%s': bus='fdc' is only for floppies", d->dst);
                if (d->device == VM_DISK_DEVICE_CDROM && d->bus == VM_DISK_BUS_VIRTIO)
                        return qb_fail(b, -EINVAL, "<disk> '%s': a cdrom cannot be on the virtio bus", d->dst);
                if (d->model && streq(d->model, "virtio-transitional") && d->virtio.iommu == VM_TRISTATE_ON)
                        return qb_fail(b, -EINVAL, "<disk> '%s': a transitional virtio device cannot use the IOMMU "
                                       "(iommu='on' needs virtio 1.0)", d->dst);
                if (d->readonly && d->device == VM_DISK_DEVICE_DISK &&
                    (d->bus == VM_DISK_BUS_IDE || d->bus == VM_DISK_BUS_SATA))
                        return qb_fail(b, -EINVAL, "<disk> '%s': IDE and SATA hard disks cannot be read-only (use a cdrom, "
                                       "or another bus)", d->dst);
                if (d->iotune.set && (d->iotune.total_bytes_sec && (d->iotune.read_bytes_sec || d->iotune.write_bytes_sec)))
                        return qb_fail(b, -EINVAL, "<disk> '%s': <iotune> total_bytes_sec cannot be combined with "
                                       "read_bytes_sec or write_bytes_sec", d->dst);
                if (d->iotune.set && (d->iotune.total_iops_sec && (d->iotune.read_iops_sec || d->iotune.write_iops_sec)))
                        return qb_fail(b, -EINVAL, "<disk> '%s': <iotune> total_iops_sec cannot be combined with "
                                       "read_iops_sec or write_iops_sec", d->dst);
                if (d->iotune.set && (d->bus == VM_DISK_BUS_USB || d->bus == VM_DISK_BUS_FDC || !d->src.path))
                        if (!d->src.protocol)
                                return qb_fail(b, -EINVAL, "<disk> '%s': <iotune> needs a disk with a medium on an "
                                               "IDE, SATA, SCSI or virtio bus", d->dst);
                if (d->addr.type != VM_ADDRESS_NONE)
                        continue;
                switch (d->bus) {
                case VM_DISK_BUS_IDE:
                        d->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = (unsigned) idx / 4,
                                                .bus = ((unsigned) idx % 4) / 2, .unit = (unsigned) idx % 2 };
                        break;
                case VM_DISK_BUS_SATA:
                        d->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = (unsigned) idx / 6,
                                                .unit = (unsigned) idx % 6 };
                        break;
                case VM_DISK_BUS_SCSI: {
                        VmController *k = vm_find_controller(def, VM_CONTROLLER_SCSI, (unsigned) idx / 7);
                        bool lsi = !k || !k->model || streq(k->model, "lsilogic");
                        if (lsi)
                                d->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = (unsigned) idx / 7,
                                                        .unit = (unsigned) idx % 7 };
                        else
                                d->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = (unsigned) idx / 7,
                                                        .unit = (unsigned) idx % 7 };
                        break;
                }
                case VM_DISK_BUS_FDC:
                        d->addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .unit = (unsigned) idx };
                        break;
                case VM_DISK_BUS_VIRTIO:
                case VM_DISK_BUS_USB:
                        break;
                case _VM_DISK_BUS_MAX:
                case _VM_DISK_BUS_INVALID:
                default:
                        assert(false);
                }
                if (d->bus == VM_DISK_BUS_IDE && (d->addr.controller > 0 || d->addr.bus > 1 || d->addr.unit > 1))
                        return qb_fail(b, -EINVAL, "<disk> '%s': the PIIX3 IDE controller has only hda..hdd", d->dst);
                if (d->bus == VM_DISK_BUS_FDC && d->addr.unit > 1)
                        return qb_fail(b, -EINVAL, "<disk> '%s': only fda and fdb exist", d->dst);
        }
        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                VmHostdev *h = &def->hostdevs[i];
                if (!streq(h->type, "scsi"))
                        continue;
                if (h->addr.type == VM_ADDRESS_NONE)
                        scsi_hostdev_assign(def, h);
                else if (h->addr.type != VM_ADDRESS_DRIVE)
                        return qb_fail(b, -EINVAL, "<hostdev type='scsi'>: needs a drive address");
        }
        scsi_hostdev_controllers(b);
        /* ensure the controllers the derived addresses point at (sda on controller 0 ...) */
        for (unsigned i = 0; i < def->n_disks; i++) {
                VmDisk *d = &def->disks[i];
                if (d->bus == VM_DISK_BUS_SCSI)
                        ensure_controller(b, VM_CONTROLLER_SCSI, d->addr.controller, "lsilogic");
                else if (d->bus == VM_DISK_BUS_SATA && !(b->q35 && d->addr.controller == 0))
                        ensure_controller(b, VM_CONTROLLER_SATA, d->addr.controller, NULL);
                for (unsigned j = 0; j < i; j++) {
                        VmDisk *o = &def->disks[j];
                        if (o->bus == d->bus && d->addr.type == VM_ADDRESS_DRIVE && o->addr.type == VM_ADDRESS_DRIVE &&
                            o->addr.controller == d->addr.controller && o->addr.bus == d->addr.bus &&
                            o->addr.target == d->addr.target && o->addr.unit == d->addr.unit)
                                return qb_fail(b, -EINVAL, "<disk> '%s': drive address already used by '%s'",
                                               d->dst, o->dst);
                }
        }
        return b->status;
}

static int prepare_chars(QemuBuild *b) {
        VmDef *def = b->def;
        int first_serial = -1;
        unsigned n_serial = 0;

        for (unsigned i = 0; i < def->n_chars; i++) {
                VmChar *ch = &def->chars[i];
                if (ch->kind == VM_CHAR_SERIAL) {
                        if (ch->target_port < 0) {
                                /* the first free port number */
                                int port = 0;
                                for (bool clash = true; clash; ) {
                                        clash = false;
                                        for (unsigned j = 0; j < def->n_chars; j++)
                                                if (j != i && def->chars[j].kind == VM_CHAR_SERIAL &&
                                                    def->chars[j].target_port == port) {
                                                        port++;
                                                        clash = true;
                                                }
                                }
                                ch->target_port = port;
                        }
                        if (first_serial < 0)
                                first_serial = (int) i;
                        n_serial++;
                        if (ch->target_port > 3 && (!ch->target_type || streq(ch->target_type, "isa-serial")))
                                return qb_fail(b, -EINVAL, "<serial> port %d: ISA has serial ports 0..3",
                                               ch->target_port);
                }
        }
        for (unsigned i = 0; i < def->n_chars; i++) {
                VmChar *ch = &def->chars[i];
                if (ch->kind != VM_CHAR_CONSOLE || (ch->target_type && !streq(ch->target_type, "serial")))
                        continue;
                if (first_serial >= 0) {
                        ch->same_as_serial = first_serial;
                        continue;
                }
                /* a serial console with no serial port: the console defines serial 0 */
                VmChar *s = VM_DEVICE_NEW(def, chars);
                if (!s)
                        return qb_fail(b, -ENOMEM, "out of memory");
                ch = &def->chars[i];    /* the array moved */
                *s = *ch;
                s->kind = VM_CHAR_SERIAL;
                s->target_type = NULL;
                s->target_port = 0;
                s->addr = (VmAddress) {};
                first_serial = (int) def->n_chars - 1;
                ch->same_as_serial = first_serial;
        }

        /* virtio-serial ports: 0 is reserved for a console, channels start at 1 */
        for (unsigned i = 0; i < def->n_chars; i++) {
                VmChar *ch = &def->chars[i];
                bool vcon = ch->kind == VM_CHAR_CONSOLE && ch->target_type && streq(ch->target_type, "virtio");
                if (ch->kind != VM_CHAR_CHANNEL && !vcon)
                        continue;
                if (ch->addr.type == VM_ADDRESS_NONE) {
                        unsigned port = vcon ? 0 : 1;
                        bool clash = true;
                        while (clash) {
                                clash = false;
                                for (unsigned j = 0; j < def->n_chars; j++) {
                                        VmChar *o = &def->chars[j];
                                        if (j != i && o->addr.type == VM_ADDRESS_VIRTIO_SERIAL &&
                                            o->addr.controller == 0 && o->addr.bus == 0 && o->addr.port == port) {
                                                port++;
                                                clash = true;
                                        }
                                }
                        }
                        if (vcon) {
                                /* a virtio console is virtconsole on the first virtio-serial bus */
                                continue;
                        }
                        ch->addr = (VmAddress) { .type = VM_ADDRESS_VIRTIO_SERIAL, .port = port };
                } else if (ch->addr.type != VM_ADDRESS_VIRTIO_SERIAL)
                        return qb_fail(b, -EINVAL, "<%s>: needs a virtio-serial address", vm_char_kind_to_string(ch->kind));
                else if (ch->addr.port == 0 && !vcon) {
                        unsigned port = 1;
                        for (unsigned j = 0; j < def->n_chars; j++)
                                if (j != i && def->chars[j].addr.type == VM_ADDRESS_VIRTIO_SERIAL &&
                                    def->chars[j].addr.controller == ch->addr.controller &&
                                    def->chars[j].addr.port >= port)
                                        port = def->chars[j].addr.port + 1;
                        ch->addr.port = port;
                }
                if (ch->addr.type == VM_ADDRESS_VIRTIO_SERIAL)
                        ensure_controller(b, VM_CONTROLLER_VIRTIO_SERIAL, ch->addr.controller, NULL);
        }
        (void) n_serial;
        return b->status;
}

static unsigned usb_ports(const VmController *k) {
        if (k->ports > 0)
                return (unsigned) k->ports;
        if (streq(k->model, "qemu-xhci") || streq(k->model, "nec-xhci"))
                return 4;
        if (startswith(k->model, "ich9-"))
                return 6;
        return 2;
}

/* USB ports "1", "2" ... in libvirt's device iteration order (hubs first), on the first USB controller
 * (by index) with a free port; hub ports ("1.1" ...) are only used when given in the XML. */
static int prepare_usb(QemuBuild *b) {
        VmDef *def = b->def;
        VmAddress *addrs[1024];
        unsigned n = 0;

#define ADD(a) do { if (n < ELEMENTSOF(addrs)) addrs[n++] = (a); } while (0)
        for (unsigned i = 0; i < def->n_hubs; i++)
                ADD(&def->hubs[i].addr);
        for (unsigned i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == VM_DISK_BUS_USB)
                        ADD(&def->disks[i].addr);
        for (unsigned i = 0; i < def->n_sounds; i++)
                if (streq(def->sounds[i].model, "usb"))
                        ADD(&def->sounds[i].addr);
        for (unsigned i = 0; i < def->n_hostdevs; i++)
                if (streq(def->hostdevs[i].type, "usb"))
                        ADD(&def->hostdevs[i].addr);
        for (unsigned i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == VM_CONTROLLER_CCID)
                        ADD(&def->controllers[i].addr);
        for (unsigned i = 0; i < def->n_chars; i++)
                if (def->chars[i].kind == VM_CHAR_SERIAL && def->chars[i].target_type &&
                    streq(def->chars[i].target_type, "usb-serial"))
                        ADD(&def->chars[i].addr);
        for (unsigned i = 0; i < def->n_inputs; i++)
                if (streq(def->inputs[i].bus, "usb"))
                        ADD(&def->inputs[i].addr);
        for (unsigned i = 0; i < def->n_redirdevs; i++)
                ADD(&def->redirdevs[i].addr);
#undef ADD
        for (unsigned i = 0; i < n; i++) {
                VmAddress *a = addrs[i];
                if (a->type == VM_ADDRESS_USB && a->usb_port) {
                        VmController *k = vm_find_controller(def, VM_CONTROLLER_USB, a->bus);
                        if (!k || streq(k->model, "none"))
                                return qb_fail(b, -EINVAL, "USB address on bus %u: no such USB controller", a->bus);
                        for (unsigned j = 0; j < i; j++)
                                if (addrs[j]->type == VM_ADDRESS_USB && addrs[j]->bus == a->bus &&
                                    streq_ptr(addrs[j]->usb_port, a->usb_port))
                                        return qb_fail(b, -EINVAL, "USB port %u:%s is used twice", a->bus, a->usb_port);
                        continue;
                }
                if (a->type != VM_ADDRESS_NONE && a->type != VM_ADDRESS_USB)
                        return qb_fail(b, -EINVAL, "a USB device needs a USB address");
                bool placed = false;
                for (unsigned idx = 0; idx < 256 && !placed; idx++) {
                        VmController *k = vm_find_controller(def, VM_CONTROLLER_USB, idx);
                        unsigned max;
                        if (!k || streq(k->model, "none"))
                                continue;
                        max = usb_ports(k);
                        for (unsigned port = 1; port <= max && !placed; port++) {
                                char buf[16];
                                bool used = false;
                                snprintf(buf, sizeof(buf), "%u", port);
                                for (unsigned j = 0; j < n; j++)
                                        if (j != i && addrs[j]->type == VM_ADDRESS_USB && addrs[j]->bus == idx &&
                                            streq_ptr(addrs[j]->usb_port, buf))
                                                used = true;
                                if (used)
                                        continue;
                                *a = (VmAddress) { .type = VM_ADDRESS_USB, .bus = idx,
                                                   .usb_port = vm_def_strdup(def, buf) };
                                if (!a->usb_port)
                                        return qb_fail(b, -ENOMEM, "out of memory");
                                placed = true;
                        }
                }
                if (!placed) {
                        VmController *k = vm_find_controller(def, VM_CONTROLLER_USB, 0);
                        return qb_fail(b, -EINVAL, "no free USB port for a USB device: the '%s' USB controller has %u "
                                       "ports (add a <hub>, or a controller with more ports)",
                                       k ? k->model : "none", k && !streq(k->model, "none") ? usb_ports(k) : 0);
                }
        }
        return 0;
}

static int prepare_boot(QemuBuild *b) {
        VmDef *def = b->def;
        const VmOs *os = &def->os;
        unsigned order = 0;

        for (unsigned k = 0; k < os->n_boot; k++) {
                order++;
                switch (os->boot[k]) {
                case VM_BOOT_HD:
                case VM_BOOT_CDROM:
                case VM_BOOT_FD: {
                        VmDiskDevice want = os->boot[k] == VM_BOOT_HD ? VM_DISK_DEVICE_DISK :
                                            os->boot[k] == VM_BOOT_CDROM ? VM_DISK_DEVICE_CDROM : VM_DISK_DEVICE_FLOPPY;
                        for (unsigned i = 0; i < def->n_disks; i++)
                                if (def->disks[i].device == want) {
                                        def->disks[i].boot_order = order;
                                        break;
                                }
                        break;
                }
                case VM_BOOT_NETWORK:
                        if (def->n_nets > 0)
                                def->nets[0].boot_order = order;
                        break;
                case _VM_BOOT_DEV_MAX:
                case _VM_BOOT_DEV_INVALID:
                default:
                        assert(false);
                }
        }
        return 0;
}

/* ---- PCI: libvirt 9.0's two-pass slot assignment (qemuDomainAssignPCIAddresses) ---- */

enum {
        PCI_F_PCI_DEV           = 1 << 0,       /* conventional PCI endpoint */
        PCI_F_PCIE_DEV          = 1 << 1,       /* PCI Express endpoint */
        PCI_F_ROOT_PORT         = 1 << 2,
        PCI_F_SWITCH_UP         = 1 << 3,
        PCI_F_SWITCH_DOWN       = 1 << 4,
        PCI_F_DMI_BRIDGE        = 1 << 5,
        PCI_F_PCIE_PCI_BRIDGE   = 1 << 6,
        PCI_F_PCI_BRIDGE        = 1 << 7,
        PCI_F_PXB               = 1 << 8,
        PCI_F_PXB_PCIE          = 1 << 9,
        PCI_F_TYPES             = (1 << 10) - 1,
        PCI_F_AUTOASSIGN        = 1 << 10,      /* may be placed automatically */
        PCI_F_AGGREGATE         = 1 << 11,      /* root ports: eight to a slot */
        PCI_F_INTEGRATED        = 1 << 12,      /* only on bus 0 */
};

typedef struct PciBus {
        const char *model;
        unsigned accept;                /* PCI_F_* types it takes, plus PCI_F_AUTOASSIGN */
        unsigned min_slot, max_slot;
        uint8_t used[32];               /* function bitmask per slot */
        bool aggregate[32];             /* the slot's first user was a root port */
} PciBus;

typedef struct PciState {
        QemuBuild *b;
        PciBus bus[PCI_MAX_BUSES];
        unsigned n_bus;
        bool pass1;
        bool grew;
} PciState;

static void bus_init(PciBus *bus, const char *model) {
        static const struct { const char *model; unsigned accept, min, max; } t[] = {
                { "pci-root", PCI_F_PCI_DEV | PCI_F_PCI_BRIDGE | PCI_F_PXB | PCI_F_AUTOASSIGN, 1, 31 },
                { "pcie-root", PCI_F_PCIE_DEV | PCI_F_ROOT_PORT | PCI_F_DMI_BRIDGE | PCI_F_PXB_PCIE, 1, 31 },
                { "pci-bridge", PCI_F_PCI_DEV | PCI_F_PCI_BRIDGE | PCI_F_AUTOASSIGN, 1, 31 },
                { "pcie-to-pci-bridge", PCI_F_PCI_DEV | PCI_F_PCI_BRIDGE | PCI_F_AUTOASSIGN, 1, 31 },
                { "pci-expander-bus", PCI_F_PCI_DEV | PCI_F_PCI_BRIDGE | PCI_F_AUTOASSIGN, 0, 31 },
                { "dmi-to-pci-bridge", PCI_F_PCI_DEV | PCI_F_PCI_BRIDGE, 0, 31 },
                { "pcie-root-port", PCI_F_PCIE_DEV | PCI_F_SWITCH_UP | PCI_F_PCIE_PCI_BRIDGE | PCI_F_AUTOASSIGN, 0, 0 },
                { "pcie-switch-downstream-port", PCI_F_PCIE_DEV | PCI_F_SWITCH_UP | PCI_F_PCIE_PCI_BRIDGE |
                                                 PCI_F_AUTOASSIGN, 0, 0 },
                { "pcie-switch-upstream-port", PCI_F_SWITCH_DOWN, 0, 31 },
                { "pcie-expander-bus", PCI_F_ROOT_PORT | PCI_F_DMI_BRIDGE, 0, 31 },
        };

        *bus = (PciBus) { .model = model };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(t[i].model, model)) {
                        bus->accept = t[i].accept;
                        bus->min_slot = t[i].min;
                        bus->max_slot = t[i].max;
                }
}

static unsigned controller_flags(const char *model) {
        if (streq(model, "pci-bridge"))
                return PCI_F_PCI_BRIDGE;
        if (streq(model, "dmi-to-pci-bridge"))
                return PCI_F_DMI_BRIDGE;
        if (streq(model, "pcie-to-pci-bridge"))
                return PCI_F_PCIE_PCI_BRIDGE;
        if (streq(model, "pcie-root-port"))
                return PCI_F_ROOT_PORT | PCI_F_AGGREGATE;
        if (streq(model, "pcie-switch-upstream-port"))
                return PCI_F_SWITCH_UP;
        if (streq(model, "pcie-switch-downstream-port"))
                return PCI_F_SWITCH_DOWN;
        if (streq(model, "pci-expander-bus"))
                return PCI_F_PXB;
        if (streq(model, "pcie-expander-bus"))
                return PCI_F_PXB_PCIE;
        return 0;
}

static bool compatible(const PciState *s, unsigned busno, unsigned flags, bool automatic) {
        const PciBus *bus = &s->bus[busno];
        unsigned accept = bus->accept;

        if (!bus->model)
                return false;
        if (flags & PCI_F_INTEGRATED) {
                if (busno != 0)
                        return false;
                accept |= PCI_F_AUTOASSIGN;
        }
        if (automatic && (flags & PCI_F_AUTOASSIGN) && !(accept & PCI_F_AUTOASSIGN))
                return false;
        if (!automatic) {
                if (accept & (PCI_F_PCI_DEV | PCI_F_PCIE_DEV))
                        accept |= PCI_F_PCI_DEV | PCI_F_PCIE_DEV;
                if (accept & PCI_F_PCI_DEV)
                        accept |= PCI_F_PCI_BRIDGE;
        }
        return (flags & accept & PCI_F_TYPES) != 0;
}

static int pci_add_bus(PciState *s, const char *model) {
        if (s->n_bus >= PCI_MAX_BUSES)
                return qb_fail(s->b, -EINVAL, "too many PCI buses");
        bus_init(&s->bus[s->n_bus++], model);
        s->grew = true;
        return 0;
}

/* Grows the topology for a device that found no slot (pass 1 only). */
static int pci_grow(PciState *s, unsigned flags) {
        int r;

        if (flags & PCI_F_PCI_DEV) {
                for (unsigned i = 0; i < s->n_bus; i++)
                        if (s->bus[i].accept & PCI_F_PCI_BRIDGE)
                                return pci_add_bus(s, "pci-bridge");
                /* pure PCIe: a root port holding a pcie-to-pci-bridge */
                r = pci_add_bus(s, "pcie-root-port");
                if (r < 0)
                        return r;
                s->bus[s->n_bus - 1].accept = PCI_F_PCIE_PCI_BRIDGE | PCI_F_AUTOASSIGN;
                return pci_add_bus(s, "pcie-to-pci-bridge");
        }
        if (flags & (PCI_F_PCIE_DEV | PCI_F_SWITCH_UP))
                return pci_add_bus(s, "pcie-root-port");
        return -ENOSPC;
}

static int pci_next(PciState *s, unsigned flags, int fn, VmAddress *ret) {
        for (int attempt = 0; attempt < 2; attempt++) {
                for (unsigned i = 0; i < s->n_bus; i++) {
                        PciBus *bus = &s->bus[i];
                        if (!compatible(s, i, flags, true))
                                continue;
                        for (unsigned slot = bus->min_slot; slot <= bus->max_slot; slot++) {
                                unsigned f = fn < 0 ? 0 : (unsigned) fn;
                                if (bus->used[slot]) {
                                        if (!(flags & PCI_F_AGGREGATE) || !bus->aggregate[slot] || bus->used[slot] == 0xff)
                                                continue;
                                        for (f = 0; bus->used[slot] & (1u << f); f++)
                                                ;
                                }
                                *ret = (VmAddress) { .type = VM_ADDRESS_PCI, .bus = i, .slot = slot, .function = f,
                                                     .assigned = true };
                                if (!bus->used[slot] && (flags & PCI_F_AGGREGATE))
                                        bus->aggregate[slot] = true;
                                bus->used[slot] |= (uint8_t) (1u << f);
                                return 0;
                        }
                }
                if (!s->pass1 || attempt > 0)
                        break;
                if (pci_grow(s, flags) < 0)
                        break;
        }
        return -ENOSPC;
}

static int pci_reserve(PciState *s, VmAddress *a, unsigned flags, const char *what) {
        PciBus *bus;

        if (a->type != VM_ADDRESS_PCI)
                return 0;
        while (s->pass1 && a->bus >= s->n_bus && s->n_bus < PCI_MAX_BUSES)
                if (pci_grow(s, flags) < 0)
                        break;
        if (a->bus >= s->n_bus || !s->bus[a->bus].model)
                return qb_fail(s->b, -EINVAL, "%s: PCI bus %u does not exist", what, a->bus);
        bus = &s->bus[a->bus];
        if (!compatible(s, a->bus, flags, false))
                return qb_fail(s->b, -EINVAL, "%s: cannot be plugged into PCI bus %u ('%s')", what, a->bus, bus->model);
        if (a->slot < bus->min_slot || a->slot > bus->max_slot)
                return qb_fail(s->b, -EINVAL, "%s: slot 0x%x is not usable on PCI bus %u ('%s')", what, a->slot,
                               a->bus, bus->model);
        if (bus->used[a->slot] & (1u << a->function))
                return qb_fail(s->b, -EINVAL, "%s: PCI address %02x:%02x.%x is already in use", what, a->bus,
                               a->slot, a->function);
        if (!bus->used[a->slot] && (flags & PCI_F_AGGREGATE))
                bus->aggregate[a->slot] = true;
        bus->used[a->slot] |= (uint8_t) (1u << a->function);
        return 0;
}

typedef struct PciDev {
        VmAddress *addr;
        unsigned flags;
        int fn;                         /* fixed function (USB2 sets), -1 = any */
        int order;                      /* virtio disks: target index */
        VmController *usb2;             /* member of an ich9 USB2 set */
        char what[96];
} PciDev;

static unsigned endpoint(const QemuBuild *b, bool pcie) {
        return (pcie && b->q35 ? PCI_F_PCIE_DEV : PCI_F_PCI_DEV) | PCI_F_AUTOASSIGN;
}

/* Every PCI endpoint in libvirt's assignment order (R7 steps 2-19). */
static unsigned collect_devices(QemuBuild *b, PciDev *out, unsigned max) {
        VmDef *def = b->def;
        unsigned n = 0;

#define ADD(a, fl, ...) do {                                                            \
                if (n < max) {                                                          \
                        out[n] = (PciDev) { .addr = (a), .flags = (fl), .fn = -1 };     \
                        snprintf(out[n].what, sizeof(out[n].what), __VA_ARGS__);        \
                        n++;                                                            \
                }                                                                       \
        } while (0)

        for (unsigned i = 0; i < def->n_filesystems; i++)
                ADD(&def->filesystems[i].addr, endpoint(b, !streq_ptr(def->filesystems[i].model, "virtio-transitional")),
                    "<filesystem> %u", i);
        for (unsigned i = 0; i < def->n_nets; i++) {
                const char *m = def->nets[i].model ?: "rtl8139";
                if (streq(def->nets[i].type, "hostdev"))
                        continue;       /* a VF: its VmHostdev takes the slot, with the host devices */
                ADD(&def->nets[i].addr, endpoint(b, streq(m, "virtio") || streq(m, "virtio-non-transitional") ||
                                                    streq(m, "e1000e") || streq(m, "igb")),
                    "<interface> %u", i);
        }
        for (unsigned i = 0; i < def->n_sounds; i++)
                if (!streq(def->sounds[i].model, "usb") && !streq(def->sounds[i].model, "sb16") &&
                    !streq(def->sounds[i].model, "pcspk"))
                        ADD(&def->sounds[i].addr, endpoint(b, false), "<sound model='%s'>", def->sounds[i].model);
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (k->type == VM_CONTROLLER_USB && !streq(k->model, "none")) {
                        if (!b->q35 && k->index == 0 && streq(k->model, "piix3-uhci") && k->addr.assigned &&
                            k->addr.bus == 0 && k->addr.slot == 1)
                                continue;
                        ADD(&k->addr, endpoint(b, streq(k->model, "qemu-xhci") || streq(k->model, "nec-xhci")),
                            "<controller type='usb' index='%u' model='%s'>", k->index, k->model);
                        if (startswith(k->model, "ich9-") && n > 0) {
                                out[n - 1].usb2 = k;
                                out[n - 1].fn = streq(k->model, "ich9-ehci1") ? 7 : k->model[strlen(k->model) - 1] - '1';
                        }
                } else if (k->type == VM_CONTROLLER_SCSI)
                        ADD(&k->addr, endpoint(b, streq(k->model, "virtio-scsi") ||
                                                  streq(k->model, "virtio-non-transitional")),
                            "<controller type='scsi' index='%u'>",
                            k->index);
                else if (k->type == VM_CONTROLLER_VIRTIO_SERIAL)
                        ADD(&k->addr, endpoint(b, !streq_ptr(k->model, "virtio-transitional")),
                            "<controller type='virtio-serial' index='%u'>", k->index);
                else if (k->type == VM_CONTROLLER_SATA && !(b->q35 && k->index == 0))
                        ADD(&k->addr, endpoint(b, false), "<controller type='sata' index='%u'>", k->index);
        }
        /* virtio disks sorted by target index, as libvirt keeps its disk array */
        {
                unsigned base = n;
                for (unsigned i = 0; i < def->n_disks; i++)
                        if (def->disks[i].bus == VM_DISK_BUS_VIRTIO) {
                                ADD(&def->disks[i].addr, endpoint(b, !streq_ptr(def->disks[i].model, "virtio-transitional")),
                                    "<disk> '%s'", def->disks[i].dst);
                                out[n - 1].order = disk_index(def->disks[i].dst);
                        }
                for (unsigned i = base + 1; i < n; i++)
                        for (unsigned j = i; j > base; j--) {
                                if (out[j - 1].order <= out[j].order)
                                        break;
                                PciDev t = out[j - 1];
                                out[j - 1] = out[j];
                                out[j] = t;
                        }
        }
        for (unsigned i = 0; i < def->n_hostdevs; i++)
                if (streq(def->hostdevs[i].type, "pci") || streq(def->hostdevs[i].type, "mdev") ||
                    streq(def->hostdevs[i].type, "scsi_host"))
                        ADD(&def->hostdevs[i].addr,
                            endpoint(b, !streq_ptr(def->hostdevs[i].model, "virtio-transitional")), "<hostdev> %u", i);
        if (def->memballoon.present && !streq_ptr(def->memballoon.model, "none"))
                ADD(&def->memballoon.addr, endpoint(b, !streq_ptr(def->memballoon.model, "virtio-transitional")),
                    "<memballoon>");
        for (unsigned i = 0; i < def->n_rngs; i++)
                ADD(&def->rngs[i].addr, endpoint(b, !streq_ptr(def->rngs[i].model, "virtio-transitional")), "<rng> %u",
                    i);
        for (unsigned i = 0; i < def->n_watchdogs; i++)
                if (streq(def->watchdogs[i].model, "i6300esb"))
                        ADD(&def->watchdogs[i].addr, endpoint(b, false), "<watchdog>");
        for (unsigned i = 0; i < def->n_videos; i++)
                if (!streq(def->videos[i].model, "none") && !streq(def->videos[i].model, "ramfb"))
                        ADD(&def->videos[i].addr,
                            endpoint(b, streq(def->videos[i].model, "virtio") || streq(def->videos[i].model, "bochs")),
                            "<video> %u", i);
        for (unsigned i = 0; i < def->n_shmems; i++)
                ADD(&def->shmems[i].addr, endpoint(b, false), "<shmem name='%s'>", def->shmems[i].name);
        for (unsigned i = 0; i < def->n_inputs; i++)
                if (streq(def->inputs[i].bus, "virtio"))
                        ADD(&def->inputs[i].addr, endpoint(b, true), "<input> %u", i);
        for (unsigned i = 0; i < def->n_chars; i++)
                if (def->chars[i].kind == VM_CHAR_SERIAL && def->chars[i].target_type &&
                    streq(def->chars[i].target_type, "pci-serial"))
                        ADD(&def->chars[i].addr, endpoint(b, false), "<serial> %u", i);
        if (def->iommu.present && streq(def->iommu.model, "virtio"))
                ADD(&def->iommu.addr, endpoint(b, true) | PCI_F_INTEGRATED, "<iommu>");
        if (def->vsock.present)
                ADD(&def->vsock.addr, endpoint(b, !streq_ptr(def->vsock.model, "virtio-transitional")), "<vsock>");
        for (unsigned i = 0; i < def->n_memory_devices; i++)
                if (startswith(def->memory_devices[i].model, "virtio-"))
                        ADD(&def->memory_devices[i].addr, endpoint(b, true), "<memory model='%s'>",
                            def->memory_devices[i].model);
#undef ADD
        return n;
}

/* Fixed chipset places (R6): done after explicit reservations, in both passes. */
static int pci_fixed(PciState *s, bool write) {
        QemuBuild *b = s->b;
        VmDef *def = b->def;
        PciBus *root = &s->bus[0];
        VmVideo *primary = NULL;

        if (!b->q35) {
                root->used[1] |= 0x0f;          /* PIIX3: ISA, IDE, USB, ACPI */
        } else {
                root->used[0x1f] |= 0x0d;       /* LPC, (SATA below), SMBus */
                root->used[0x1f] |= 0x04;
                for (unsigned i = 0; i < def->n_controllers; i++) {
                        VmController *k = &def->controllers[i];
                        if (k->type == VM_CONTROLLER_USB && streq(k->model, "ich9-uhci1") &&
                            k->addr.type == VM_ADDRESS_NONE) {
                                unsigned slot = !root->used[0x1d] ? 0x1d : !root->used[0x1a] ? 0x1a : 0;
                                if (slot) {
                                        root->used[slot] |= 1;
                                        if (write)
                                                k->addr = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = slot,
                                                                        .assigned = true,
                                                                        .multifunction = VM_TRISTATE_ON };
                                }
                        }
                        if (k->type == VM_CONTROLLER_PCI && streq(k->model, "dmi-to-pci-bridge") &&
                            k->addr.type == VM_ADDRESS_NONE && !root->used[0x1e]) {
                                root->used[0x1e] |= 1;
                                if (write)
                                        k->addr = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 0x1e, .assigned = true };
                        }
                }
        }
        if (def->n_videos > 0 && !streq(def->videos[0].model, "none") && !streq(def->videos[0].model, "ramfb"))
                primary = &def->videos[0];
        if (primary && primary->addr.type == VM_ADDRESS_NONE) {
                unsigned slot = b->q35 ? 1 : 2;
                VmAddress a;
                if (!root->used[slot]) {
                        root->used[slot] |= 1;
                        a = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = slot, .assigned = true };
                } else if (pci_next(s, endpoint(b, b->q35 ? false : false) | (b->q35 ? PCI_F_INTEGRATED : 0), -1, &a) < 0)
                        return qb_fail(b, -EINVAL, "<video>: no free PCI slot");
                if (write)
                        primary->addr = a;
        }
        if (b->q35 && !root->used[0x1b])
                for (unsigned i = 0; i < def->n_sounds; i++)
                        if (streq(def->sounds[i].model, "ich9") && def->sounds[i].addr.type == VM_ADDRESS_NONE) {
                                root->used[0x1b] |= 1;
                                if (write)
                                        def->sounds[i].addr = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 0x1b,
                                                                            .assigned = true };
                                break;
                        }
        return 0;
}

static int pci_reserve_explicit(PciState *s, PciDev *devs, unsigned n) {
        VmDef *def = s->b->def;

        /* the chipset's own functions first, so that nothing explicit lands on them */
        if (s->b->q35)
                s->bus[0].used[0x1f] |= 0x0d;
        else
                s->bus[0].used[1] |= 0x0f;

        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                char what[96];
                if (k->type != VM_CONTROLLER_PCI || k->addr.type != VM_ADDRESS_PCI)
                        continue;
                snprintf(what, sizeof(what), "<controller type='pci' index='%u'>", k->index);
                if (pci_reserve(s, &k->addr, controller_flags(k->model), what) < 0)
                        return -EINVAL;
        }
        for (unsigned i = 0; i < n; i++)
                if (pci_reserve(s, devs[i].addr, devs[i].flags, devs[i].what) < 0)
                        return -EINVAL;
        return 0;
}

static int pci_assign_devices(PciState *s, PciDev *devs, unsigned n, bool write) {
        for (unsigned i = 0; i < n; i++) {
                PciDev *d = &devs[i];
                VmAddress a;
                int fn = d->fn;

                if (d->addr->type == VM_ADDRESS_PCI)
                        continue;
                if (d->addr->type != VM_ADDRESS_NONE)
                        return qb_fail(s->b, -EINVAL, "%s: needs a PCI address", d->what);
                if (d->usb2) {
                        /* a USB2 set shares the slot of its first addressed member */
                        bool done = false;
                        for (unsigned j = 0; j < n && !done; j++)
                                if (devs[j].usb2 && devs[j].usb2 != d->usb2 && devs[j].usb2->index == d->usb2->index &&
                                    devs[j].addr->type == VM_ADDRESS_PCI) {
                                        a = *devs[j].addr;
                                        a.function = (unsigned) fn;
                                        a.multifunction = fn == 0 ? VM_TRISTATE_ON : VM_TRISTATE_ABSENT;
                                        s->bus[a.bus].used[a.slot] |= (uint8_t) (1u << fn);
                                        done = true;
                                }
                        if (done) {
                                *d->addr = a;
                                continue;
                        }
                }
                if (pci_next(s, d->flags, fn, &a) < 0)
                        return qb_fail(s->b, -EINVAL, "%s: no free PCI slot", d->what);
                if (fn == 0 && d->usb2)
                        a.multifunction = VM_TRISTATE_ON;
                if (write || d->usb2)   /* pass 1 restores USB2 members afterwards */
                        *d->addr = a;
        }
        return 0;
}

static int pci_assign_controllers(PciState *s, bool write) {
        VmDef *def = s->b->def;

        for (unsigned idx = 1; idx < PCI_MAX_BUSES; idx++) {
                VmController *k = vm_find_controller(def, VM_CONTROLLER_PCI, idx);
                VmAddress a;
                if (!k || k->addr.type == VM_ADDRESS_PCI)
                        continue;
                if (pci_next(s, controller_flags(k->model), -1, &a) < 0)
                        return qb_fail(s->b, -EINVAL, "<controller type='pci' index='%u' model='%s'>: no free PCI "
                                       "slot", idx, k->model);
                if (write)
                        k->addr = a;
        }
        return 0;
}

static void pci_build_buses(PciState *s) {
        VmDef *def = s->b->def;
        unsigned max = 0;

        memset(s->bus, 0, sizeof(s->bus));
        for (unsigned i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == VM_CONTROLLER_PCI)
                        max = MAX(max, def->controllers[i].index);
        s->n_bus = max + 1;
        for (unsigned i = 0; i <= max; i++) {
                VmController *k = vm_find_controller(def, VM_CONTROLLER_PCI, i);
                /* a gap gets the family's default bridge, added for real after pass 1 */
                bus_init(&s->bus[i], k ? k->model : s->b->q35 ? "pcie-root-port" : "pci-bridge");
        }
}

static int prepare_pci(QemuBuild *b) {
        VmDef *def = b->def;
        _cleanup_free_ PciState *s = NULL;
        _cleanup_free_ PciDev *devs = NULL;
        unsigned n, max_idx = 0;
        bool only_root = true;

        s = calloc(1, sizeof(PciState));
        devs = calloc(1024, sizeof(PciDev));
        if (!s || !devs)
                return qb_fail(b, -ENOMEM, "out of memory");
        s->b = b;

        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (k->type != VM_CONTROLLER_PCI)
                        continue;
                if (k->index >= PCI_MAX_BUSES)
                        return qb_fail(b, -EINVAL, "<controller type='pci' index='%u'>: index out of range", k->index);
                if (k->index > 0 && (streq(k->model, "pci-root") || streq(k->model, "pcie-root")))
                        return qb_fail(b, -EINVAL, "<controller type='pci' index='%u'>: only index 0 is a root", k->index);
                if (k->index > 0 && !controller_flags(k->model))
                        return qb_fail(b, -EOPNOTSUPP, "<controller type='pci' model='%s'>: not supported", k->model);
                if (k->index > 0 && b->q35 != (streq(k->model, "pcie-root-port") || streq(k->model, "dmi-to-pci-bridge") ||
                                               startswith(k->model, "pcie-") || streq(k->model, "pci-bridge")))
                        if (!streq(k->model, "pci-bridge") && !streq(k->model, "pci-expander-bus"))
                                return qb_fail(b, -EINVAL, "<controller type='pci' model='%s'>: not valid on machine '%s'",
                                               k->model, def->os.machine);
                if (k->index > 0)
                        only_root = false;
                max_idx = MAX(max_idx, k->index);
        }
        /* the chipset's own controllers */
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                VmAddress fixed = {};
                if (!b->q35 && k->type == VM_CONTROLLER_IDE)
                        fixed = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 1, .function = 1, .assigned = true };
                else if (!b->q35 && k->type == VM_CONTROLLER_USB && k->index == 0 && streq(k->model, "piix3-uhci") &&
                         (k->addr.type == VM_ADDRESS_NONE || (k->addr.bus == 0 && k->addr.slot == 1)))
                        fixed = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 1, .function = 2, .assigned = true };
                else if (b->q35 && k->type == VM_CONTROLLER_SATA && k->index == 0)
                        fixed = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 0x1f, .function = 2, .assigned = true };
                else
                        continue;
                if (k->addr.type == VM_ADDRESS_PCI && (k->addr.bus != 0 || k->addr.slot != fixed.slot ||
                                                       k->addr.function != fixed.function))
                        return qb_fail(b, -EINVAL, "<controller type='%s' index='%u'>: this chipset controller lives at "
                                       "00:%02x.%x", vm_controller_type_to_string(k->type), k->index, fixed.slot,
                                       fixed.function);
                k->addr = fixed;
        }

        /* pass 1: a dry run that finds out which buses have to be added */
        n = collect_devices(b, devs, 1024);
        s->pass1 = true;
        pci_build_buses(s);
        s->grew = false;
        if (pci_reserve_explicit(s, devs, n) < 0 || pci_fixed(s, true) < 0)
                return b->status;
        if (!b->q35) {
                VmAddress spare;
                (void) pci_next(s, endpoint(b, false), -1, &spare);     /* keep a slot for a bridge */
        }
        {
                /* pass 1 must not write addresses, but USB2 members need to see their siblings */
                VmAddress before[1024];
                for (unsigned i = 0; i < n; i++)
                        before[i] = *devs[i].addr;
                if (pci_assign_controllers(s, false) < 0 || pci_assign_devices(s, devs, n, false) < 0)
                        return b->status;
                for (unsigned i = 0; i < n; i++)
                        *devs[i].addr = before[i];
        }
        if (b->q35 && only_root && s->grew) {
                VmAddress spare;
                (void) pci_next(s, endpoint(b, true), -1, &spare);      /* one empty root port for hotplug */
        }
        for (unsigned i = 1; i < s->n_bus; i++) {
                VmAddress a;
                if (vm_find_controller(def, VM_CONTROLLER_PCI, i))
                        continue;
                if (!add_controller(b, VM_CONTROLLER_PCI, i, s->bus[i].model))
                        return b->status;
                (void) pci_next(s, controller_flags(s->bus[i].model), -1, &a);
        }

        /* pass 2: for real */
        s->pass1 = false;
        n = collect_devices(b, devs, 1024);
        pci_build_buses(s);
        if (pci_reserve_explicit(s, devs, n) < 0 || pci_fixed(s, true) < 0)
                return b->status;
        if (pci_assign_controllers(s, true) < 0 || pci_assign_devices(s, devs, n, true) < 0)
                return b->status;

        /* multifunction on function 0 where a slot holds more than one function */
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (k->addr.type != VM_ADDRESS_PCI || k->addr.function != 0 || k->addr.multifunction != VM_TRISTATE_ABSENT)
                        continue;
                if (k->type == VM_CONTROLLER_IDE || (b->q35 && k->type == VM_CONTROLLER_SATA && k->index == 0))
                        continue;
                uint8_t u = s->bus[k->addr.bus].used[k->addr.slot];
                if (u & ~1u)
                        k->addr.multifunction = VM_TRISTATE_ON;
        }
        for (unsigned i = 0; i < n; i++) {
                VmAddress *a = devs[i].addr;
                if (a->type == VM_ADDRESS_PCI && a->function == 0 && a->multifunction == VM_TRISTATE_ABSENT &&
                    (s->bus[a->bus].used[a->slot] & ~1u) && !(b->q35 == false && a->bus == 0 && a->slot == 1))
                        a->multifunction = VM_TRISTATE_ON;
        }
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (k->type != VM_CONTROLLER_PCI)
                        continue;
                if (streq(k->model, "pcie-root-port")) {
                        if (k->port < 0)
                                k->port = (int) (k->addr.slot * 8 + k->addr.function);
                        if (k->chassis < 0)
                                k->chassis = (int) k->index;
                } else if (streq(k->model, "pcie-switch-downstream-port")) {
                        if (k->port < 0)
                                k->port = (int) k->addr.slot;
                        if (k->chassis < 0)
                                k->chassis = (int) k->index;
                } else if (streq(k->model, "pci-bridge") && k->chassis_nr < 0)
                        k->chassis_nr = (int) k->index;
        }
        for (unsigned idx = 1; idx < PCI_MAX_BUSES; idx++) {
                VmController *k = vm_find_controller(def, VM_CONTROLLER_PCI, idx);
                if (k && (streq(k->model, "pci-expander-bus") || streq(k->model, "pcie-expander-bus")) && k->bus_nr < 0) {
                        int lowest = 256;
                        for (unsigned j = 0; j < def->n_controllers; j++)
                                if (def->controllers[j].type == VM_CONTROLLER_PCI && def->controllers[j].bus_nr >= 0)
                                        lowest = MIN(lowest, def->controllers[j].bus_nr);
                        k->bus_nr = lowest - 2;
                }
        }
        return 0;
}

int qemu_prepare(QemuBuild *b) {
        VmDef *def = b->def;
        int r;

        if (!def->os.machine)
                def->os.machine = (char *) "pc";
        b->q35 = vm_machine_is_q35(def->os.machine);
        if (!b->q35 && !vm_machine_is_i440fx(def->os.machine))
                return qb_fail(b, -EOPNOTSUPP, "<os><type machine='%s'>: only the x86 'pc' (i440fx) and 'q35' "
                               "machine families are supported", def->os.machine);
        if (!streq(def->os.arch, "x86_64") && !streq(def->os.arch, "i686"))
                return qb_fail(b, -EOPNOTSUPP, "<os><type arch='%s'>: only x86_64 and i686 guests are supported",
                               def->os.arch);
        if (!def->emulator)
                def->emulator = (char *) "/usr/bin/qemu-system-x86_64";
        {
                /* whole-argument values: a newline cannot inject an option there, but would break the
                 * one-line command vmctl prints and every log line that quotes it */
                const char *whole[] = { def->emulator, def->os.kernel, def->os.initrd, def->os.cmdline, def->os.dtb,
                                        def->os.loader, def->os.nvram };
                static const char * const names[] = { "<emulator>", "<os><kernel>", "<os><initrd>", "<os><cmdline>",
                                                      "<os><dtb>", "<os><loader>", "<os><nvram>" };
                for (size_t i = 0; i < ELEMENTSOF(whole); i++)
                        if (whole[i] && strpbrk(whole[i], "\n\r"))
                                return qb_fail(b, -EINVAL, "%s: the value contains a line break", names[i]);
        }
        if (!def->uuid)
                return qb_fail(b, -EINVAL, "<uuid>: a domain needs a UUID");
        if (def->current_memory_kib > def->memory_kib)
                return qb_fail(b, -EINVAL, "<currentMemory>: larger than <memory>");
        if (def->memory_kib < 1024)
                return qb_fail(b, -EINVAL, "<memory>: less than 1 MiB");
        if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
                return qb_fail(b, -EINVAL, "<maxMemory>: smaller than <memory>");
        if (def->mem.hugepages && def->mem.hugepage_size_kib == 4 && def->mem.n_pages == 0)
                def->mem.hugepages = false;     /* "huge" pages of the normal size: libvirt's way of saying none */
        if (def->numatune.present) {
                for (unsigned i = 0; i < def->numatune.n_memnodes; i++) {
                        const VmNumaMemnode *mn = &def->numatune.memnodes[i];
                        if (mn->cellid >= def->cpu.n_cells)
                                return qb_fail(b, -EINVAL, "<numatune><memnode cellid='%u'>: no such guest NUMA cell",
                                               mn->cellid);
                        /* restrictive: no QEMU memory policy, only the cgroup's memory nodes (set by the
                         * supervisor), which are the whole VM's: libvirt's rule */
                        if (streq_ptr(mn->mode, "restrictive") && (def->numatune.nodeset || def->numatune.placement) &&
                            !streq_ptr(def->numatune.mode, "restrictive"))
                                return qb_fail(b, -EINVAL, "<numatune><memnode cellid='%u'>: mode='restrictive' needs "
                                               "<memory mode='restrictive'>", mn->cellid);
                }
        }
        if (def->n_memory_devices > 0) {
                unsigned slot = 0;
                for (unsigned i = 0; i < def->n_memory_devices; i++) {
                        VmMemoryDevice *m = &def->memory_devices[i];
                        bool dimm = streq(m->model, "dimm") || streq(m->model, "nvdimm");
                        if (def->cpu.n_cells == 0 && !streq(m->model, "sgx-epc"))
                                return qb_fail(b, -EINVAL, "<memory model='%s'> (line %u): memory devices need guest "
                                               "NUMA cells in <cpu>", m->model, m->line);
                        if (m->node >= (int) MAX(def->cpu.n_cells, 1u))
                                return qb_fail(b, -EINVAL, "<memory model='%s'> (line %u): guest node %d does not exist",
                                               m->model, m->line, m->node);
                        /* libvirt 9.0 puts -no-acpi on such a command line, and QEMU 7.2 then refuses the
                         * device; better said here */
                        if (dimm && !def->features.acpi)
                                return qb_fail(b, -EINVAL, "<memory model='%s'> (line %u): without <features><acpi/> "
                                               "QEMU refuses DIMMs (\"memory hotplug is not enabled: missing acpi "
                                               "device or acpi disabled\")", m->model, m->line);
                        if (dimm && !def->max_memory_kib)
                                return qb_fail(b, -EINVAL, "<memory model='%s'>: needs <maxMemory slots=...>", m->model);
                        if (!dimm || m->dimm_slot_set)
                                continue;
                        for (bool clash = true; clash; ) {
                                clash = false;
                                for (unsigned j = 0; j < def->n_memory_devices; j++)
                                        if (j != i && def->memory_devices[j].dimm_slot_set &&
                                            def->memory_devices[j].addr.slot == slot) {
                                                slot++;
                                                clash = true;
                                        }
                        }
                        m->addr.slot = slot++;
                        m->dimm_slot_set = true;
                        if (m->addr.slot >= def->max_memory_slots)
                                return qb_fail(b, -EINVAL, "<memory model='%s'>: more memory devices than the %u slots "
                                               "of <maxMemory>", m->model, def->max_memory_slots);
                }
        }
        /* model='none' stays in the definition: the live XML must keep saying so, or reading it back
         * (hotplug planning) would add the default balloon QEMU does not have. */
        if (!def->memballoon.present) {
                def->memballoon.present = true;
                def->memballoon.model = (char *) "virtio";
        }
        if (def->n_graphics > 0 && def->n_videos == 0) {
                VmVideo *v = VM_DEVICE_NEW(def, videos);
                if (!v)
                        return qb_fail(b, -ENOMEM, "out of memory");
                v->model = (char *) "cirrus";
        }
        for (unsigned i = 0; i < def->n_nets; i++)
                if (!def->nets[i].model && !streq(def->nets[i].type, "hostdev"))
                        def->nets[i].model = (char *) "rtl8139";
        for (unsigned i = 1; i < def->n_videos; i++)
                if (def->videos[i].primary == VM_TRISTATE_ON) {
                        VmVideo t = def->videos[0];
                        def->videos[0] = def->videos[i];
                        def->videos[i] = t;
                }
        for (unsigned i = 0; i < def->n_panics; i++)
                if (!def->panics[i].model)
                        def->panics[i].model = (char *) "isa";
        if (def->cpu.n_cells > 0) {
                uint64_t sum = 0;
                for (unsigned i = 0; i < def->cpu.n_cells; i++)
                        sum += def->cpu.cells[i].memory_kib;
                if (sum == 0)
                        return qb_fail(b, -EINVAL, "<cpu><numa>: cells have no memory");
        }
        if (def->os.firmware && !def->os.loader) {
                /* globs in descriptors name versioned types; an alias means the newest */
                const char *full = streq(def->os.machine, "pc") ? "pc-i440fx-7.2" :
                                   streq(def->os.machine, "q35") ? "pc-q35-7.2" : def->os.machine;
                char *err = NULL;
                r = firmware_autoselect(def, full, b->opts->firmware_dirs ?: FIRMWARE_DIRS_DEFAULT, &err);
                if (r < 0) {
                        qb_fail(b, r, "%s", err ?: "out of memory");
                        free(err);
                        return r;
                }
        }
        if (def->os.loader_type && streq(def->os.loader_type, "pflash") && def->os.loader_secure == VM_TRISTATE_ON &&
            def->features.smm != VM_TRISTATE_ON)
                return qb_fail(b, -EINVAL, "<os><loader secure='yes'>: needs <features><smm state='on'/>");
        if (def->os.nvram_template && !def->os.nvram) {
                /* the supervisor creates it from the template on first start */
                char *p = NULL;
                if (asprintf(&p, "%s/nvram/%s_VARS.fd", b->opts->state_dir, def->name) < 0)
                        return qb_fail(b, -ENOMEM, "out of memory");
                def->os.nvram = vm_def_strdup(def, p);
                free(p);
                if (!def->os.nvram)
                        return qb_fail(b, -ENOMEM, "out of memory");
        }
        if (def->os.nvram && !(def->os.loader_type && streq(def->os.loader_type, "pflash")))
                return qb_fail(b, -EINVAL, "<os><nvram>: needs <loader type='pflash'>");

        r = prepare_controllers(b);
        if (r < 0)
                return r;
        r = prepare_disks(b);
        if (r < 0)
                return r;
        r = prepare_chars(b);
        if (r < 0)
                return r;
        r = prepare_boot(b);
        if (r < 0)
                return r;
        r = prepare_usb(b);
        if (r < 0)
                return r;
        return prepare_pci(b);
}
