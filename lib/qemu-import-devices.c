/*
 * QEMU command line -> VmDef: -device front ends other than disks (controllers, NICs, serial and
 * virtio-serial ports, input, video, sound, balloon, RNG, watchdog, panic, TPM, USB redirection,
 * smartcards, IOMMUs) with the backends they name (-netdev, -chardev, -object, -tpmdev), and the
 * old spellings: -net nic/-net user|tap|..., -nic, -serial/-parallel specifications, -usbdevice.
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-import-internal.h"

static const char *opt_bare(const ImportOpt *o) {
        return o->name + (o->name[1] == '-' ? 2 : 1);
}

/* "pci.3" -> 3 (libvirt's naming), else the next index nobody uses. */
static unsigned index_from_id(Import *imp, const char *id, const char *prefix, VmControllerType type) {
        const char *s = id ? startswith(id, prefix) : NULL;
        unsigned v, next = 0;
        char *end;

        if (s && *s) {
                errno = 0;
                v = (unsigned) strtoul(s, &end, 10);
                if (!errno && !*end && v < 256)
                        return v;
        }
        for (unsigned i = 0; i < imp->def->n_controllers; i++)
                if (imp->def->controllers[i].type == type && imp->def->controllers[i].index >= next)
                        next = imp->def->controllers[i].index + 1;
        if (type == VM_CONTROLLER_PCI && next == 0)
                next = 1;
        return next;
}

static VmController new_controller(VmControllerType type) {
        return (VmController) { .type = type, .ports = -1, .vectors = -1, .chassis_nr = -1, .chassis = -1,
                                .port = -1, .bus_nr = -1, .target_index = -1, .numa_node = -1 };
}

static int get_int(Import *imp, ImportOpt *o, const char *key, int *ret) {
        unsigned v;
        int r = qemu_opt_get_uint(&o->o, key, &v);

        if (r < 0 || v > INT32_MAX)
                return imp_fail(imp, "%s '%s': invalid %s", o->name, o->arg, key);
        if (r > 0)
                *ret = (int) v;
        return 0;
}

