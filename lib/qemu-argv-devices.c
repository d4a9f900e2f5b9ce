/*
 * Device front ends other than disks and character devices: controllers, NICs, input, audio,
 * graphics, video, sound, and the small ones (watchdog, RNG, balloon, panic, TPM, IOMMU, USB
 * redirection, smartcard, vmgenid, vmcoreinfo, iothreads).
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-argv-internal.h"

/* The X.509 directory for SPICE TLS (libvirt's spice_tls_x509_cert_dir default). */
#define SPICE_TLS_X509_DIR "/etc/pki/libvirt-spice"

void qb_pci_props(QemuBuild *b, Props *p, const VmAddress *addr) {
        if (addr->type != VM_ADDRESS_PCI)
                return;
        if (addr->bus == 0)
                props_str(p, "bus", b->q35 ? "pcie.0" : "pci.0");
        else
                props_strf(p, "bus", "pci.%u", addr->bus);
        if (addr->multifunction == VM_TRISTATE_ON)
                props_bool(p, "multifunction", true);
        if (addr->function == 0)
                props_strf(p, "addr", "0x%x", addr->slot);
        else
                props_strf(p, "addr", "0x%x.0x%x", addr->slot, addr->function);
}

void qb_bootindex(Props *p, unsigned order) {
        if (order > 0)
                props_uint(p, "bootindex", order);
}

static void build_pci_controller(QemuBuild *b, const VmController *k) {
        const char *m = k->model;
        char id[32];
        Props p;

        if (streq(m, "pci-root") || streq(m, "pcie-root"))
                return;
        snprintf(id, sizeof(id), "pci.%u", k->index);
        props_init(&p);
        if (streq(m, "pci-bridge")) {
                props_str(&p, "driver", "pci-bridge");
                props_uint(&p, "chassis_nr", k->chassis_nr >= 0 ? (unsigned) k->chassis_nr : k->index);
        } else if (streq(m, "dmi-to-pci-bridge"))
                props_str(&p, "driver", "i82801b11-bridge");
        else if (streq(m, "pcie-to-pci-bridge"))
                props_str(&p, "driver", "pcie-pci-bridge");
        else if (streq(m, "pcie-root-port")) {
                props_str(&p, "driver", k->model_name ?: "pcie-root-port");
                props_uint(&p, "port", (unsigned) k->port);
                props_uint(&p, "chassis", (unsigned) k->chassis);
        } else if (streq(m, "pcie-switch-upstream-port"))
                props_str(&p, "driver", "x3130-upstream");
        else if (streq(m, "pcie-switch-downstream-port")) {
                props_str(&p, "driver", "xio3130-downstream");
                props_uint(&p, "port", (unsigned) k->port);
                props_uint(&p, "chassis", (unsigned) k->chassis);
        } else if (streq(m, "pci-expander-bus") || streq(m, "pcie-expander-bus")) {
                props_str(&p, "driver", streq(m, "pci-expander-bus") ? "pxb" : "pxb-pcie");
                props_uint(&p, "bus_nr", (unsigned) k->bus_nr);
        } else {
                props_done(&p);
                (void) qb_fail(b, -EOPNOTSUPP, "<controller type='pci' model='%s'>: not supported", m);
                return;
        }
        props_str(&p, "id", k->alias ?: id);
        if (k->numa_node >= 0)
                props_uint(&p, "numa_node", (unsigned) k->numa_node);
        if (k->hotplug_off)
                props_bool(&p, "hotplug", false);
        qb_pci_props(b, &p, &k->addr);
        argv_add_props(b->a, "-device", &p);
}

static void build_usb_controller(QemuBuild *b, const VmController *k) {
        const char *m = k->model;
        const char *drv;
        char id[32];
        Props p;

        if (streq(m, "none"))
                return;
        if (streq(m, "piix3-uhci"))
                drv = "piix3-usb-uhci";
        else if (streq(m, "piix4-uhci"))
                drv = "piix4-usb-uhci";
        else if (streq(m, "ehci"))
                drv = "usb-ehci";
        else if (streq(m, "ich9-ehci1"))
                drv = "ich9-usb-ehci1";
        else if (streq(m, "ich9-uhci1"))
                drv = "ich9-usb-uhci1";
        else if (streq(m, "ich9-uhci2"))
                drv = "ich9-usb-uhci2";
        else if (streq(m, "ich9-uhci3"))
                drv = "ich9-usb-uhci3";
        else if (streq(m, "nec-xhci"))
                drv = "nec-usb-xhci";
        else if (streq(m, "qemu-xhci"))
                drv = "qemu-xhci";
        else {
                (void) qb_fail(b, -EOPNOTSUPP, "<controller type='usb' model='%s'>: not supported", m);
                return;
        }
        snprintf(id, sizeof(id), k->index == 0 ? "usb" : "usb%u", k->index);
        props_init(&p);
        props_str(&p, "driver", drv);
        if (k->has_master) {
                const VmController *master = NULL;
                for (unsigned i = 0; i < b->def->n_controllers; i++)
                        if (b->def->controllers[i].type == VM_CONTROLLER_USB && b->def->controllers[i].index == k->index &&
                            !b->def->controllers[i].has_master)
                                master = &b->def->controllers[i];
                props_strf(&p, "masterbus", "%s.0", master && master->alias ? master->alias : id);
                props_uint(&p, "firstport", k->master_startport);
        } else {
                if (k->ports > 0 && (streq(m, "qemu-xhci") || streq(m, "nec-xhci"))) {
                        props_uint(&p, "p2", (unsigned) k->ports);
                        props_uint(&p, "p3", (unsigned) k->ports);
                } else if (k->ports > 0) {
                        props_done(&p);
                        (void) qb_fail(b, -EOPNOTSUPP, "<controller type='usb' model='%s' ports=...>: not supported", m);
                        return;
                }
                props_str(&p, "id", k->alias ?: id);
        }
        qb_pci_props(b, &p, &k->addr);
        argv_add_props(b->a, "-device", &p);
}

