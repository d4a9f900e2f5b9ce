/*
 * VmDef -> domain XML: the devices parsed by domxml-hostdev.c (host devices, USB hubs, shared
 * filesystems, shared memory, vsock, memory devices), the virtio <driver> options common to
 * virtio devices, network disk sources and <numatune>. Split from domxml-write-devices.c to keep
 * each file to one screenful of concerns; the same rule holds: mirror the parser, field by field.
 */
#include <inttypes.h>
#include <stdio.h>

#include "domxml-write-internal.h"

bool xw_virtio_opts_set(const VmVirtioOpts *o) {
        return o->iommu || o->ats || o->packed || o->page_per_vq;
}

void xw_virtio_opts(XmlWriter *x, const VmVirtioOpts *o) {
        xw_attr_onoff(x, "iommu", o->iommu);
        xw_attr_onoff(x, "ats", o->ats);
        xw_attr_onoff(x, "packed", o->packed);
        xw_attr_onoff(x, "page_per_vq", o->page_per_vq);
}

/* <driver> carrying only the virtio options (input, RNG, balloon, vsock). */
void xw_virtio_driver(XmlWriter *x, const VmVirtioOpts *o) {
        if (!xw_virtio_opts_set(o))
                return;
        xw_start(x, "driver");
        xw_virtio_opts(x, o);
        xw_end(x);
}

void xw_network_source(XmlWriter *x, const VmDiskSource *src) {
        xw_start(x, "source");
        xw_attr(x, "protocol", src->protocol);
        xw_attr(x, "name", src->name);
        xw_attr(x, "query", src->query);
        for (unsigned i = 0; i < src->n_hosts; i++) {
                const VmDiskHost *h = &src->hosts[i];
                xw_start(x, "host");
                xw_attr(x, "name", h->name);
                if (h->port)
                        xw_attr_uint(x, "port", h->port);
                xw_attr(x, "transport", h->transport);
                xw_attr(x, "socket", h->socket);
                xw_end(x);
        }
        if (src->timeout) {
                xw_start(x, "timeout");
                xw_attr_uint(x, "seconds", src->timeout);
                xw_end(x);
        }
        if (src->readahead) {
                xw_start(x, "readahead");
                xw_attr_uint(x, "size", src->readahead);
                xw_end(x);
        }
        if (src->ssl_verify) {
                xw_start(x, "ssl");
                xw_attr_yesno(x, "verify", src->ssl_verify);
                xw_end(x);
        }
        if (src->nfs_user || src->nfs_group) {
                xw_start(x, "identity");
                xw_attr(x, "user", src->nfs_user);
                xw_attr(x, "group", src->nfs_group);
                xw_end(x);
        }
        xw_end(x);
}

void xw_numatune(XmlWriter *x, const VmNumatune *t) {
        if (!t->present)
                return;
        xw_start(x, "numatune");
        if (t->mode || t->nodeset || t->placement) {
                xw_start(x, "memory");
                xw_attr(x, "mode", t->mode);
                xw_attr(x, "nodeset", t->nodeset);
                xw_attr(x, "placement", t->placement);
                xw_end(x);
        }
        for (unsigned i = 0; i < t->n_memnodes; i++) {
                xw_start(x, "memnode");
                xw_attr_uint(x, "cellid", t->memnodes[i].cellid);
                xw_attr(x, "mode", t->memnodes[i].mode);
                xw_attr(x, "nodeset", t->memnodes[i].nodeset);
                xw_end(x);
        }
        xw_end(x);
}

static void write_hostdev(XmlWriter *x, const VmHostdev *h) {
        const VmAddress *s = &h->source_addr;

        xw_start(x, "hostdev");
        xw_attr(x, "mode", "subsystem");
        xw_attr(x, "type", h->type);
        xw_attr_yesno(x, "managed", h->managed);
        xw_attr(x, "model", h->model);
        xw_attr_onoff(x, "display", h->display);
        xw_attr_onoff(x, "ramfb", h->ramfb);
        xw_start(x, "source");
        if (streq(h->type, "mdev")) {
                xw_start(x, "address");
                xw_attr(x, "uuid", h->mdev_uuid);
                xw_end(x);
        } else if (streq(h->type, "scsi_host")) {
                xw_attr(x, "protocol", "vhost");
                xw_attr(x, "wwpn", h->wwpn);
        } else if (streq(h->type, "pci")) {
                xw_pci_source(x, s);
        } else if (streq(h->type, "usb")) {
                xw_attr(x, "guestReset", h->guest_reset_mode);
                if (h->usb_by_id) {
                        xw_start(x, "vendor");
                        xw_attrf(x, "id", "0x%04x", h->usb_vendor);
                        xw_end(x);
                        xw_start(x, "product");
                        xw_attrf(x, "id", "0x%04x", h->usb_product);
                        xw_end(x);
                }
                if (s->type == VM_ADDRESS_USB) {
                        xw_start(x, "address");
                        xw_attr_uint(x, "bus", s->bus);
                        xw_attr_uint(x, "device", s->unit);
                        xw_end(x);
                }
        } else {
                xw_start(x, "adapter");
                xw_attr(x, "name", h->scsi_adapter);
                xw_end(x);
                xw_start(x, "address");
                xw_attr_uint(x, "bus", s->bus);
                xw_attr_uint(x, "target", s->target);
                xw_attr_uint(x, "unit", s->unit);
                xw_end(x);
        }
        xw_end(x);
        if (h->readonly)
                xw_empty(x, "readonly");
        if (h->shareable)
                xw_empty(x, "shareable");
        if (h->failover_pair) {
                xw_start(x, "teaming");
                xw_attr(x, "type", "transient");
                xw_attr(x, "persistent", h->failover_pair);
                xw_end(x);
        }
        xw_hostdev_tail(x, h);
        xw_end(x);
}

