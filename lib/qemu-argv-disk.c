/*
 * Disks: -blockdev storage + format nodes (JSON) and the guest device for each <disk>, and
 * the UEFI pflash pair. Node names are vmunit-<n>-storage/-format, counted per disk.
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-argv-internal.h"

typedef struct CacheMode {
        const char *name;
        bool writeback, direct, no_flush;
} CacheMode;

static const CacheMode cache_modes[] = {
        { "none", true, true, false },
        { "writethrough", false, false, false },
        { "writeback", true, false, false },
        { "directsync", false, true, false },
        { "unsafe", true, false, true },
};

static const CacheMode *disk_cache(const VmDisk *d) {
        if (!d->cache || streq(d->cache, "default"))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(cache_modes); i++)
                if (streq(cache_modes[i].name, d->cache))
                        return &cache_modes[i];
        return NULL;
}

static void add_cache(Props *p, const CacheMode *cm) {
        Props c;

        if (!cm)
                return;
        props_init(&c);
        props_bool(&c, "direct", cm->direct);
        props_bool(&c, "no-flush", cm->no_flush);
        props_obj(p, "cache", &c);
}

static void inet_server(Props *p, const VmDiskHost *h, unsigned default_port, bool with_type) {
        if (h->transport && streq(h->transport, "unix")) {
                props_str(p, "type", "unix");
                props_str(p, "path", h->socket);
                return;
        }
        if (with_type)
                props_str(p, "type", "inet");
        props_str(p, "host", h->name);
        if (h->port || default_port)
                props_strf(p, "port", "%u", h->port ?: default_port);
}

/* "server": [ ... ] with every <host> of @src (gluster, rbd). */
static void server_array(Props *p, const VmDiskSource *src, unsigned default_port, bool with_type) {
        Props arr = { .o = json_object_new_array() };

        arr.error = arr.o ? 0 : -ENOMEM;
        for (unsigned i = 0; i < src->n_hosts && arr.error == 0; i++) {
                Props s;
                props_init(&s);
                inet_server(&s, &src->hosts[i], default_port, with_type);
                if (s.error < 0 || json_object_array_add(arr.o, TAKE_PTR(s.o)) < 0)
                        arr.error = -ENOMEM;
                props_done(&s);
        }
        props_obj(p, "server", &arr);
}