static void build_other_controller(QemuBuild *b, const VmController *k) {
        char id[32];
        Props p;

        props_init(&p);
        switch (k->type) {
        case VM_CONTROLLER_SCSI:
                snprintf(id, sizeof(id), "scsi%u", k->index);
                if (!k->model || streq(k->model, "virtio-scsi")) {
                        props_str(&p, "driver", "virtio-scsi-pci");
                        qb_virtio_props(&p, &k->virtio);
                        if (k->iothread)
                                props_strf(&p, "iothread", "iothread%u", k->iothread);
                } else if (streq(k->model, "virtio-transitional") || streq(k->model, "virtio-non-transitional")) {
                        props_str(&p, "driver", streq(k->model, "virtio-transitional") ? "virtio-scsi-pci-transitional"
                                                                                       : "virtio-scsi-pci-non-transitional");
                        qb_virtio_props(&p, &k->virtio);
                        if (k->iothread)
                                props_strf(&p, "iothread", "iothread%u", k->iothread);
                } else if (streq(k->model, "lsilogic"))
                        props_str(&p, "driver", "lsi");
                else if (streq(k->model, "lsisas1068"))
                        props_str(&p, "driver", "mptsas1068");
                else if (streq(k->model, "lsisas1078"))
                        props_str(&p, "driver", "megasas");
                else if (streq(k->model, "vmpvscsi"))
                        props_str(&p, "driver", "pvscsi");
                else if (streq(k->model, "am53c974") || streq(k->model, "dc390"))
                        props_str(&p, "driver", k->model);
                else {
                        props_done(&p);
                        (void) qb_fail(b, -EOPNOTSUPP, "<controller type='scsi' model='%s'>: not supported", k->model);
                        return;
                }
                props_str(&p, "id", k->alias ?: id);
                if (k->queues)
                        props_uint(&p, "num_queues", k->queues);
                if (k->cmd_per_lun)
                        props_uint(&p, "cmd_per_lun", k->cmd_per_lun);
                if (k->max_sectors)
                        props_uint(&p, "max_sectors", k->max_sectors);
                if (k->ioeventfd != VM_TRISTATE_ABSENT)
                        props_bool(&p, "ioeventfd", k->ioeventfd == VM_TRISTATE_ON);
                break;
        case VM_CONTROLLER_SATA:
                if (b->q35 && k->index == 0) {
                        props_done(&p);
                        return;         /* the ICH9 AHCI built into Q35 */
                }
                snprintf(id, sizeof(id), "sata%u", k->index);
                props_str(&p, "driver", "ahci");
                props_str(&p, "id", k->alias ?: id);
                break;
        case VM_CONTROLLER_VIRTIO_SERIAL:
                snprintf(id, sizeof(id), "virtio-serial%u", k->index);
                props_strf(&p, "driver", "virtio-serial-pci%s", vm_virtio_model_suffix(k->model));
                qb_virtio_props(&p, &k->virtio);
                props_str(&p, "id", k->alias ?: id);
                if (k->ports > 0)
                        props_uint(&p, "max_ports", (unsigned) k->ports);
                if (k->vectors >= 0)
                        props_uint(&p, "vectors", (unsigned) k->vectors);
                break;
        case VM_CONTROLLER_CCID:
                snprintf(id, sizeof(id), "ccid%u", k->index);
                props_str(&p, "driver", "usb-ccid");
                props_str(&p, "id", k->alias ?: id);
                qb_usb_props(b, &p, &k->addr);
                argv_add_props(b->a, "-device", &p);
                return;
        case VM_CONTROLLER_IDE:
        case VM_CONTROLLER_FDC:
                props_done(&p);
                return;         /* built into the chipset (ISA floppy is added by the disk builder) */
        case VM_CONTROLLER_USB:
        case VM_CONTROLLER_PCI:
        case VM_CONTROLLER_XENBUS:
        case VM_CONTROLLER_ISA:
        case _VM_CONTROLLER_TYPE_MAX:
        case _VM_CONTROLLER_TYPE_INVALID:
        default:
                props_done(&p);
                return;
        }
        qb_pci_props(b, &p, &k->addr);
        argv_add_props(b->a, "-device", &p);
}

