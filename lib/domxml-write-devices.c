/*
 * VmDef -> domain XML: <devices>. One writer per device element, in the order libvirt prints
 * them; each mirrors its parse function in domxml-devices.c / domxml-chardev.c. State the argv
 * builder adds during preparation (implicit controllers, derived addresses) is not in the
 * definition that is written, only what the user (or the importer) put there.
 */
#include <inttypes.h>
#include <stdio.h>

#include "domxml-write-internal.h"

void xw_address(XmlWriter *x, const VmAddress *a) {
        switch (a->type) {
        case VM_ADDRESS_NONE:
                return;
        case VM_ADDRESS_PCI:
                xw_start(x, "address");
                xw_attr(x, "type", "pci");
                xw_attrf(x, "domain", "0x%04x", a->domain);
                xw_attrf(x, "bus", "0x%02x", a->bus);
                xw_attrf(x, "slot", "0x%02x", a->slot);
                xw_attrf(x, "function", "0x%x", a->function);
                xw_attr_onoff(x, "multifunction", a->multifunction);
                break;
        case VM_ADDRESS_DRIVE:
                xw_start(x, "address");
                xw_attr(x, "type", "drive");
                xw_attr_uint(x, "controller", a->controller);
                xw_attr_uint(x, "bus", a->bus);
                xw_attr_uint(x, "target", a->target);
                xw_attr_uint(x, "unit", a->unit);
                break;
        case VM_ADDRESS_VIRTIO_SERIAL:
                xw_start(x, "address");
                xw_attr(x, "type", "virtio-serial");
                xw_attr_uint(x, "controller", a->controller);
                xw_attr_uint(x, "bus", a->bus);
                xw_attr_uint(x, "port", a->port);
                break;
        case VM_ADDRESS_CCID:
                xw_start(x, "address");
                xw_attr(x, "type", "ccid");
                xw_attr_uint(x, "controller", a->controller);
                xw_attr_uint(x, "slot", a->port);
                break;
        case VM_ADDRESS_USB:
                xw_start(x, "address");
                xw_attr(x, "type", "usb");
                xw_attr_uint(x, "bus", a->bus);
                xw_attr(x, "port", a->usb_port);
                break;
        case VM_ADDRESS_ISA:
                xw_start(x, "address");
                xw_attr(x, "type", "isa");
                if (a->iobase)
                        xw_attrf(x, "iobase", "0x%x", a->iobase);
                if (a->irq)
                        xw_attrf(x, "irq", "0x%x", a->irq);
                break;
        case _VM_ADDRESS_TYPE_MAX:
        default:
                assert(false);
                return;
        }
        xw_end(x);
}

void xw_alias(XmlWriter *x, const char *alias) {
        if (!alias)
                return;
        xw_start(x, "alias");
        xw_attr(x, "name", alias);
        xw_end(x);
}

void xw_boot_order(XmlWriter *x, unsigned order) {
        if (order == 0)
                return;
        xw_start(x, "boot");
        xw_attr_uint(x, "order", order);
        xw_end(x);
}

static bool char_type_is(const VmCharSource *s, const char *t) {
        return s->type && streq(s->type, t);
}

/* The <source>/<protocol>/<log> children of a character device; the caller wrote type=. */
void xw_char_source(XmlWriter *x, const VmCharSource *s) {
        bool sock = char_type_is(s, "unix") || char_type_is(s, "tcp") || char_type_is(s, "udp");

        if (char_type_is(s, "udp") && (s->bind_host || s->bind_service)) {
                xw_start(x, "source");
                xw_attr(x, "mode", "bind");
                xw_attr(x, "host", s->bind_host);
                xw_attr(x, "service", s->bind_service);
                xw_end(x);
        }
        if (s->path || s->host || s->service || s->channel || s->append || s->tls || s->reconnect || s->listen) {
                xw_start(x, "source");
                if (sock)
                        xw_attr(x, "mode", s->listen && !char_type_is(s, "udp") ? "bind" : "connect");
                xw_attr(x, "path", s->path);
                xw_attr(x, "host", s->host);
                xw_attr(x, "service", s->service);
                xw_attr(x, "channel", s->channel);
                xw_attr_onoff(x, "append", s->append);
                xw_attr_yesno(x, "tls", s->tls);
                if (s->reconnect != VM_TRISTATE_ABSENT) {
                        xw_start(x, "reconnect");
                        xw_attr_yesno(x, "enabled", s->reconnect);
                        if (s->reconnect_timeout)
                                xw_attr_uint(x, "timeout", s->reconnect_timeout);
                        xw_end(x);
                }
                xw_end(x);
        }
        if (s->protocol) {
                xw_start(x, "protocol");
                xw_attr(x, "type", s->protocol);
                xw_end(x);
        }
        if (s->log_file) {
                xw_start(x, "log");
                xw_attr(x, "file", s->log_file);
                xw_attr_onoff(x, "append", s->log_append);
                xw_end(x);
        }
}