void xw_pci_source(XmlWriter *x, const VmAddress *s) {
        xw_start(x, "address");
        xw_attrf(x, "domain", "0x%04x", s->domain);
        xw_attrf(x, "bus", "0x%02x", s->bus);
        xw_attrf(x, "slot", "0x%02x", s->slot);
        xw_attrf(x, "function", "0x%x", s->function);
        xw_end(x);
}

void xw_hostdev_tail(XmlWriter *x, const VmHostdev *h) {
        if (h->rom_bar || h->rom_file) {
                xw_start(x, "rom");
                xw_attr_onoff(x, "bar", h->rom_bar);
                xw_attr(x, "file", h->rom_file);
                xw_end(x);
        }
        xw_boot_order(x, h->boot_order);
        xw_alias(x, h->alias);
        xw_address(x, &h->addr);
}

/* A virtiofs <binary>, in libvirt's order of its children. */
static void write_virtiofs_binary(XmlWriter *x, const VmFilesystem *f) {
        if (!f->binary && !f->xattr && !f->cache_mode && !f->sandbox_mode && !f->posix_lock && !f->flock &&
            !f->thread_pool_set)
                return;
        xw_start(x, "binary");
        xw_attr(x, "path", f->binary);
        xw_attr_onoff(x, "xattr", f->xattr);
        if (f->cache_mode) {
                xw_start(x, "cache");
                xw_attr(x, "mode", f->cache_mode);
                xw_end(x);
        }
        if (f->sandbox_mode) {
                xw_start(x, "sandbox");
                xw_attr(x, "mode", f->sandbox_mode);
                xw_end(x);
        }
        if (f->posix_lock || f->flock) {
                xw_start(x, "lock");
                xw_attr_onoff(x, "posix", f->posix_lock);
                xw_attr_onoff(x, "flock", f->flock);
                xw_end(x);
        }
        if (f->thread_pool_set) {
                xw_start(x, "thread_pool");
                xw_attr_uint(x, "size", f->thread_pool_size);
                xw_end(x);
        }
        xw_end(x);
}

static void write_filesystem(XmlWriter *x, const VmFilesystem *f) {
        xw_start(x, "filesystem");
        xw_attr(x, "type", f->type);
        xw_attr(x, "accessmode", f->accessmode);
        xw_attr(x, "model", f->model);
        xw_attr(x, "multidevs", f->multidevs);
        if (f->fmode)
                xw_attrf(x, "fmode", "0%o", f->fmode);
        if (f->dmode)
                xw_attrf(x, "dmode", "0%o", f->dmode);
        if (f->driver || f->wrpolicy || xw_virtio_opts_set(&f->virtio)) {
                xw_start(x, "driver");
                xw_attr(x, "type", f->driver);
                xw_attr(x, "wrpolicy", f->wrpolicy);
                if (f->queue_size)
                        xw_attr_uint(x, "queue", f->queue_size);
                xw_virtio_opts(x, &f->virtio);
                xw_end(x);
        }
        write_virtiofs_binary(x, f);
        xw_start(x, "source");
        xw_attr(x, "dir", f->source_dir);
        xw_attr(x, "socket", f->source_socket);
        xw_end(x);
        xw_start(x, "target");
        xw_attr(x, "dir", f->target_dir);
        xw_end(x);
        if (f->readonly)
                xw_empty(x, "readonly");
        xw_boot_order(x, f->boot_order);
        xw_alias(x, f->alias);
        xw_address(x, &f->addr);
        xw_end(x);
}

