/*
 * Domain XML -> VmDef: host device assignment (<hostdev> PCI/USB/SCSI), USB hubs, shared
 * filesystems, shared memory and vsock; plus the virtio <driver> options common to virtio devices.
 */
#include <stdio.h>

#include "domxml-internal.h"

int domxml_parse_virtio_opts(XmlCtx *c, xmlNode *driver, VmVirtioOpts *o) {
        if (!driver)
                return 0;
        (void) xml_prop_onoff(c, driver, "iommu", &o->iommu);
        (void) xml_prop_onoff(c, driver, "ats", &o->ats);
        (void) xml_prop_onoff(c, driver, "packed", &o->packed);
        (void) xml_prop_onoff(c, driver, "page_per_vq", &o->page_per_vq);
        return xml_status(c);
}

/* A mediated device (a vGPU, say): <source><address uuid=>, assigned through VFIO as QEMU's vfio-pci. */
static int parse_hostdev_mdev(XmlCtx *c, xmlNode *n, VmHostdev *h) {
        xmlNode *s, *a;
        char *uuid = NULL;

        if (xml_prop_choice(c, n, "model", (const char * const[]) { "vfio-pci", "vfio-ccw", "vfio-ap", NULL },
                            &h->model) <= 0)
                return xml_fail(c, n, "a mediated device needs model='vfio-pci'");
        if (!streq(h->model, "vfio-pci"))
                return xml_fail(c, n, "mediated device model '%s' is for s390 hosts", h->model);
        (void) xml_prop_onoff(c, n, "display", &h->display);
        (void) xml_prop_onoff(c, n, "ramfb", &h->ramfb);
        if (h->ramfb == VM_TRISTATE_ON && h->display != VM_TRISTATE_ON)
                return xml_fail(c, n, "ramfb='on' needs display='on'");
        s = xml_child(c, n, "source");
        a = s ? xml_child(c, s, "address") : NULL;
        if (!a || xml_prop(c, a, "uuid", &uuid) <= 0 || strlen(uuid) != 36 ||
            strspn(uuid, "0123456789abcdefABCDEF-") != 36)
                return xml_fail(c, s ?: n, "a mediated device needs <source><address uuid=...>");
        h->mdev_uuid = uuid;
        (void) domxml_parse_alias(c, n, &h->alias);
        (void) domxml_parse_address(c, n, &h->addr);
        if (h->addr.type != VM_ADDRESS_NONE && h->addr.type != VM_ADDRESS_PCI)
                return xml_fail(c, n, "a mediated device needs a PCI guest address");
        return xml_status(c);
}

/* A vhost-scsi target of the host's LIO (<source protocol='vhost' wwpn='naa.<16 hex>'>): QEMU's
 * vhost-scsi-pci, on /dev/vhost-scsi that the supervisor opens. */
static int parse_hostdev_vhost_scsi(XmlCtx *c, xmlNode *n, VmHostdev *h) {
        xmlNode *s;
        char *protocol = NULL;

        (void) xml_prop_choice(c, n, "model", (const char * const[]) { "virtio", "virtio-transitional",
                                                                        "virtio-non-transitional", NULL }, &h->model);
        s = xml_child(c, n, "source");
        if (!s || xml_prop(c, s, "protocol", &protocol) <= 0 || !streq(protocol, "vhost"))
                return xml_fail(c, s ?: n, "a scsi_host device needs <source protocol='vhost'>");
        if (xml_prop(c, s, "wwpn", &h->wwpn) <= 0 || !startswith(h->wwpn, "naa.") || strlen(h->wwpn) != 20 ||
            strspn(h->wwpn + 4, "0123456789abcdefABCDEF") != 16)
                return xml_fail(c, s, "malformed wwpn '%s' (naa. and 16 hex digits)", strempty(h->wwpn));
        (void) domxml_parse_boot_order(c, n, &h->boot_order);
        (void) domxml_parse_alias(c, n, &h->alias);
        (void) domxml_parse_address(c, n, &h->addr);
        if (h->addr.type != VM_ADDRESS_NONE && h->addr.type != VM_ADDRESS_PCI)
                return xml_fail(c, n, "a vhost-scsi device needs a PCI guest address");
        return xml_status(c);
}