/* The protocol driver node of a network disk, as QEMU's -blockdev spells each protocol. */
static void network_storage(QemuBuild *b, const VmDisk *d, const VmDiskSource *src, Props *p) {
        const char *proto = src->protocol;
        const VmDiskHost *h0 = &src->hosts[0];

        if (h0->transport && streq(h0->transport, "rdma")) {
                (void) qb_fail(b, -EOPNOTSUPP, "<disk> '%s': the rdma transport is not supported", d->dst);
                return;
        }
        props_str(p, "driver", proto);
        if (streq(proto, "nbd")) {
                Props s;
                props_init(&s);
                inet_server(&s, h0, 10809, true);
                props_obj(p, "server", &s);
                props_str(p, "export", src->name);
        } else if (streq(proto, "http") || streq(proto, "https") || streq(proto, "ftp") || streq(proto, "ftps") ||
                   streq(proto, "tftp")) {
                static const struct { const char *p; unsigned port; } ports[] = {
                        { "http", 80 }, { "https", 443 }, { "ftp", 21 }, { "ftps", 990 }, { "tftp", 69 },
                };
                unsigned port = h0->port;
                for (size_t i = 0; i < ELEMENTSOF(ports) && !port; i++)
                        if (streq(ports[i].p, proto))
                                port = ports[i].port;
                props_strf(p, "url", "%s://%s%s%s:%u/%s%s%s", proto, strchr(h0->name, ':') ? "[" : "", h0->name,
                           strchr(h0->name, ':') ? "]" : "", port, src->name[0] == '/' ? src->name + 1 : src->name,
                           src->query ? "?" : "", strempty(src->query));
                if (src->timeout)
                        props_uint(p, "timeout", src->timeout);
                if (src->readahead)
                        props_uint(p, "readahead", src->readahead);
                if (src->ssl_verify != VM_TRISTATE_ABSENT)
                        props_bool(p, "sslverify", src->ssl_verify == VM_TRISTATE_ON);
        } else if (streq(proto, "gluster")) {
                const char *slash = strchr(src->name, '/');
                char *vol;
                if (!slash) {
                        (void) qb_fail(b, -EINVAL, "<disk> '%s': gluster needs name='VOLUME/PATH'", d->dst);
                        return;
                }
                vol = strndup(src->name, (size_t) (slash - src->name));
                props_str(p, "volume", vol);
                free(vol);
                props_str(p, "path", slash + 1);
                server_array(p, src, 24007, true);
                props_uint(p, "debug", 4);
        } else if (streq(proto, "nfs")) {
                Props s;
                props_init(&s);
                props_str(&s, "host", h0->name);
                props_str(&s, "type", "inet");
                props_obj(p, "server", &s);
                props_str(p, "path", src->name);
                if (src->nfs_user)
                        props_uint(p, "user", strtoull(src->nfs_user + (src->nfs_user[0] == '+'), NULL, 10));
                if (src->nfs_group)
                        props_uint(p, "group", strtoull(src->nfs_group + (src->nfs_group[0] == '+'), NULL, 10));
        } else if (streq(proto, "rbd")) {
                const char *slash = strchr(src->name, '/');
                char *pool;
                if (!slash) {
                        (void) qb_fail(b, -EINVAL, "<disk> '%s': rbd needs name='POOL/IMAGE'", d->dst);
                        return;
                }
                pool = strndup(src->name, (size_t) (slash - src->name));
                props_str(p, "pool", pool);
                free(pool);
                props_str(p, "image", slash + 1);
                server_array(p, src, 0, false);
        } else if (streq(proto, "iscsi")) {
                const char *slash = strrchr(src->name, '/');
                props_str(p, "transport", "tcp");
                props_strf(p, "portal", "%s:%u", h0->name, h0->port ?: 3260);
                if (slash) {
                        char *target = strndup(src->name, (size_t) (slash - src->name));
                        props_str(p, "target", target);
                        free(target);
                        props_uint(p, "lun", strtoull(slash + 1, NULL, 10));
                } else {
                        props_str(p, "target", src->name);
                        props_uint(p, "lun", 0);
                }
        } else if (streq(proto, "ssh")) {
                Props s;
                props_init(&s);
                inet_server(&s, h0, 22, false);
                props_obj(p, "server", &s);
                props_str(p, "path", src->name);
        }
}

/* Emits the storage and format nodes for @src (recursively its backing chain first) and returns
 * the format node's name in @ret (static buffer owned by the caller). */