void qemu_build_controllers(QemuBuild *b) {
        VmDef *def = b->def;
        /* libvirt's order: PCI (by index), USB, SCSI, SATA, virtio-serial, CCID */
        static const VmControllerType order[] = { VM_CONTROLLER_USB, VM_CONTROLLER_SCSI, VM_CONTROLLER_SATA,
                                                  VM_CONTROLLER_VIRTIO_SERIAL, VM_CONTROLLER_CCID };

        if (def->genid_set) {
                Props p;
                props_init(&p);
                props_str(&p, "driver", "vmgenid");
                props_str(&p, "guid", def->genid ?: "auto");
                props_str(&p, "id", "vmgenid0");
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i <= 255; i++) {
                VmController *k = vm_find_controller(def, VM_CONTROLLER_PCI, i);
                if (k)
                        build_pci_controller(b, k);
        }
        for (unsigned i = 0; i < def->iothreads; i++) {
                Props p;
                props_init(&p);
                props_str(&p, "qom-type", "iothread");
                props_strf(&p, "id", "iothread%u", i + 1);
                argv_add_props(b->a, "-object", &p);
        }
        for (size_t t = 0; t < ELEMENTSOF(order); t++)
                for (unsigned i = 0; i < def->n_controllers; i++) {
                        const VmController *k = &def->controllers[i];
                        if (k->type != order[t])
                                continue;
                        if (k->type == VM_CONTROLLER_USB)
                                build_usb_controller(b, k);
                        else
                                build_other_controller(b, k);
                }
}

void qemu_build_nets(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_nets; i++) {
                const VmNet *n = &def->nets[i];
                const char *model = n->model ?: "rtl8139";
                char nid[32], id[32];
                Props p;

                if (streq(n->type, "hostdev"))
                        continue;       /* a VF: a vfio-pci device among the host devices */
                snprintf(nid, sizeof(nid), "hostnet%u", i);
                snprintf(id, sizeof(id), "net%u", i);
                props_init(&p);
                if (streq(n->type, "user")) {
                        props_str(&p, "type", "user");
                } else if (streq(n->type, "network") || streq(n->type, "bridge") || streq(n->type, "ethernet")) {
                        /* the supervisor opens (and for bridges attaches) the tap and passes it in */
                        props_str(&p, "type", "tap");
                        props_strf(&p, "fd", "%d", qb_pass_fd(b, QEMU_FD_TAP, i));
                        if (b->opts->vhost_net && vm_model_is_virtio(model) && !streq_ptr(n->driver_name, "qemu")) {
                                props_bool(&p, "vhost", true);
                                props_strf(&p, "vhostfd", "%d", qb_pass_fd(b, QEMU_FD_VHOST_NET, i));
                        } else if (n->driver_name && streq(n->driver_name, "vhost"))
                                props_bool(&p, "vhost", true);
                } else if (streq(n->type, "udp")) {
                        props_str(&p, "type", "dgram");
                        Props r, l, ri, li;
                        props_init(&r);
                        props_str(&r, "type", "inet");
                        props_str(&r, "host", n->source_address);
                        props_strf(&r, "port", "%u", n->source_port);
                        props_obj(&p, "remote", &r);
                        props_init(&l);
                        props_str(&l, "type", "inet");
                        props_str(&l, "host", n->source_local_address ?: "0.0.0.0");
                        props_strf(&l, "port", "%u", n->source_local_port);
                        props_obj(&p, "local", &l);
                        (void) ri, (void) li;
                } else if (streq(n->type, "server") || streq(n->type, "client") || streq(n->type, "mcast")) {
                        props_str(&p, "type", "socket");
                        props_strf(&p, streq(n->type, "server") ? "listen" :
                                       streq(n->type, "client") ? "connect" : "mcast",
                                   "%s:%u", strempty(n->source_address), n->source_port);
                } else {
                        props_done(&p);
                        (void) qb_fail(b, -EOPNOTSUPP, "<interface type='%s'>: not supported", n->type);
                        return;
                }
                props_str(&p, "id", nid);
                argv_add_props(b->a, "-netdev", &p);

                props_init(&p);
                if (vm_model_is_virtio(model)) {
                        props_strf(&p, "driver", "virtio-net-pci%s", vm_virtio_model_suffix(model));
                        qb_virtio_props(&p, &n->virtio);
                        if (streq_ptr(n->teaming_type, "persistent"))
                                props_bool(&p, "failover", true);
                } else
                        props_str(&p, "driver", model);
                if (n->rss != VM_TRISTATE_ABSENT)
                        props_bool(&p, "rss", n->rss == VM_TRISTATE_ON);
                if (n->rss_hash_report != VM_TRISTATE_ABSENT)
                        props_bool(&p, "hash", n->rss_hash_report == VM_TRISTATE_ON);
                if (n->queues > 1 && vm_model_is_virtio(model)) {
                        props_bool(&p, "mq", true);
                        props_uint(&p, "vectors", 2 * n->queues + 2);
                }
                props_str(&p, "netdev", nid);
                props_str(&p, "id", n->alias ?: id);
                if (n->mac)
                        props_str(&p, "mac", n->mac);
                if (n->mtu && vm_model_is_virtio(model))
                        props_uint(&p, "host_mtu", n->mtu);
                if (n->rom_bar != VM_TRISTATE_ABSENT)
                        props_uint(&p, "rombar", n->rom_bar == VM_TRISTATE_ON);
                if (n->rom_enabled == VM_TRISTATE_OFF)
                        props_str(&p, "romfile", "");
                else if (n->rom_file)
                        props_str(&p, "romfile", n->rom_file);
                qb_pci_props(b, &p, &n->addr);
                qb_bootindex(&p, n->boot_order);
                argv_add_props(b->a, "-device", &p);
        }
}