static const char *disk_source_attr(VmDiskType t) {
        switch (t) {
        case VM_DISK_TYPE_FILE:
                return "file";
        case VM_DISK_TYPE_BLOCK:
                return "dev";
        case VM_DISK_TYPE_DIR:
                return "dir";
        case VM_DISK_TYPE_NETWORK:
        case VM_DISK_TYPE_VOLUME:
        case VM_DISK_TYPE_NVME:
        case _VM_DISK_TYPE_MAX:
        case _VM_DISK_TYPE_INVALID:
        default:
                return NULL;    /* the parser refuses a <source> for these */
        }
}

static void write_metadata_cache(XmlWriter *x, const VmDiskSource *src) {
        char buf[32];

        if (src->metadata_cache_max_size_kib == 0)
                return;
        xw_start(x, "metadata_cache");
        xw_start(x, "max_size");
        xw_attr(x, "unit", "KiB");
        snprintf(buf, sizeof(buf), "%u", src->metadata_cache_max_size_kib);
        xw_text(x, buf);
        xw_end(x);
        xw_end(x);
}

static void write_disk_source(XmlWriter *x, const VmDiskSource *src) {
        const char *attr = disk_source_attr(src->type);

        if (src->type == VM_DISK_TYPE_NETWORK && src->protocol)
                return xw_network_source(x, src);

        if (!src->path && !src->startup_policy)
                return;
        xw_start(x, "source");
        if (attr)
                xw_attr(x, attr, src->path);
        xw_attr(x, "startupPolicy", src->startup_policy);
        xw_end(x);
}

/* <backingStore> chain below @src; the top's format and metadata cache are in <driver>. */
static void write_backing_chain(XmlWriter *x, const VmDiskSource *src) {
        const VmDiskSource *b = src->backing;

        if (!b)
                return;
        xw_start(x, "backingStore");
        xw_attr(x, "type", vm_disk_type_to_string(b->type));
        if (b->format || b->metadata_cache_max_size_kib) {
                xw_start(x, "format");
                xw_attr(x, "type", b->format);
                write_metadata_cache(x, b);
                xw_end(x);
        }
        write_disk_source(x, b);
        write_backing_chain(x, b);
        xw_end(x);
}

static void write_iotune(XmlWriter *x, const VmDiskIoTune *t) {

        if (!t->set)
                return;
        xw_start(x, "iotune");
        for (size_t i = 0; i < _VM_DISK_IOTUNE_FIELD_MAX; i++) {
                uint64_t v = *(const uint64_t *) ((const char *) t + vm_disk_iotune_fields[i].offset);
                if (v)
                        xw_u64_element(x, vm_disk_iotune_fields[i].name, v);
        }
        xw_text_element(x, "group_name", t->group_name);
        xw_end(x);
}