static void write_shmem(XmlWriter *x, const VmShmem *s) {
        xw_start(x, "shmem");
        xw_attr(x, "name", s->name);
        xw_attr(x, "role", s->role);
        if (s->model) {
                xw_start(x, "model");
                xw_attr(x, "type", s->model);
                xw_end(x);
        }
        if (s->size) {
                char buf[32];
                xw_start(x, "size");
                xw_attr(x, "unit", "B");
                snprintf(buf, sizeof(buf), "%" PRIu64, s->size);
                xw_text(x, buf);
                xw_end(x);
        }
        if (s->server) {
                xw_start(x, "server");
                xw_attr(x, "path", s->server_path);
                xw_end(x);
        }
        if (s->msi || s->msi_vectors || s->msi_ioeventfd) {
                xw_start(x, "msi");
                xw_attr_onoff(x, "enabled", s->msi);
                if (s->msi_vectors)
                        xw_attr_uint(x, "vectors", s->msi_vectors);
                xw_attr_onoff(x, "ioeventfd", s->msi_ioeventfd);
                xw_end(x);
        }
        xw_address(x, &s->addr);
        xw_end(x);
}

static void write_vsock(XmlWriter *x, const VmVsock *v) {
        if (!v->present)
                return;
        xw_start(x, "vsock");
        xw_attr(x, "model", v->model);
        if (v->cid || v->cid_auto) {
                xw_start(x, "cid");
                xw_attr_yesno(x, "auto", v->cid_auto);
                if (v->cid)
                        xw_attr_uint(x, "address", v->cid);
                xw_end(x);
        }
        xw_virtio_driver(x, &v->virtio);
        xw_address(x, &v->addr);
        xw_end(x);
}

static void write_kib(XmlWriter *x, const char *element, uint64_t kib) {
        char buf[32];

        if (!kib)
                return;
        xw_start(x, element);
        xw_attr(x, "unit", "KiB");
        snprintf(buf, sizeof(buf), "%" PRIu64, kib);
        xw_text(x, buf);
        xw_end(x);
}

static void write_memory_device(XmlWriter *x, const VmMemoryDevice *m) {
        xw_start(x, "memory");
        xw_attr(x, "model", m->model);
        xw_attr(x, "access", m->access);
        xw_attr_yesno(x, "discard", m->discard);
        if (m->source_path || m->source_pagesize_kib || m->source_nodemask || m->source_alignsize_kib ||
            m->source_pmem) {
                xw_start(x, "source");
                xw_text_element(x, "path", m->source_path);
                write_kib(x, "pagesize", m->source_pagesize_kib);
                xw_text_element(x, "nodemask", m->source_nodemask);
                write_kib(x, "alignsize", m->source_alignsize_kib);
                if (m->source_pmem)
                        xw_empty(x, "pmem");
                xw_end(x);
        }
        xw_start(x, "target");
        write_kib(x, "size", m->size_kib);
        if (m->node >= 0) {
                char buf[16];
                snprintf(buf, sizeof(buf), "%d", m->node);
                xw_text_element(x, "node", buf);
        }
        if (m->label_size_kib) {
                xw_start(x, "label");
                write_kib(x, "size", m->label_size_kib);
                xw_end(x);
        }
        write_kib(x, "block", m->block_kib);
        write_kib(x, "requested", m->requested_kib);
        if (m->readonly)
                xw_empty(x, "readonly");
        xw_end(x);
        xw_alias(x, m->alias);
        if (m->dimm_slot_set || m->dimm_base) {
                xw_start(x, "address");
                xw_attr(x, "type", "dimm");
                if (m->dimm_slot_set)
                        xw_attr_uint(x, "slot", m->addr.slot);
                if (m->dimm_base)
                        xw_attrf(x, "base", "0x%" PRIx64, m->dimm_base);
                xw_end(x);
        } else
                xw_address(x, &m->addr);
        xw_end(x);
}

void xw_more_devices(XmlWriter *x, const VmDef *def) {
        for (unsigned i = 0; i < def->n_filesystems; i++)
                write_filesystem(x, &def->filesystems[i]);
        for (unsigned i = 0; i < def->n_hostdevs; i++)
                if (!def->hostdevs[i].net)     /* an <interface type='hostdev'>: written with the interfaces */
                        write_hostdev(x, &def->hostdevs[i]);
        for (unsigned i = 0; i < def->n_hubs; i++) {
                xw_start(x, "hub");
                xw_attr(x, "type", "usb");
                xw_address(x, &def->hubs[i].addr);
                xw_end(x);
        }
        for (unsigned i = 0; i < def->n_shmems; i++)
                write_shmem(x, &def->shmems[i]);
        for (unsigned i = 0; i < def->n_memory_devices; i++)
                write_memory_device(x, &def->memory_devices[i]);
        write_vsock(x, &def->vsock);
}