void qemu_build_inputs(QemuBuild *b) {
        VmDef *def = b->def;
        unsigned n = 0;

        for (unsigned i = 0; i < def->n_inputs; i++) {
                const VmInput *in = &def->inputs[i];
                const char *drv;
                char id[32];
                Props p;

                if (streq(in->bus, "ps2"))
                        continue;       /* the i8042 of the PC chipset */
                snprintf(id, sizeof(id), "input%u", i);
                n++;
                if (streq(in->bus, "usb"))
                        drv = streq(in->type, "tablet") ? "usb-tablet" : streq(in->type, "mouse") ? "usb-mouse"
                                                                                                  : "usb-kbd";
                else
                        drv = streq(in->type, "tablet") ? "virtio-tablet-pci" :
                              streq(in->type, "mouse") ? "virtio-mouse-pci" :
                              streq(in->type, "passthrough") ? "virtio-input-host-pci" : "virtio-keyboard-pci";
                props_init(&p);
                props_str(&p, "driver", drv);
                qb_virtio_props(&p, &in->virtio);
                props_str(&p, "id", in->alias ?: id);
                if (streq(in->type, "passthrough"))
                        props_str(&p, "evdev", in->source_evdev);
                if (streq(in->bus, "usb"))
                        qb_usb_props(b, &p, &in->addr);
                else
                        qb_pci_props(b, &p, &in->addr);
                argv_add_props(b->a, "-device", &p);
        }
        (void) n;
}

/* "audioN" for a device's <audio id='N'/>, or the first backend's when it names none. */
const char *qemu_audiodev_id(QemuBuild *b, const char *audio_id) {
        static char buf[32];
        unsigned id = b->def->n_audios > 0 ? b->def->audios[0].id : 1;

        if (audio_id) {
                char *end;
                unsigned long v = strtoul(audio_id, &end, 10);
                bool found = false;
                for (unsigned i = 0; i < b->def->n_audios; i++)
                        if (*audio_id && !*end && b->def->audios[i].id == v)
                                found = true;
                if (!found) {
                        (void) qb_fail(b, -EINVAL, "<audio id='%s'>: no such audio backend", audio_id);
                        return "audio1";
                }
                id = (unsigned) v;
        }
        snprintf(buf, sizeof(buf), "audio%u", id);
        return buf;
}

static void build_audio_stream(Props *p, const char *key, const VmAudioStream *st) {
        Props sp;

        if (!st->set)
                return;
        props_init(&sp);
        if (st->mixing_engine != VM_TRISTATE_ABSENT)
                props_bool(&sp, "mixing-engine", st->mixing_engine == VM_TRISTATE_ON);
        if (st->fixed_settings != VM_TRISTATE_ABSENT)
                props_bool(&sp, "fixed-settings", st->fixed_settings == VM_TRISTATE_ON);
        if (st->voices)
                props_uint(&sp, "voices", st->voices);
        if (st->buffer_length)
                props_uint(&sp, "buffer-length", st->buffer_length);
        if (st->frequency)
                props_uint(&sp, "frequency", st->frequency);
        if (st->channels)
                props_uint(&sp, "channels", st->channels);
        props_str(&sp, "format", st->format);
        props_str(&sp, "name", st->name);
        props_str(&sp, "stream-name", st->stream_name);
        if (st->latency)
                props_uint(&sp, "latency", st->latency);
        props_str(&sp, "dev", st->dev);
        if (st->buffer_count)
                props_uint(&sp, "buffer-count", st->buffer_count);
        if (st->try_poll != VM_TRISTATE_ABSENT)
                props_bool(&sp, "try-poll", st->try_poll == VM_TRISTATE_ON);
        props_obj(p, key, &sp);
}

void qemu_build_audio(QemuBuild *b) {
        VmDef *def = b->def;
        Props p;

        if (def->n_audios == 0) {
                bool spice = false;
                for (unsigned i = 0; i < def->n_graphics; i++)
                        if (streq(def->graphics[i].type, "spice"))
                                spice = true;
                props_init(&p);
                props_str(&p, "id", "audio1");
                props_str(&p, "driver", spice ? "spice" : "none");
                argv_add_props(b->a, "-audiodev", &p);
                return;
        }
        for (unsigned i = 0; i < def->n_audios; i++) {
                const VmAudio *au = &def->audios[i];
                for (unsigned j = 0; j < i; j++)
                        if (def->audios[j].id == au->id) {
                                (void) qb_fail(b, -EINVAL, "<audio id='%u'>: defined twice", au->id);
                                return;
                        }
                props_init(&p);
                props_strf(&p, "id", "audio%u", au->id);
                props_str(&p, "driver", streq(au->type, "file") ? "wav" :
                                        streq(au->type, "pulseaudio") ? "pa" : au->type);
                if (streq(au->type, "file"))
                        props_str(&p, "path", au->path);
                props_str(&p, "server", au->server_name);
                if (au->try_mmap != VM_TRISTATE_ABSENT)
                        props_bool(&p, "try-mmap", au->try_mmap == VM_TRISTATE_ON);
                if (au->exclusive != VM_TRISTATE_ABSENT)
                        props_bool(&p, "exclusive", au->exclusive == VM_TRISTATE_ON);
                if (au->dsp_policy >= 0)
                        props_int(&p, "dsp-policy", au->dsp_policy);
                if (au->timer_period)
                        props_uint(&p, "timer-period", au->timer_period);
                build_audio_stream(&p, "in", &au->in);
                build_audio_stream(&p, "out", &au->out);
                argv_add_props(b->a, "-audiodev", &p);
        }
}