int imp_device_controller(Import *imp, ImportOpt *o) {
        static const struct { const char *driver, *model; } pci[] = {
                { "pci-bridge", "pci-bridge" }, { "pcie-root-port", "pcie-root-port" },
                { "ioh3420", "pcie-root-port" }, { "x3130-upstream", "pcie-switch-upstream-port" },
                { "xio3130-downstream", "pcie-switch-downstream-port" }, { "i82801b11-bridge", "dmi-to-pci-bridge" },
                { "pxb", "pci-expander-bus" }, { "pxb-pcie", "pcie-expander-bus" },
        }, usb[] = {
                { "piix3-usb-uhci", "piix3-uhci" }, { "piix4-usb-uhci", "piix4-uhci" }, { "usb-ehci", "ehci" },
                { "ich9-usb-ehci1", "ich9-ehci1" }, { "ich9-usb-uhci1", "ich9-uhci1" },
                { "ich9-usb-uhci2", "ich9-uhci2" }, { "ich9-usb-uhci3", "ich9-uhci3" },
                { "nec-usb-xhci", "nec-xhci" }, { "qemu-xhci", "qemu-xhci" },
        };
        VmController k;
        const char *driver, *id, *v;
        VmController *n;
        int r;

        r = imp_parse(imp, o, "driver");
        if (r < 0)
                return r;
        driver = qemu_opt_get(&o->o, "driver");
        if (!driver)
                return imp_fail(imp, "%s '%s': no driver", o->name, o->arg);
        id = qemu_opt_get(&o->o, "id");

        for (size_t i = 0; i < ELEMENTSOF(pci); i++) {
                if (!streq(driver, pci[i].driver))
                        continue;
                k = new_controller(VM_CONTROLLER_PCI);
                k.model = (char *) pci[i].model;
                if (streq(driver, "ioh3420"))
                        k.model_name = (char *) "ioh3420";
                if (!id)
                        return imp_passthrough(imp, o, "a PCI controller without id= cannot be referred to");
                k.index = index_from_id(imp, id, "pci.", VM_CONTROLLER_PCI);
                if (get_int(imp, o, "chassis_nr", &k.chassis_nr) < 0 || get_int(imp, o, "chassis", &k.chassis) < 0 ||
                    get_int(imp, o, "port", &k.port) < 0 || get_int(imp, o, "bus_nr", &k.bus_nr) < 0 ||
                    get_int(imp, o, "numa_node", &k.numa_node) < 0)
                        return imp->status;
                {
                        VmTristate hp = VM_TRISTATE_ABSENT;
                        if (qemu_opt_get_bool(&o->o, "hotplug", &hp) < 0)
                                return imp_fail(imp, "%s '%s': invalid hotplug=", o->name, o->arg);
                        k.hotplug_off = hp == VM_TRISTATE_OFF;
                }
                if (k.chassis_nr > 255 || k.chassis > 255 || k.port > 255 || k.bus_nr > 254)
                        return imp_passthrough(imp, o, "chassis, port or bus number out of the domain XML's range");
                if (imp_pci_address(imp, &o->o, &k.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_check_unused(imp, o))
                        return 1;
                r = imp_id_add(imp, ID_PCI_BUS, id, k.index);
                if (r < 0)
                        return r;
                goto add;
        }
        for (size_t i = 0; i < ELEMENTSOF(usb); i++) {
                unsigned sub = 0;
                if (!streq(driver, usb[i].driver))
                        continue;
                k = new_controller(VM_CONTROLLER_USB);
                k.model = (char *) usb[i].model;
                v = qemu_opt_get(&o->o, "masterbus");
                if (v) {
                        if (imp_bus_find(imp, ID_USB, v, &k.index, &sub) < 0)
                                return imp_passthrough(imp, o, "its master bus '%s' is unknown", v);
                        k.has_master = true;
                        if (qemu_opt_get_uint(&o->o, "firstport", &k.master_startport) < 0)
                                return imp_fail(imp, "%s '%s': invalid firstport", o->name, o->arg);
                } else
                        k.index = id && streq(id, "usb") ? 0 : index_from_id(imp, id, "usb", VM_CONTROLLER_USB);
                {
                        unsigned p2 = 0, p3 = 0;
                        if (qemu_opt_get_uint(&o->o, "p2", &p2) < 0 || qemu_opt_get_uint(&o->o, "p3", &p3) < 0)
                                return imp_fail(imp, "%s '%s': invalid port count", o->name, o->arg);
                        if (p2 != p3)
                                return imp_passthrough(imp, o, "different USB2 and USB3 port counts");
                        if (p2)
                                k.ports = (int) p2;
                }
                if (imp_pci_address(imp, &o->o, &k.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_check_unused(imp, o))
                        return 1;
                if (!k.has_master && (r = imp_id_add(imp, ID_USB, id ?: "usb", k.index)) < 0)
                        return r;
                goto add;
        }
        if (streq(driver, "virtio-scsi-pci") || streq(driver, "lsi") || streq(driver, "lsi53c895a")) {
                k = new_controller(VM_CONTROLLER_SCSI);
                k.model = (char *) (streq(driver, "virtio-scsi-pci") ? "virtio-scsi" : "lsilogic");
                k.index = index_from_id(imp, id, "scsi", VM_CONTROLLER_SCSI);
                if (k.model[0] == 'v') {
                        if (qemu_opt_get_uint(&o->o, "num_queues", &k.queues) < 0 ||
                            qemu_opt_get_uint(&o->o, "cmd_per_lun", &k.cmd_per_lun) < 0 ||
                            qemu_opt_get_uint(&o->o, "max_sectors", &k.max_sectors) < 0 ||
                            qemu_opt_get_bool(&o->o, "ioeventfd", &k.ioeventfd) < 0)
                                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                        v = qemu_opt_get(&o->o, "iothread");
                        if (v && (sscanf(v, "iothread%u", &k.iothread) != 1 || k.iothread == 0 ||
                                  k.iothread > imp->def->iothreads))
                                return imp_passthrough(imp, o, "I/O thread '%s' is not one of iothread1..%u", v,
                                                       imp->def->iothreads);
                }
                if (imp_pci_address(imp, &o->o, &k.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_check_unused(imp, o))
                        return 1;
                r = imp_id_add(imp, ID_SCSI, id ?: "scsi0", k.index);
                if (r < 0)
                        return r;
                goto add;
        }
        if (streq(driver, "ahci")) {
                k = new_controller(VM_CONTROLLER_SATA);
                k.index = index_from_id(imp, id, "sata", VM_CONTROLLER_SATA);
                if (k.index == 0 && imp->q35)
                        k.index = 1;    /* 0 is the ICH9's own */
                if (imp_pci_address(imp, &o->o, &k.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_check_unused(imp, o))
                        return 1;
                r = imp_id_add(imp, ID_SATA, id ?: "sata", k.index);
                if (r < 0)
                        return r;
                goto add;
        }
        if (streq(driver, "virtio-serial-pci") || streq(driver, "virtio-serial")) {
                k = new_controller(VM_CONTROLLER_VIRTIO_SERIAL);
                k.index = index_from_id(imp, id, "virtio-serial", VM_CONTROLLER_VIRTIO_SERIAL);
                if (get_int(imp, o, "max_ports", &k.ports) < 0 || get_int(imp, o, "vectors", &k.vectors) < 0)
                        return imp->status;
                if (imp_pci_address(imp, &o->o, &k.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_check_unused(imp, o))
                        return 1;
                r = imp_id_add(imp, ID_VIRTIO_SERIAL, id ?: "virtio-serial0", k.index);
                if (r < 0)
                        return r;
                goto add;
        }
        if (streq(driver, "usb-ccid")) {
                k = new_controller(VM_CONTROLLER_CCID);
                k.index = index_from_id(imp, id, "ccid", VM_CONTROLLER_CCID);
                v = qemu_opt_get(&o->o, "port");
                if (v)
                        k.addr = (VmAddress) { .type = VM_ADDRESS_USB, .usb_port = imp_strdup(imp, v) };
                qemu_opt_ignore(&o->o, "bus");
                if (imp_check_unused(imp, o))
                        return 1;
                r = imp_id_add(imp, ID_CCID, id ?: "ccid0", k.index);
                if (r < 0)
                        return r;
                imp->usb_requested = true;
                goto add;
        }
        for (size_t i = 0; i < o->o.n; i++)
                o->o.v[i].used = false;
        return 1;                       /* not a controller: the second round */

add:
        qemu_opt_ignore(&o->o, "id");
        if (k.type == VM_CONTROLLER_USB)
                imp->usb_requested = true;
        n = VM_DEVICE_NEW(imp->def, controllers);
        if (!n)
                return imp_oom(imp);
        *n = k;
        return 0;
}

/* ---- character devices ---- */

static int host_port(Import *imp, const char *s, VmCharSource *src) {
        const char *colon = strrchr(s, ':');

        if (!colon)
                return 1;
        src->host = colon == s ? NULL : imp_strndup_host(imp, s, (size_t) (colon - s));
        src->service = imp_strdup(imp, colon + 1);
        return 0;
}

int imp_chardev_source(Import *imp, ImportOpt *c, VmCharSource *src) {
        const char *backend, *v;
        VmTristate server = VM_TRISTATE_ABSENT, wait = VM_TRISTATE_ABSENT, telnet = VM_TRISTATE_ABSENT,
                   append = VM_TRISTATE_ABSENT, logappend = VM_TRISTATE_ABSENT;
        unsigned reconnect = 0;

        backend = qemu_opt_get(&c->o, "backend");
        qemu_opt_ignore(&c->o, "id");
        if (!backend)
                return 1;
        if (qemu_opt_get_bool(&c->o, "server", &server) < 0 || qemu_opt_get_bool(&c->o, "wait", &wait) < 0 ||
            qemu_opt_get_bool(&c->o, "telnet", &telnet) < 0 || qemu_opt_get_bool(&c->o, "append", &append) < 0 ||
            qemu_opt_get_bool(&c->o, "logappend", &logappend) < 0 ||
            qemu_opt_get_uint(&c->o, "reconnect", &reconnect) < 0)
                return imp_fail(imp, "-chardev '%s': invalid value", c->arg);
        if (streq(backend, "null") || streq(backend, "pty") || streq(backend, "stdio"))
                src->type = imp_strdup(imp, backend);
        else if (streq(backend, "file") || streq(backend, "pipe") || streq(backend, "serial") ||
                 streq(backend, "tty")) {
                src->type = (char *) (streq(backend, "file") ? "file" : streq(backend, "pipe") ? "pipe" : "dev");
                src->path = imp_abs_path(imp, qemu_opt_get(&c->o, "path"), "-chardev path");
                if (!src->path)
                        return 1;       /* the domain XML wants absolute paths */
                src->append = append;
        } else if (streq(backend, "socket")) {
                v = qemu_opt_get(&c->o, "path");
                if (v) {
                        src->type = (char *) "unix";
                        src->path = imp_abs_path(imp, v, "-chardev socket path");
                        if (!src->path)
                                return 1;
                } else {
                        src->type = (char *) "tcp";
                        src->host = imp_strdup(imp, qemu_opt_get(&c->o, "host") ?: "0.0.0.0");
                        src->service = imp_strdup(imp, qemu_opt_get(&c->o, "port"));
                        if (!src->service)
                                return 1;
                        if (telnet == VM_TRISTATE_ON)
                                src->protocol = (char *) "telnet";
                }
                src->listen = server == VM_TRISTATE_ON;
                if (src->listen && wait != VM_TRISTATE_OFF)
                        imp_note(imp, "-chardev %s: QEMU waited for a client before starting the guest; vmunit "
                                 "starts it at once (wait=off)", c->arg);
                if (reconnect) {
                        src->reconnect = VM_TRISTATE_ON;
                        src->reconnect_timeout = reconnect;
                }
        } else if (streq(backend, "udp")) {
                src->type = (char *) "udp";
                src->host = imp_strdup(imp, qemu_opt_get(&c->o, "host") ?: "");
                src->service = imp_strdup(imp, qemu_opt_get(&c->o, "port"));
                src->bind_host = imp_strdup(imp, qemu_opt_get(&c->o, "localaddr"));
                src->bind_service = imp_strdup(imp, qemu_opt_get(&c->o, "localport"));
                if (!src->service)
                        return 1;
        } else if (streq(backend, "spicevmc")) {
                src->type = (char *) "spicevmc";
                src->channel = imp_strdup(imp, qemu_opt_get(&c->o, "name"));
        } else
                return 1;
        v = qemu_opt_get(&c->o, "logfile");
        if (v) {
                src->log_file = imp_abs_path(imp, v, "-chardev logfile");
                if (!src->log_file)
                        return 1;
                src->log_append = logappend;
        }
        return qemu_opt_first_unused(&c->o) ? 1 : 0;
}

/* The -chardev named by a front end's chardev=; NULL (and a reason on @o) when unusable. */
static ImportOpt *frontend_chardev(Import *imp, ImportOpt *o, VmCharSource *src) {
        const char *id = qemu_opt_get(&o->o, "chardev");
        ImportOpt *c;
        int r;

        if (!id) {
                (void) imp_passthrough(imp, o, "it has no chardev=");
                return NULL;
        }
        c = imp_find_backend(imp, "chardev", "id", id);
        if (!c || c->done) {
                (void) imp_passthrough(imp, o, "no (unused) -chardev '%s'", id);
                return NULL;
        }
        r = imp_chardev_source(imp, c, src);
        if (r != 0) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&c->o);
                (void) imp_passthrough(imp, o, "its -chardev '%s'%s%s cannot be represented", id, l ? " with " : "",
                                       strempty(l));
                return NULL;
        }
        return c;
}

int imp_device_chardev_frontend(Import *imp, ImportOpt *o, const char *driver) {
        VmChar ch = { .target_port = -1, .same_as_serial = -1 };
        ImportOpt *c;
        VmChar *n;

        c = frontend_chardev(imp, o, &ch.src);
        if (!c)
                return 1;
        if (streq(driver, "isa-serial") || streq(driver, "pci-serial") || streq(driver, "usb-serial")) {
                unsigned idx = 0;
                ch.kind = VM_CHAR_SERIAL;
                if (streq(driver, "isa-serial")) {
                        unsigned iobase = 0, irq = 0;
                        int r = qemu_opt_get_uint(&o->o, "index", &idx);
                        if (r < 0 || idx > 3 || qemu_opt_get_uint(&o->o, "iobase", &iobase) < 0 ||
                            qemu_opt_get_uint(&o->o, "irq", &irq) < 0)
                                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                        if (r == 0) {
                                for (unsigned i = 0; i < imp->def->n_chars; i++)
                                        if (imp->def->chars[i].kind == VM_CHAR_SERIAL)
                                                idx++;
                                if (idx > 3)
                                        return imp_passthrough(imp, o, "the PC has four ISA serial ports");
                        }
                        ch.target_port = (int) idx;
                        if (iobase || irq)
                                ch.addr = (VmAddress) { .type = VM_ADDRESS_ISA, .iobase = iobase, .irq = irq };
                } else if (streq(driver, "pci-serial")) {
                        ch.target_type = (char *) "pci-serial";
                        if (imp_pci_address(imp, &o->o, &ch.addr) < 0)
                                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                } else {
                        const char *port = qemu_opt_get(&o->o, "port");
                        ch.target_type = (char *) "usb-serial";
                        qemu_opt_ignore(&o->o, "bus");
                        if (port)
                                ch.addr = (VmAddress) { .type = VM_ADDRESS_USB, .usb_port = imp_strdup(imp, port) };
                        imp->usb_requested = true;
                }
        } else if (streq(driver, "isa-parallel")) {
                ch.kind = VM_CHAR_PARALLEL;
                qemu_opt_ignore(&o->o, "index");
        } else {                        /* virtserialport, virtconsole */
                const char *bus = qemu_opt_get(&o->o, "bus"), *name = qemu_opt_get(&o->o, "name");
                unsigned index = 0, sub = 0, nr = 0;
                bool console = streq(driver, "virtconsole");

                ch.kind = console ? VM_CHAR_CONSOLE : VM_CHAR_CHANNEL;
                ch.target_type = (char *) "virtio";
                if (bus && imp_bus_find(imp, ID_VIRTIO_SERIAL, bus, &index, &sub) < 0)
                        return imp_passthrough(imp, o, "virtio-serial bus '%s' is unknown", bus);
                if (qemu_opt_get_uint(&o->o, "nr", &nr) < 0)
                        return imp_fail(imp, "%s '%s': invalid nr", o->name, o->arg);
                if (bus || nr)
                        ch.addr = (VmAddress) { .type = VM_ADDRESS_VIRTIO_SERIAL, .controller = index, .bus = sub,
                                                .port = nr };
                if (!console && !bus)
                        return imp_passthrough(imp, o, "a port without bus= cannot be represented");
                if (name) {
                        if (console || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                                       != strlen(name) || startswith(name, "vmunit-") || name[0] == '.')
                                return imp_passthrough(imp, o, "port name '%s' cannot be represented", name);
                        ch.target_name = imp_strdup(imp, name);
                }
        }
        ch.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, chars);
        if (!n)
                return imp_oom(imp);
        *n = ch;
        c->done = true;
        return 0;
}

/* ---- networking ---- */

static bool nic_model_ok(const char *m) {
        static const char * const nics[] = { "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet", "i82559er",
                                              "i82551", "i82557b", "i82801", "vmxnet3", "e1000-82540em",
                                              "e1000-82544gc", "e1000-82545em", "igb", "tulip", "usb-net", NULL };
        for (const char * const *n = nics; *n; n++)
                if (streq(*n, m))
                        return true;
        return false;
}

static const char *nic_model_of_driver(const char *driver) {
        if (streq(driver, "virtio-net-pci") || streq(driver, "virtio-net") || streq(driver, "virtio"))
                return "virtio";
        return nic_model_ok(driver) ? driver : NULL;
}

/* A -netdev/-net/-nic backend into @n; 1 when it cannot be represented. */
static int net_backend(Import *imp, QemuOptList *b, VmNet *n) {
        const char *type = qemu_opt_get(b, "type"), *v;
        VmTristate vhost = VM_TRISTATE_ABSENT;

        qemu_opt_ignore(b, "id");
        qemu_opt_ignore(b, "name");
        if (!type)
                return 1;
        if (streq(type, "user")) {
                n->type = (char *) "user";
        } else if (streq(type, "tap")) {
                const char *fd = qemu_opt_get(b, "fd"), *fds = qemu_opt_get(b, "fds"), *ifname = qemu_opt_get(b, "ifname");
                const char *script = qemu_opt_get(b, "script"), *down = qemu_opt_get(b, "downscript");
                n->type = (char *) "ethernet";
                if (ifname) {
                        if (strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                            strlen(ifname) || strlen(ifname) > 15)
                                return 1;
                        n->target_dev = imp_strdup(imp, ifname);
                }
                if (fds) {
                        n->queues = 1;
                        for (const char *c = fds; *c; c++)
                                if (*c == ':')
                                        n->queues++;
                }
                if ((fd || fds) && !imp->tap_fd_noted) {
                        imp_note(imp, "tap fd=%s: file descriptors of the process that started QEMU; vmunit opens "
                                 "its own taps", fd ?: fds);
                        imp->tap_fd_noted = true;
                }
                if (script && !streq(script, "no")) {
                        n->script = imp_abs_path(imp, script, "tap script");
                        if (!n->script)
                                return 1;
                }
                if (down && !streq(down, "no"))
                        return 1;
                if (qemu_opt_get_bool(b, "vhost", &vhost) < 0)
                        return 1;
                qemu_opt_ignore(b, "vhostfd");
                qemu_opt_ignore(b, "vhostfds");
                if (vhost == VM_TRISTATE_ON)
                        n->driver_name = (char *) "vhost";
                v = qemu_opt_get(b, "queues");
                if (v && sscanf(v, "%u", &n->queues) != 1)
                        return 1;
        } else if (streq(type, "bridge")) {
                n->type = (char *) "bridge";
                n->source_bridge = imp_strdup(imp, qemu_opt_get(b, "br") ?: "br0");
        } else if (streq(type, "socket")) {
                const char *listen = qemu_opt_get(b, "listen"), *connect = qemu_opt_get(b, "connect"),
                           *mcast = qemu_opt_get(b, "mcast"), *addr = listen ?: connect ?: mcast;
                const char *colon = addr ? strrchr(addr, ':') : NULL;
                if (!colon || !!listen + !!connect + !!mcast != 1 || sscanf(colon + 1, "%u", &n->source_port) != 1)
                        return 1;
                n->type = (char *) (listen ? "server" : connect ? "client" : "mcast");
                n->source_address = colon > addr ? imp_strndup_host(imp, addr, (size_t) (colon - addr)) : NULL;
                if (!listen && !n->source_address)
                        return 1;
        } else if (streq(type, "dgram")) {
                const char *rt = qemu_opt_get(b, "remote.type"), *lt = qemu_opt_get(b, "local.type");
                if (!rt || !streq(rt, "inet") || (lt && !streq(lt, "inet")))
                        return 1;
                n->type = (char *) "udp";
                n->source_address = imp_strdup(imp, qemu_opt_get(b, "remote.host"));
                v = qemu_opt_get(b, "remote.port");
                if (!n->source_address || !v || sscanf(v, "%u", &n->source_port) != 1)
                        return 1;
                n->source_local_address = imp_strdup(imp, qemu_opt_get(b, "local.host"));
                v = qemu_opt_get(b, "local.port");
                if (v && sscanf(v, "%u", &n->source_local_port) != 1)
                        return 1;
        } else
                return 1;
        return qemu_opt_first_unused(b) ? 1 : 0;
}

static int nic_common(Import *imp, ImportOpt *o, VmNet *n, const char *mac_key) {
        const char *mac = qemu_opt_get(&o->o, mac_key);
        unsigned b[6];
        char tail;

        if (mac) {
                if (strlen(mac) != 17 || sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                                &b[5], &tail) != 6)
                        return imp_fail(imp, "%s '%s': invalid MAC address '%s'", o->name, o->arg, mac);
                if (b[0] & 1)
                        return imp_fail(imp, "%s '%s': MAC address '%s' is a multicast address", o->name, o->arg, mac);
                n->mac = imp_strdupf(imp, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
        }
        if (imp_pci_address(imp, &o->o, &n->addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        return 0;
}

static VmNet *append_net(Import *imp, const VmNet *net) {
        VmNet *n = VM_DEVICE_NEW(imp->def, nets);

        if (!n) {
                (void) imp_oom(imp);
                return NULL;
        }
        *n = *net;
        return n;
}

int imp_device_net(Import *imp, ImportOpt *o, const char *driver) {
        VmNet n = {};
        const char *id = qemu_opt_get(&o->o, "netdev"), *rom;
        VmTristate mq = VM_TRISTATE_ABSENT, rombar = VM_TRISTATE_ABSENT;
        unsigned vectors = 0;
        ImportOpt *b;
        int r;

        imp->have_net_option = true;
        n.model = imp_strdup(imp, nic_model_of_driver(driver));
        b = imp_find_backend(imp, "netdev", "id", id);
        if (!b || b->done)
                return imp_passthrough(imp, o, "no (unused) -netdev '%s'", strempty(id));
        if (net_backend(imp, &b->o, &n) != 0) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&b->o);
                return imp_passthrough(imp, o, "its -netdev '%s'%s%s cannot be represented", id, l ? " with " : "",
                                       strempty(l));
        }
        r = nic_common(imp, o, &n, "mac");
        if (r != 0)
                return r;
        if (qemu_opt_get_uint(&o->o, "bootindex", &n.boot_order) < 0 ||
            qemu_opt_get_uint(&o->o, "host_mtu", &n.mtu) < 0 || qemu_opt_get_bool(&o->o, "mq", &mq) < 0 ||
            qemu_opt_get_uint(&o->o, "vectors", &vectors) < 0 || qemu_opt_get_bool(&o->o, "rombar", &rombar) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        if (n.mtu && !streq(n.model, "virtio"))
                return imp_passthrough(imp, o, "host_mtu is only for virtio NICs");
        if (mq == VM_TRISTATE_ON) {
                if (!streq(n.model, "virtio") || vectors < 4 || vectors % 2)
                        return imp_passthrough(imp, o, "its multiqueue settings cannot be represented");
                n.queues = (vectors - 2) / 2;
        } else if (vectors)
                return imp_passthrough(imp, o, "vectors= without mq=on cannot be represented");
        n.rom_bar = rombar;
        rom = qemu_opt_get(&o->o, "romfile");
        if (rom && !*rom)
                n.rom_enabled = VM_TRISTATE_OFF;
        else if (rom)
                n.rom_file = imp_strdup(imp, rom);
        n.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        if (!append_net(imp, &n))
                return imp->status;
        b->done = true;
        return 0;
}

/* -nic TYPE,model=,mac=,...: backend and NIC in one */
int imp_nic(Import *imp, ImportOpt *o) {
        VmNet n = {};
        const char *model;
        int r;

        imp->have_net_option = true;
        r = imp_parse(imp, o, "type");
        if (r < 0)
                return r;
        if (streq(strempty(qemu_opt_get(&o->o, "type")), "none") && o->o.n == 1)
                return 0;
        model = qemu_opt_get(&o->o, "model");
        n.model = imp_strdup(imp, model ? nic_model_of_driver(model) : imp->q35 ? "e1000e" : "e1000");
        if (!n.model)
                return imp_passthrough(imp, o, "NIC model '%s' is not supported", model);
        r = nic_common(imp, o, &n, "mac");
        if (r != 0)
                return r;
        if (net_backend(imp, &o->o, &n) != 0)
                return imp_passthrough(imp, o, "vmunit cannot represent it");
        return append_net(imp, &n) ? 0 : imp->status;
}

/* -net nic,... and -net user|tap|bridge|socket,...: QEMU connects NICs and backends on a hub (vlan=N,
 * 0 by default). One NIC and one backend on a hub are one <interface>. */
int imp_net_legacy(Import *imp) {
        ImportOpt *nics[64], *backends[64];
        unsigned n_nics = 0, n_backends = 0;
        bool none = false;

        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];
                const char *type;
                if (o->done || o->why || !streq(opt_bare(o), "net"))
                        continue;
                imp->have_net_option = true;
                if (imp_parse(imp, o, "type") < 0)
                        return imp->status;
                type = qemu_opt_get(&o->o, "type");
                if (type && streq(type, "none")) {
                        none = true;
                        o->done = true;
                } else if (type && streq(type, "nic") && n_nics < ELEMENTSOF(nics))
                        nics[n_nics++] = o;
                else if (n_backends < ELEMENTSOF(backends))
                        backends[n_backends++] = o;
        }
        for (unsigned i = 0; i < n_nics; i++) {
                ImportOpt *o = nics[i], *b = NULL;
                const char *vlan = qemu_opt_get(&o->o, "vlan"), *netdev = qemu_opt_get(&o->o, "netdev"), *model;
                VmNet n = {};
                unsigned same = 0;
                int r;

                if (netdev) {
                        b = imp_find_backend(imp, "netdev", "id", netdev);
                        if (!b || b->done) {
                                (void) imp_passthrough(imp, o, "no (unused) -netdev '%s'", netdev);
                                continue;
                        }
                } else {
                        for (unsigned k = 0; k < n_backends; k++) {
                                const char *bv = qemu_opt_get(&backends[k]->o, "vlan");
                                if (!streq(strempty(bv), strempty(vlan)) && !(!bv && vlan && streq(vlan, "0")) &&
                                    !(!vlan && bv && streq(bv, "0")))
                                        continue;
                                if (!b)
                                        b = backends[k];
                                same++;
                        }
                        for (unsigned k = 0; k < n_nics; k++)
                                if (streq(strempty(qemu_opt_get(&nics[k]->o, "vlan")), strempty(vlan)) && k != i)
                                        same++;
                        if (!b) {
                                (void) imp_passthrough(imp, o, "a NIC with no backend on its hub");
                                continue;
                        }
                        if (same > 1)
                                imp_warn(imp, "-net hub %s connects several NICs and backends; vmunit gives each NIC "
                                         "its own backend of the first kind", strempty(vlan) ?: "0");
                }
                model = qemu_opt_get(&o->o, "model");
                n.model = imp_strdup(imp, model ? nic_model_of_driver(model) : imp->q35 ? "e1000e" : "e1000");
                if (!n.model) {
                        (void) imp_passthrough(imp, o, "NIC model '%s' is not supported", model);
                        continue;
                }
                r = nic_common(imp, o, &n, "macaddr");
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                qemu_opt_ignore(&o->o, "type");
                qemu_opt_ignore(&o->o, "vlan");
                qemu_opt_ignore(&o->o, "name");
                qemu_opt_ignore(&b->o, "vlan");
                if (net_backend(imp, &b->o, &n) != 0) {
                        (void) imp_passthrough(imp, o, "its backend cannot be represented");
                        continue;
                }
                if (imp_check_unused(imp, o))
                        continue;
                if (!append_net(imp, &n))
                        return imp->status;
                o->done = true;
                b->done = true;
        }
        for (unsigned k = 0; k < n_backends; k++)
                if (!backends[k]->done && none)
                        (void) imp_passthrough(imp, backends[k], "no NIC uses it");
        return imp->status;
}

/* ---- -serial, -parallel ---- */

int imp_char_spec(Import *imp, const char *spec, VmCharSource *src) {
        _cleanup_free_ char *s = strdup(spec);
        char *opts, *save = NULL;

        if (!s)
                return imp_oom(imp);
        if (streq(s, "null") || streq(s, "pty") || streq(s, "stdio")) {
                src->type = imp_strdup(imp, s);
                return 0;
        }
        if (startswith(s, "file:") || startswith(s, "pipe:")) {
                src->type = (char *) (s[1] == 'i' ? "file" : "pipe");
                src->path = imp_abs_path(imp, s + 5, "character device");
                return src->path ? 0 : 1;
        }
        if (startswith(s, "/dev/")) {
                src->type = (char *) "dev";
                src->path = imp_strdup(imp, s);
                return 0;
        }
        opts = strchr(s, ',');
        if (opts)
                *opts++ = 0;
        if (startswith(s, "unix:")) {
                src->type = (char *) "unix";
                src->path = imp_abs_path(imp, s + 5, "character device");
                if (!src->path)
                        return 1;
        } else if (startswith(s, "tcp:") || startswith(s, "telnet:")) {
                src->type = (char *) "tcp";
                if (host_port(imp, strchr(s, ':') + 1, src) != 0)
                        return 1;
                if (!src->host)
                        src->host = (char *) "0.0.0.0";
                if (startswith(s, "telnet:"))
                        src->protocol = (char *) "telnet";
        } else if (startswith(s, "udp:")) {
                char *at = strchr(s + 4, '@');
                src->type = (char *) "udp";
                if (at) {
                        VmCharSource b = {};
                        *at++ = 0;
                        if (host_port(imp, at, &b) != 0)
                                return 1;
                        src->bind_host = b.host;
                        src->bind_service = b.service;
                }
                if (host_port(imp, s + 4, src) != 0)
                        return 1;
                if (!src->host)
                        src->host = (char *) "";
        } else
                return 1;
        for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
                if (streq(t, "server") || streq(t, "server=on"))
                        src->listen = true;
                else if (streq(t, "nowait") || streq(t, "wait=off"))
                        ;
                else if (streq(t, "telnet") || streq(t, "telnet=on"))
                        src->protocol = (char *) "telnet";
                else
                        return 1;
        }
        return 0;
}