static void write_disk(XmlWriter *x, const VmDisk *d) {
        xw_start(x, "disk");
        xw_attr(x, "type", vm_disk_type_to_string(d->src.type));
        xw_attr(x, "device", vm_disk_device_to_string(d->device));
        xw_attr(x, "model", d->model);
        if (d->src.format || d->cache || d->io || d->discard || d->detect_zeroes || d->copy_on_read ||
            d->event_idx || d->ioeventfd || d->iothread || d->queues || d->error_policy || d->rerror_policy ||
            d->src.metadata_cache_max_size_kib || xw_virtio_opts_set(&d->virtio)) {
                xw_start(x, "driver");
                xw_attr(x, "name", "qemu");
                xw_attr(x, "type", d->src.format);
                xw_attr(x, "cache", d->cache);
                xw_attr(x, "error_policy", d->error_policy);
                xw_attr(x, "rerror_policy", d->rerror_policy);
                xw_attr(x, "io", d->io);
                xw_attr_onoff(x, "ioeventfd", d->ioeventfd);
                xw_attr_onoff(x, "event_idx", d->event_idx);
                xw_attr_onoff(x, "copy_on_read", d->copy_on_read);
                xw_attr(x, "discard", d->discard);
                xw_attr(x, "detect_zeroes", d->detect_zeroes);
                if (d->iothread)
                        xw_attr_uint(x, "iothread", d->iothread);
                if (d->queues)
                        xw_attr_uint(x, "queues", d->queues);
                xw_virtio_opts(x, &d->virtio);
                write_metadata_cache(x, &d->src);
                xw_end(x);
        }
        write_disk_source(x, &d->src);
        write_backing_chain(x, &d->src);
        xw_start(x, "target");
        xw_attr(x, "dev", d->dst);
        xw_attr(x, "bus", vm_disk_bus_to_string(d->bus));
        xw_attr(x, "tray", d->tray);
        xw_attr_onoff(x, "removable", d->removable);
        if (d->rotation_rate)
                xw_attr_uint(x, "rotation_rate", d->rotation_rate);
        xw_end(x);
        if (d->cyls || d->heads || d->secs || d->trans) {
                xw_start(x, "geometry");
                xw_attr_uint(x, "cyls", d->cyls);
                xw_attr_uint(x, "heads", d->heads);
                xw_attr_uint(x, "secs", d->secs);
                xw_attr(x, "trans", d->trans);
                xw_end(x);
        }
        if (d->logical_block_size || d->physical_block_size) {
                xw_start(x, "blockio");
                if (d->logical_block_size)
                        xw_attr_uint(x, "logical_block_size", d->logical_block_size);
                if (d->physical_block_size)
                        xw_attr_uint(x, "physical_block_size", d->physical_block_size);
                xw_end(x);
        }
        write_iotune(x, &d->iotune);
        xw_boot_order(x, d->boot_order);
        if (d->readonly)
                xw_empty(x, "readonly");
        if (d->shareable)
                xw_empty(x, "shareable");
        if (d->transient && d->transient_share_backing) {
                xw_start(x, "transient");
                xw_attr(x, "shareBacking", "yes");
                xw_end(x);
        } else if (d->transient)
                xw_empty(x, "transient");
        xw_text_element(x, "serial", d->serial);
        xw_text_element(x, "wwn", d->wwn);
        xw_text_element(x, "vendor", d->vendor);
        xw_text_element(x, "product", d->product);
        xw_alias(x, d->alias);
        xw_address(x, &d->addr);
        xw_end(x);
}

static void write_controller(XmlWriter *x, const VmController *k) {
        xw_start(x, "controller");
        xw_attr(x, "type", vm_controller_type_to_string(k->type));
        xw_attr_uint(x, "index", k->index);
        xw_attr(x, "model", k->model);
        if (k->ports >= 0)
                xw_attr_int(x, "ports", k->ports);
        if (k->vectors >= 0)
                xw_attr_int(x, "vectors", k->vectors);
        if (k->type == VM_CONTROLLER_VIRTIO_SERIAL && k->max_ports)
                xw_attr_uint(x, "max_ports", k->max_ports);
        if (k->queues || k->iothread || k->cmd_per_lun || k->max_sectors || k->ioeventfd ||
            xw_virtio_opts_set(&k->virtio)) {
                xw_start(x, "driver");
                xw_virtio_opts(x, &k->virtio);
                if (k->queues)
                        xw_attr_uint(x, "queues", k->queues);
                if (k->cmd_per_lun)
                        xw_attr_uint(x, "cmd_per_lun", k->cmd_per_lun);
                if (k->max_sectors)
                        xw_attr_uint(x, "max_sectors", k->max_sectors);
                xw_attr_onoff(x, "ioeventfd", k->ioeventfd);
                if (k->iothread)
                        xw_attr_uint(x, "iothread", k->iothread);
                xw_end(x);
        }
        if (k->has_master) {
                xw_start(x, "master");
                xw_attr_uint(x, "startport", k->master_startport);
                xw_end(x);
        }
        if (k->model_name) {
                xw_start(x, "model");
                xw_attr(x, "name", k->model_name);
                xw_end(x);
        }
        if (k->chassis_nr >= 0 || k->chassis >= 0 || k->port >= 0 || k->bus_nr >= 0 || k->target_index >= 0 ||
            k->hotplug_off || k->numa_node >= 0) {
                xw_start(x, "target");
                if (k->chassis_nr >= 0)
                        xw_attr_int(x, "chassisNr", k->chassis_nr);
                if (k->chassis >= 0)
                        xw_attr_int(x, "chassis", k->chassis);
                if (k->port >= 0)
                        xw_attrf(x, "port", "0x%x", (unsigned) k->port);
                if (k->bus_nr >= 0)
                        xw_attr_int(x, "busNr", k->bus_nr);
                if (k->target_index >= 0)
                        xw_attr_int(x, "index", k->target_index);
                if (k->hotplug_off)
                        xw_attr(x, "hotplug", "off");
                if (k->numa_node >= 0) {
                        char buf[16];
                        snprintf(buf, sizeof(buf), "%d", k->numa_node);
                        xw_text_element(x, "node", buf);
                }
                xw_end(x);
        }
        xw_alias(x, k->alias);
        xw_address(x, &k->addr);
        xw_end(x);
}