void qemu_build_graphics(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_graphics; i++) {
                const VmGraphics *g = &def->graphics[i];
                _cleanup_(qemu_opts_done) QemuOpts o = {};

                if (streq(g->type, "egl-headless")) {
                        qemu_opts_add_literal(&o, "egl-headless");
                        if (g->rendernode)
                                qemu_opts_add(&o, "rendernode", g->rendernode);
                        argv_add_opts(b->a, "-display", &o);
                        continue;
                }
                if (streq(g->type, "vnc")) {
                        if (g->listen_type && streq(g->listen_type, "socket")) {
                                char *path = NULL;
                                if (g->listen_socket)
                                        path = strdup(g->listen_socket);
                                else if (asprintf(&path, "%s/vmunit-vnc.sock", b->opts->runtime_dir) < 0)
                                        path = NULL;
                                if (!path) {
                                        (void) qb_fail(b, -ENOMEM, "out of memory");
                                        return;
                                }
                                qemu_opts_addf(&o, "vnc", "unix:%s", path);
                                free(path);
                        } else if (g->listen_type && streq(g->listen_type, "none"))
                                qemu_opts_add_literal(&o, "none");
                        else {
                                const char *addr = g->listen_address ?: "127.0.0.1";
                                int display = g->autoport ? b->opts->vnc_display : g->port < 5900 ? 0 : g->port - 5900;
                                char *d = NULL;
                                if (asprintf(&d, strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, display) < 0) {
                                        (void) qb_fail(b, -ENOMEM, "out of memory");
                                        return;
                                }
                                qemu_opts_add_positional(&o, d);
                                free(d);
                                if (g->autoport && b->opts->vnc_autoport_search)
                                        qemu_opts_add_literal(&o, "to=99");
                                if (g->websocket >= 0)
                                        qemu_opts_addf(&o, "websocket", "%d", g->websocket);
                        }
                        if (g->share_policy)
                                qemu_opts_add(&o, "share", g->share_policy);
                        if (g->passwd)
                                qemu_opts_add_literal(&o, "password=on");
                        if (g->keymap) {
                                argv_add(b->a, "-k");
                                argv_add(b->a, g->keymap);
                        }
                        qemu_opts_add(&o, "audiodev", qemu_audiodev_id(b, g->audio_id));
                        argv_add_opts(b->a, "-vnc", &o);
                } else if (streq(g->type, "spice")) {
                        bool listen_none = g->listen_type && streq(g->listen_type, "none");
                        if (g->port > 0)
                                qemu_opts_addf(&o, "port", "%d", g->port);
                        else if (g->autoport && !(g->listen_type && streq(g->listen_type, "socket")))
                                /* the supervisor picks a free one */
                                qemu_opts_addf(&o, "port", "%d", b->opts->spice_port > 0 ? b->opts->spice_port : 5900);
                        else if (listen_none && g->tls_port < 0)
                                qemu_opts_add_literal(&o, "port=0");   /* QEMU wants a port; 0 opens none */
                        if (g->tls_port >= 0)
                                qemu_opts_addf(&o, "tls-port", "%d", g->tls_port);
                        if (g->listen_type && streq(g->listen_type, "socket")) {
                                char *path = NULL;
                                qemu_opts_add_literal(&o, "unix=on");
                                if (g->listen_socket)
                                        qemu_opts_add(&o, "addr", g->listen_socket);
                                else if (asprintf(&path, "%s/vmunit-spice.sock", b->opts->runtime_dir) >= 0) {
                                        qemu_opts_add(&o, "addr", path);
                                        free(path);
                                }
                        } else if (!listen_none)
                                qemu_opts_add(&o, "addr", g->listen_address ?: "127.0.0.1");
                        if (g->tls_port >= 0)
                                qemu_opts_add(&o, "x509-dir", b->opts->spice_tls_x509_dir ?: SPICE_TLS_X509_DIR);
                        if (!g->passwd && !listen_none)
                                qemu_opts_add_literal(&o, "disable-ticketing=on");
                        if (g->default_mode && !streq(g->default_mode, "any"))
                                qemu_opts_add(&o, "tls-channel", streq(g->default_mode, "secure") ? "default" : NULL);
                        if (g->default_mode && streq(g->default_mode, "insecure"))
                                qemu_opts_add_literal(&o, "plaintext-channel=default");
                        for (unsigned k = 0; k < g->n_spice_channels; k++) {
                                const char *mode = g->spice_channel_modes[k];
                                if (streq(mode, "secure"))
                                        qemu_opts_add(&o, "tls-channel", g->spice_channel_names[k]);
                                else if (streq(mode, "insecure"))
                                        qemu_opts_add(&o, "plaintext-channel", g->spice_channel_names[k]);
                        }
                        if (g->mouse_mode)
                                qemu_opts_add_literal(&o, streq(g->mouse_mode, "client") ? "agent-mouse=on"
                                                                                         : "agent-mouse=off");
                        if (g->image_compression)
                                qemu_opts_add(&o, "image-compression", g->image_compression);
                        if (g->jpeg_compression)
                                qemu_opts_add(&o, "jpeg-wan-compression", g->jpeg_compression);
                        if (g->zlib_compression)
                                qemu_opts_add(&o, "zlib-glz-wan-compression", g->zlib_compression);
                        if (g->playback_compression)
                                qemu_opts_add(&o, "playback-compression", g->playback_compression);
                        if (g->streaming_mode)
                                qemu_opts_add(&o, "streaming-video", g->streaming_mode);
                        if (g->clipboard_copypaste && streq(g->clipboard_copypaste, "no"))
                                qemu_opts_add_literal(&o, "disable-copy-paste=on");
                        if (g->filetransfer && streq(g->filetransfer, "no"))
                                qemu_opts_add_literal(&o, "disable-agent-file-xfer=on");
                        if (g->gl == VM_TRISTATE_ON) {
                                /* without a rendernode QEMU takes the host's first, as libvirt would */
                                qemu_opts_add_literal(&o, "gl=on");
                                if (g->rendernode)
                                        qemu_opts_add(&o, "rendernode", g->rendernode);
                        }
                        qemu_opts_add_literal(&o, "seamless-migration=on");
                        argv_add_opts(b->a, "-spice", &o);
                }
        }
}