int imp_serial_parallel(Import *imp, ImportOpt *o) {
        bool parallel = streq(opt_bare(o), "parallel");
        VmChar ch = { .kind = parallel ? VM_CHAR_PARALLEL : VM_CHAR_SERIAL, .target_port = -1, .same_as_serial = -1 };
        const char *spec = o->arg;
        unsigned port = 0;
        VmChar *n;

        for (size_t i = 0; i < imp->n_opts && &imp->opts[i] != o; i++)
                if (streq(opt_bare(&imp->opts[i]), opt_bare(o)))
                        port++;
        if (streq(spec, "none"))
                return 0;
        if (startswith(spec, "mon:")) {
                imp_note(imp, "%s %s: the monitor multiplexed onto it is vmunit's business; only the port is "
                         "imported", o->name, spec);
                spec += 4;
        }
        if (startswith(spec, "chardev:")) {
                ImportOpt *c = imp_find_backend(imp, "chardev", "id", spec + 8);
                if (!c || c->done || imp_chardev_source(imp, c, &ch.src) != 0)
                        return imp_passthrough(imp, o, "its -chardev cannot be represented");
                c->done = true;
        } else if (imp_char_spec(imp, spec, &ch.src) != 0)
                return imp_passthrough(imp, o, "character device '%s' cannot be represented", spec);
        if (!parallel) {
                if (port > 3)
                        return imp_passthrough(imp, o, "the PC has four serial ports");
                ch.target_port = (int) port;
        }
        n = VM_DEVICE_NEW(imp->def, chars);
        if (!n)
                return imp_oom(imp);
        *n = ch;
        return 0;
}