static void write_virtualport(XmlWriter *x, const VmVirtualPort *v) {
        xw_start(x, "virtualport");
        xw_attr(x, "type", v->type);
        if (v->interfaceid || v->profileid || v->instanceid || v->managerid || v->typeid || v->typeidversion) {
                xw_start(x, "parameters");
                xw_attr(x, "managerid", v->managerid);
                xw_attr(x, "typeid", v->typeid);
                xw_attr(x, "typeidversion", v->typeidversion);
                xw_attr(x, "instanceid", v->instanceid);
                xw_attr(x, "interfaceid", v->interfaceid);
                xw_attr(x, "profileid", v->profileid);
                xw_end(x);
        }
        xw_end(x);
}

static void write_vlan(XmlWriter *x, const VmVlan *vlan) {
        xw_start(x, "vlan");
        xw_attr_yesno(x, "trunk", vlan->trunk);
        for (unsigned i = 0; i < vlan->n_tags; i++) {
                xw_start(x, "tag");
                xw_attr_uint(x, "id", vlan->tags[i].id);
                xw_attr(x, "nativeMode", vlan->tags[i].native_mode);
                xw_end(x);
        }
        xw_end(x);
}

static void write_teaming(XmlWriter *x, const VmNet *n) {
        if (!n->teaming_type)
                return;
        xw_start(x, "teaming");
        xw_attr(x, "type", n->teaming_type);
        xw_attr(x, "persistent", n->teaming_persistent);
        xw_end(x);
}

/* <interface type='hostdev'>: the VF's host side here, the device in its VmHostdev. */
static void write_interface_hostdev(XmlWriter *x, const VmDef *def, const VmNet *n, unsigned index) {
        const VmHostdev *h = NULL;

        for (unsigned i = 0; i < def->n_hostdevs && !h; i++)
                if (def->hostdevs[i].net == index + 1)
                        h = &def->hostdevs[i];
        xw_attr_yesno(x, "managed", h ? h->managed : VM_TRISTATE_ABSENT);
        if (n->mac) {
                xw_start(x, "mac");
                xw_attr(x, "address", n->mac);
                xw_end(x);
        }
        if (h) {
                xw_start(x, "source");
                xw_pci_source(x, &h->source_addr);
                xw_end(x);
        }
        if (n->driver_name) {
                xw_start(x, "driver");
                xw_attr(x, "name", n->driver_name);
                xw_end(x);
        }
        if (n->vlan.n_tags)
                write_vlan(x, &n->vlan);
        if (n->virtualport.present)
                write_virtualport(x, &n->virtualport);
        if (n->model) {
                xw_start(x, "model");
                xw_attr(x, "type", n->model);
                xw_end(x);
        }
        write_teaming(x, n);
        if (h)
                xw_hostdev_tail(x, h);
        xw_end(x);
}