void qemu_build_videos(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_videos; i++) {
                const VmVideo *v = &def->videos[i];
                bool primary = i == 0;
                char id[32];
                Props p;

                if (streq(v->model, "none"))
                        continue;
                snprintf(id, sizeof(id), "video%u", i);
                props_init(&p);
                if (streq(v->model, "vga")) {
                        props_str(&p, "driver", "VGA");
                        props_str(&p, "id", v->alias ?: id);
                        props_uint(&p, "vgamem_mb", (v->vram_kib ?: 16384) / 1024);
                } else if (streq(v->model, "cirrus")) {
                        props_str(&p, "driver", "cirrus-vga");
                        props_str(&p, "id", v->alias ?: id);
                } else if (streq(v->model, "qxl")) {
                        props_str(&p, "driver", primary ? "qxl-vga" : "qxl");
                        props_str(&p, "id", v->alias ?: id);
                        props_uint(&p, "max_outputs", v->heads ?: 1);
                        props_uint(&p, "ram_size", (uint64_t) (v->ram_kib ?: 65536) * 1024);
                        props_uint(&p, "vram_size", (uint64_t) (v->vram_kib ?: 65536) * 1024);
                        props_uint(&p, "vram64_size_mb", v->vram64_kib / 1024);
                        props_uint(&p, "vgamem_mb", (v->vgamem_kib ?: 16384) / 1024);
                } else if (streq(v->model, "virtio") && streq_ptr(v->driver_name, "vhostuser")) {
                        /* rendered by a vhost-user-gpu process, over a socket the supervisor hands in */
                        _cleanup_(qemu_opts_done) QemuOpts o = {};
                        char chr[64];
                        snprintf(chr, sizeof(chr), "chr-vu-%s", v->alias ?: id);
                        qemu_opts_add_literal(&o, "socket");
                        qemu_opts_add(&o, "id", chr);
                        qemu_opts_addf(&o, "fd", "%d", qb_pass_fd(b, QEMU_FD_VHOST_USER_GPU, i));
                        argv_add_opts(b->a, "-chardev", &o);
                        props_str(&p, "driver", primary ? "vhost-user-vga" : "vhost-user-gpu-pci");
                        qb_virtio_props(&p, &v->virtio);
                        props_str(&p, "id", v->alias ?: id);
                        props_uint(&p, "max_outputs", v->heads ?: 1);
                        props_str(&p, "chardev", chr);
                } else if (streq(v->model, "virtio")) {
                        if (v->accel3d == VM_TRISTATE_ON)       /* virgl, drawn by QEMU's OpenGL display */
                                props_str(&p, "driver", primary ? "virtio-vga-gl" : "virtio-gpu-gl-pci");
                        else
                                props_str(&p, "driver", primary ? "virtio-vga" : "virtio-gpu-pci");
                        qb_virtio_props(&p, &v->virtio);
                        props_str(&p, "id", v->alias ?: id);
                        props_uint(&p, "max_outputs", v->heads ?: 1);
                } else if (streq(v->model, "bochs")) {
                        props_str(&p, "driver", "bochs-display");
                        props_str(&p, "id", v->alias ?: id);
                        props_uint(&p, "vgamem", (uint64_t) (v->vram_kib ?: 16384) * 1024);
                } else if (streq(v->model, "ramfb")) {
                        props_str(&p, "driver", "ramfb");
                        props_str(&p, "id", v->alias ?: id);
                } else {
                        props_done(&p);
                        (void) qb_fail(b, -EOPNOTSUPP, "<video><model type='%s'>: not supported", v->model);
                        return;
                }
                qb_pci_props(b, &p, &v->addr);
                argv_add_props(b->a, "-device", &p);
        }
}