static void build_source(QemuBuild *b, const VmDisk *d, const VmDiskSource *src, const char *prefix,
                         unsigned *counter, bool readonly, char *ret, size_t size) {
        const CacheMode *cm = disk_cache(d);
        char storage[64], format[64], backing[64] = "";
        unsigned n;
        Props p;

        if (src->backing && (src->backing->path || src->backing->protocol))
                build_source(b, d, src->backing, prefix, counter, true, backing, sizeof(backing));
        n = ++*counter;
        snprintf(storage, sizeof(storage), "%s-%u-storage", prefix, n);
        snprintf(format, sizeof(format), "%s-%u-format", prefix, n);

        props_init(&p);
        if (src->type == VM_DISK_TYPE_NETWORK)
                network_storage(b, d, src, &p);
        else {
                props_str(&p, "driver", src->type == VM_DISK_TYPE_BLOCK ? "host_device" : "file");
                props_str(&p, "filename", src->path);
        }
        if (d->io)
                props_str(&p, "aio", d->io);
        props_str(&p, "node-name", storage);
        add_cache(&p, cm);
        props_bool(&p, "auto-read-only", true);
        props_str(&p, "discard", "unmap");
        argv_add_props(b->a, "-blockdev", &p);

        props_init(&p);
        props_str(&p, "node-name", format);
        props_bool(&p, "read-only", readonly);
        if (src == &d->src) {
                if (d->discard)
                        props_str(&p, "discard", d->discard);
                if (d->detect_zeroes) {
                        /* QEMU only honours "unmap" where discards are passed down */
                        bool unmap = streq(d->detect_zeroes, "unmap") && d->discard && streq(d->discard, "unmap");
                        props_str(&p, "detect-zeroes", streq(d->detect_zeroes, "unmap") && !unmap ? "on"
                                                                                                   : d->detect_zeroes);
                }
        }
        add_cache(&p, cm);
        props_str(&p, "driver", src->format ?: "raw");
        if (src->metadata_cache_max_size_kib > 0) {
                if (!src->format || !streq(src->format, "qcow2"))
                        (void) qb_fail(b, -EINVAL, "<disk> '%s': <metadata_cache> needs a qcow2 image", d->dst);
                props_uint(&p, "cache-size", (uint64_t) src->metadata_cache_max_size_kib * 1024);
        }
        props_str(&p, "file", storage);
        if (backing[0])
                props_str(&p, "backing", backing);
        else if (src->backing == NULL && (src->backing_none || src != &d->src) && src->format &&
                 streq(src->format, "qcow2"))
                props_add_null(&p, "backing");
        argv_add_props(b->a, "-blockdev", &p);
        snprintf(ret, size, "%s", format);
}

/* vda -> 0, vdb -> 1, vdaa -> 26, as libvirt numbers its ids */
static unsigned disk_target_index(const VmDisk *d) {
        unsigned idx = 0;

        for (const char *c = d->dst + 2; *c >= 'a' && *c <= 'z'; c++)
                idx = (idx + (c == d->dst + 2 ? 0 : 1)) * 26 + (unsigned) (*c - 'a');
        return idx;
}

void qemu_disk_device_id(const VmDef *def, const VmDisk *d, char *buf, size_t size) {
        bool builtin_ahci = vm_machine_is_q35(def->os.machine) || d->bus == VM_DISK_BUS_IDE;

        if (d->alias) {
                snprintf(buf, size, "%s", d->alias);
                return;
        }
        switch (d->bus) {
        case VM_DISK_BUS_IDE:
        case VM_DISK_BUS_SATA:
                if (d->bus == VM_DISK_BUS_IDE && !vm_machine_is_q35(def->os.machine))
                        snprintf(buf, size, "ide%u-%u-%u", d->addr.controller, d->addr.bus, d->addr.unit);
                else if (builtin_ahci && d->addr.controller == 0)
                        snprintf(buf, size, "sata0-0-%u", d->addr.unit);
                else
                        snprintf(buf, size, "sata%u-0-%u", d->addr.controller, d->addr.unit);
                break;
        case VM_DISK_BUS_SCSI:
                snprintf(buf, size, "scsi%u-%u-%u-%u", d->addr.controller, d->addr.bus, d->addr.target, d->addr.unit);
                break;
        case VM_DISK_BUS_VIRTIO:
                snprintf(buf, size, "virtio-disk%u", disk_target_index(d));
                break;
        case VM_DISK_BUS_USB:
                snprintf(buf, size, "usb-disk%u", disk_target_index(d));
                break;
        case VM_DISK_BUS_FDC:
                snprintf(buf, size, "fdc0-0-%u", d->addr.unit);
                break;
        case _VM_DISK_BUS_MAX:
        case _VM_DISK_BUS_INVALID:
        default:
                assert(false);
        }
}