int domxml_parse_vfio_driver(XmlCtx *c, xmlNode *parent, char **ret) {
        xmlNode *x = xml_child(c, parent, "driver");

        if (x) {
                (void) xml_prop(c, x, "name", ret);
                if (*ret && !streq(*ret, "vfio"))
                        return xml_fail(c, x, "PCI assignment driver '%s' is not supported (only 'vfio')", *ret);
        }
        return xml_status(c);
}

int domxml_parse_pci_source(XmlCtx *c, xmlNode *source, VmAddress *ret) {
        xmlNode *a = xml_child(c, source, "address");
        char *type = NULL;

        if (!a)
                return xml_fail(c, source, "missing <address>");
        if (xml_prop(c, a, "type", &type) > 0 && !streq(type, "pci"))
                return xml_fail(c, a, "a host PCI address needs type='pci', not '%s'", type);
        ret->type = VM_ADDRESS_PCI;
        (void) xml_prop_hex(c, a, "domain", &ret->domain);
        (void) xml_prop_hex(c, a, "bus", &ret->bus);
        (void) xml_prop_hex(c, a, "slot", &ret->slot);
        (void) xml_prop_hex(c, a, "function", &ret->function);
        if (ret->domain > 0xffff || ret->bus > 0xff || ret->slot > 0x1f || ret->function > 7)
                return xml_fail(c, a, "host PCI address out of range");
        return xml_status(c);
}