void qemu_build_sounds(QemuBuild *b) {
        VmDef *def = b->def;

        for (unsigned i = 0; i < def->n_sounds; i++) {
                const VmSound *s = &def->sounds[i];
                if (streq(s->model, "pcspk"))
                        continue;       /* a machine property, see build_machine() */
                bool hda = streq(s->model, "ich6") || streq(s->model, "ich7") || streq(s->model, "ich9");
                char id[32];
                Props p;

                snprintf(id, sizeof(id), "sound%u", i);
                props_init(&p);
                props_str(&p, "driver", streq(s->model, "ich6") ? "intel-hda" :
                                        streq(s->model, "ich7") ? "intel-hda" :
                                        streq(s->model, "ich9") ? "ich9-intel-hda" :
                                        streq(s->model, "ac97") ? "AC97" :
                                        streq(s->model, "es1370") ? "ES1370" :
                                        streq(s->model, "sb16") ? "sb16" : "usb-audio");
                props_str(&p, "id", s->alias ?: id);
                if (!hda)
                        props_str(&p, "audiodev", qemu_audiodev_id(b, s->audio_id));
                if (streq(s->model, "usb"))
                        qb_usb_props(b, &p, &s->addr);
                else if (!streq(s->model, "sb16"))
                        qb_pci_props(b, &p, &s->addr);
                argv_add_props(b->a, "-device", &p);
                if (hda) {
                        unsigned nc = 0;
                        while (s->codecs && s->codecs[nc])
                                nc++;
                        for (unsigned c = 0; c < MAX(nc, 1u); c++) {
                                const char *codec = nc ? s->codecs[c] : "duplex";
                                props_init(&p);
                                props_strf(&p, "driver", "hda-%s", codec);
                                props_strf(&p, "id", "%s-codec%u", s->alias ?: id, c);
                                props_strf(&p, "bus", "%s.0", s->alias ?: id);
                                props_uint(&p, "cad", c);
                                props_str(&p, "audiodev", qemu_audiodev_id(b, s->audio_id));
                                argv_add_props(b->a, "-device", &p);
                        }
                }
        }
}