int imp_usbdevice(Import *imp, ImportOpt *o) {
        static const struct { const char *name, *type; } t[] = {
                { "tablet", "tablet" }, { "mouse", "mouse" }, { "keyboard", "keyboard" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(o->arg, t[i].name)) {
                        VmInput *in = VM_DEVICE_NEW(imp->def, inputs);
                        if (!in)
                                return imp_oom(imp);
                        in->type = (char *) t[i].type;
                        in->bus = (char *) "usb";
                        imp->usb_requested = true;
                        return 0;
                }
        return imp_passthrough(imp, o, "USB device '%s' is not supported", o->arg);
}

/* ---- the other -device ---- */

static int usb_port(Import *imp, ImportOpt *o, VmAddress *a) {
        const char *bus = qemu_opt_get(&o->o, "bus"), *port = qemu_opt_get(&o->o, "port");
        unsigned idx = 0;

        if (bus && (imp_bus_find(imp, ID_USB, bus, &idx, NULL) < 0 || idx != 0))
                return imp_passthrough(imp, o, "only the first USB controller is supported");
        if (port) {
                if (strspn(port, "0123456789.") != strlen(port) || !*port)
                        return imp_fail(imp, "%s '%s': invalid USB port", o->name, o->arg);
                *a = (VmAddress) { .type = VM_ADDRESS_USB, .usb_port = imp_strdup(imp, port) };
        }
        imp->usb_requested = true;
        return 0;
}

static int device_input(Import *imp, ImportOpt *o, const char *driver) {
        VmInput in = {};
        VmInput *n;
        int r;

        in.type = (char *) (strstr(driver, "tablet") ? "tablet" : strstr(driver, "mouse") ? "mouse" : "keyboard");
        if (startswith(driver, "usb-")) {
                in.bus = (char *) "usb";
                r = usb_port(imp, o, &in.addr);
                if (r != 0)
                        return r;
        } else {
                in.bus = (char *) "virtio";
                if (imp_pci_address(imp, &o->o, &in.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        }
        in.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, inputs);
        if (!n)
                return imp_oom(imp);
        *n = in;
        return 0;
}

static int device_video(Import *imp, ImportOpt *o, const char *driver) {
        VmVideo v = {};
        VmVideo *n;
        uint64_t ram = 0, vram = 0, vgamem = 0;
        unsigned mb = 0, vram64 = 0, heads = 0;

        if (qemu_opt_get_u64(&o->o, "ram_size", &ram) < 0 || qemu_opt_get_u64(&o->o, "vram_size", &vram) < 0 ||
            qemu_opt_get_uint(&o->o, "vram64_size_mb", &vram64) < 0 || qemu_opt_get_uint(&o->o, "vgamem_mb", &mb) < 0 ||
            qemu_opt_get_uint(&o->o, "max_outputs", &heads) < 0 || qemu_opt_get_u64(&o->o, "vgamem", &vgamem) < 0 ||
            ram / 1024 > UINT32_MAX || vram / 1024 > UINT32_MAX || vgamem / 1024 > UINT32_MAX || mb > 4096 ||
            vram64 > 4096)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        if (streq(driver, "VGA")) {
                v.model = (char *) "vga";
                v.vram_kib = mb * 1024;
        } else if (streq(driver, "cirrus-vga"))
                v.model = (char *) "cirrus";
        else if (streq(driver, "qxl-vga") || streq(driver, "qxl")) {
                v.model = (char *) "qxl";
                v.ram_kib = (unsigned) (ram / 1024);
                v.vram_kib = (unsigned) (vram / 1024);
                v.vram64_kib = vram64 * 1024;
                v.vgamem_kib = mb * 1024;
                v.heads = heads;
        } else if (streq(driver, "virtio-vga") || streq(driver, "virtio-gpu-pci")) {
                v.model = (char *) "virtio";
                v.heads = heads;
        } else if (streq(driver, "bochs-display")) {
                v.model = (char *) "bochs";
                v.vram_kib = (unsigned) (vgamem / 1024);
        } else
                v.model = (char *) "ramfb";
        /* the first video device is the primary one: qxl-vga/virtio-vga only there, qxl/virtio-gpu after */
        if ((imp->def->n_videos == 0) != (streq(driver, "qxl-vga") || streq(driver, "virtio-vga") ||
                                         streq(driver, "VGA") || streq(driver, "cirrus-vga") ||
                                         streq(driver, "bochs-display") || streq(driver, "ramfb")))
                return imp_passthrough(imp, o, "vmunit makes the first video device the primary (VGA) one");
        if (imp_pci_address(imp, &o->o, &v.addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        v.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, videos);
        if (!n)
                return imp_oom(imp);
        *n = v;
        return 0;
}

static int device_sound(Import *imp, ImportOpt *o, const char *driver) {
        VmSound s = {};
        VmSound *n;
        const char *id = qemu_opt_get(&o->o, "id");
        int r;

        if (startswith(driver, "hda-")) {
                unsigned idx, cad = 0, cnt = 0;
                const char *bus = qemu_opt_get(&o->o, "bus");
                char **c;
                if (!bus || imp_bus_find(imp, ID_SOUND, bus, &idx, NULL) < 0 || idx >= imp->def->n_sounds)
                        return imp_passthrough(imp, o, "its HDA bus '%s' is unknown", strempty(bus));
                while (imp->def->sounds[idx].codecs && imp->def->sounds[idx].codecs[cnt])
                        cnt++;
                if (qemu_opt_get_uint(&o->o, "cad", &cad) < 0 || (qemu_opt_has(&o->o, "cad") && cad != cnt))
                        return imp_passthrough(imp, o, "codec address %u cannot be represented", cad);
                qemu_opt_ignore(&o->o, "audiodev");
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                c = VM_ARRAY_NEW(imp->def, imp->def->sounds[idx].codecs, cnt);
                if (!c)
                        return imp_oom(imp);
                *c = imp_strdup(imp, driver + 4);   /* @driver lives in the option list */
                if (!VM_ARRAY_NEW(imp->def, imp->def->sounds[idx].codecs, cnt))
                        return imp_oom(imp);
                return 0;
        }
        s.model = (char *) (streq(driver, "intel-hda") ? "ich6" : streq(driver, "ich9-intel-hda") ? "ich9" :
                            streq(driver, "AC97") ? "ac97" : streq(driver, "ES1370") ? "es1370" :
                            streq(driver, "sb16") ? "sb16" : "usb");
        if (streq(s.model, "usb")) {
                r = usb_port(imp, o, &s.addr);
                if (r != 0)
                        return r;
        } else if (imp_pci_address(imp, &o->o, &s.addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        qemu_opt_ignore(&o->o, "audiodev");
        s.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        r = imp_id_add(imp, ID_SOUND, id ?: "", imp->def->n_sounds);
        if (r < 0)
                return r;
        n = VM_DEVICE_NEW(imp->def, sounds);
        if (!n)
                return imp_oom(imp);
        *n = s;
        return 0;
}

static int device_rng(Import *imp, ImportOpt *o) {
        VmRng g = { .model = (char *) "virtio" };
        ImportOpt *obj, *chr = NULL;
        const char *type;
        VmRng *n;

        obj = imp_find_backend(imp, "object", "id", qemu_opt_get(&o->o, "rng"));
        if (!obj || obj->done)
                return imp_passthrough(imp, o, "no (unused) RNG -object");
        type = qemu_opt_get(&obj->o, "qom-type");
        qemu_opt_ignore(&obj->o, "id");
        if (type && streq(type, "rng-random")) {
                g.backend_model = (char *) "random";
                g.backend_path = imp_strdup(imp, qemu_opt_get(&obj->o, "filename") ?: "/dev/urandom");
                if (!streq(g.backend_path, "/dev/urandom") && !streq(g.backend_path, "/dev/random") &&
                    !streq(g.backend_path, "/dev/hwrng"))
                        return imp_passthrough(imp, o, "RNG source '%s' is not allowed", g.backend_path);
        } else if (type && streq(type, "rng-egd")) {
                g.backend_model = (char *) "egd";
                chr = imp_find_backend(imp, "chardev", "id", qemu_opt_get(&obj->o, "chardev"));
                if (!chr || chr->done || imp_chardev_source(imp, chr, &g.egd) != 0)
                        return imp_passthrough(imp, o, "its EGD -chardev cannot be represented");
        } else if (type && streq(type, "rng-builtin"))
                g.backend_model = (char *) "builtin";
        else
                return imp_passthrough(imp, o, "RNG backend '%s' is not supported", strempty(type));
        if (qemu_opt_first_unused(&obj->o))
                return imp_passthrough(imp, o, "its RNG -object cannot be represented");
        if (qemu_opt_get_uint(&o->o, "max-bytes", &g.rate_bytes) < 0 ||
            qemu_opt_get_uint(&o->o, "period", &g.rate_period) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        if (imp_pci_address(imp, &o->o, &g.addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        g.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, rngs);
        if (!n)
                return imp_oom(imp);
        *n = g;
        obj->done = true;
        if (chr)
                chr->done = true;
        return 0;
}

static int device_tpm(Import *imp, ImportOpt *o, const char *driver) {
        ImportOpt *td, *chr;
        const char *type;
        VmCharSource s = {};
        VmTpm *t;

        td = imp_find_backend(imp, "tpmdev", "id", qemu_opt_get(&o->o, "tpmdev"));
        if (!td || td->done)
                return imp_passthrough(imp, o, "no (unused) -tpmdev");
        type = qemu_opt_get(&td->o, "type");
        qemu_opt_ignore(&td->o, "id");
        if (!type || !streq(type, "emulator"))
                return imp_passthrough(imp, o, "TPM backend '%s' is not supported", strempty(type));
        chr = imp_find_backend(imp, "chardev", "id", qemu_opt_get(&td->o, "chardev"));
        if (!chr || chr->done || imp_chardev_source(imp, chr, &s) != 0 || !streq(s.type, "unix") || s.listen ||
            qemu_opt_first_unused(&td->o))
                return imp_passthrough(imp, o, "only an external TPM on a unix socket is supported");
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        t = VM_DEVICE_NEW(imp->def, tpms);
        if (!t)
                return imp_oom(imp);
        t->model = imp_strdup(imp, driver);
        t->backend_type = (char *) "external";
        t->backend_path = s.path;
        td->done = chr->done = true;
        return 0;
}

static int device_misc(Import *imp, ImportOpt *o, const char *driver) {
        VmDef *def = imp->def;
        int r;

        if (streq(driver, "virtio-balloon-pci") || streq(driver, "virtio-balloon")) {
                VmMemballoon m = { .model = (char *) "virtio", .present = true };
                if (imp->have_balloon)
                        return imp_passthrough(imp, o, "only one balloon");
                if (qemu_opt_get_bool(&o->o, "deflate-on-oom", &m.autodeflate) < 0 ||
                    qemu_opt_get_bool(&o->o, "free-page-reporting", &m.free_page_reporting) < 0 ||
                    qemu_opt_get_uint(&o->o, "guest-stats-polling-interval", &m.stats_period) < 0)
                        return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                if (imp_pci_address(imp, &o->o, &m.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                def->memballoon = m;
                imp->have_balloon = true;
                return 0;
        }
        if (streq(driver, "ib700") || streq(driver, "i6300esb")) {
                VmWatchdog *w, wd = { .model = imp_strdup(imp, driver), .action = (char *) "reset" };
                if (imp_pci_address(imp, &o->o, &wd.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                w = VM_DEVICE_NEW(def, watchdogs);
                if (!w)
                        return imp_oom(imp);
                *w = wd;
                return 0;
        }
        if (streq(driver, "pvpanic")) {
                VmPanic *p;
                unsigned ioport = 0;
                if (qemu_opt_get_uint(&o->o, "ioport", &ioport) < 0 || ioport > 0xffff)
                        return imp_fail(imp, "%s '%s': invalid ioport", o->name, o->arg);
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                p = VM_DEVICE_NEW(def, panics);
                if (!p)
                        return imp_oom(imp);
                p->model = (char *) "isa";
                if (ioport)
                        p->addr = (VmAddress) { .type = VM_ADDRESS_ISA, .iobase = ioport };
                return 0;
        }
        if (streq(driver, "usb-redir")) {
                VmRedirdev rd = { .bus = (char *) "usb" };
                VmRedirdev *n;
                ImportOpt *c = frontend_chardev(imp, o, &rd.src);
                if (!c)
                        return 1;
                r = usb_port(imp, o, &rd.addr);
                if (r != 0)
                        return r;
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                n = VM_DEVICE_NEW(def, redirdevs);
                if (!n)
                        return imp_oom(imp);
                *n = rd;
                c->done = true;
                return 0;
        }
        if (streq(driver, "ccid-card-passthru")) {
                VmSmartcard sc = { .mode = (char *) "passthrough" };
                VmSmartcard *n;
                unsigned idx = 0;
                const char *bus = qemu_opt_get(&o->o, "bus");
                ImportOpt *c = frontend_chardev(imp, o, &sc.src);
                if (!c)
                        return 1;
                if (bus && imp_bus_find(imp, ID_CCID, bus, &idx, NULL) < 0)
                        return imp_passthrough(imp, o, "CCID bus '%s' is unknown", bus);
                sc.addr = (VmAddress) { .type = VM_ADDRESS_CCID, .controller = idx };
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                n = VM_DEVICE_NEW(def, smartcards);
                if (!n)
                        return imp_oom(imp);
                *n = sc;
                c->done = true;
                return 0;
        }
        if (streq(driver, "intel-iommu") || streq(driver, "virtio-iommu-pci") || streq(driver, "virtio-iommu")) {
                VmIommu m = { .present = true };
                if (def->iommu.present)
                        return imp_passthrough(imp, o, "only one IOMMU");
                if (streq(driver, "intel-iommu")) {
                        m.model = (char *) "intel";
                        if (qemu_opt_get_bool(&o->o, "intremap", &m.intremap) < 0 ||
                            qemu_opt_get_bool(&o->o, "caching-mode", &m.caching_mode) < 0 ||
                            qemu_opt_get_bool(&o->o, "eim", &m.eim) < 0 ||
                            qemu_opt_get_bool(&o->o, "device-iotlb", &m.iotlb) < 0 ||
                            qemu_opt_get_uint(&o->o, "aw-bits", &m.aw_bits) < 0)
                                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                        if (!imp->irqchip_split && def->virt_type && streq(def->virt_type, "kvm"))
                                imp_warn(imp, "vmunit runs an Intel IOMMU under KVM with -machine "
                                         "kernel-irqchip=split, which the line does not use");
                } else {
                        m.model = (char *) "virtio";
                        if (imp_pci_address(imp, &o->o, &m.addr) < 0)
                                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                }
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                def->iommu = m;
                return 0;
        }
        if (streq(driver, "vmcoreinfo")) {
                if (imp_check_unused(imp, o))
                        return 1;
                def->features.vmcoreinfo = true;
                return 0;
        }
        if (streq(driver, "vmgenid")) {
                const char *guid = qemu_opt_get(&o->o, "guid");
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                def->genid_set = true;
                def->genid = guid && !streq(guid, "auto") ? imp_strdup(imp, guid) : NULL;
                return 0;
        }
        if (streq(driver, "isa-fdc") && imp->q35) {
                /* vmunit adds the ISA floppy controller a Q35 floppy needs; only its boot order is news */
                for (unsigned u = 0; u < 2; u++) {
                        unsigned order = 0;
                        if (qemu_opt_get_uint(&o->o, u == 0 ? "bootindexA" : "bootindexB", &order) < 0)
                                return imp_fail(imp, "%s '%s': invalid bootindex", o->name, o->arg);
                        if (order)
                                imp->fdc_boot[u] = order;
                }
                return imp_check_unused(imp, o);
        }
        return imp_passthrough(imp, o, "device '%s' is not supported", driver);
}

int imp_device(Import *imp, ImportOpt *o) {
        static const char * const disks[] = { "ide-hd", "ide-cd", "scsi-hd", "scsi-cd", "virtio-blk-pci",
                                              "virtio-blk", "usb-storage", "floppy", NULL };
        static const char * const chars[] = { "isa-serial", "pci-serial", "usb-serial", "isa-parallel",
                                              "virtserialport", "virtconsole", NULL };
        static const char * const inputs[] = { "usb-tablet", "usb-mouse", "usb-kbd", "virtio-tablet-pci",
                                               "virtio-mouse-pci", "virtio-keyboard-pci", NULL };
        static const char * const videos[] = { "VGA", "cirrus-vga", "qxl-vga", "qxl", "virtio-vga",
                                               "virtio-gpu-pci", "bochs-display", "ramfb", NULL };
        static const char * const sounds[] = { "intel-hda", "ich9-intel-hda", "AC97", "ES1370", "sb16",
                                               "usb-audio", "hda-duplex", "hda-micro", "hda-output", NULL };
        const char *driver;
        int r;

        r = imp_parse(imp, o, "driver");
        if (r < 0)
                return r;
        driver = qemu_opt_get(&o->o, "driver");
        if (!driver)
                return imp_fail(imp, "%s '%s': no driver", o->name, o->arg);
        for (const char * const *d = disks; *d; d++)
                if (streq(*d, driver))
                        return imp_device_disk(imp, o, driver);
        for (const char * const *d = chars; *d; d++)
                if (streq(*d, driver))
                        return imp_device_chardev_frontend(imp, o, driver);
        for (const char * const *d = inputs; *d; d++)
                if (streq(*d, driver))
                        return device_input(imp, o, driver);
        for (const char * const *d = videos; *d; d++)
                if (streq(*d, driver))
                        return device_video(imp, o, driver);
        for (const char * const *d = sounds; *d; d++)
                if (streq(*d, driver))
                        return device_sound(imp, o, driver);
        if (qemu_opt_has(&o->o, "netdev") && nic_model_of_driver(driver))
                return imp_device_net(imp, o, driver);
        if (streq(driver, "virtio-rng-pci") || streq(driver, "virtio-rng"))
                return device_rng(imp, o);
        if (streq(driver, "tpm-tis") || streq(driver, "tpm-crb"))
                return device_tpm(imp, o, driver);
        return device_misc(imp, o, driver);
}