static void build_disk_device(QemuBuild *b, const VmDisk *d, const char *node) {
        const CacheMode *cm = disk_cache(d);
        VmController *ctrl = NULL;
        char id[64];
        Props p;

        qemu_disk_device_id(b->def, d, id, sizeof(id));
        props_init(&p);
        switch (d->bus) {
        case VM_DISK_BUS_IDE:
        case VM_DISK_BUS_SATA: {
                bool builtin_ahci = b->q35 || d->bus == VM_DISK_BUS_IDE;
                props_str(&p, "driver", d->device == VM_DISK_DEVICE_CDROM ? "ide-cd" : "ide-hd");
                if (d->bus == VM_DISK_BUS_IDE && !b->q35) {
                        props_strf(&p, "bus", "ide.%u", d->addr.bus);
                        props_uint(&p, "unit", d->addr.unit);
                } else if (builtin_ahci && d->addr.controller == 0) {
                        props_strf(&p, "bus", "ide.%u", d->addr.unit);
                } else {
                        props_strf(&p, "bus", "sata%u.%u", d->addr.controller, d->addr.unit);
                }
                break;
        }
        case VM_DISK_BUS_SCSI:
                ctrl = vm_find_controller(b->def, VM_CONTROLLER_SCSI, d->addr.controller);
                props_str(&p, "driver", d->device == VM_DISK_DEVICE_CDROM ? "scsi-cd" : "scsi-hd");
                props_strf(&p, "bus", "scsi%u.0", d->addr.controller);
                if (ctrl && ctrl->model && streq(ctrl->model, "lsilogic"))
                        props_uint(&p, "scsi-id", d->addr.unit);
                else {
                        props_uint(&p, "channel", d->addr.bus);
                        props_uint(&p, "scsi-id", d->addr.target);
                        props_uint(&p, "lun", d->addr.unit);
                }
                if (d->serial)
                        props_str(&p, "device_id", d->serial);
                else
                        props_strf(&p, "device_id", "drive-scsi%u-%u-%u-%u", d->addr.controller, d->addr.bus,
                                   d->addr.target, d->addr.unit);
                break;
        case VM_DISK_BUS_VIRTIO:
                props_str(&p, "driver", d->model && streq(d->model, "virtio-transitional") ? "virtio-blk-pci-transitional" :
                                        d->model && streq(d->model, "virtio-non-transitional") ?
                                                "virtio-blk-pci-non-transitional" : "virtio-blk-pci");
                qb_virtio_props(&p, &d->virtio);
                if (d->iothread)
                        props_strf(&p, "iothread", "iothread%u", d->iothread);
                if (d->queues)
                        props_uint(&p, "num-queues", d->queues);
                if (d->event_idx != VM_TRISTATE_ABSENT)
                        props_bool(&p, "event_idx", d->event_idx == VM_TRISTATE_ON);
                if (d->ioeventfd != VM_TRISTATE_ABSENT)
                        props_bool(&p, "ioeventfd", d->ioeventfd == VM_TRISTATE_ON);
                qb_pci_props(b, &p, &d->addr);
                break;
        case VM_DISK_BUS_USB:
                props_str(&p, "driver", "usb-storage");
                qb_usb_props(b, &p, &d->addr);
                break;
        case VM_DISK_BUS_FDC:
                props_str(&p, "driver", "floppy");
                props_uint(&p, "unit", d->addr.unit);
                break;
        case _VM_DISK_BUS_MAX:
        case _VM_DISK_BUS_INVALID:
        default:
                assert(false);
        }
        /* <shareable/>: another VM opens the same image at once; QEMU's image locking must allow it. */
        if (d->shareable)
                props_bool(&p, "share-rw", true);
        if (node)
                props_str(&p, "drive", node);
        props_str(&p, "id", id);
        if (d->bus != VM_DISK_BUS_FDC)
                qb_bootindex(&p, d->boot_order);
        if (d->bus == VM_DISK_BUS_USB)
                props_bool(&p, "removable", d->removable == VM_TRISTATE_ON);
        if (d->cyls) {
                props_uint(&p, "cyls", d->cyls);
                props_uint(&p, "heads", d->heads);
                props_uint(&p, "secs", d->secs);
                if (d->trans)
                        props_str(&p, "bios-chs-trans", d->trans);
        }
        if (d->wwn) {
                uint64_t w = strtoull(d->wwn, NULL, 16);
                props_uint(&p, "wwn", w);
        }
        if (d->rotation_rate)
                props_uint(&p, "rotation_rate", d->rotation_rate);
        if (d->logical_block_size)
                props_uint(&p, "logical_block_size", d->logical_block_size);
        if (d->physical_block_size)
                props_uint(&p, "physical_block_size", d->physical_block_size);
        if (d->serial)
                props_str(&p, "serial", d->serial);
        if (d->vendor)
                props_str(&p, "vendor", d->vendor);
        if (d->product)
                props_str(&p, "product", d->product);
        if (cm && d->bus != VM_DISK_BUS_FDC && d->device != VM_DISK_DEVICE_CDROM)
                props_str(&p, "write-cache", cm->writeback ? "on" : "off");
        argv_add_props(b->a, "-device", &p);
}