void qemu_build_misc_devices(QemuBuild *b) {
        VmDef *def = b->def;
        Props p;

        for (unsigned i = 0; i < def->n_watchdogs; i++) {
                const VmWatchdog *w = &def->watchdogs[i];
                const char *act = w->action;
                char id[32];

                snprintf(id, sizeof(id), "watchdog%u", i);
                props_init(&p);
                props_str(&p, "driver", streq(w->model, "itco") ? "ICH9-LPC" : w->model);
                props_str(&p, "id", id);
                qb_pci_props(b, &p, &w->addr);
                argv_add_props(b->a, "-device", &p);
                /* QEMU has no "dump" action; libvirt pauses and dumps from outside. vmunit does the same
                 * (the supervisor sees the WATCHDOG event) */
                if (streq(act, "dump"))
                        act = "pause";
                argv_add(b->a, "-watchdog-action");
                argv_add(b->a, act);
        }
        if (def->memballoon.present && vm_model_is_virtio(def->memballoon.model)) {
                props_init(&p);
                props_strf(&p, "driver", "virtio-balloon-pci%s", vm_virtio_model_suffix(def->memballoon.model));
                qb_virtio_props(&p, &def->memballoon.virtio);
                props_str(&p, "id", "balloon0");
                if (def->memballoon.autodeflate != VM_TRISTATE_ABSENT)
                        props_bool(&p, "deflate-on-oom", def->memballoon.autodeflate == VM_TRISTATE_ON);
                if (def->memballoon.stats_period)
                        props_uint(&p, "guest-stats-polling-interval", def->memballoon.stats_period);
                if (def->memballoon.free_page_reporting != VM_TRISTATE_ABSENT)
                        props_bool(&p, "free-page-reporting", def->memballoon.free_page_reporting == VM_TRISTATE_ON);
                qb_pci_props(b, &p, &def->memballoon.addr);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_rngs; i++) {
                const VmRng *g = &def->rngs[i];
                char oid[32], id[32], cid[32];

                snprintf(oid, sizeof(oid), "objrng%u", i);
                snprintf(id, sizeof(id), "rng%u", i);
                snprintf(cid, sizeof(cid), "charrng%u", i);
                if (streq(g->backend_model, "egd"))
                        qemu_build_chardev(b, cid, &g->egd, "<rng><backend model='egd'>");
                props_init(&p);
                if (streq(g->backend_model, "random")) {
                        props_str(&p, "qom-type", "rng-random");
                        props_str(&p, "id", oid);
                        props_str(&p, "filename", g->backend_path);
                } else if (streq(g->backend_model, "egd")) {
                        props_str(&p, "qom-type", "rng-egd");
                        props_str(&p, "id", oid);
                        props_str(&p, "chardev", cid);
                } else {
                        props_str(&p, "qom-type", "rng-builtin");
                        props_str(&p, "id", oid);
                }
                argv_add_props(b->a, "-object", &p);
                props_init(&p);
                props_strf(&p, "driver", "virtio-rng-pci%s", startswith(g->model, "virtio-") ? g->model + 6 : "");
                qb_virtio_props(&p, &g->virtio);
                props_str(&p, "rng", oid);
                props_str(&p, "id", g->alias ?: id);
                if (g->rate_bytes) {
                        props_uint(&p, "max-bytes", g->rate_bytes);
                        props_uint(&p, "period", g->rate_period ?: 1000);
                }
                qb_pci_props(b, &p, &g->addr);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_tpms; i++) {
                const VmTpm *t = &def->tpms[i];
                if (streq(t->backend_type, "passthrough")) {
                        _cleanup_(qemu_opts_done) QemuOpts o = {};
                        qemu_opts_add_literal(&o, "passthrough");
                        qemu_opts_add_literal(&o, "id=tpm-tpm0");
                        qemu_opts_add(&o, "path", t->backend_path);
                        qemu_opts_addf(&o, "cancel-path", "/sys/class/tpm/%s/device/cancel",
                                       t->backend_path + strlen("/dev/"));
                        argv_add_opts(b->a, "-tpmdev", &o);
                } else {
                        char path[4096];
                        VmCharSource s = { .type = (char *) "unix", .path = t->backend_path };
                        if (streq(t->backend_type, "emulator")) {
                                snprintf(path, sizeof(path), "%s/vmunit-swtpm.sock", b->opts->runtime_dir);
                                s.path = path;
                        }
                        qemu_build_chardev(b, "chrtpm", &s, "<tpm>");
                        argv_add(b->a, "-tpmdev");
                        argv_add(b->a, "emulator,id=tpm-tpm0,chardev=chrtpm");
                }
                props_init(&p);
                props_str(&p, "driver", t->model);
                props_str(&p, "tpmdev", "tpm-tpm0");
                props_str(&p, "id", "tpm0");
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_redirdevs; i++) {
                const VmRedirdev *r = &def->redirdevs[i];
                char cid[32], id[32];
                VmCharSource src = r->src;
                snprintf(cid, sizeof(cid), "charredir%u", i);
                snprintf(id, sizeof(id), "redir%u", i);
                if (streq(src.type, "spicevmc") && !src.channel)
                        src.channel = (char *) "usbredir";
                qemu_build_chardev(b, cid, &src, "<redirdev>");
                props_init(&p);
                props_str(&p, "driver", "usb-redir");
                props_str(&p, "chardev", cid);
                props_str(&p, "id", id);
                qb_usb_props(b, &p, &r->addr);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_smartcards; i++) {
                const VmSmartcard *s = &def->smartcards[i];
                char cid[32], id[32];
                VmCharSource src = s->src;
                snprintf(cid, sizeof(cid), "charsmartcard%u", i);
                snprintf(id, sizeof(id), "smartcard%u", i);
                if (streq(src.type, "spicevmc") && !src.channel)
                        src.channel = (char *) "smartcard";
                qemu_build_chardev(b, cid, &src, "<smartcard>");
                props_init(&p);
                props_str(&p, "driver", "ccid-card-passthru");
                props_str(&p, "chardev", cid);
                props_str(&p, "id", id);
                props_strf(&p, "bus", "ccid%u.0", s->addr.controller);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_panics; i++) {
                const VmPanic *pn = &def->panics[i];
                if (pn->model && streq(pn->model, "hyperv"))
                        continue;       /* a CPU flag (hv-crash), see build_cpu() */
                props_init(&p);
                props_str(&p, "driver", "pvpanic");
                if (pn->addr.type == VM_ADDRESS_ISA && pn->addr.iobase)
                        props_uint(&p, "ioport", pn->addr.iobase);
                argv_add_props(b->a, "-device", &p);
        }
        if (def->iommu.present) {
                const VmIommu *m = &def->iommu;
                props_init(&p);
                if (streq(m->model, "intel")) {
                        props_str(&p, "driver", "intel-iommu");
                        props_str(&p, "id", "iommu0");
                        if (m->intremap != VM_TRISTATE_ABSENT)
                                props_str(&p, "intremap", m->intremap == VM_TRISTATE_ON ? "on" : "off");
                        if (m->caching_mode != VM_TRISTATE_ABSENT)
                                props_bool(&p, "caching-mode", m->caching_mode == VM_TRISTATE_ON);
                        if (m->eim != VM_TRISTATE_ABSENT)
                                props_str(&p, "eim", m->eim == VM_TRISTATE_ON ? "on" : "off");
                        if (m->iotlb != VM_TRISTATE_ABSENT)
                                props_bool(&p, "device-iotlb", m->iotlb == VM_TRISTATE_ON);
                        if (m->aw_bits)
                                props_uint(&p, "aw-bits", m->aw_bits);
                } else {
                        props_str(&p, "driver", "virtio-iommu");
                        props_str(&p, "id", "iommu0");
                        qb_pci_props(b, &p, &m->addr);
                }
                argv_add_props(b->a, "-device", &p);
        }
        if (def->features.vmcoreinfo) {
                props_init(&p);
                props_str(&p, "driver", "vmcoreinfo");
                argv_add_props(b->a, "-device", &p);
        }
}