static int parse_hostdev(XmlCtx *c, xmlNode *n) {
        VmHostdev *h = VM_DEVICE_NEW(c->def, hostdevs);
        char *mode = NULL;
        xmlNode *s, *a, *x;

        if (!h)
                return xml_oom(c);
        if (xml_prop(c, n, "mode", &mode) > 0 && !streq(mode, "subsystem"))
                return xml_fail(c, n, "hostdev mode '%s' is not supported (only 'subsystem')", mode);
        if (xml_prop_choice(c, n, "type", (const char * const[]) { "pci", "usb", "scsi", "scsi_host", "mdev", NULL },
                            &h->type) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'type'");
        h->line = (unsigned) xmlGetLineNo(n);
        (void) xml_prop_yesno(c, n, "managed", &h->managed);
        if (streq(h->type, "mdev"))
                return parse_hostdev_mdev(c, n, h);
        if (streq(h->type, "scsi_host"))
                return parse_hostdev_vhost_scsi(c, n, h);
        if (domxml_parse_vfio_driver(c, n, &(char *) { NULL }) < 0)
                return xml_status(c);
        s = xml_child(c, n, "source");
        if (!s)
                return xml_fail(c, n, "missing <source>");
        if (streq(h->type, "pci")) {
                if (domxml_parse_pci_source(c, s, &h->source_addr) < 0)
                        return xml_status(c);
        } else if (streq(h->type, "usb")) {
                xmlNode *v = xml_child(c, s, "vendor"), *p = xml_child(c, s, "product");
                (void) xml_prop_choice(c, s, "guestReset", (const char * const[]) { "off", "uninitialized", "on",
                                                                                    NULL }, &h->guest_reset_mode);
                (void) xml_prop_choice(c, s, "startupPolicy", (const char * const[]) { "mandatory", "requisite",
                                                                                       "optional", NULL },
                                       &(char *) { NULL });
                if (v || p) {
                        if (!v || !p || xml_prop_hex(c, v, "id", &h->usb_vendor) <= 0 ||
                            xml_prop_hex(c, p, "id", &h->usb_product) <= 0 || h->usb_vendor > 0xffff ||
                            h->usb_product > 0xffff)
                                return xml_fail(c, s, "a USB device by id needs <vendor id=...> and <product id=...>");
                        h->usb_by_id = true;
                }
                a = xml_child(c, s, "address");
                if (a) {
                        h->source_addr.type = VM_ADDRESS_USB;
                        if (xml_prop_uint(c, a, "bus", &h->source_addr.bus) <= 0 ||
                            xml_prop_uint(c, a, "device", &h->source_addr.unit) <= 0 ||
                            h->source_addr.bus > 999 || h->source_addr.unit > 999)
                                return xml_fail(c, a, "needs attributes 'bus' and 'device'");
                }
                if (!v && !a)
                        return xml_fail(c, s, "a USB host device needs <vendor>/<product> or <address>");
        } else {
                xmlNode *ad = xml_child(c, s, "adapter");
                if (!ad || xml_prop(c, ad, "name", &h->scsi_adapter) <= 0 ||
                    !startswith(h->scsi_adapter, "scsi_host") ||
                    strspn(h->scsi_adapter + 9, "0123456789") != strlen(h->scsi_adapter + 9))
                        return xml_fail(c, s, "a SCSI host device needs <adapter name='scsi_hostN'>");
                a = xml_child(c, s, "address");
                if (!a)
                        return xml_fail(c, s, "missing <address>");
                h->source_addr.type = VM_ADDRESS_DRIVE;
                (void) xml_prop_uint(c, a, "bus", &h->source_addr.bus);
                (void) xml_prop_uint(c, a, "target", &h->source_addr.target);
                (void) xml_prop_uint(c, a, "unit", &h->source_addr.unit);
                h->readonly = !!xml_child(c, n, "readonly");
                h->shareable = !!xml_child(c, n, "shareable");
        }
        x = xml_child(c, n, "rom");
        if (x) {
                (void) xml_prop_onoff(c, x, "bar", &h->rom_bar);
                (void) xml_prop(c, x, "file", &h->rom_file);
        }
        x = xml_child(c, n, "teaming");
        if (x) {
                char *type = NULL;
                if (xml_prop(c, x, "type", &type) <= 0 || !streq(type, "transient"))
                        return xml_fail(c, x, "a host device's teaming is type='transient'");
                if (xml_prop(c, x, "persistent", &h->failover_pair) <= 0)
                        return xml_fail(c, x, "type='transient' needs persistent='ALIAS' of its virtio twin");
                if (!streq(h->type, "pci"))
                        return xml_fail(c, x, "teaming is for a PCI host device");
        }
        (void) domxml_parse_boot_order(c, n, &h->boot_order);
        (void) domxml_parse_alias(c, n, &h->alias);
        (void) domxml_parse_address(c, n, &h->addr);
        if (streq(h->type, "pci") && h->addr.type != VM_ADDRESS_NONE && h->addr.type != VM_ADDRESS_PCI)
                return xml_fail(c, n, "a PCI host device needs a PCI guest address");
        return xml_status(c);
}

static int parse_hub(XmlCtx *c, xmlNode *n) {
        VmHub *h = VM_DEVICE_NEW(c->def, hubs);
        char *type = NULL;

        if (!h)
                return xml_oom(c);
        if (xml_prop(c, n, "type", &type) <= 0 || !streq(type, "usb"))
                return xml_fail(c, n, "only <hub type='usb'> is supported");
        (void) domxml_parse_address(c, n, &h->addr);
        return xml_status(c);
}

/* libvirt's rule for vhost-user devices: QEMU's RAM must be shared with the daemon, either all of
 * it (<memoryBacking><access mode='shared'/>) or, with guest NUMA cells, every cell's. */
static bool memory_shared(const VmDef *def) {
        bool shared = def->mem.access_mode && streq(def->mem.access_mode, "shared");

        if (def->cpu.n_cells == 0)
                return shared;
        for (unsigned i = 0; i < def->cpu.n_cells; i++) {
                const char *a = def->cpu.cells[i].mem_access;
                if (a ? !streq(a, "shared") : !shared)
                        return false;
        }
        return true;
}

/* <binary> of a virtiofs filesystem: how the supervisor runs its virtiofsd. */
static void parse_virtiofs_binary(XmlCtx *c, xmlNode *b, VmFilesystem *f) {
        xmlNode *x;

        (void) xml_prop(c, b, "path", &f->binary);
        if (f->binary && f->binary[0] != '/')
                (void) xml_fail(c, b, "path must be absolute");
        (void) xml_prop_onoff(c, b, "xattr", &f->xattr);
        x = xml_child(c, b, "cache");
        if (x)
                (void) xml_prop_choice(c, x, "mode", (const char * const[]) { "none", "always", NULL },
                                       &f->cache_mode);
        x = xml_child(c, b, "sandbox");
        if (x)
                (void) xml_prop_choice(c, x, "mode", (const char * const[]) { "namespace", "chroot", NULL },
                                       &f->sandbox_mode);
        x = xml_child(c, b, "lock");
        if (x) {
                (void) xml_prop_onoff(c, x, "posix", &f->posix_lock);
                (void) xml_prop_onoff(c, x, "flock", &f->flock);
        }
        x = xml_child(c, b, "thread_pool");
        if (x && xml_prop_uint(c, x, "size", &f->thread_pool_size) > 0)
                f->thread_pool_set = true;
}

static bool virtiofs_binary_set(const VmFilesystem *f) {
        return f->binary || f->xattr || f->cache_mode || f->sandbox_mode || f->posix_lock || f->flock ||
               f->thread_pool_set;
}

/* What libvirt 9.0 refuses for virtiofs, at the element it is about. */
static int check_virtiofs(XmlCtx *c, xmlNode *n, xmlNode *binary, VmFilesystem *f) {
        if (f->model && !streq(f->model, "virtio"))
                return xml_fail(c, n, "virtiofs has no model '%s' (vhost-user-fs-pci is virtio 1.0 only)", f->model);
        if (!streq(f->accessmode, "passthrough"))
                return xml_fail(c, n, "virtiofs only supports accessmode='passthrough'");
        if (strlen(f->target_dir) > 36)         /* QEMU: virtio_fs_config's tag[36] */
                return xml_fail(c, n, "the virtiofs mount tag '%s' is longer than 36 bytes", f->target_dir);
        if (f->readonly)
                return xml_fail(c, n, "virtiofs does not support <readonly/> (virtiofsd exports read-write)");
        if (f->wrpolicy)
                return xml_fail(c, n, "virtiofs does not support wrpolicy");
        if (f->multidevs)
                return xml_fail(c, n, "virtiofs does not support multidevs");
        if (f->fmode || f->dmode)
                return xml_fail(c, n, "virtiofs does not support fmode and dmode");
        if (f->source_socket && (binary || virtiofs_binary_set(f)))
                return xml_fail(c, binary ?: n, "a virtiofs <source socket=> is served by a virtiofsd started "
                                "elsewhere: no <binary> settings go with it");
        if (!memory_shared(c->def))
                return xml_fail(c, n, "virtiofs requires shared memory: <memoryBacking><access mode='shared'/>"
                                "</memoryBacking> (with a memfd or file <source>), or memAccess='shared' on "
                                "every NUMA cell");
        return 0;
}

static int parse_filesystem(XmlCtx *c, xmlNode *n) {
        VmFilesystem *f = VM_DEVICE_NEW(c->def, filesystems);
        xmlNode *x, *binary = NULL;
        bool virtiofs;

        if (!f)
                return xml_oom(c);
        f->line = (unsigned) xmlGetLineNo(n);
        f->type = (char *) "mount";
        (void) xml_prop_choice(c, n, "type", (const char * const[]) { "mount", NULL }, &f->type);
        f->accessmode = (char *) "passthrough";
        (void) xml_prop_choice(c, n, "accessmode", (const char * const[]) { "passthrough", "mapped", "squash", NULL },
                               &f->accessmode);
        (void) xml_prop_choice(c, n, "multidevs", (const char * const[]) { "default", "remap", "forbid", "warn",
                                                                           NULL }, &f->multidevs);
        (void) xml_prop_choice(c, n, "model", (const char * const[]) { VM_VIRTIO_MODELS, NULL }, &f->model);
        (void) xml_prop_hex(c, n, "fmode", &f->fmode);
        (void) xml_prop_hex(c, n, "dmode", &f->dmode);
        x = xml_child(c, n, "driver");
        if (x) {
                (void) xml_prop_choice(c, x, "type", (const char * const[]) { "path", "handle", "virtiofs", NULL },
                                       &f->driver);
                (void) xml_prop_choice(c, x, "wrpolicy", (const char * const[]) { "immediate", NULL }, &f->wrpolicy);
                (void) domxml_parse_virtio_opts(c, x, &f->virtio);
        }
        virtiofs = f->driver && streq(f->driver, "virtiofs");
        if (x && virtiofs && xml_prop_uint(c, x, "queue", &f->queue_size) > 0 && f->queue_size == 0)
                return xml_fail(c, x, "queue must be a positive number");
        if (virtiofs) {
                binary = xml_child(c, n, "binary");
                if (binary)
                        parse_virtiofs_binary(c, binary, f);
                (void) domxml_parse_boot_order(c, n, &f->boot_order);
        }
        x = xml_child(c, n, "source");
        if (x && virtiofs)
                (void) xml_prop(c, x, "socket", &f->source_socket);
        if (f->source_socket) {
                if (f->source_socket[0] != '/')
                        return xml_fail(c, x, "socket must be an absolute path");
        } else if (!x || xml_prop(c, x, "dir", &f->source_dir) <= 0 || f->source_dir[0] != '/')
                return xml_fail(c, n, virtiofs ? "needs <source dir='/absolute/path'> or <source socket='/path'>" :
                                "needs <source dir='/absolute/path'>");
        x = xml_child(c, n, "target");
        if (!x || xml_prop(c, x, "dir", &f->target_dir) <= 0 || !*f->target_dir)
                return xml_fail(c, n, "needs <target dir='TAG'>");
        f->readonly = !!xml_child(c, n, "readonly");
        (void) domxml_parse_alias(c, n, &f->alias);
        (void) domxml_parse_address(c, n, &f->addr);
        if (xml_status(c) < 0)
                return xml_status(c);
        if (virtiofs)
                return check_virtiofs(c, n, binary, f);
        return 0;
}

static int parse_shmem(XmlCtx *c, xmlNode *n) {
        VmShmem *s = VM_DEVICE_NEW(c->def, shmems);
        xmlNode *x;

        if (!s)
                return xml_oom(c);
        if (xml_prop(c, n, "name", &s->name) <= 0 || !*s->name || strlen(s->name) > 64 ||
            strspn(s->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(s->name) ||
            !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", s->name[0]))
                return xml_fail(c, n, "needs a 'name' of letters, digits, '-' and '_', starting with a letter");
        (void) xml_prop_choice(c, n, "role", (const char * const[]) { "master", "peer", NULL }, &s->role);
        x = xml_child(c, n, "model");
        s->model = (char *) "ivshmem-plain";
        if (x)
                (void) xml_prop_choice(c, x, "type", (const char * const[]) { "ivshmem-plain", "ivshmem-doorbell",
                                                                              NULL }, &s->model);
        x = xml_child(c, n, "size");
        if (x) {
                char *v = NULL;
                uint64_t kib;
                (void) xml_text(c, x, &v);
                if (xml_scaled_kib(c, x, v, "unit", "b", &kib) > 0)
                        s->size = kib * 1024;
        }
        x = xml_child(c, n, "server");
        if (x) {
                s->server = true;
                (void) xml_prop(c, x, "path", &s->server_path);
                if (s->server_path && s->server_path[0] != '/')
                        return xml_fail(c, x, "path must be absolute");
        }
        x = xml_child(c, n, "msi");
        if (x) {
                (void) xml_prop_onoff(c, x, "enabled", &s->msi);
                (void) xml_prop_uint(c, x, "vectors", &s->msi_vectors);
                (void) xml_prop_onoff(c, x, "ioeventfd", &s->msi_ioeventfd);
        }
        if (streq(s->model, "ivshmem-doorbell") && !s->server)
                return xml_fail(c, n, "ivshmem-doorbell needs a <server>");
        if (streq(s->model, "ivshmem-plain") && s->server)
                return xml_fail(c, n, "ivshmem-plain has no <server>");
        (void) domxml_parse_address(c, n, &s->addr);
        return xml_status(c);
}

static int parse_vsock(XmlCtx *c, xmlNode *n) {
        VmVsock *v = &c->def->vsock;
        xmlNode *x;

        if (v->present)
                return xml_fail(c, n, "only one <vsock> is allowed");
        v->present = true;
        v->model = (char *) "virtio";
        (void) xml_prop_choice(c, n, "model", (const char * const[]) { VM_VIRTIO_MODELS, NULL }, &v->model);
        x = xml_child(c, n, "cid");
        if (x) {
                (void) xml_prop_yesno(c, x, "auto", &v->cid_auto);
                (void) xml_prop_uint(c, x, "address", &v->cid);
        }
        if (v->cid_auto != VM_TRISTATE_ON && v->cid < 3)
                return xml_fail(c, n, "a vsock needs <cid address='N'> with N >= 3, or auto='yes'");
        (void) domxml_parse_virtio_opts(c, xml_child(c, n, "driver"), &v->virtio);
        (void) domxml_parse_address(c, n, &v->addr);
        return xml_status(c);
}

static int parse_memory_device(XmlCtx *c, xmlNode *n) {
        VmMemoryDevice *m = VM_DEVICE_NEW(c->def, memory_devices);
        xmlNode *s, *t, *x;
        char *v = NULL;

        if (!m)
                return xml_oom(c);
        m->node = -1;
        m->line = (unsigned) xmlGetLineNo(n);
        if (xml_prop_choice(c, n, "model", (const char * const[]) { "dimm", "nvdimm", "virtio-pmem", "virtio-mem",
                                                                    "sgx-epc", NULL }, &m->model) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'model'");
        (void) xml_prop_choice(c, n, "access", (const char * const[]) { "shared", "private", NULL }, &m->access);
        (void) xml_prop_yesno(c, n, "discard", &m->discard);
        s = xml_child(c, n, "source");
        if (s) {
                x = xml_child(c, s, "path");
                if (x)
                        (void) xml_text(c, x, &m->source_path);
                if (m->source_path && m->source_path[0] != '/')
                        return xml_fail(c, x, "the path must be absolute");
                x = xml_child(c, s, "pagesize");
                if (x) {
                        (void) xml_text(c, x, &v);
                        (void) xml_scaled_kib(c, x, v, "unit", "KiB", &m->source_pagesize_kib);
                }
                x = xml_child(c, s, "nodemask");
                if (x)
                        (void) xml_text(c, x, &m->source_nodemask);
                x = xml_child(c, s, "alignsize");
                if (x) {
                        (void) xml_text(c, x, &v);
                        (void) xml_scaled_kib(c, x, v, "unit", "KiB", &m->source_alignsize_kib);
                }
                m->source_pmem = !!xml_child(c, s, "pmem");
        }
        t = xml_child(c, n, "target");
        if (!t)
                return xml_fail(c, n, "missing <target>");
        x = xml_child(c, t, "size");
        if (!x)
                return xml_fail(c, t, "missing <size>");
        (void) xml_text(c, x, &v);
        (void) xml_scaled_kib(c, x, v, "unit", "KiB", &m->size_kib);
        x = xml_child(c, t, "node");
        if (x) {
                (void) xml_text(c, x, &v);
                if (!v || sscanf(v, "%d", &m->node) != 1 || m->node < 0)
                        return xml_fail(c, x, "invalid node '%s'", strempty(v));
        }
        x = xml_child(c, t, "label");
        if (x) {
                xmlNode *ls = xml_child(c, x, "size");
                if (ls) {
                        (void) xml_text(c, ls, &v);
                        (void) xml_scaled_kib(c, ls, v, "unit", "KiB", &m->label_size_kib);
                }
        }
        x = xml_child(c, t, "block");
        if (x) {
                (void) xml_text(c, x, &v);
                (void) xml_scaled_kib(c, x, v, "unit", "KiB", &m->block_kib);
        }
        x = xml_child(c, t, "requested");
        if (x) {
                (void) xml_text(c, x, &v);
                (void) xml_scaled_kib(c, x, v, "unit", "KiB", &m->requested_kib);
        }
        m->readonly = !!xml_child(c, t, "readonly");
        x = xml_child(c, n, "address");
        if (x && xml_is(x, "address")) {
                char *type = NULL;
                (void) xml_prop(c, x, "type", &type);
                if (type && streq(type, "dimm")) {
                        xml_mark(x);
                        if (xml_prop_uint(c, x, "slot", &m->addr.slot) > 0)
                                m->dimm_slot_set = true;
                        char *base = NULL, *end;
                        if (xml_prop(c, x, "base", &base) > 0) {
                                errno = 0;
                                m->dimm_base = strtoull(base, &end, 0);
                                if (errno || *end || !*base)
                                        return xml_fail(c, x, "attribute 'base': invalid number '%s'", base);
                        }
                } else {
                        x->_private = NULL;     /* let the generic parser read it */
                        (void) domxml_parse_address(c, n, &m->addr);
                }
        }
        if ((streq(m->model, "nvdimm") || streq(m->model, "virtio-pmem")) && !m->source_path)
                return xml_fail(c, n, "model '%s' needs <source><path>", m->model);
        if (streq(m->model, "sgx-epc") &&
            (m->source_path || m->source_pagesize_kib || m->source_alignsize_kib || m->source_pmem || m->access ||
             m->discard != VM_TRISTATE_ABSENT || m->label_size_kib || m->block_kib || m->readonly ||
             m->dimm_slot_set || m->dimm_base || m->addr.type))
                return xml_fail(c, n, "an SGX EPC section has only <source><nodemask>, <target><size> and "
                                "<target><node>");
        if (streq(m->model, "virtio-mem") && (!m->block_kib || !m->requested_kib))
                return xml_fail(c, t, "virtio-mem needs <block> and <requested>");
        if (m->size_kib == 0)
                return xml_fail(c, t, "the size must not be 0");
        (void) domxml_parse_alias(c, n, &m->alias);
        return xml_status(c);
}

int domxml_parse_more_devices(XmlCtx *c, xmlNode *n, bool *handled) {
        static const struct {
                const char *name;
                int (*parse)(XmlCtx *c, xmlNode *n);
        } table[] = {
                { "hostdev", parse_hostdev },
                { "hub", parse_hub },
                { "filesystem", parse_filesystem },
                { "shmem", parse_shmem },
                { "vsock", parse_vsock },
                { "memory", parse_memory_device },
        };

        *handled = false;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (xml_is(n, table[i].name)) {
                        *handled = true;
                        xml_mark(n);
                        return table[i].parse(c, n);
                }
        return 0;
}
