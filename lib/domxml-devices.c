/*
 * Domain XML -> VmDef: <devices>. One parse function per device element, dispatched from a
 * table; character devices (serial, console, channel, parallel) are in domxml-chardev.c.
 */
#include <inttypes.h>
#include <stdio.h>

#include "domxml-internal.h"

int domxml_parse_address(XmlCtx *c, xmlNode *parent, VmAddress *a) {
        static const char * const types[] = { "pci", "drive", "virtio-serial", "ccid", "usb", "isa", NULL };
        xmlNode *n = xml_child(c, parent, "address");
        char *type = NULL;

        if (!n)
                return 0;
        if (xml_prop_choice(c, n, "type", types, &type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        if (!type)
                return xml_status(c);
        if (streq(type, "pci")) {
                a->type = VM_ADDRESS_PCI;
                (void) xml_prop_hex(c, n, "domain", &a->domain);
                (void) xml_prop_hex(c, n, "bus", &a->bus);
                (void) xml_prop_hex(c, n, "slot", &a->slot);
                (void) xml_prop_hex(c, n, "function", &a->function);
                (void) xml_prop_onoff(c, n, "multifunction", &a->multifunction);
                if (a->domain != 0)
                        return xml_fail(c, n, "PCI domain %u: only domain 0 is supported", a->domain);
                if (a->bus > 255 || a->slot > 31 || a->function > 7)
                        return xml_fail(c, n, "PCI address %02x:%02x.%x out of range", a->bus, a->slot, a->function);
                a->assigned = true;
        } else if (streq(type, "drive")) {
                a->type = VM_ADDRESS_DRIVE;
                (void) xml_prop_uint(c, n, "controller", &a->controller);
                (void) xml_prop_uint(c, n, "bus", &a->bus);
                (void) xml_prop_uint(c, n, "target", &a->target);
                (void) xml_prop_uint(c, n, "unit", &a->unit);
        } else if (streq(type, "virtio-serial")) {
                a->type = VM_ADDRESS_VIRTIO_SERIAL;
                (void) xml_prop_uint(c, n, "controller", &a->controller);
                (void) xml_prop_uint(c, n, "bus", &a->bus);
                (void) xml_prop_uint(c, n, "port", &a->port);
        } else if (streq(type, "ccid")) {
                a->type = VM_ADDRESS_CCID;
                (void) xml_prop_uint(c, n, "controller", &a->controller);
                (void) xml_prop_uint(c, n, "slot", &a->port);
        } else if (streq(type, "usb")) {
                a->type = VM_ADDRESS_USB;
                (void) xml_prop_uint(c, n, "bus", &a->bus);
                (void) xml_prop(c, n, "port", &a->usb_port);
                if (a->usb_port && strspn(a->usb_port, "0123456789.") != strlen(a->usb_port))
                        return xml_fail(c, n, "invalid USB port '%s'", a->usb_port);
        } else {
                a->type = VM_ADDRESS_ISA;
                (void) xml_prop_hex(c, n, "iobase", &a->iobase);
                (void) xml_prop_hex(c, n, "irq", &a->irq);
        }
        return xml_status(c);
}

int domxml_parse_boot_order(XmlCtx *c, xmlNode *parent, unsigned *ret) {
        xmlNode *n = xml_child(c, parent, "boot");

        if (!n)
                return 0;
        if (xml_prop_uint(c, n, "order", ret) <= 0 || *ret == 0)
                return xml_fail(c, n, "attribute 'order' must be a positive number");
        if (c->def->os.n_boot > 0)
                return xml_fail(c, n, "per-device boot order cannot be combined with <os><boot>");
        return xml_status(c);
}

int domxml_parse_alias(XmlCtx *c, xmlNode *parent, char **ret) {
        xmlNode *n = xml_child(c, parent, "alias");

        if (!n)
                return 0;
        (void) xml_prop(c, n, "name", ret);
        if (!*ret || !startswith(*ret, "ua-") || strspn(*ret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789-_") != strlen(*ret))
                return xml_fail(c, n, "user aliases must start with 'ua-' and use [A-Za-z0-9_-]");
        return xml_status(c);
}

static int parse_source_chain(XmlCtx *c, xmlNode *disk, VmDiskSource *src, bool top);

static int parse_metadata_cache(XmlCtx *c, xmlNode *parent, VmDiskSource *src) {
        xmlNode *mc = xml_child(c, parent, "metadata_cache"), *ms;
        uint64_t kib = 0;
        char *v = NULL;

        if (!mc)
                return 0;
        ms = xml_child(c, mc, "max_size");
        if (!ms)
                return xml_status(c);
        (void) xml_text(c, ms, &v);
        (void) xml_scaled_kib(c, ms, v, "unit", "bytes", &kib);
        if (kib > UINT32_MAX)
                return xml_fail(c, ms, "size out of range");
        src->metadata_cache_max_size_kib = (unsigned) kib;
        return xml_status(c);
}

static int parse_network_source(XmlCtx *c, xmlNode *s, VmDiskSource *src) {
        static const char * const protocols[] = { "nbd", "iscsi", "rbd", "gluster", "nfs", "http", "https", "ftp",
                                                  "ftps", "tftp", "ssh", NULL };
        VmTristate tls = VM_TRISTATE_ABSENT;
        xmlNode *x;

        {
                char *protocol = NULL;
                /* QEMU 6.0 removed its VxHS block driver: 7.2 has none to give such a disk to */
                if (xml_prop(c, s, "protocol", &protocol) > 0 && streq(protocol, "vxhs"))
                        return xml_fail(c, s, "protocol 'vxhs': QEMU has no VxHS block driver since 6.0 (the "
                                        "Veritas HyperScale storage it served is gone); this disk cannot be given to "
                                        "QEMU 7.2");
        }
        if (xml_prop_choice(c, s, "protocol", protocols, &src->protocol) <= 0)
                return xml_fail(c, s, "missing or unsupported attribute 'protocol'");
        (void) xml_prop(c, s, "name", &src->name);
        (void) xml_prop(c, s, "query", &src->query);
        (void) xml_prop_yesno(c, s, "tls", &tls);
        if (tls == VM_TRISTATE_ON)
                return xml_fail(c, s, "TLS for network disks is not supported yet");
        XML_FOREACH_ELEMENT(h, s) {
                VmDiskHost *host;
                if (!xml_is(h, "host"))
                        continue;
                xml_mark(h);
                host = VM_ARRAY_NEW(c->def, src->hosts, src->n_hosts);
                if (!host)
                        return xml_oom(c);
                (void) xml_prop(c, h, "name", &host->name);
                (void) xml_prop_uint(c, h, "port", &host->port);
                (void) xml_prop_choice(c, h, "transport", (const char * const[]) { "tcp", "unix", "rdma", NULL },
                                       &host->transport);
                (void) xml_prop(c, h, "socket", &host->socket);
                if (host->transport && streq(host->transport, "unix") ? !host->socket || host->socket[0] != '/'
                                                                      : !host->name || !*host->name)
                        return xml_fail(c, h, "needs name= (or transport='unix' with an absolute socket=)");
                if (host->port > 65535)
                        return xml_fail(c, h, "port out of range");
        }
        if (src->n_hosts == 0)
                return xml_fail(c, s, "a network disk needs a <host>");
        x = xml_child(c, s, "timeout");
        if (x)
                (void) xml_prop_uint(c, x, "seconds", &src->timeout);
        x = xml_child(c, s, "readahead");
        if (x)
                (void) xml_prop_uint(c, x, "size", &src->readahead);
        x = xml_child(c, s, "ssl");
        if (x)
                (void) xml_prop_yesno(c, x, "verify", &src->ssl_verify);
        x = xml_child(c, s, "identity");
        if (x) {
                (void) xml_prop(c, x, "user", &src->nfs_user);
                (void) xml_prop(c, x, "group", &src->nfs_group);
        }
        if (xml_child(c, s, "cookies"))
                return xml_fail(c, s, "HTTP cookies need secret objects, not supported yet");
        if (xml_child(c, s, "auth"))
                return xml_fail(c, s, "<auth> needs a secret store, not supported yet");
        if (xml_child(c, s, "config") || xml_child(c, s, "snapshot"))
                return xml_fail(c, s, "rbd <config>/<snapshot> are not supported yet");
        if (!streq(src->protocol, "nbd") && !src->name)
                return xml_fail(c, s, "protocol '%s' needs name=", src->protocol);
        return xml_status(c);
}

static int parse_disk_source(XmlCtx *c, xmlNode *n, VmDiskSource *src) {
        xmlNode *s = xml_child(c, n, "source");
        const char *attr;

        if (!s)
                return 0;
        switch (src->type) {
        case VM_DISK_TYPE_FILE:
                attr = "file";
                break;
        case VM_DISK_TYPE_BLOCK:
                attr = "dev";
                break;
        case VM_DISK_TYPE_DIR:
                attr = "dir";
                break;
        case VM_DISK_TYPE_NETWORK:
                return parse_network_source(c, s, src);
        case VM_DISK_TYPE_VOLUME:
        case VM_DISK_TYPE_NVME:
        case _VM_DISK_TYPE_MAX:
        case _VM_DISK_TYPE_INVALID:
        default:
                return xml_fail(c, n, "disk type '%s' is not supported", vm_disk_type_to_string(src->type));
        }
        (void) xml_prop(c, s, attr, &src->path);
        (void) xml_prop_choice(c, s, "startupPolicy", (const char * const[]) { "mandatory", "requisite", "optional",
                                                                               NULL }, &src->startup_policy);
        if (src->path && src->path[0] != '/')
                return xml_fail(c, s, "disk source '%s' must be an absolute path", src->path);
        XML_FOREACH_ELEMENT(sl, s)
                if (xml_is(sl, "seclabel"))
                        return xml_fail(c, sl, "per-disk <seclabel> is not supported yet");
        return xml_status(c);
}

static int parse_source_chain(XmlCtx *c, xmlNode *n, VmDiskSource *src, bool top) {
        xmlNode *b, *f;
        int r;

        r = parse_disk_source(c, n, src);
        if (r < 0)
                return r;
        if (!top) {
                f = xml_child(c, n, "format");
                if (f) {
                        (void) xml_prop(c, f, "type", &src->format);
                        (void) parse_metadata_cache(c, f, src);
                }
        }
        b = xml_child(c, n, "backingStore");
        if (b && !b->children)          /* <backingStore/> means "no backing" */
                src->backing_none = true;
        if (!b || !b->children)
                return xml_status(c);
        src->backing = vm_def_alloc(c->def, sizeof(VmDiskSource));
        if (!src->backing)
                return xml_oom(c);
        {
                int t = VM_DISK_TYPE_FILE;
                unsigned idx;
                if (xml_prop_enum(c, b, "type", (int (*)(const char *)) vm_disk_type_from_string, &t) <= 0)
                        return xml_fail(c, b, "missing attribute 'type'");
                (void) xml_prop_uint(c, b, "index", &idx);
                src->backing->type = t;
        }
        return parse_source_chain(c, b, src->backing, false);
}

static int parse_iotune(XmlCtx *c, xmlNode *n, VmDiskIoTune *t) {
        xmlNode *g;

        t->set = true;
        for (size_t i = 0; i < _VM_DISK_IOTUNE_FIELD_MAX; i++) {
                xmlNode *f = xml_child(c, n, vm_disk_iotune_fields[i].name);
                char *v = NULL;
                if (!f)
                        continue;
                (void) xml_text(c, f, &v);
                if (!v || sscanf(v, "%" SCNu64, (uint64_t *) ((char *) t + vm_disk_iotune_fields[i].offset)) != 1)
                        return xml_fail(c, f, "invalid number '%s'", strempty(v));
        }
        g = xml_child(c, n, "group_name");
        if (g)
                (void) xml_text(c, g, &t->group_name);
        return xml_status(c);
}

/* <transient/>, as libvirt 9.0 validates it: QEMU writes to an overlay over the original, which only
 * a local image file of a writable hard disk can have; shareBacking='yes' means the disk is plugged in
 * after start, so its bus must take hotplugged disks. */
static int parse_disk_transient_check(XmlCtx *c, xmlNode *x, const VmDisk *d) {
        if (!d->src.path && !d->src.protocol)
                return xml_fail(c, x, "transient disk '%s' must not be empty", d->dst);
        if (d->readonly)
                return xml_fail(c, x, "transient disk '%s' must not be read-only", d->dst);
        if (d->shareable)
                return xml_fail(c, x, "transient disk '%s' must not be shareable", d->dst);
        if (d->src.type != VM_DISK_TYPE_FILE)
                return xml_fail(c, x, "transient disk '%s': only type='file' disks can be transient, not type='%s'",
                                d->dst, vm_disk_type_to_string(d->src.type));
        if (d->device != VM_DISK_DEVICE_DISK)
                return xml_fail(c, x, "transient disk '%s': only device='disk' can be transient, not device='%s'",
                                d->dst, vm_disk_device_to_string(d->device));
        if (d->transient_share_backing && d->bus != VM_DISK_BUS_VIRTIO && d->bus != VM_DISK_BUS_SCSI &&
            d->bus != VM_DISK_BUS_USB)
                return xml_fail(c, x, "transient disk '%s': shareBacking='yes' needs a bus that takes hotplugged "
                                "disks (virtio, scsi or usb), not bus='%s'", d->dst, vm_disk_bus_to_string(d->bus));
        return 0;
}

static int parse_disk(XmlCtx *c, xmlNode *n) {
        static const char * const caches[] = { "default", "none", "writethrough", "writeback", "directsync",
                                                "unsafe", NULL };
        static const char * const ios[] = { "native", "threads", "io_uring", NULL };
        static const char * const discards[] = { "unmap", "ignore", NULL };
        static const char * const zeroes[] = { "off", "on", "unmap", NULL };
        static const char * const trans[] = { "none", "lba", "auto", NULL };
        VmDisk *d = VM_DEVICE_NEW(c->def, disks);
        int type = VM_DISK_TYPE_FILE, device = VM_DISK_DEVICE_DISK, bus = -1;
        xmlNode *x, *transient;
        char *v = NULL;

        if (!d)
                return xml_oom(c);
        d->line = (unsigned) xmlGetLineNo(n);
        (void) xml_prop_enum(c, n, "type", (int (*)(const char *)) vm_disk_type_from_string, &type);
        (void) xml_prop_enum(c, n, "device", (int (*)(const char *)) vm_disk_device_from_string, &device);
        d->src.type = type;
        d->device = device;
        (void) xml_prop_choice(c, n, "model", (const char * const[]) { "virtio", "virtio-transitional",
                                                                       "virtio-non-transitional", NULL }, &d->model);
        if (d->device == VM_DISK_DEVICE_LUN)
                return xml_fail(c, n, "device='lun' (SCSI passthrough) is not supported");
        if (xml_prop(c, n, "snapshot", &v) > 0 && !streq(v, "no") && !streq(v, "internal") && !streq(v, "external"))
                return xml_fail(c, n, "attribute 'snapshot': unsupported value '%s'", v);
        (void) parse_source_chain(c, n, &d->src, true);

        x = xml_child(c, n, "target");
        if (!x)
                return xml_fail(c, n, "missing <target>");
        if (xml_prop(c, x, "dev", &d->dst) <= 0)
                return xml_fail(c, x, "missing attribute 'dev'");
        if (strspn(d->dst, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(d->dst))
                return xml_fail(c, x, "invalid target device name '%s'", d->dst);
        (void) xml_prop_enum(c, x, "bus", (int (*)(const char *)) vm_disk_bus_from_string, &bus);
        (void) xml_prop_uint(c, x, "rotation_rate", &d->rotation_rate);
        (void) xml_prop_choice(c, x, "tray", (const char * const[]) { "open", "closed", NULL }, &d->tray);
        (void) xml_prop_onoff(c, x, "removable", &d->removable);
        if (bus < 0) {
                /* libvirt derives the bus from the target name */
                if (startswith(d->dst, "hd"))
                        bus = VM_DISK_BUS_IDE;
                else if (startswith(d->dst, "sd"))
                        bus = VM_DISK_BUS_SCSI;
                else if (startswith(d->dst, "vd"))
                        bus = VM_DISK_BUS_VIRTIO;
                else if (startswith(d->dst, "fd"))
                        bus = VM_DISK_BUS_FDC;
                else
                        return xml_fail(c, x, "cannot derive a bus from target '%s'; give bus=", d->dst);
        }
        d->bus = bus;

        x = xml_child(c, n, "driver");
        if (x) {
                char *name = NULL;
                (void) xml_prop(c, x, "name", &name);
                if (name && !streq(name, "qemu"))
                        return xml_fail(c, x, "driver name '%s' is not supported (only 'qemu')", name);
                (void) xml_prop(c, x, "type", &d->src.format);
                (void) xml_prop_choice(c, x, "cache", caches, &d->cache);
                (void) xml_prop_choice(c, x, "io", ios, &d->io);
                (void) xml_prop_choice(c, x, "discard", discards, &d->discard);
                (void) xml_prop_choice(c, x, "detect_zeroes", zeroes, &d->detect_zeroes);
                (void) xml_prop_onoff(c, x, "copy_on_read", &d->copy_on_read);
                (void) xml_prop_onoff(c, x, "event_idx", &d->event_idx);
                (void) xml_prop_onoff(c, x, "ioeventfd", &d->ioeventfd);
                (void) xml_prop_uint(c, x, "iothread", &d->iothread);
                (void) xml_prop_uint(c, x, "queues", &d->queues);
                (void) domxml_parse_virtio_opts(c, x, &d->virtio);
                (void) xml_prop(c, x, "error_policy", &d->error_policy);
                (void) xml_prop(c, x, "rerror_policy", &d->rerror_policy);
                (void) parse_metadata_cache(c, x, &d->src);
                if (d->iothread > 0 && d->iothread > c->def->iothreads)
                        return xml_fail(c, x, "iothread %u does not exist (<iothreads> is %u)", d->iothread,
                                        c->def->iothreads);
        }
        if (d->src.format && strspn(d->src.format, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(d->src.format))
                return xml_fail(c, n, "invalid disk format '%s'", d->src.format);

        d->readonly = !!xml_child(c, n, "readonly");
        d->shareable = !!xml_child(c, n, "shareable");
        transient = xml_child(c, n, "transient");
        if (transient) {
                VmTristate sb = VM_TRISTATE_ABSENT;
                (void) xml_prop_yesno(c, transient, "shareBacking", &sb);
                d->transient = true;
                d->transient_share_backing = sb == VM_TRISTATE_ON;
        }
        x = xml_child(c, n, "serial");
        if (x)
                (void) xml_text(c, x, &d->serial);
        if (d->serial && strspn(d->serial, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ .+")
                         != strlen(d->serial))
                return xml_fail(c, x, "invalid serial '%s'", d->serial);
        x = xml_child(c, n, "wwn");
        if (x)
                (void) xml_text(c, x, &d->wwn);
        if (d->wwn && startswith(d->wwn, "0x"))
                d->wwn += 2;
        if (d->wwn && (strlen(d->wwn) != 16 || strspn(d->wwn, "0123456789abcdefABCDEF") != 16))
                return xml_fail(c, x, "invalid WWN '%s' (16 hex digits)", d->wwn);
        x = xml_child(c, n, "vendor");
        if (x)
                (void) xml_text(c, x, &d->vendor);
        x = xml_child(c, n, "product");
        if (x)
                (void) xml_text(c, x, &d->product);
        x = xml_child(c, n, "geometry");
        if (x) {
                (void) xml_prop_uint(c, x, "cyls", &d->cyls);
                (void) xml_prop_uint(c, x, "heads", &d->heads);
                (void) xml_prop_uint(c, x, "secs", &d->secs);
                (void) xml_prop_choice(c, x, "trans", trans, &d->trans);
        }
        x = xml_child(c, n, "blockio");
        if (x) {
                (void) xml_prop_uint(c, x, "logical_block_size", &d->logical_block_size);
                (void) xml_prop_uint(c, x, "physical_block_size", &d->physical_block_size);
        }
        x = xml_child(c, n, "iotune");
        if (x)
                (void) parse_iotune(c, x, &d->iotune);
        (void) domxml_parse_boot_order(c, n, &d->boot_order);
        (void) domxml_parse_alias(c, n, &d->alias);
        (void) domxml_parse_address(c, n, &d->addr);

        if (!d->src.path && !d->src.protocol && d->device == VM_DISK_DEVICE_DISK)
                return xml_fail(c, n, "a disk needs a <source>");
        if (d->src.type == VM_DISK_TYPE_DIR)
                return xml_fail(c, n, "type='dir' (a virtual FAT disk) is not supported");
        if (transient && parse_disk_transient_check(c, transient, d) < 0)
                return xml_status(c);
        if (d->addr.type == VM_ADDRESS_PCI && d->bus != VM_DISK_BUS_VIRTIO)
                return xml_fail(c, n, "a PCI address is only valid for virtio disks");
        if (d->addr.type == VM_ADDRESS_DRIVE && d->bus == VM_DISK_BUS_VIRTIO)
                return xml_fail(c, n, "a drive address is not valid for virtio disks");
        return xml_status(c);
}

static int parse_controller(XmlCtx *c, xmlNode *n) {
        VmController *k = VM_DEVICE_NEW(c->def, controllers);
        int type;
        xmlNode *x;

        if (!k)
                return xml_oom(c);
        k->ports = k->vectors = -1;
        k->chassis_nr = k->chassis = k->port = k->bus_nr = k->target_index = k->numa_node = -1;
        if (xml_prop_enum(c, n, "type", (int (*)(const char *)) vm_controller_type_from_string, &type) <= 0)
                return xml_fail(c, n, "missing or invalid attribute 'type'");
        k->type = type;
        if (xml_prop_uint(c, n, "index", &k->index) <= 0)
                k->index_auto = true;
        (void) xml_prop(c, n, "model", &k->model);
        (void) xml_prop_int(c, n, "ports", &k->ports);
        (void) xml_prop_int(c, n, "vectors", &k->vectors);
        (void) xml_prop_uint(c, n, "maxGrantFrames", &(unsigned) { 0 });
        if (k->type == VM_CONTROLLER_VIRTIO_SERIAL) {
                (void) xml_prop_uint(c, n, "max_ports", &k->max_ports);
                if (k->model && !vm_model_is_virtio(k->model))
                        return xml_fail(c, n, "unsupported virtio-serial model '%s'", k->model);
        }
        x = xml_child(c, n, "model");
        if (x)
                (void) xml_prop(c, x, "name", &k->model_name);
        x = xml_child(c, n, "target");
        if (x) {
                xmlNode *node;
                static const struct { const char *name; size_t off; unsigned max; } nums[] = {
                        { "chassisNr", offsetof(VmController, chassis_nr), 255 },
                        { "chassis", offsetof(VmController, chassis), 255 },
                        { "port", offsetof(VmController, port), 255 },
                        { "busNr", offsetof(VmController, bus_nr), 254 },
                        { "index", offsetof(VmController, target_index), 30 },
                };
                for (size_t i = 0; i < ELEMENTSOF(nums); i++) {
                        unsigned u;
                        if (xml_prop_hex(c, x, nums[i].name, &u) <= 0)
                                continue;
                        if (u > nums[i].max)
                                return xml_fail(c, x, "attribute '%s': %u out of range 0..%u", nums[i].name, u,
                                                nums[i].max);
                        *(int *) ((char *) k + nums[i].off) = (int) u;
                }
                VmTristate hp = VM_TRISTATE_ABSENT;
                (void) xml_prop_onoff(c, x, "hotplug", &hp);
                k->hotplug_off = hp == VM_TRISTATE_OFF;
                node = xml_child(c, x, "node");
                if (node) {
                        char *v = NULL;
                        (void) xml_text(c, node, &v);
                        if (!v || sscanf(v, "%d", &k->numa_node) != 1 || k->numa_node < 0)
                                return xml_fail(c, node, "invalid NUMA node '%s'", strempty(v));
                }
        }
        x = xml_child(c, n, "driver");
        if (x) {
                (void) domxml_parse_virtio_opts(c, x, &k->virtio);
                (void) xml_prop_uint(c, x, "queues", &k->queues);
                (void) xml_prop_uint(c, x, "iothread", &k->iothread);
                (void) xml_prop_uint(c, x, "cmd_per_lun", &k->cmd_per_lun);
                (void) xml_prop_uint(c, x, "max_sectors", &k->max_sectors);
                (void) xml_prop_onoff(c, x, "ioeventfd", &k->ioeventfd);
                if ((k->cmd_per_lun || k->max_sectors || k->ioeventfd || k->iothread) &&
                    !(k->type == VM_CONTROLLER_SCSI && (!k->model || streq(k->model, "virtio-scsi"))))
                        return xml_fail(c, x, "these driver options are only valid for virtio-scsi controllers");
                if (k->iothread > c->def->iothreads)
                        return xml_fail(c, x, "iothread %u does not exist", k->iothread);
        }
        x = xml_child(c, n, "master");
        if (x) {
                k->has_master = true;
                (void) xml_prop_uint(c, x, "startport", &k->master_startport);
        }
        (void) domxml_parse_alias(c, n, &k->alias);
        (void) domxml_parse_address(c, n, &k->addr);
        return xml_status(c);
}

/* <virtualport>, as libvirt validates it: which parameters each type takes and their ranges. Which
 * interface types may carry which port type is checked by the caller. */
static int parse_virtualport(XmlCtx *c, xmlNode *x, VmVirtualPort *v) {
        static const char * const types[] = { "openvswitch", "802.1Qbg", "802.1Qbh", "midonet", NULL };
        xmlNode *p;
        char uuid[37];

        v->present = true;
        (void) xml_prop_choice(c, x, "type", types, &v->type);
        p = xml_child(c, x, "parameters");
        if (p) {
                (void) xml_prop(c, p, "interfaceid", &v->interfaceid);
                (void) xml_prop(c, p, "profileid", &v->profileid);
                (void) xml_prop(c, p, "instanceid", &v->instanceid);
                (void) xml_prop(c, p, "managerid", &v->managerid);
                (void) xml_prop(c, p, "typeid", &v->typeid);
                (void) xml_prop(c, p, "typeidversion", &v->typeidversion);
        }
        if (xml_status(c) < 0)
                return xml_status(c);
        for (char **id = (char *[]) { v->interfaceid, v->instanceid, NULL }, **u = id; *u; u++)
                if (**u && !vm_uuid_canonicalize(*u, uuid))
                        return xml_fail(c, p, "malformed UUID '%s'", *u);
        static const struct { const char *name; unsigned long max; } nums[] = {
                { "managerid", 255 }, { "typeid", 0xffffff }, { "typeidversion", 255 } };
        char *vals[] = { v->managerid, v->typeid, v->typeidversion };
        for (size_t i = 0; i < ELEMENTSOF(nums); i++) {
                char *end;
                unsigned long u;
                if (!vals[i])
                        continue;
                errno = 0;
                u = strtoul(vals[i], &end, 0);
                if (errno || *end || end == vals[i] || vals[i][0] == '-' || u > nums[i].max)
                        return xml_fail(c, p, "%s '%s' is not a number of 0..%lu", nums[i].name, vals[i], nums[i].max);
        }
        if (v->profileid && (!*v->profileid || strlen(v->profileid) > 39 ||
                             strspn(v->profileid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                             != strlen(v->profileid)))
                return xml_fail(c, p, "invalid profileid '%s'", v->profileid);
        if (!v->type)
                return 0;
        /* each type's own parameters only */
        if ((streq(v->type, "openvswitch") && (v->instanceid || v->managerid || v->typeid || v->typeidversion)) ||
            (streq(v->type, "midonet") && (v->instanceid || v->profileid || v->managerid || v->typeid ||
                                           v->typeidversion)) ||
            (streq(v->type, "802.1Qbh") && (v->interfaceid || v->instanceid || v->managerid || v->typeid ||
                                            v->typeidversion)) ||
            (streq(v->type, "802.1Qbg") && (v->interfaceid || v->profileid)))
                return xml_fail(c, p ?: x, "a parameter that virtualport type '%s' does not take", v->type);
        if (streq(v->type, "802.1Qbg") && (!v->managerid || !v->typeid || !v->typeidversion))
                return xml_fail(c, x, "virtualport type '802.1Qbg' needs managerid, typeid and typeidversion");
        if (streq(v->type, "802.1Qbh") && !v->profileid)
                return xml_fail(c, x, "virtualport type '802.1Qbh' needs a profileid");
        if (streq(v->type, "midonet") && !v->interfaceid)
                return xml_fail(c, x, "virtualport type 'midonet' needs an interfaceid");
        return 0;
}

static int parse_vlan(XmlCtx *c, xmlNode *x, VmVlan *vlan) {
        (void) xml_prop_yesno(c, x, "trunk", &vlan->trunk);
        XML_FOREACH_ELEMENT(t, x) {
                VmVlanTag *tag;
                if (!xml_is(t, "tag"))
                        continue;
                xml_mark(t);
                tag = VM_ARRAY_NEW(c->def, vlan->tags, vlan->n_tags);
                if (!tag)
                        return xml_oom(c);
                if (xml_prop_uint(c, t, "id", &tag->id) <= 0)
                        return xml_fail(c, t, "missing attribute 'id'");
                if (tag->id > 4095)
                        return xml_fail(c, t, "VLAN id %u is out of range (0..4095)", tag->id);
                (void) xml_prop_choice(c, t, "nativeMode", (const char * const[]) { "tagged", "untagged", NULL },
                                       &tag->native_mode);
        }
        if (xml_status(c) < 0)
                return xml_status(c);
        if (vlan->n_tags == 0)
                return xml_fail(c, x, "a <vlan> needs at least one <tag id=...>");
        if (vlan->n_tags > 1 && vlan->trunk == VM_TRISTATE_OFF)
                return xml_fail(c, x, "several VLAN tags need trunk='yes'");
        unsigned natives = 0;
        for (unsigned i = 0; i < vlan->n_tags; i++)
                natives += vlan->tags[i].native_mode != NULL;
        if (natives > 1)
                return xml_fail(c, x, "only one VLAN tag can be the native one");
        if (natives && vlan->trunk != VM_TRISTATE_ON)
                return xml_fail(c, x, "a native VLAN (nativeMode=) needs trunk='yes'");
        return 0;
}

/* <interface type='hostdev'>: an SR-IOV VF given to the guest as a PCI host device, with the MAC (and
 * VLAN or port profile) libvirt sets on the VF on the host. The device itself is a VmHostdev whose
 * net links back here; domxml_parse_devices() puts these before the <hostdev>s, as libvirt does. */
static int parse_interface_hostdev(XmlCtx *c, xmlNode *n, VmNet *net) {
        unsigned index = (unsigned) (net - c->def->nets);
        VmHostdev *h;
        xmlNode *x;

        h = VM_DEVICE_NEW(c->def, hostdevs);
        if (!h)
                return xml_oom(c);
        net = &c->def->nets[index];
        h->type = (char *) "pci";
        h->net = index + 1;
        h->line = net->line;
        (void) xml_prop_yesno(c, n, "managed", &h->managed);
        x = xml_child(c, n, "source");
        if (!x)
                return xml_fail(c, n, "type='hostdev' needs <source><address .../></source>");
        if (domxml_parse_pci_source(c, x, &h->source_addr) < 0)
                return xml_status(c);
        if (domxml_parse_vfio_driver(c, n, &net->driver_name) < 0)
                return xml_status(c);
        x = xml_child(c, n, "virtualport");
        if (x && parse_virtualport(c, x, &net->virtualport) < 0)
                return xml_status(c);
        if (x && net->virtualport.type && !streq(net->virtualport.type, "802.1Qbg") &&
            !streq(net->virtualport.type, "802.1Qbh"))
                return xml_fail(c, x, "virtualport type '%s' is not for a VF (only 802.1Qbg and 802.1Qbh are)",
                                net->virtualport.type);
        x = xml_child(c, n, "vlan");
        if (x && parse_vlan(c, x, &net->vlan) < 0)
                return xml_status(c);
        x = xml_child(c, n, "rom");
        if (x) {
                (void) xml_prop_onoff(c, x, "bar", &h->rom_bar);
                (void) xml_prop(c, x, "file", &h->rom_file);
        }
        h->failover_pair = net->teaming_persistent;
        (void) domxml_parse_boot_order(c, n, &h->boot_order);
        (void) domxml_parse_alias(c, n, &h->alias);
        net->alias = h->alias;
        (void) domxml_parse_address(c, n, &h->addr);
        if (h->addr.type != VM_ADDRESS_NONE && h->addr.type != VM_ADDRESS_PCI)
                return xml_fail(c, n, "a VF needs a PCI guest address");
        return xml_status(c);
}

static int parse_interface(XmlCtx *c, xmlNode *n) {
        static const char * const types[] = { "user", "network", "bridge", "ethernet", "server", "client",
                                               "mcast", "udp", "hostdev", NULL };
        VmNet *net = VM_DEVICE_NEW(c->def, nets);
        xmlNode *x;

        if (!net)
                return xml_oom(c);
        net->line = (unsigned) xmlGetLineNo(n);
        if (xml_prop_choice(c, n, "type", types, &net->type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        (void) xml_prop_yesno(c, n, "trustGuestRxFilters", &net->trust_guest_rx_filters);
        x = xml_child(c, n, "mac");
        if (x) {
                unsigned b[6];
                char tail;
                (void) xml_prop(c, x, "address", &net->mac);
                if (!net->mac || sscanf(net->mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                        &b[5], &tail) != 6 || strlen(net->mac) != 17)
                        return xml_fail(c, x, "invalid MAC address '%s'", strempty(net->mac));
                if (b[0] & 1)
                        return xml_fail(c, x, "MAC address '%s' is a multicast address", net->mac);
        }
        x = xml_child(c, n, "model");
        if (x) {
                (void) xml_prop(c, x, "type", &net->model);
                if (!net->model || strspn(net->model, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(net->model))
                        return xml_fail(c, x, "invalid NIC model '%s'", strempty(net->model));
        }
        x = xml_child(c, n, "teaming");
        if (x) {
                /* virtio failover (libvirt's <teaming>): a virtio NIC and a VF the guest bonds */
                (void) xml_prop_choice(c, x, "type", (const char * const[]) { "persistent", "transient", NULL },
                                       &net->teaming_type);
                (void) xml_prop(c, x, "persistent", &net->teaming_persistent);
                if (!net->teaming_type)
                        return xml_fail(c, x, "missing attribute 'type'");
                if (streq(net->teaming_type, "persistent") && net->teaming_persistent)
                        return xml_fail(c, x, "persistent= is for type='transient'");
                if (streq(net->teaming_type, "transient") && !net->teaming_persistent)
                        return xml_fail(c, x, "type='transient' needs persistent='ALIAS' of its virtio twin");
                if (streq(net->teaming_type, "persistent") && !vm_model_is_virtio(net->model))
                        return xml_fail(c, x, "type='persistent' is for a virtio NIC");
                if (streq(net->teaming_type, "transient") && !streq(net->type, "hostdev"))
                        return xml_fail(c, x, "type='transient' is for an <interface type='hostdev'>");
        }
        if (streq(net->type, "hostdev"))
                return parse_interface_hostdev(c, n, net);
        x = xml_child(c, n, "source");
        if (x) {
                (void) xml_prop(c, x, "network", &net->source_network);
                (void) xml_prop(c, x, "portgroup", &net->source_portgroup);
                (void) xml_prop(c, x, "portid", &net->source_portid);
                (void) xml_prop(c, x, "bridge", &net->source_bridge);
                (void) xml_prop(c, x, "dev", &net->source_dev);
                (void) xml_prop(c, x, "mode", &net->source_mode);
                (void) xml_prop(c, x, "address", &net->source_address);
                (void) xml_prop_uint(c, x, "port", &net->source_port);
                xmlNode *l = xml_child(c, x, "local");
                if (l) {
                        (void) xml_prop(c, l, "address", &net->source_local_address);
                        (void) xml_prop_uint(c, l, "port", &net->source_local_port);
                }
        }
        x = xml_child(c, n, "target");
        if (x) {
                (void) xml_prop(c, x, "dev", &net->target_dev);
                (void) xml_prop_yesno(c, x, "managed", &net->target_managed);
                if (net->target_dev && (!*net->target_dev || strlen(net->target_dev) >= 16 ||
                                        strpbrk(net->target_dev, "/ :%") || streq(net->target_dev, ".") ||
                                        streq(net->target_dev, "..")))
                        return xml_fail(c, x, "invalid network device name '%s' (at most 15 characters, no '/', "
                                        "':', '%%' or spaces)", net->target_dev);
                if (net->target_managed == VM_TRISTATE_OFF && (!net->target_dev || !streq(net->type, "ethernet")))
                        return xml_fail(c, x, "managed='no' is for an existing tap device: type='ethernet' with "
                                        "a dev=");
        }
        x = xml_child(c, n, "script");
        if (x)
                (void) xml_prop(c, x, "path", &net->script);
        x = xml_child(c, n, "downscript");
        if (x && xml_prop(c, x, "path", &net->downscript) > 0 && !streq(net->type, "ethernet"))
                return xml_fail(c, x, "scripts are only run for type='ethernet' interfaces");
        x = xml_child(c, n, "mtu");
        if (x)
                (void) xml_prop_uint(c, x, "size", &net->mtu);
        x = xml_child(c, n, "link");
        if (x)
                (void) xml_prop_choice(c, x, "state", (const char * const[]) { "up", "down", NULL }, &net->link_state);
        x = xml_child(c, n, "driver");
        if (x) {
                (void) xml_prop_choice(c, x, "name", (const char * const[]) { "qemu", "vhost", NULL }, &net->driver_name);
                (void) domxml_parse_virtio_opts(c, x, &net->virtio);
                (void) xml_prop_uint(c, x, "queues", &net->queues);
                (void) xml_prop_onoff(c, x, "rss", &net->rss);
                (void) xml_prop_onoff(c, x, "rss_hash_report", &net->rss_hash_report);
                if ((net->rss || net->rss_hash_report) && !vm_model_is_virtio(net->model))
                        return xml_fail(c, x, "rss and rss_hash_report are for a virtio NIC");
        }
        x = xml_child(c, n, "rom");
        if (x) {
                (void) xml_prop_onoff(c, x, "bar", &net->rom_bar);
                (void) xml_prop_yesno(c, x, "enabled", &net->rom_enabled);
                (void) xml_prop(c, x, "file", &net->rom_file);
        }
        /* host-side settings: the supervisor applies them to the tap when the VM starts */
        x = xml_child(c, n, "virtualport");
        if (x && parse_virtualport(c, x, &net->virtualport) < 0)
                return xml_status(c);
        if (x && !streq(net->type, "network") && !streq(net->type, "bridge"))
                return xml_fail(c, x, "<virtualport> is for type='network' and type='bridge' interfaces");
        if (x && streq(net->type, "bridge") && net->virtualport.type &&
            !streq(net->virtualport.type, "openvswitch") && !streq(net->virtualport.type, "midonet"))
                return xml_fail(c, x, "virtualport type '%s' is not for a bridge (only openvswitch and midonet are)",
                                net->virtualport.type);
        x = xml_child(c, n, "vlan");
        if (x && parse_vlan(c, x, &net->vlan) < 0)
                return xml_status(c);
        if (x && !streq(net->type, "network") && !streq(net->type, "bridge"))
                return xml_fail(c, x, "<vlan> is for type='network' and type='bridge' interfaces");
        if ((net->source_portgroup || net->source_portid) && !streq(net->type, "network"))
                return xml_fail(c, n, "portgroup= and portid= are for type='network' interfaces");
        if (net->source_portid) {
                char uuid[37];
                if (!vm_uuid_canonicalize(net->source_portid, uuid))
                        return xml_fail(c, n, "<source portid=>: malformed UUID '%s'", net->source_portid);
        }
        (void) domxml_parse_boot_order(c, n, &net->boot_order);
        (void) domxml_parse_alias(c, n, &net->alias);
        (void) domxml_parse_address(c, n, &net->addr);
        if (streq(net->type, "network") && !net->source_network)
                return xml_fail(c, n, "type='network' needs <source network=...>");
        if (streq(net->type, "bridge") && !net->source_bridge)
                return xml_fail(c, n, "type='bridge' needs <source bridge=...>");
        if ((streq(net->type, "udp") || streq(net->type, "server") || streq(net->type, "client") ||
             streq(net->type, "mcast")) && (!net->source_address && !streq(net->type, "server")))
                return xml_fail(c, n, "type='%s' needs <source address=... port=...>", net->type);
        return xml_status(c);
}

static int parse_input(XmlCtx *c, xmlNode *n) {
        static const char * const types[] = { "mouse", "keyboard", "tablet", "passthrough", "evdev", NULL };
        static const char * const buses[] = { "ps2", "usb", "virtio", "xen", NULL };
        VmInput *in = VM_DEVICE_NEW(c->def, inputs);

        if (!in)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "type", types, &in->type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        (void) xml_prop_choice(c, n, "bus", buses, &in->bus);
        if (!in->bus)
                in->bus = (char *) (streq(in->type, "tablet") ? "usb" : "ps2");
        if (streq(in->type, "passthrough") || streq(in->type, "evdev")) {
                xmlNode *s = xml_child(c, n, "source");
                if (!s || xml_prop(c, s, "evdev", &in->source_evdev) <= 0 ||
                    !startswith(in->source_evdev, "/dev/input/"))
                        return xml_fail(c, n, "needs <source evdev='/dev/input/...'>");
                if (streq(in->type, "evdev")) {
                        (void) xml_prop_yesno(c, s, "grab", &(VmTristate) { 0 });
                        (void) xml_prop_onoff(c, s, "repeat", &(VmTristate) { 0 });
                        (void) xml_prop(c, s, "grabToggle", &(char *) { NULL });
                        return xml_fail(c, s, "evdev input (input-linux) is not supported yet");
                }
                if (!streq(in->bus, "virtio"))
                        return xml_fail(c, n, "input passthrough needs bus='virtio'");
        }
        (void) domxml_parse_virtio_opts(c, xml_child(c, n, "driver"), &in->virtio);
        if (streq(in->bus, "xen"))
                return xml_fail(c, n, "bus='xen' is not supported");
        if (streq(in->bus, "ps2") && streq(in->type, "tablet"))
                return xml_fail(c, n, "a tablet cannot be on the ps2 bus");
        (void) domxml_parse_alias(c, n, &in->alias);
        (void) domxml_parse_address(c, n, &in->addr);
        return xml_status(c);
}

static int parse_graphics(XmlCtx *c, xmlNode *n) {
        static const char * const types[] = { "vnc", "spice", "sdl", "egl-headless", "dbus", NULL };
        VmGraphics *g = VM_DEVICE_NEW(c->def, graphics);
        VmTristate autoport = VM_TRISTATE_ABSENT;
        char *listen = NULL;
        xmlNode *x;

        if (!g)
                return xml_oom(c);
        g->port = g->tls_port = g->websocket = -1;
        g->line = (unsigned) xmlGetLineNo(n);
        if (xml_prop_choice(c, n, "type", types, &g->type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        if (streq(g->type, "egl-headless")) {
                /* OpenGL rendering on the host's render node for another display (VNC); needs /dev/dri at start */
                x = xml_child(c, n, "gl");
                if (x)
                        (void) xml_prop(c, x, "rendernode", &g->rendernode);
                if (g->rendernode && !startswith(g->rendernode, "/dev/dri/"))
                        return xml_fail(c, x, "the render node must be under /dev/dri/");
                return xml_status(c);
        }
        if (!streq(g->type, "vnc") && !streq(g->type, "spice"))
                return xml_fail(c, n, "graphics type '%s' is not supported on a headless host service", g->type);
        (void) xml_prop_int(c, n, "port", &g->port);
        (void) xml_prop_int(c, n, "tlsPort", &g->tls_port);
        (void) xml_prop_int(c, n, "websocket", &g->websocket);
        (void) xml_prop_yesno(c, n, "autoport", &autoport);
        g->autoport = autoport == VM_TRISTATE_ON || (autoport == VM_TRISTATE_ABSENT && g->port == -1);
        (void) xml_prop(c, n, "listen", &listen);
        (void) xml_prop(c, n, "passwd", &g->passwd);
        (void) xml_prop(c, n, "passwdValidTo", &(char *) { NULL });
        (void) xml_prop(c, n, "connected", &(char *) { NULL });
        (void) xml_prop(c, n, "keymap", &g->keymap);
        (void) xml_prop(c, n, "sharePolicy", &g->share_policy);
        if (g->keymap && strspn(g->keymap, "abcdefghijklmnopqrstuvwxyz-_") != strlen(g->keymap))
                return xml_fail(c, n, "invalid keymap '%s'", g->keymap);
        XML_FOREACH_ELEMENT(l, n) {
                if (!xml_is(l, "listen"))
                        continue;
                if (g->listen_type)
                        return xml_fail(c, l, "only one <listen> per graphics device is supported");
                xml_mark(l);
                if (xml_prop_choice(c, l, "type", (const char * const[]) { "address", "socket", "none", "network",
                                                                           NULL }, &g->listen_type) <= 0)
                        return xml_fail(c, l, "missing attribute 'type'");
                if (streq(g->listen_type, "network"))
                        return xml_fail(c, l, "listen type 'network' needs a libvirt network");
                (void) xml_prop(c, l, "address", &g->listen_address);
                (void) xml_prop(c, l, "socket", &g->listen_socket);
        }
        if (listen) {
                if (g->listen_address && !streq(g->listen_address, listen))
                        return xml_fail(c, n, "listen='%s' disagrees with <listen address='%s'>", listen,
                                        g->listen_address);
                g->listen_address = listen;
                if (!g->listen_type)
                        g->listen_type = (char *) "address";
        }
        /* libvirt: a SPICE display with no port, no TLS port and autoport='no' listens nowhere (a client
         * comes in over a passed socket) */
        if (streq(g->type, "spice") && !g->listen_type && !g->autoport && g->port == -1 && g->tls_port == -1)
                g->listen_type = (char *) "none";
        x = xml_child(c, n, "gl");
        if (x) {
                if (!streq(g->type, "spice"))
                        return xml_fail(c, x, "OpenGL is for SPICE and egl-headless displays");
                (void) xml_prop_yesno(c, x, "enable", &g->gl);
                (void) xml_prop(c, x, "rendernode", &g->rendernode);
                if (g->gl != VM_TRISTATE_ON && g->rendernode)
                        return xml_fail(c, x, "a render node needs enable='yes'");
                if (g->rendernode && !startswith(g->rendernode, "/dev/dri/"))
                        return xml_fail(c, x, "the render node must be under /dev/dri/");
        }
        x = xml_child(c, n, "image");
        if (x)
                (void) xml_prop(c, x, "compression", &g->image_compression);
        x = xml_child(c, n, "audio");
        if (x)
                (void) xml_prop(c, x, "id", &g->audio_id);
        if (streq(g->type, "spice")) {
                static const char * const channels[] = { "main", "display", "inputs", "cursor", "playback", "record",
                                                         "smartcard", "usbredir", NULL };
                static const char * const modes[] = { "secure", "insecure", "any", NULL };
                (void) xml_prop_choice(c, n, "defaultMode", modes, &g->default_mode);
                XML_FOREACH_ELEMENT(ch, n) {
                        char **name, **mode;
                        unsigned k = g->n_spice_channels;
                        if (!xml_is(ch, "channel"))
                                continue;
                        xml_mark(ch);
                        name = VM_ARRAY_NEW(c->def, g->spice_channel_names, k);
                        k = g->n_spice_channels;
                        mode = VM_ARRAY_NEW(c->def, g->spice_channel_modes, g->n_spice_channels);
                        if (!name || !mode)
                                return xml_oom(c);
                        if (xml_prop_choice(c, ch, "name", channels, name) <= 0 ||
                            xml_prop_choice(c, ch, "mode", modes, mode) <= 0)
                                return xml_fail(c, ch, "needs name= (main, display, inputs, ...) and mode= (secure, "
                                                "insecure, any)");
                }
                x = xml_child(c, n, "jpeg");
                if (x)
                        (void) xml_prop_choice(c, x, "compression", (const char * const[]) { "auto", "never", "always",
                                                                                             NULL }, &g->jpeg_compression);
                x = xml_child(c, n, "zlib");
                if (x)
                        (void) xml_prop_choice(c, x, "compression", (const char * const[]) { "auto", "never", "always",
                                                                                             NULL }, &g->zlib_compression);
                x = xml_child(c, n, "playback");
                if (x)
                        (void) xml_prop_choice(c, x, "compression", (const char * const[]) { "on", "off", NULL },
                                               &g->playback_compression);
                x = xml_child(c, n, "streaming");
                if (x)
                        (void) xml_prop_choice(c, x, "mode", (const char * const[]) { "filter", "all", "off", NULL },
                                               &g->streaming_mode);
                x = xml_child(c, n, "clipboard");
                if (x)
                        (void) xml_prop_choice(c, x, "copypaste", (const char * const[]) { "yes", "no", NULL },
                                               &g->clipboard_copypaste);
                x = xml_child(c, n, "mouse");
                if (x)
                        (void) xml_prop_choice(c, x, "mode", (const char * const[]) { "server", "client", NULL },
                                               &g->mouse_mode);
                x = xml_child(c, n, "filetransfer");
                if (x)
                        (void) xml_prop_choice(c, x, "enable", (const char * const[]) { "yes", "no", NULL },
                                               &g->filetransfer);
                if (g->image_compression && strspn(g->image_compression, "abcdefghijklmnopqrstuvwxyz_") !=
                                                strlen(g->image_compression))
                        return xml_fail(c, n, "invalid image compression '%s'", g->image_compression);
        }
        return xml_status(c);
}

static int parse_video(XmlCtx *c, xmlNode *n) {
        static const char * const models[] = { "vga", "cirrus", "qxl", "virtio", "bochs", "ramfb", "none", NULL };
        VmVideo *v = VM_DEVICE_NEW(c->def, videos);
        xmlNode *m;

        if (!v)
                return xml_oom(c);
        v->line = (unsigned) xmlGetLineNo(n);
        m = xml_child(c, n, "model");
        if (!m)
                return xml_fail(c, n, "missing <model>");
        if (xml_prop_choice(c, m, "type", models, &v->model) <= 0)
                return xml_fail(c, m, "missing attribute 'type'");
        (void) xml_prop_uint(c, m, "vram", &v->vram_kib);
        (void) xml_prop_uint(c, m, "ram", &v->ram_kib);
        (void) xml_prop_uint(c, m, "vgamem", &v->vgamem_kib);
        (void) xml_prop_uint(c, m, "vram64", &v->vram64_kib);
        (void) xml_prop_uint(c, m, "heads", &v->heads);
        (void) xml_prop_yesno(c, m, "primary", &v->primary);
        xmlNode *acc = xml_child(c, m, "acceleration");
        if (acc) {
                VmTristate accel2d = VM_TRISTATE_ABSENT;
                (void) xml_prop_yesno(c, acc, "accel3d", &v->accel3d);
                (void) xml_prop_yesno(c, acc, "accel2d", &accel2d);
                (void) xml_prop(c, acc, "rendernode", &v->render_node);
                if (accel2d == VM_TRISTATE_ON)
                        return xml_fail(c, acc, "2D acceleration is not supported by QEMU");
                if (v->render_node && (v->render_node[0] != '/' || strchr(v->render_node, ',')))
                        return xml_fail(c, acc, "rendernode must be an absolute path (without ',')");
        }
        {
                xmlNode *d = xml_child(c, n, "driver");
                char *name = NULL;
                if (d && xml_prop_choice(c, d, "name", (const char * const[]) { "qemu", "vhostuser", NULL },
                                         &name) > 0 && streq(name, "vhostuser")) {
                        /* a vhost-user-gpu process renders for QEMU; libvirt's rules for it */
                        if (!streq(v->model, "virtio"))
                                return xml_fail(c, d, "driver 'vhostuser' is only for <model type='virtio'>");
                        v->driver_name = name;
                }
                (void) domxml_parse_virtio_opts(c, d, &v->virtio);
        }
        /* 3D: the vhost-user-gpu backend renders on the node, or QEMU's own virgl device */
        if (v->accel3d == VM_TRISTATE_ON && !streq(v->model, "virtio"))
                return xml_fail(c, acc, "3D acceleration is for <model type='virtio'>");
        if (v->render_node && !streq_ptr(v->driver_name, "vhostuser"))
                return xml_fail(c, acc, "rendernode is for <driver name='vhostuser'>");
        (void) domxml_parse_alias(c, n, &v->alias);
        (void) domxml_parse_address(c, n, &v->addr);
        return xml_status(c);
}

static int parse_sound(XmlCtx *c, xmlNode *n) {
        static const char * const models[] = { "ich6", "ich7", "ich9", "ac97", "es1370", "sb16", "usb", "pcspk",
                                               NULL };
        VmSound *s = VM_DEVICE_NEW(c->def, sounds);
        xmlNode *a;

        if (!s)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "model", models, &s->model) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'model'");
        XML_FOREACH_ELEMENT(k, n) {
                char **cd;
                if (!xml_is(k, "codec"))
                        continue;
                xml_mark(k);
                unsigned cnt = 0;
                while (s->codecs && s->codecs[cnt])
                        cnt++;
                cd = VM_ARRAY_NEW(c->def, s->codecs, cnt);
                if (!cd || !VM_ARRAY_NEW(c->def, s->codecs, cnt))
                        return xml_oom(c);
                cd = &s->codecs[cnt - 2];       /* the second grow (NULL terminator) may move the array */
                (void) xml_prop_choice(c, k, "type", (const char * const[]) { "duplex", "micro", "output", NULL }, cd);
        }
        a = xml_child(c, n, "audio");
        if (a)
                (void) xml_prop(c, a, "id", &s->audio_id);
        (void) domxml_parse_alias(c, n, &s->alias);
        (void) domxml_parse_address(c, n, &s->addr);
        return xml_status(c);
}

static int parse_audio(XmlCtx *c, xmlNode *n) {
        static const char * const types[] = { "none", "file", "spice", "alsa", "oss", "pulseaudio", "sdl",
                                              "coreaudio", "jack", "dbus", NULL };
        VmAudio *a = VM_DEVICE_NEW(c->def, audios);

        if (!a)
                return xml_oom(c);
        a->dsp_policy = -1;
        (void) xml_prop(c, n, "serverName", &a->server_name);
        (void) xml_prop_yesno(c, n, "tryMMap", &a->try_mmap);
        (void) xml_prop_yesno(c, n, "exclusive", &a->exclusive);
        (void) xml_prop_int(c, n, "dspPolicy", &a->dsp_policy);
        if (xml_prop_uint(c, n, "id", &a->id) <= 0 || a->id == 0)
                return xml_fail(c, n, "attribute 'id' must be a positive number");
        if (xml_prop_choice(c, n, "type", types, &a->type) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'type'");
        (void) xml_prop(c, n, "path", &a->path);
        (void) xml_prop_uint(c, n, "timerPeriod", &a->timer_period);
        XML_FOREACH_ELEMENT(io, n) {
                VmAudioStream *st;
                xmlNode *set;
                if (!xml_is(io, "input") && !xml_is(io, "output"))
                        continue;
                st = xml_is(io, "input") ? &a->in : &a->out;
                if (st->set)
                        return xml_fail(c, io, "element may appear only once");
                xml_mark(io);
                st->set = true;
                (void) xml_prop_yesno(c, io, "mixingEngine", &st->mixing_engine);
                (void) xml_prop_yesno(c, io, "fixedSettings", &st->fixed_settings);
                (void) xml_prop_uint(c, io, "voices", &st->voices);
                (void) xml_prop_uint(c, io, "bufferLength", &st->buffer_length);
                (void) xml_prop(c, io, "name", &st->name);
                (void) xml_prop(c, io, "streamName", &st->stream_name);
                (void) xml_prop(c, io, "dev", &st->dev);
                (void) xml_prop_uint(c, io, "latency", &st->latency);
                (void) xml_prop_uint(c, io, "bufferCount", &st->buffer_count);
                (void) xml_prop_yesno(c, io, "tryPoll", &st->try_poll);
                set = xml_child(c, io, "settings");
                if (set) {
                        (void) xml_prop_uint(c, set, "frequency", &st->frequency);
                        (void) xml_prop_uint(c, set, "channels", &st->channels);
                        (void) xml_prop_choice(c, set, "format", (const char * const[]) { "s8", "u8", "s16", "u16",
                                                                                           "s32", "u32", "f32", NULL },
                                               &st->format);
                }
        }
        return xml_status(c);
}

static int parse_watchdog(XmlCtx *c, xmlNode *n) {
        static const char * const models[] = { "i6300esb", "ib700", "itco", NULL };
        static const char * const actions[] = { "reset", "shutdown", "poweroff", "pause", "none", "dump",
                                                "inject-nmi", NULL };
        VmWatchdog *w = VM_DEVICE_NEW(c->def, watchdogs);

        if (!w)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "model", models, &w->model) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'model'");
        w->action = (char *) "reset";
        (void) xml_prop_choice(c, n, "action", actions, &w->action);
        (void) domxml_parse_address(c, n, &w->addr);
        return xml_status(c);
}

static int parse_rng(XmlCtx *c, xmlNode *n) {
        static const char * const models[] = { "virtio", "virtio-transitional", "virtio-non-transitional", NULL };
        VmRng *g = VM_DEVICE_NEW(c->def, rngs);
        xmlNode *b, *x;

        if (!g)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "model", models, &g->model) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'model'");
        b = xml_child(c, n, "backend");
        if (!b)
                return xml_fail(c, n, "missing <backend>");
        if (xml_prop_choice(c, b, "model", (const char * const[]) { "random", "egd", "builtin", NULL },
                            &g->backend_model) <= 0)
                return xml_fail(c, b, "missing attribute 'model'");
        if (streq(g->backend_model, "random")) {
                (void) xml_text(c, b, &g->backend_path);
                if (!g->backend_path)
                        g->backend_path = (char *) "/dev/urandom";
                if (!streq(g->backend_path, "/dev/urandom") && !streq(g->backend_path, "/dev/random") &&
                    !streq(g->backend_path, "/dev/hwrng"))
                        return xml_fail(c, b, "RNG source '%s' is not allowed (/dev/urandom, /dev/random, /dev/hwrng)",
                                        g->backend_path);
        } else if (streq(g->backend_model, "egd")) {
                char *type = NULL;
                if (xml_prop(c, b, "type", &type) <= 0)
                        return xml_fail(c, b, "missing attribute 'type'");
                (void) domxml_parse_char_source(c, b, type, &g->egd);
        }
        x = xml_child(c, n, "rate");
        if (x) {
                if (xml_prop_uint(c, x, "bytes", &g->rate_bytes) <= 0 || g->rate_bytes == 0)
                        return xml_fail(c, x, "attribute 'bytes' must be a positive number");
                (void) xml_prop_uint(c, x, "period", &g->rate_period);
        }
        (void) domxml_parse_virtio_opts(c, xml_child(c, n, "driver"), &g->virtio);
        (void) domxml_parse_alias(c, n, &g->alias);
        (void) domxml_parse_address(c, n, &g->addr);
        return xml_status(c);
}

static int parse_memballoon(XmlCtx *c, xmlNode *n) {
        VmMemballoon *m = &c->def->memballoon;
        xmlNode *x;

        if (m->present)
                return xml_fail(c, n, "only one <memballoon> is allowed");
        m->present = true;
        if (xml_prop_choice(c, n, "model", (const char * const[]) { VM_VIRTIO_MODELS, "none", NULL }, &m->model) <= 0)
                return xml_fail(c, n, "missing attribute 'model'");
        (void) xml_prop_onoff(c, n, "autodeflate", &m->autodeflate);
        (void) xml_prop_onoff(c, n, "freePageReporting", &m->free_page_reporting);
        x = xml_child(c, n, "stats");
        if (x)
                (void) xml_prop_uint(c, x, "period", &m->stats_period);
        (void) domxml_parse_virtio_opts(c, xml_child(c, n, "driver"), &m->virtio);
        (void) domxml_parse_address(c, n, &m->addr);
        return xml_status(c);
}

static int parse_tpm(XmlCtx *c, xmlNode *n) {
        VmTpm *t = VM_DEVICE_NEW(c->def, tpms);
        xmlNode *b, *s;

        if (!t)
                return xml_oom(c);
        t->model = (char *) "tpm-tis";
        (void) xml_prop_choice(c, n, "model", (const char * const[]) { "tpm-tis", "tpm-crb", NULL }, &t->model);
        b = xml_child(c, n, "backend");
        if (!b)
                return xml_fail(c, n, "missing <backend>");
        if (xml_prop_choice(c, b, "type", (const char * const[]) { "passthrough", "emulator", "external", NULL },
                            &t->backend_type) <= 0)
                return xml_fail(c, b, "missing attribute 'type'");
        (void) xml_prop_choice(c, b, "version", (const char * const[]) { "1.2", "2.0", NULL }, &t->version);
        if (streq(t->backend_type, "passthrough")) {
                xmlNode *d = xml_child(c, b, "device");
                t->backend_path = (char *) "/dev/tpm0";
                if (d)
                        (void) xml_prop(c, d, "path", &t->backend_path);
                if (!startswith(t->backend_path, "/dev/tpm"))
                        return xml_fail(c, d ?: b, "the passthrough device must be a /dev/tpm* node");
                return xml_status(c);
        }
        if (streq(t->backend_type, "emulator")) {
                /* swtpm is started by the supervisor; its state lives in the VM's state directory */
                if (xml_child(c, b, "encryption"))
                        return xml_fail(c, b, "an encrypted TPM state needs a secret store, not supported yet");
                XML_FOREACH_ELEMENT(x, b)
                        if (xml_is(x, "active_pcr_banks"))
                                return xml_fail(c, x, "<active_pcr_banks> is not supported yet");
                (void) xml_prop(c, b, "persistent_state", &(char *) { NULL });
                return xml_status(c);
        }
        s = xml_child(c, b, "source");
        if (!s)
                return xml_fail(c, b, "missing <source>");
        {
                char *type = NULL, *mode = NULL;
                (void) xml_prop(c, s, "type", &type);
                (void) xml_prop(c, s, "mode", &mode);
                if (!type || !streq(type, "unix") || (mode && !streq(mode, "connect")))
                        return xml_fail(c, s, "an external TPM needs type='unix' mode='connect'");
                (void) xml_prop(c, s, "path", &t->backend_path);
                if (!t->backend_path || t->backend_path[0] != '/')
                        return xml_fail(c, s, "missing absolute 'path'");
        }
        return xml_status(c);
}

static int parse_panic(XmlCtx *c, xmlNode *n) {
        VmPanic *p = VM_DEVICE_NEW(c->def, panics);

        if (!p)
                return xml_oom(c);
        (void) xml_prop_choice(c, n, "model", (const char * const[]) { "isa", "hyperv", NULL }, &p->model);
        (void) domxml_parse_address(c, n, &p->addr);
        return xml_status(c);
}

static int parse_iommu(XmlCtx *c, xmlNode *n) {
        VmIommu *m = &c->def->iommu;
        xmlNode *d;

        if (m->present)
                return xml_fail(c, n, "only one <iommu> is allowed");
        m->present = true;
        if (xml_prop_choice(c, n, "model", (const char * const[]) { "intel", "virtio", NULL }, &m->model) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'model'");
        d = xml_child(c, n, "driver");
        if (d) {
                (void) xml_prop_onoff(c, d, "intremap", &m->intremap);
                (void) xml_prop_onoff(c, d, "caching_mode", &m->caching_mode);
                (void) xml_prop_onoff(c, d, "eim", &m->eim);
                (void) xml_prop_onoff(c, d, "iotlb", &m->iotlb);
                (void) xml_prop_uint(c, d, "aw_bits", &m->aw_bits);
        }
        (void) domxml_parse_address(c, n, &m->addr);
        return xml_status(c);
}

static int parse_redirdev(XmlCtx *c, xmlNode *n) {
        VmRedirdev *r = VM_DEVICE_NEW(c->def, redirdevs);
        char *type = NULL;

        if (!r)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "bus", (const char * const[]) { "usb", NULL }, &r->bus) <= 0)
                return xml_fail(c, n, "missing attribute 'bus'");
        if (xml_prop(c, n, "type", &type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        (void) domxml_parse_char_source(c, n, type, &r->src);
        (void) domxml_parse_address(c, n, &r->addr);
        return xml_status(c);
}

static int parse_smartcard(XmlCtx *c, xmlNode *n) {
        VmSmartcard *s = VM_DEVICE_NEW(c->def, smartcards);
        char *type = NULL;

        if (!s)
                return xml_oom(c);
        if (xml_prop_choice(c, n, "mode", (const char * const[]) { "host", "host-certificates", "passthrough",
                                                                   NULL }, &s->mode) <= 0)
                return xml_fail(c, n, "missing attribute 'mode'");
        if (!streq(s->mode, "passthrough"))
                return xml_fail(c, n, "smartcard mode '%s' needs host NSS access, which is not supported", s->mode);
        if (xml_prop(c, n, "type", &type) <= 0)
                return xml_fail(c, n, "missing attribute 'type'");
        (void) domxml_parse_char_source(c, n, type, &s->src);
        (void) domxml_parse_address(c, n, &s->addr);
        return xml_status(c);
}


/* libvirt's virDomainAssignControllerIndexes: a controller without index= gets the lowest index
 * unused by its type, except that an ich9 USB2 companion joins the set of the USB controller
 * before it unless that set already has its model. */
static void assign_controller_indexes(VmDef *def) {
        for (unsigned i = 0; i < def->n_controllers; i++) {
                VmController *k = &def->controllers[i];
                if (!k->index_auto)
                        continue;
                if (k->type == VM_CONTROLLER_USB && k->model && startswith(k->model, "ich9-")) {
                        VmController *prev = NULL;
                        for (unsigned j = i; j-- > 0; )
                                if (def->controllers[j].type == VM_CONTROLLER_USB) {
                                        prev = &def->controllers[j];
                                        break;
                                }
                        if (prev && prev->model && startswith(prev->model, "ich9-")) {
                                bool taken = false;
                                for (unsigned j = 0; j < i; j++)
                                        if (def->controllers[j].type == VM_CONTROLLER_USB &&
                                            def->controllers[j].index == prev->index &&
                                            streq_ptr(def->controllers[j].model, k->model))
                                                taken = true;
                                if (!taken) {
                                        k->index = prev->index;
                                        k->index_auto = false;
                                        continue;
                                }
                        }
                }
                for (unsigned idx = 0;; idx++) {
                        bool used = false;
                        for (unsigned j = 0; j < def->n_controllers; j++)
                                if (j != i && def->controllers[j].type == k->type && !def->controllers[j].index_auto &&
                                    def->controllers[j].index == idx)
                                        used = true;
                        if (!used) {
                                k->index = idx;
                                break;
                        }
                }
                k->index_auto = false;
        }
}

/* libvirt lists the VFs of <interface type='hostdev'> before the <hostdev>s, wherever they are in the
 * document: the order their PCI slots and ids are given in. */
static int interfaces_hostdevs_first(XmlCtx *c) {
        VmDef *def = c->def;
        VmHostdev *sorted;
        unsigned k = 0;

        if (def->n_hostdevs < 2)
                return 0;
        sorted = vm_def_alloc(def, def->n_hostdevs * sizeof(*sorted));
        if (!sorted)
                return xml_oom(c);
        for (unsigned pass = 0; pass < 2; pass++)
                for (unsigned i = 0; i < def->n_hostdevs; i++)
                        if ((def->hostdevs[i].net != 0) == (pass == 0))
                                sorted[k++] = def->hostdevs[i];
        memcpy(def->hostdevs, sorted, def->n_hostdevs * sizeof(*sorted));
        return 0;
}

/* A transient <teaming> (of a VF) names the alias of a persistent one (the virtio NIC of the pair). */
static int check_teaming(XmlCtx *c, xmlNode *devices) {
        const VmDef *def = c->def;

        for (unsigned i = 0; i < def->n_hostdevs; i++) {
                const VmHostdev *h = &def->hostdevs[i];
                bool found = false;
                if (!h->failover_pair)
                        continue;
                for (unsigned j = 0; j < def->n_nets && !found; j++)
                        found = streq_ptr(def->nets[j].teaming_type, "persistent") &&
                                streq_ptr(def->nets[j].alias, h->failover_pair);
                if (!found)
                        return xml_fail(c, devices, "<%s> (line %u): <teaming persistent='%s'> names no virtio "
                                        "<interface> with <teaming type='persistent'> and that <alias>",
                                        h->net ? "interface" : "hostdev", h->line, h->failover_pair);
        }
        return xml_status(c);
}

int domxml_parse_devices(XmlCtx *c, xmlNode *devices) {
        static const struct {
                const char *name;
                int (*parse)(XmlCtx *c, xmlNode *n);
        } table[] = {
                { "disk", parse_disk },
                { "controller", parse_controller },
                { "interface", parse_interface },
                { "input", parse_input },
                { "graphics", parse_graphics },
                { "video", parse_video },
                { "sound", parse_sound },
                { "audio", parse_audio },
                { "watchdog", parse_watchdog },
                { "rng", parse_rng },
                { "memballoon", parse_memballoon },
                { "tpm", parse_tpm },
                { "panic", parse_panic },
                { "iommu", parse_iommu },
                { "redirdev", parse_redirdev },
                { "smartcard", parse_smartcard },
        };
        static const char * const chars[_VM_CHAR_KIND_MAX] = {
                [VM_CHAR_SERIAL] = "serial",
                [VM_CHAR_PARALLEL] = "parallel",
                [VM_CHAR_CONSOLE] = "console",
                [VM_CHAR_CHANNEL] = "channel",
        };
        int r;

        XML_FOREACH_ELEMENT(n, devices) {
                if (xml_is(n, "emulator")) {
                        xml_mark(n);
                        if (c->def->emulator)
                                return xml_fail(c, n, "element may appear only once");
                        (void) xml_text(c, n, &c->def->emulator);
                        if (!c->def->emulator || c->def->emulator[0] != '/')
                                return xml_fail(c, n, "the emulator must be an absolute path");
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (xml_is(n, table[i].name)) {
                                xml_mark(n);
                                r = table[i].parse(c, n);
                                if (r < 0)
                                        return r;
                                r = xml_check_unconsumed(c, n);
                                if (r < 0)
                                        return r;
                        }
                {
                        bool handled;
                        r = domxml_parse_more_devices(c, n, &handled);
                        if (r < 0)
                                return r;
                        if (handled) {
                                r = xml_check_unconsumed(c, n);
                                if (r < 0)
                                        return r;
                        }
                }
                for (size_t k = 0; k < _VM_CHAR_KIND_MAX; k++)
                        if (xml_is(n, chars[k])) {
                                xml_mark(n);
                                r = domxml_parse_chardev(c, n, (VmCharKind) k);
                                if (r < 0)
                                        return r;
                                r = xml_check_unconsumed(c, n);
                                if (r < 0)
                                        return r;
                        }
        }
        xml_mark(devices);
        assign_controller_indexes(c->def);
        r = interfaces_hostdevs_first(c);
        if (r < 0)
                return r;
        return check_teaming(c, devices);
}