static void write_interface(XmlWriter *x, const VmDef *def, const VmNet *n, unsigned index) {
        xw_start(x, "interface");
        xw_attr(x, "type", n->type);
        if (streq(n->type, "hostdev")) {
                write_interface_hostdev(x, def, n, index);
                return;
        }
        xw_attr_yesno(x, "trustGuestRxFilters", n->trust_guest_rx_filters);
        if (n->mac) {
                xw_start(x, "mac");
                xw_attr(x, "address", n->mac);
                xw_end(x);
        }
        if (n->source_network || n->source_bridge || n->source_dev || n->source_mode || n->source_address ||
            n->source_port || n->source_local_address || n->source_local_port || n->source_portgroup ||
            n->source_portid) {
                xw_start(x, "source");
                xw_attr(x, "network", n->source_network);
                xw_attr(x, "portgroup", n->source_portgroup);
                xw_attr(x, "portid", n->source_portid);
                xw_attr(x, "bridge", n->source_bridge);
                xw_attr(x, "dev", n->source_dev);
                xw_attr(x, "mode", n->source_mode);
                xw_attr(x, "address", n->source_address);
                if (n->source_port)
                        xw_attr_uint(x, "port", n->source_port);
                if (n->source_local_address || n->source_local_port) {
                        xw_start(x, "local");
                        xw_attr(x, "address", n->source_local_address);
                        if (n->source_local_port)
                                xw_attr_uint(x, "port", n->source_local_port);
                        xw_end(x);
                }
                xw_end(x);
        }
        if (n->vlan.n_tags)
                write_vlan(x, &n->vlan);
        if (n->virtualport.present)
                write_virtualport(x, &n->virtualport);
        if (n->target_dev) {
                xw_start(x, "target");
                xw_attr(x, "dev", n->target_dev);
                xw_attr_yesno(x, "managed", n->target_managed);
                xw_end(x);
        }
        if (n->script) {
                xw_start(x, "script");
                xw_attr(x, "path", n->script);
                xw_end(x);
        }
        if (n->downscript) {
                xw_start(x, "downscript");
                xw_attr(x, "path", n->downscript);
                xw_end(x);
        }
        if (n->model) {
                xw_start(x, "model");
                xw_attr(x, "type", n->model);
                xw_end(x);
        }
        write_teaming(x, n);
        if (n->driver_name || n->queues || xw_virtio_opts_set(&n->virtio) || n->rss || n->rss_hash_report) {
                xw_start(x, "driver");
                xw_attr(x, "name", n->driver_name);
                xw_virtio_opts(x, &n->virtio);
                if (n->queues)
                        xw_attr_uint(x, "queues", n->queues);
                xw_attr_onoff(x, "rss", n->rss);
                xw_attr_onoff(x, "rss_hash_report", n->rss_hash_report);
                xw_end(x);
        }
        if (n->link_state) {
                xw_start(x, "link");
                xw_attr(x, "state", n->link_state);
                xw_end(x);
        }
        if (n->mtu) {
                xw_start(x, "mtu");
                xw_attr_uint(x, "size", n->mtu);
                xw_end(x);
        }
        if (n->rom_bar || n->rom_enabled || n->rom_file) {
                xw_start(x, "rom");
                xw_attr_onoff(x, "bar", n->rom_bar);
                xw_attr_yesno(x, "enabled", n->rom_enabled);
                xw_attr(x, "file", n->rom_file);
                xw_end(x);
        }
        xw_boot_order(x, n->boot_order);
        xw_alias(x, n->alias);
        xw_address(x, &n->addr);
        xw_end(x);
}

static void write_chardev(XmlWriter *x, const VmChar *ch) {
        xw_start(x, vm_char_kind_to_string(ch->kind));
        xw_attr(x, "type", ch->src.type);
        xw_char_source(x, &ch->src);
        if (ch->target_type || ch->target_port >= 0 || ch->target_name || ch->target_address || ch->target_model) {
                xw_start(x, "target");
                xw_attr(x, "type", ch->target_type);
                if (ch->target_port >= 0)
                        xw_attr_int(x, "port", ch->target_port);
                xw_attr(x, "name", ch->target_name);
                xw_attr(x, "address", ch->target_address);
                if (ch->target_model) {
                        xw_start(x, "model");
                        xw_attr(x, "name", ch->target_model);
                        xw_end(x);
                }
                xw_end(x);
        }
        xw_alias(x, ch->alias);
        xw_address(x, &ch->addr);
        xw_end(x);
}

static void write_input(XmlWriter *x, const VmInput *in) {
        xw_start(x, "input");
        xw_attr(x, "type", in->type);
        xw_attr(x, "bus", in->bus);
        if (in->source_evdev) {
                xw_start(x, "source");
                xw_attr(x, "evdev", in->source_evdev);
                xw_end(x);
        }
        xw_virtio_driver(x, &in->virtio);
        xw_alias(x, in->alias);
        xw_address(x, &in->addr);
        xw_end(x);
}