void qemu_build_disks(QemuBuild *b) {
        VmDef *def = b->def;
        unsigned fd_boot[2] = {};
        bool have_fdc = false;

        for (unsigned i = 0; i < def->n_disks; i++)
                if (def->disks[i].bus == VM_DISK_BUS_FDC) {
                        have_fdc = true;
                        if (def->disks[i].addr.unit < 2)
                                fd_boot[def->disks[i].addr.unit] = def->disks[i].boot_order;
                }
        if (have_fdc && b->q35) {
                /* Q35 has no built-in floppy controller */
                Props p;
                props_init(&p);
                props_str(&p, "driver", "isa-fdc");
                if (fd_boot[0])
                        props_uint(&p, "bootindexA", fd_boot[0]);
                if (fd_boot[1])
                        props_uint(&p, "bootindexB", fd_boot[1]);
                argv_add_props(b->a, "-device", &p);
        } else if (have_fdc) {
                for (unsigned u = 0; u < 2; u++)
                        if (fd_boot[u]) {
                                argv_add(b->a, "-global");
                                argv_addf(b->a, "isa-fdc.bootindex%c=%u", 'A' + u, fd_boot[u]);
                        }
        }

        for (unsigned i = 0; i < def->n_disks; i++) {
                const VmDisk *d = &def->disks[i];
                char node[64], cor[80], prefix[64];
                unsigned counter = 0;
                const char *dev_node = NULL;

                /* A shareBacking transient disk is plugged in after start (qemu-transient.c), over the
                 * original opened read-only. */
                if (d->transient_share_backing && !b->opts->transient_shared_disks)
                        continue;
                /* Node names come from the target, never from the disk's place in the list: a disk
                 * detached from the running VM must not rename the others, nor may a new one take a
                 * name in use (QEMU's limit is 31 characters; targets are at most 7). */
                snprintf(prefix, sizeof(prefix), "vmunit-%s", d->dst);
                if (d->src.path || d->src.protocol) {
                        build_source(b, d, &d->src, prefix, &counter,
                                     d->readonly || d->device == VM_DISK_DEVICE_CDROM || d->transient_share_backing,
                                     node, sizeof(node));
                        dev_node = node;
                        if (d->copy_on_read == VM_TRISTATE_ON) {
                                Props p;
                                snprintf(cor, sizeof(cor), "vmunit-CoR-%s", d->dst);
                                props_init(&p);
                                props_str(&p, "driver", "copy-on-read");
                                props_str(&p, "node-name", cor);
                                props_str(&p, "file", node);
                                props_str(&p, "discard", "unmap");
                                argv_add_props(b->a, "-blockdev", &p);
                                dev_node = cor;
                        }
                }
                build_disk_device(b, d, dev_node);
        }
}

