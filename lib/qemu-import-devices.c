/*
 * QEMU command line -> VmDef: -device front ends other than disks, character devices and NICs:
 * controllers, input, video, sound, balloon, RNG, watchdog, panic, TPM, USB hubs and redirection,
 * smartcards, 9p filesystems, IOMMUs, with the backends they name (-object, -tpmdev, -fsdev), the
 * -device dispatch itself, and -usbdevice.
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-import-internal.h"

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
        unsigned v = 0;
        int r = qemu_opt_get_uint(&o->o, key, &v);

        if (r < 0 || (r > 0 && v > INT32_MAX))
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
                        if (imp_virtio_opts(imp, o, &k.virtio) < 0)
                                return imp->status;
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
                if (get_int(imp, o, "max_ports", &k.ports) < 0 || get_int(imp, o, "vectors", &k.vectors) < 0 ||
                    imp_virtio_opts(imp, o, &k.virtio) < 0)
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
                r = imp_usb_port(imp, o, &k.addr);
                if (r != 0)
                        return r;
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

int imp_usb_port(Import *imp, ImportOpt *o, VmAddress *a) {
        const char *bus = qemu_opt_get(&o->o, "bus"), *port = qemu_opt_get(&o->o, "port");
        unsigned idx = 0;

        if (bus && imp_bus_find(imp, ID_USB, bus, &idx, NULL) < 0)
                return imp_passthrough(imp, o, "USB bus '%s' is not one of an imported controller", bus);
        if (port) {
                if (strspn(port, "0123456789.") != strlen(port) || !*port)
                        return imp_fail(imp, "%s '%s': invalid USB port", o->name, o->arg);
                *a = (VmAddress) { .type = VM_ADDRESS_USB, .bus = idx, .usb_port = imp_strdup(imp, port) };
        } else if (idx != 0)
                return imp_passthrough(imp, o, "a device on USB bus '%s' without port= cannot be represented", bus);
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
                r = imp_usb_port(imp, o, &in.addr);
                if (r != 0)
                        return r;
        } else {
                in.bus = (char *) "virtio";
                if (imp_pci_address(imp, &o->o, &in.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                if (imp_virtio_opts(imp, o, &in.virtio) < 0)
                        return imp->status;
                if (streq(driver, "virtio-input-host-pci")) {
                        const char *ev = qemu_opt_get(&o->o, "evdev");
                        if (!ev || !startswith(ev, "/dev/input/"))
                                return imp_passthrough(imp, o, "an input passthrough needs evdev=/dev/input/...");
                        in.type = (char *) "passthrough";
                        in.source_evdev = imp_strdup(imp, ev);
                }
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
                if (imp_virtio_opts(imp, o, &v.virtio) < 0)
                        return imp->status;
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
                if (!imp->def->sounds[idx].audio_id)
                        imp->def->sounds[idx].audio_id = imp_audio_ref(imp, o);
                else
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
                r = imp_usb_port(imp, o, &s.addr);
                if (r != 0)
                        return r;
        } else if (imp_pci_address(imp, &o->o, &s.addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        s.audio_id = imp_audio_ref(imp, o);
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
        if (imp_virtio_opts(imp, o, &g.virtio) < 0 || qemu_opt_get_uint(&o->o, "max-bytes", &g.rate_bytes) < 0 ||
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

/* -fsdev local|handle,id=,path=,security_model=,... + -device virtio-9p-pci,fsdev=,mount_tag= */
static int device_9p(Import *imp, ImportOpt *o) {
        VmFilesystem f = { .type = (char *) "mount" };
        ImportOpt *fs = imp_find_backend(imp, "fsdev", "id", qemu_opt_get(&o->o, "fsdev"));
        const char *drv, *sm, *tag = qemu_opt_get(&o->o, "mount_tag"), *v;
        VmTristate ro = VM_TRISTATE_ABSENT;
        VmFilesystem *n;

        if (!fs || fs->done)
                return imp_passthrough(imp, o, "no (unused) -fsdev for it");
        drv = qemu_opt_get(&fs->o, "fsdriver");
        qemu_opt_ignore(&fs->o, "id");
        sm = qemu_opt_get(&fs->o, "security_model");
        if (!drv || (!streq(drv, "local") && !streq(drv, "handle")) || !tag || !*tag)
                return imp_passthrough(imp, o, "only local and handle 9p exports with a mount_tag are supported");
        if (streq(drv, "handle"))
                f.driver = (char *) "handle";
        f.accessmode = (char *) (!sm || streq(sm, "passthrough") ? "passthrough" :
                                 streq(sm, "mapped") || streq(sm, "mapped-xattr") ? "mapped" :
                                 streq(sm, "none") ? "squash" : NULL);
        if (!f.accessmode)
                return imp_passthrough(imp, o, "security_model=%s cannot be represented", sm);
        f.source_dir = imp_abs_path(imp, qemu_opt_get(&fs->o, "path"), "9p export");
        if (!f.source_dir)
                return imp_passthrough(imp, o, "its -fsdev has no absolute path=");
        f.target_dir = imp_strdup(imp, tag);
        v = qemu_opt_get(&fs->o, "writeout");
        if (v && !streq(v, "immediate"))
                return imp_passthrough(imp, o, "writeout=%s cannot be represented", v);
        f.wrpolicy = imp_strdup(imp, v);
        v = qemu_opt_get(&fs->o, "multidevs");
        if (v && !streq(v, "remap") && !streq(v, "forbid") && !streq(v, "warn") && !streq(v, "default"))
                return imp_passthrough(imp, o, "multidevs=%s cannot be represented", v);
        f.multidevs = imp_strdup(imp, v);
        if (qemu_opt_get_bool(&fs->o, "readonly", &ro) < 0)
                return imp_fail(imp, "-fsdev '%s': invalid readonly=", fs->arg);
        f.readonly = ro == VM_TRISTATE_ON;
        v = qemu_opt_get(&fs->o, "fmode");
        if (v && sscanf(v, "%o", &f.fmode) != 1)
                return imp_fail(imp, "-fsdev '%s': invalid fmode", fs->arg);
        v = qemu_opt_get(&fs->o, "dmode");
        if (v && sscanf(v, "%o", &f.dmode) != 1)
                return imp_fail(imp, "-fsdev '%s': invalid dmode", fs->arg);
        if (qemu_opt_first_unused(&fs->o))
                return imp_passthrough(imp, o, "its -fsdev cannot be represented");
        if (imp_virtio_opts(imp, o, &f.virtio) < 0)
                return imp->status;
        if (imp_pci_address(imp, &o->o, &f.addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        f.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, filesystems);
        if (!n)
                return imp_oom(imp);
        *n = f;
        fs->done = true;
        return 0;
}

static int device_misc(Import *imp, ImportOpt *o, const char *driver) {
        VmDef *def = imp->def;
        int r;

        if (streq(driver, "virtio-balloon-pci") || streq(driver, "virtio-balloon")) {
                VmMemballoon m = { .model = (char *) "virtio", .present = true };
                if (imp->have_balloon)
                        return imp_passthrough(imp, o, "only one balloon");
                if (imp_virtio_opts(imp, o, &m.virtio) < 0 ||
                    qemu_opt_get_bool(&o->o, "deflate-on-oom", &m.autodeflate) < 0 ||
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
                ImportOpt *c = imp_frontend_chardev(imp, o, &rd.src);
                if (!c)
                        return 1;
                r = imp_usb_port(imp, o, &rd.addr);
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
                ImportOpt *c = imp_frontend_chardev(imp, o, &sc.src);
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
        if (streq(driver, "usb-hub")) {
                VmHub h = {};
                VmHub *n;
                r = imp_usb_port(imp, o, &h.addr);
                if (r != 0)
                        return r;
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
                n = VM_DEVICE_NEW(def, hubs);
                if (!n)
                        return imp_oom(imp);
                *n = h;
                return 0;
        }
        if (streq(driver, "virtio-9p-pci") || streq(driver, "virtio-9p"))
                return device_9p(imp, o);
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
                                              "virtio-blk", "virtio-blk-pci-transitional",
                                              "virtio-blk-pci-non-transitional", "usb-storage", "floppy", NULL };
        static const char * const chars[] = { "isa-serial", "pci-serial", "usb-serial", "isa-parallel",
                                              "virtserialport", "virtconsole", NULL };
        static const char * const inputs[] = { "usb-tablet", "usb-mouse", "usb-kbd", "virtio-tablet-pci",
                                               "virtio-mouse-pci", "virtio-keyboard-pci", "virtio-input-host-pci",
                                               NULL };
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
        if (qemu_opt_has(&o->o, "netdev") && imp_nic_model(driver))
                return imp_device_net(imp, o, driver);
        if (streq(driver, "virtio-rng-pci") || streq(driver, "virtio-rng"))
                return device_rng(imp, o);
        if (streq(driver, "tpm-tis") || streq(driver, "tpm-crb"))
                return device_tpm(imp, o, driver);
        return device_misc(imp, o, driver);
}