static void write_gl(XmlWriter *x, const VmGraphics *g) {
        if (g->gl == VM_TRISTATE_ABSENT && !g->rendernode)
                return;
        xw_start(x, "gl");
        xw_attr_yesno(x, "enable", g->gl);
        xw_attr(x, "rendernode", g->rendernode);
        xw_end(x);
}

static void write_graphics(XmlWriter *x, const VmGraphics *g) {
        xw_start(x, "graphics");
        xw_attr(x, "type", g->type);
        if (streq(g->type, "egl-headless")) {
                /* it has no port, listen or channels: only its render node */
                write_gl(x, g);
                xw_end(x);
                return;
        }
        if (g->port != -1)
                xw_attr_int(x, "port", g->port);
        if (g->tls_port != -1)
                xw_attr_int(x, "tlsPort", g->tls_port);
        if (g->websocket != -1)
                xw_attr_int(x, "websocket", g->websocket);
        xw_attr(x, "autoport", g->autoport ? "yes" : "no");
        xw_attr(x, "passwd", g->passwd);
        xw_attr(x, "keymap", g->keymap);
        xw_attr(x, "sharePolicy", g->share_policy);
        xw_attr(x, "defaultMode", g->default_mode);
        if (g->listen_type || g->listen_address || g->listen_socket) {
                xw_start(x, "listen");
                xw_attr(x, "type", g->listen_type ?: g->listen_socket ? "socket" : "address");
                xw_attr(x, "address", g->listen_address);
                xw_attr(x, "socket", g->listen_socket);
                xw_end(x);
        }
        for (unsigned i = 0; i < g->n_spice_channels; i++) {
                xw_start(x, "channel");
                xw_attr(x, "name", g->spice_channel_names[i]);
                xw_attr(x, "mode", g->spice_channel_modes[i]);
                xw_end(x);
        }
        {
                static const struct { const char *element, *attr; size_t off; } opts[] = {
                        { "image", "compression", offsetof(VmGraphics, image_compression) },
                        { "jpeg", "compression", offsetof(VmGraphics, jpeg_compression) },
                        { "zlib", "compression", offsetof(VmGraphics, zlib_compression) },
                        { "playback", "compression", offsetof(VmGraphics, playback_compression) },
                        { "streaming", "mode", offsetof(VmGraphics, streaming_mode) },
                        { "clipboard", "copypaste", offsetof(VmGraphics, clipboard_copypaste) },
                        { "mouse", "mode", offsetof(VmGraphics, mouse_mode) },
                        { "filetransfer", "enable", offsetof(VmGraphics, filetransfer) },
                };
                for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
                        const char *v = *(char * const *) ((const char *) g + opts[i].off);
                        if (!v)
                                continue;
                        xw_start(x, opts[i].element);
                        xw_attr(x, opts[i].attr, v);
                        xw_end(x);
                }
        }
        if (g->audio_id) {
                xw_start(x, "audio");
                xw_attr(x, "id", g->audio_id);
                xw_end(x);
        }
        write_gl(x, g);
        xw_end(x);
}

static void write_video(XmlWriter *x, const VmVideo *v) {
        xw_start(x, "video");
        xw_start(x, "model");
        xw_attr(x, "type", v->model);
        if (v->ram_kib)
                xw_attr_uint(x, "ram", v->ram_kib);
        if (v->vram_kib)
                xw_attr_uint(x, "vram", v->vram_kib);
        if (v->vram64_kib)
                xw_attr_uint(x, "vram64", v->vram64_kib);
        if (v->vgamem_kib)
                xw_attr_uint(x, "vgamem", v->vgamem_kib);
        if (v->heads)
                xw_attr_uint(x, "heads", v->heads);
        xw_attr_yesno(x, "primary", v->primary);
        if (v->accel3d || v->render_node) {
                xw_start(x, "acceleration");
                xw_attr_yesno(x, "accel3d", v->accel3d);
                xw_attr(x, "rendernode", v->render_node);
                xw_end(x);
        }
        xw_end(x);
        if (v->driver_name) {
                xw_start(x, "driver");
                xw_attr(x, "name", v->driver_name);
                xw_virtio_opts(x, &v->virtio);
                xw_end(x);
        } else
                xw_virtio_driver(x, &v->virtio);
        xw_alias(x, v->alias);
        xw_address(x, &v->addr);
        xw_end(x);
}