void qemu_build_pflash(QemuBuild *b) {
        const VmOs *os = &b->def->os;
        Props p;

        if (!os->loader || !os->loader_type || !streq(os->loader_type, "pflash"))
                return;
        for (unsigned k = 0; k < 2; k++) {
                const char *path = k == 0 ? os->loader : os->nvram;
                char storage[64], format[64];

                if (!path)
                        break;
                snprintf(storage, sizeof(storage), "vmunit-pflash%u-storage", k);
                snprintf(format, sizeof(format), "vmunit-pflash%u-format", k);
                props_init(&p);
                props_str(&p, "driver", "file");
                props_str(&p, "filename", path);
                props_str(&p, "node-name", storage);
                props_bool(&p, "auto-read-only", true);
                props_str(&p, "discard", "unmap");
                argv_add_props(b->a, "-blockdev", &p);
                props_init(&p);
                props_str(&p, "node-name", format);
                props_bool(&p, "read-only", k == 0 ? os->loader_readonly == VM_TRISTATE_ON : false);
                props_str(&p, "driver", "raw");
                props_str(&p, "file", storage);
                argv_add_props(b->a, "-blockdev", &p);
        }
}

static void iotune_add(json_object *args, const char *key, uint64_t v, bool always) {
        if (v || always)
                json_object_object_add(args, key, json_object_new_int64((int64_t) v));
}

int qemu_startup_commands(const VmDef *def, json_object **ret) {
        json_object *list = json_object_new_array();

        if (!list)
                return -ENOMEM;
        for (unsigned i = 0; i < def->n_disks; i++) {
                const VmDisk *d = &def->disks[i];
                const VmDiskIoTune *t = &d->iotune;
                json_object *cmd, *args;
                char id[64];

                if (!t->set)
                        continue;
                qemu_disk_device_id(def, d, id, sizeof(id));
                cmd = json_object_new_object();
                args = json_object_new_object();
                if (!cmd || !args) {
                        json_object_put(cmd);
                        json_object_put(args);
                        json_object_put(list);
                        return -ENOMEM;
                }
                json_object_object_add(args, "id", json_object_new_string(id));
                /* the six basic limits are mandatory in QMP; 0 means unlimited */
                iotune_add(args, "bps", t->total_bytes_sec, true);
                iotune_add(args, "bps_rd", t->read_bytes_sec, true);
                iotune_add(args, "bps_wr", t->write_bytes_sec, true);
                iotune_add(args, "iops", t->total_iops_sec, true);
                iotune_add(args, "iops_rd", t->read_iops_sec, true);
                iotune_add(args, "iops_wr", t->write_iops_sec, true);
                iotune_add(args, "bps_max", t->total_bytes_sec_max, false);
                iotune_add(args, "bps_rd_max", t->read_bytes_sec_max, false);
                iotune_add(args, "bps_wr_max", t->write_bytes_sec_max, false);
                iotune_add(args, "iops_max", t->total_iops_sec_max, false);
                iotune_add(args, "iops_rd_max", t->read_iops_sec_max, false);
                iotune_add(args, "iops_wr_max", t->write_iops_sec_max, false);
                iotune_add(args, "iops_size", t->size_iops_sec, false);
                iotune_add(args, "bps_max_length", t->total_bytes_sec_max_length, false);
                iotune_add(args, "bps_rd_max_length", t->read_bytes_sec_max_length, false);
                iotune_add(args, "bps_wr_max_length", t->write_bytes_sec_max_length, false);
                iotune_add(args, "iops_max_length", t->total_iops_sec_max_length, false);
                iotune_add(args, "iops_rd_max_length", t->read_iops_sec_max_length, false);
                iotune_add(args, "iops_wr_max_length", t->write_iops_sec_max_length, false);
                if (t->group_name)
                        json_object_object_add(args, "group", json_object_new_string(t->group_name));
                json_object_object_add(cmd, "execute", json_object_new_string("block_set_io_throttle"));
                json_object_object_add(cmd, "arguments", args);
                json_object_array_add(list, cmd);
        }
        *ret = list;
        return 0;
}