static void write_sound(XmlWriter *x, const VmSound *s) {
        xw_start(x, "sound");
        xw_attr(x, "model", s->model);
        STRV_FOREACH(c, s->codecs) {
                xw_start(x, "codec");
                xw_attr(x, "type", *c);
                xw_end(x);
        }
        if (s->audio_id) {
                xw_start(x, "audio");
                xw_attr(x, "id", s->audio_id);
                xw_end(x);
        }
        xw_alias(x, s->alias);
        xw_address(x, &s->addr);
        xw_end(x);
}

static void write_audio_stream(XmlWriter *x, const char *element, const VmAudioStream *st) {
        if (!st->set)
                return;
        xw_start(x, element);
        xw_attr(x, "name", st->name);
        xw_attr(x, "streamName", st->stream_name);
        xw_attr(x, "dev", st->dev);
        if (st->latency)
                xw_attr_uint(x, "latency", st->latency);
        if (st->buffer_count)
                xw_attr_uint(x, "bufferCount", st->buffer_count);
        xw_attr_yesno(x, "tryPoll", st->try_poll);
        xw_attr_yesno(x, "mixingEngine", st->mixing_engine);
        xw_attr_yesno(x, "fixedSettings", st->fixed_settings);
        if (st->voices)
                xw_attr_uint(x, "voices", st->voices);
        if (st->buffer_length)
                xw_attr_uint(x, "bufferLength", st->buffer_length);
        if (st->frequency || st->channels || st->format) {
                xw_start(x, "settings");
                if (st->frequency)
                        xw_attr_uint(x, "frequency", st->frequency);
                if (st->channels)
                        xw_attr_uint(x, "channels", st->channels);
                xw_attr(x, "format", st->format);
                xw_end(x);
        }
        xw_end(x);
}

static void write_audio(XmlWriter *x, const VmAudio *a) {
        xw_start(x, "audio");
        xw_attr_uint(x, "id", a->id);
        xw_attr(x, "type", a->type);
        xw_attr(x, "path", a->path);
        xw_attr(x, "serverName", a->server_name);
        xw_attr_yesno(x, "tryMMap", a->try_mmap);
        xw_attr_yesno(x, "exclusive", a->exclusive);
        if (a->dsp_policy != -1)
                xw_attr_int(x, "dspPolicy", a->dsp_policy);
        if (a->timer_period)
                xw_attr_uint(x, "timerPeriod", a->timer_period);
        write_audio_stream(x, "input", &a->in);
        write_audio_stream(x, "output", &a->out);
        xw_end(x);
}

static void write_watchdog(XmlWriter *x, const VmWatchdog *w) {
        xw_start(x, "watchdog");
        xw_attr(x, "model", w->model);
        xw_attr(x, "action", w->action);
        xw_address(x, &w->addr);
        xw_end(x);
}

static void write_rng(XmlWriter *x, const VmRng *g) {
        xw_start(x, "rng");
        xw_attr(x, "model", g->model);
        if (g->rate_bytes) {
                xw_start(x, "rate");
                xw_attr_uint(x, "bytes", g->rate_bytes);
                if (g->rate_period)
                        xw_attr_uint(x, "period", g->rate_period);
                xw_end(x);
        }
        xw_start(x, "backend");
        xw_attr(x, "model", g->backend_model);
        if (g->backend_model && streq(g->backend_model, "random"))
                xw_text(x, g->backend_path);
        else if (g->backend_model && streq(g->backend_model, "egd")) {
                xw_attr(x, "type", g->egd.type);
                xw_char_source(x, &g->egd);
        }
        xw_end(x);
        xw_virtio_driver(x, &g->virtio);
        xw_alias(x, g->alias);
        xw_address(x, &g->addr);
        xw_end(x);
}

static void write_memballoon(XmlWriter *x, const VmMemballoon *m) {
        if (!m->present)
                return;
        xw_start(x, "memballoon");
        xw_attr(x, "model", m->model ?: "virtio");
        xw_attr_onoff(x, "autodeflate", m->autodeflate);
        xw_attr_onoff(x, "freePageReporting", m->free_page_reporting);
        if (m->stats_period) {
                xw_start(x, "stats");
                xw_attr_uint(x, "period", m->stats_period);
                xw_end(x);
        }
        xw_virtio_driver(x, &m->virtio);
        xw_address(x, &m->addr);
        xw_end(x);
}

static void write_tpm(XmlWriter *x, const VmTpm *t) {
        xw_start(x, "tpm");
        xw_attr(x, "model", t->model);
        xw_start(x, "backend");
        xw_attr(x, "type", t->backend_type);
        xw_attr(x, "version", t->version);
        if (t->backend_type && streq(t->backend_type, "passthrough")) {
                xw_start(x, "device");
                xw_attr(x, "path", t->backend_path);
                xw_end(x);
        } else if (t->backend_type && streq(t->backend_type, "external") && t->backend_path) {
                xw_start(x, "source");
                xw_attr(x, "type", "unix");
                xw_attr(x, "mode", "connect");
                xw_attr(x, "path", t->backend_path);
                xw_end(x);
        }
        xw_end(x);
        xw_end(x);
}

static void write_iommu(XmlWriter *x, const VmIommu *m) {
        if (!m->present)
                return;
        xw_start(x, "iommu");
        xw_attr(x, "model", m->model);
        if (m->intremap || m->caching_mode || m->eim || m->iotlb || m->aw_bits) {
                xw_start(x, "driver");
                xw_attr_onoff(x, "intremap", m->intremap);
                xw_attr_onoff(x, "caching_mode", m->caching_mode);
                xw_attr_onoff(x, "eim", m->eim);
                xw_attr_onoff(x, "iotlb", m->iotlb);
                if (m->aw_bits)
                        xw_attr_uint(x, "aw_bits", m->aw_bits);
                xw_end(x);
        }
        xw_address(x, &m->addr);
        xw_end(x);
}

void xw_devices(XmlWriter *x, const VmDef *def) {
        xw_start(x, "devices");
        xw_text_element(x, "emulator", def->emulator);
        for (unsigned i = 0; i < def->n_disks; i++)
                write_disk(x, &def->disks[i]);
        for (unsigned i = 0; i < def->n_controllers; i++)
                write_controller(x, &def->controllers[i]);
        for (unsigned i = 0; i < def->n_nets; i++)
                write_interface(x, def, &def->nets[i], i);
        for (unsigned i = 0; i < def->n_smartcards; i++) {
                const VmSmartcard *s = &def->smartcards[i];
                xw_start(x, "smartcard");
                xw_attr(x, "mode", s->mode);
                xw_attr(x, "type", s->src.type);
                xw_char_source(x, &s->src);
                xw_address(x, &s->addr);
                xw_end(x);
        }
        for (unsigned i = 0; i < def->n_chars; i++)
                write_chardev(x, &def->chars[i]);
        for (unsigned i = 0; i < def->n_inputs; i++)
                write_input(x, &def->inputs[i]);
        for (unsigned i = 0; i < def->n_tpms; i++)
                write_tpm(x, &def->tpms[i]);
        for (unsigned i = 0; i < def->n_graphics; i++)
                write_graphics(x, &def->graphics[i]);
        for (unsigned i = 0; i < def->n_sounds; i++)
                write_sound(x, &def->sounds[i]);
        for (unsigned i = 0; i < def->n_audios; i++)
                write_audio(x, &def->audios[i]);
        for (unsigned i = 0; i < def->n_videos; i++)
                write_video(x, &def->videos[i]);
        for (unsigned i = 0; i < def->n_redirdevs; i++) {
                const VmRedirdev *r = &def->redirdevs[i];
                xw_start(x, "redirdev");
                xw_attr(x, "bus", r->bus ?: "usb");
                xw_attr(x, "type", r->src.type);
                xw_char_source(x, &r->src);
                xw_address(x, &r->addr);
                xw_end(x);
        }
        for (unsigned i = 0; i < def->n_watchdogs; i++)
                write_watchdog(x, &def->watchdogs[i]);
        write_memballoon(x, &def->memballoon);
        for (unsigned i = 0; i < def->n_rngs; i++)
                write_rng(x, &def->rngs[i]);
        for (unsigned i = 0; i < def->n_panics; i++) {
                xw_start(x, "panic");
                xw_attr(x, "model", def->panics[i].model);
                xw_address(x, &def->panics[i].addr);
                xw_end(x);
        }
        write_iommu(x, &def->iommu);
        xw_more_devices(x, def);
        xw_end(x);
}
