/*
 * QEMU command line -> VmDef: disks. The -blockdev graph (protocol node, format node, backing chain,
 * copy-on-read filter) or the legacy -drive behind each guest disk device, the old shorthands
 * (-hda .. -hdd, -cdrom, -fda, -fdb, -drive if=ide|scsi|virtio|floppy) and the UEFI flash pair
 * (-machine pflash0=/pflash1=, -drive if=pflash, -pflash). A disk whose backend or device has a
 * property the model cannot hold is not imported: device and backends are passed through whole.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "qemu-import-internal.h"

#define MAX_CHAIN 16
/* what <serial> may hold (domxml-devices.c) */
#define SERIAL_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ .+"

/* The backend options a disk used, to be marked done once the whole disk was imported. */
typedef struct Used {
        ImportOpt *opts[2 * MAX_CHAIN + 2];
        unsigned n;
        ImportOpt *bad;                 /* the node that could not be represented, for the message */
} Used;

static void used_add(Used *u, ImportOpt *o) {
        for (unsigned i = 0; i < u->n; i++)
                if (u->opts[i] == o)
                        return;
        if (u->n < ELEMENTSOF(u->opts))
                u->opts[u->n++] = o;
}

static void used_commit(Used *u) {
        for (unsigned i = 0; i < u->n; i++)
                u->opts[i]->done = true;
}

static bool is_protocol(const char *driver) {
        return streq(driver, "file") || streq(driver, "host_device") || streq(driver, "host_cdrom");
}

static bool is_format(const char *driver) {
        static const char * const formats[] = { "raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vhdx", "vpc",
                                                "cloop", "dmg", "parallels", "bochs", NULL };
        for (const char * const *f = formats; *f; f++)
                if (streq(*f, driver))
                        return true;
        return false;
}

/* Where a disk's data lives: a path, and whether it is a block device. Network storage and the like
 * ("nbd:", "iscsi://", "json:") cannot be represented. */
static int set_path(Import *imp, VmDiskSource *src, const char *path) {
        if (!path || !*path)
                return 0;
        if (strstr(path, "://") || startswith(path, "json:") || startswith(path, "nbd:") ||
            startswith(path, "iscsi:") || startswith(path, "rbd:") || startswith(path, "gluster") ||
            startswith(path, "fat:") || startswith(path, "vvfat:"))
                return 1;
        src->path = imp_abs_path(imp, path, "disk");
        if (!src->path)
                return 1;
        src->type = startswith(path, "/dev/") ? VM_DISK_TYPE_BLOCK : VM_DISK_TYPE_FILE;
        return 0;
}

/* Cache mode from the block layer's view: cache.direct, cache.no-flush, and the guest's write cache. */
static const char *cache_mode(VmTristate direct, VmTristate no_flush, VmTristate write_cache) {
        if (direct == VM_TRISTATE_ABSENT && no_flush == VM_TRISTATE_ABSENT && write_cache == VM_TRISTATE_ABSENT)
                return NULL;
        if (no_flush == VM_TRISTATE_ON)
                return "unsafe";
        if (direct == VM_TRISTATE_ON)
                return write_cache == VM_TRISTATE_OFF ? "directsync" : "none";
        return write_cache == VM_TRISTATE_OFF ? "writethrough" : "writeback";
}

static int read_cache(QemuOptList *o, VmTristate *direct, VmTristate *no_flush) {
        if (qemu_opt_get_bool(o, "cache.direct", direct) < 0 || qemu_opt_get_bool(o, "cache.no-flush", no_flush) < 0)
                return -EINVAL;
        return 0;
}

/* One format node (and its protocol node, and recursively its backing chain) into @src. */
static int blockdev_source(Import *imp, ImportOpt *fmt, VmDisk *d, VmDiskSource *src, bool top, Used *used,
                           unsigned depth, VmTristate *direct, VmTristate *no_flush) {
        const char *driver, *file, *v;
        ImportOpt *proto;
        VmTristate ro = VM_TRISTATE_ABSENT;
        uint64_t cache_size = 0;

        if (depth > MAX_CHAIN)
                return 1;
        used_add(used, fmt);
        driver = qemu_opt_get(&fmt->o, "driver");
        qemu_opt_ignore(&fmt->o, "node-name");
        if (!driver)
                return 1;
        if (is_protocol(driver)) {
                /* a disk on a bare protocol node: what vmunit builds adds a raw format node over it */
                proto = fmt;
                src->format = NULL;
        } else {
                if (!is_format(driver))
                        return 1;
                src->format = streq(driver, "raw") ? (char *) "raw" : imp_strdup(imp, driver);
                file = qemu_opt_get(&fmt->o, "file");
                proto = imp_find_backend(imp, "blockdev", "node-name", file);
                if (!proto)
                        return 1;
                used_add(used, proto);
                if (qemu_opt_get_bool(&fmt->o, "read-only", &ro) < 0 || read_cache(&fmt->o, direct, no_flush) < 0)
                        return 1;
                if (top) {
                        d->readonly = ro == VM_TRISTATE_ON;
                        v = qemu_opt_get(&fmt->o, "discard");
                        if (v && (streq(v, "unmap") || streq(v, "ignore")))
                                d->discard = imp_strdup(imp, v);
                        else if (v)
                                return 1;
                        v = qemu_opt_get(&fmt->o, "detect-zeroes");
                        if (v && (streq(v, "on") || streq(v, "off") || streq(v, "unmap")))
                                d->detect_zeroes = imp_strdup(imp, v);
                        else if (v)
                                return 1;
                }
                if (qemu_opt_get_u64(&fmt->o, "cache-size", &cache_size) < 0)
                        return 1;
                if (cache_size) {
                        if (!streq(driver, "qcow2") || cache_size / 1024 > UINT32_MAX)
                                return 1;
                        /* the model holds KiB: a size that is not whole KiB is rounded up */
                        src->metadata_cache_max_size_kib = (unsigned) ((cache_size + 1023) / 1024);
                        if (cache_size % 1024)
                                imp_warn(imp, "qcow2 cache-size=%" PRIu64 " rounded up to whole KiB", cache_size);
                }
                v = qemu_opt_get(&fmt->o, "backing");
                if (qemu_opt_has(&fmt->o, "backing") && v) {
                        ImportOpt *b = imp_find_backend(imp, "blockdev", "node-name", v);
                        int r;
                        if (!b)
                                return 1;
                        src->backing = vm_def_alloc(imp->def, sizeof(VmDiskSource));
                        if (!src->backing)
                                return imp_oom(imp);
                        r = blockdev_source(imp, b, d, src->backing, false, used, depth + 1, direct, no_flush);
                        if (r != 0)
                                return r;
                } else if (top && qemu_opt_has(&fmt->o, "backing"))
                        return 1;       /* "no backing file" for the top image: not in the model */
                if (qemu_opt_first_unused(&fmt->o)) {
                        used->bad = fmt;
                        return 1;
                }
        }

        driver = qemu_opt_get(&proto->o, "driver");
        qemu_opt_ignore(&proto->o, "node-name");
        if (!driver || !is_protocol(driver))
                return 1;
        if (set_path(imp, src, qemu_opt_get(&proto->o, "filename")) != 0 || !src->path)
                return 1;
        src->type = streq(driver, "file") ? VM_DISK_TYPE_FILE : VM_DISK_TYPE_BLOCK;
        v = qemu_opt_get(&proto->o, "aio");
        if (v && top && (streq(v, "native") || streq(v, "threads") || streq(v, "io_uring")))
                d->io = imp_strdup(imp, v);
        else if (v && !(d->io && streq(d->io, v)))
                return 1;
        if (read_cache(&proto->o, direct, no_flush) < 0)
                return 1;
        qemu_opt_ignore(&proto->o, "auto-read-only");
        v = qemu_opt_get(&proto->o, "discard");
        if (v && !streq(v, "unmap") && !streq(v, "ignore"))
                return 1;
        {
                /* a protocol node under a read-only format node is read-only as well */
                VmTristate ro2 = VM_TRISTATE_ABSENT;
                if (qemu_opt_get_bool(&proto->o, "read-only", &ro2) < 0)
                        return 1;
                if (proto == fmt && top)
                        d->readonly = ro2 == VM_TRISTATE_ON;
        }
        if (qemu_opt_first_unused(&proto->o)) {
                used->bad = proto;
                return 1;
        }
        return 0;
}

/* The guest format and cache of a legacy -drive. */
static int drive_common(Import *imp, QemuOptList *o, VmDisk *d) {
        static const char * const caches[] = { "none", "writeback", "writethrough", "directsync", "unsafe", NULL };
        const char *v, *file;
        VmTristate t = VM_TRISTATE_ABSENT;

        file = qemu_opt_get(o, "file");
        if (set_path(imp, &d->src, file) != 0)
                return 1;
        v = qemu_opt_get(o, "format");
        if (v) {
                if (!is_format(v))
                        return 1;
                d->src.format = imp_strdup(imp, v);
        } else if (file && *file) {
                const char *ext = strrchr(file, '.');
                if (ext && (streq(ext, ".qcow2") || streq(ext, ".qcow") || streq(ext, ".qed") || streq(ext, ".vmdk") ||
                            streq(ext, ".vdi") || streq(ext, ".vhdx")))
                        d->src.format = imp_strdup(imp, ext + 1);
                else if (!startswith(file, "/dev/") && !(ext && (streq(ext, ".img") || streq(ext, ".raw") ||
                                                                 streq(ext, ".iso"))))
                        imp_note(imp, "disk '%s' has no format=: vmunit opens it as raw (QEMU would have probed "
                                 "it); add <driver type=...> if it is an image format", file);
                else if (ext && streq(ext, ".qcow2"))
                        d->src.format = (char *) "qcow2";
        }
        v = qemu_opt_get(o, "cache");
        if (v) {
                bool ok = false;
                for (const char * const *c = caches; *c; c++)
                        if (streq(*c, v))
                                ok = true;
                if (!ok)
                        return 1;
                d->cache = imp_strdup(imp, v);
        }
        v = qemu_opt_get(o, "aio");
        if (v) {
                if (!streq(v, "native") && !streq(v, "threads") && !streq(v, "io_uring"))
                        return 1;
                d->io = imp_strdup(imp, v);
        }
        v = qemu_opt_get(o, "discard");
        if (v) {
                if (!streq(v, "unmap") && !streq(v, "ignore") && !streq(v, "on") && !streq(v, "off"))
                        return 1;
                d->discard = (char *) (streq(v, "unmap") || streq(v, "on") ? "unmap" : "ignore");
        }
        v = qemu_opt_get(o, "detect-zeroes");
        if (v) {
                if (!streq(v, "on") && !streq(v, "off") && !streq(v, "unmap"))
                        return 1;
                d->detect_zeroes = imp_strdup(imp, v);
        }
        if (qemu_opt_get_bool(o, "readonly", &t) < 0)
                return 1;
        d->readonly = t == VM_TRISTATE_ON;
        t = VM_TRISTATE_ABSENT;
        if (qemu_opt_get_bool(o, "copy-on-read", &t) < 0)
                return 1;
        if (t == VM_TRISTATE_ON)
                d->copy_on_read = VM_TRISTATE_ON;
        t = VM_TRISTATE_ABSENT;
        if (qemu_opt_get_bool(o, "snapshot", &t) < 0 || t == VM_TRISTATE_ON)
                return 1;       /* throw-away writes: vmunit has no such disks yet */
        v = qemu_opt_get(o, "werror");
        if (v)
                d->error_policy = imp_strdup(imp, streq(v, "enospc") ? "enospace" : v);
        v = qemu_opt_get(o, "rerror");
        if (v)
                d->rerror_policy = imp_strdup(imp, v);
        v = qemu_opt_get(o, "serial");
        if (v && strspn(v, SERIAL_CHARS) != strlen(v))
                return 1;
        if (v)
                d->serial = imp_strdup(imp, v);
        qemu_opt_ignore(o, "id");
        qemu_opt_ignore(o, "if");
        qemu_opt_ignore(o, "boot");     /* long gone from QEMU; the device's bootindex decides */
        return 0;
}

static unsigned count_dev_prefix(const char *dst) {
        unsigned idx = 0;

        for (const char *c = dst + 2; *c >= 'a' && *c <= 'z'; c++)
                idx = (idx + (c == dst + 2 ? 0 : 1)) * 26 + (unsigned) (*c - 'a');
        return idx;
}

static VmDisk *append_disk(Import *imp, const VmDisk *d) {
        VmDisk *n = VM_DEVICE_NEW(imp->def, disks);

        if (!n) {
                (void) imp_oom(imp);
                return NULL;
        }
        *n = *d;
        return n;
}

/* ---- -device ide-hd|ide-cd|scsi-hd|scsi-cd|virtio-blk-pci|usb-storage|floppy ---- */

int imp_device_disk(Import *imp, ImportOpt *o, const char *driver) {
        VmDisk d = { .device = VM_DISK_DEVICE_DISK };
        VmTristate direct = VM_TRISTATE_ABSENT, no_flush = VM_TRISTATE_ABSENT, wc = VM_TRISTATE_ABSENT;
        const char *drive, *bus, *v;
        ImportOpt *b = NULL;
        Used used = {};
        unsigned u = 0;
        int r;

        if (streq(driver, "ide-cd") || streq(driver, "scsi-cd"))
                d.device = VM_DISK_DEVICE_CDROM;
        drive = qemu_opt_get(&o->o, "drive");
        if (drive) {
                b = imp_find_backend(imp, "blockdev", "node-name", drive);
                if (b) {
                        ImportOpt *top = b;
                        const char *bd = qemu_opt_get(&b->o, "driver");
                        if (bd && streq(bd, "copy-on-read")) {
                                used_add(&used, b);
                                qemu_opt_ignore(&b->o, "node-name");
                                v = qemu_opt_get(&b->o, "discard");
                                top = imp_find_backend(imp, "blockdev", "node-name", qemu_opt_get(&b->o, "file"));
                                if (!top || (v && !streq(v, "unmap")) || qemu_opt_first_unused(&b->o))
                                        return imp_passthrough(imp, o, "its copy-on-read filter cannot be represented");
                                d.copy_on_read = VM_TRISTATE_ON;
                        }
                        r = blockdev_source(imp, top, &d, &d.src, true, &used, 0, &direct, &no_flush);
                        if (r < 0)
                                return r;
                        if (r > 0 && used.bad) {
                                _cleanup_free_ char *l = qemu_opt_unused_list(&used.bad->o);
                                return imp_passthrough(imp, o, "its -blockdev '%s' has %s, which vmunit cannot "
                                                       "represent", strempty(used.bad->id), strempty(l));
                        }
                        if (r > 0)
                                return imp_passthrough(imp, o, "its -blockdev nodes under '%s' cannot be represented",
                                                       drive);
                } else {
                        b = imp_find_backend(imp, "drive", "id", drive);
                        if (!b)
                                return imp_passthrough(imp, o, "no -blockdev or -drive named '%s'", drive);
                        v = qemu_opt_get(&b->o, "if");
                        if (v && !streq(v, "none"))
                                return imp_passthrough(imp, o, "its -drive '%s' has if=%s", drive, v);
                        used_add(&used, b);
                        r = drive_common(imp, &b->o, &d);
                        if (r != 0 || qemu_opt_first_unused(&b->o))
                                return imp_passthrough(imp, o, "its -drive '%s' cannot be represented", drive);
                        v = qemu_opt_get(&b->o, "media");
                        if (v && streq(v, "cdrom"))
                                d.device = VM_DISK_DEVICE_CDROM;
                }
        } else if (d.device != VM_DISK_DEVICE_CDROM)
                return imp_passthrough(imp, o, "a disk without drive=");

        bus = qemu_opt_get(&o->o, "bus");
        if (qemu_opt_get_uint(&o->o, "unit", &u) < 0)
                return imp_fail(imp, "%s '%s': invalid unit", o->name, o->arg);
        if (startswith(driver, "ide-")) {
                unsigned index = 0, sub = 0;
                if (!bus || !startswith(bus, "ide.") || sscanf(bus + 4, "%u", &sub) != 1) {
                        if (bus && imp_bus_find(imp, ID_SATA, bus, &index, &sub) == 0) {
                                d.bus = VM_DISK_BUS_SATA;
                                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = index, .unit = sub };
                                d.dst = imp_disk_dst(imp, "sd", index * 6 + sub);
                        } else
                                return imp_passthrough(imp, o, "IDE bus '%s' is not the chipset's", strempty(bus));
                } else if (imp->q35) {
                        /* Q35: "ide.N" is port N of the ICH9 AHCI controller */
                        d.bus = VM_DISK_BUS_SATA;
                        d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .unit = sub };
                        d.dst = imp_disk_dst(imp, "sd", sub);
                } else {
                        if (sub > 1 || u > 1)
                                return imp_passthrough(imp, o, "the PIIX IDE controller has two buses of two units");
                        d.bus = VM_DISK_BUS_IDE;
                        d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .bus = sub, .unit = u };
                        d.dst = imp_disk_dst(imp, "hd", sub * 2 + u);
                }
        } else if (startswith(driver, "scsi-")) {
                unsigned index = 0, channel = 0, scsi_id = 0, lun = 0;
                const VmController *k = NULL;
                const char *devid;
                if (!bus || imp_bus_find(imp, ID_SCSI, bus, &index, NULL) < 0)
                        return imp_passthrough(imp, o, "SCSI bus '%s' is not one of an imported controller",
                                               strempty(bus));
                for (unsigned i = 0; i < imp->def->n_controllers; i++)
                        if (imp->def->controllers[i].type == VM_CONTROLLER_SCSI &&
                            imp->def->controllers[i].index == index)
                                k = &imp->def->controllers[i];
                if (qemu_opt_get_uint(&o->o, "channel", &channel) < 0 ||
                    qemu_opt_get_uint(&o->o, "scsi-id", &scsi_id) < 0 || qemu_opt_get_uint(&o->o, "lun", &lun) < 0)
                        return imp_fail(imp, "%s '%s': invalid SCSI address", o->name, o->arg);
                d.bus = VM_DISK_BUS_SCSI;
                if (k && k->model && streq(k->model, "lsilogic")) {
                        if (channel || lun)
                                return imp_passthrough(imp, o, "the LSI controller has one channel and LUN 0 only");
                        d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = index, .unit = scsi_id };
                } else
                        d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = index, .bus = channel,
                                               .target = scsi_id, .unit = lun };
                d.dst = imp_disk_dst(imp, "sd", index * 7 + scsi_id);
                devid = qemu_opt_get(&o->o, "device_id");
                d.serial = imp_strdup(imp, qemu_opt_get(&o->o, "serial"));
                if (devid) {
                        _cleanup_free_ char *expect = NULL;
                        if (asprintf(&expect, "drive-scsi%u-%u-%u-%u", index, d.addr.bus, d.addr.target,
                                     d.addr.unit) < 0)
                                return imp_oom(imp);
                        if (!streq(devid, d.serial ?: expect))
                                return imp_passthrough(imp, o, "device_id '%s' cannot be represented", devid);
                }
                d.vendor = imp_strdup(imp, qemu_opt_get(&o->o, "vendor"));
                d.product = imp_strdup(imp, qemu_opt_get(&o->o, "product"));
        } else if (startswith(driver, "virtio-blk")) {
                d.bus = VM_DISK_BUS_VIRTIO;
                if (strstr(driver, "non-transitional"))
                        d.model = (char *) "virtio-non-transitional";
                else if (strstr(driver, "transitional"))
                        d.model = (char *) "virtio-transitional";
                if (imp_virtio_opts(imp, o, &d.virtio) < 0)
                        return imp->status;
                if (imp_pci_address(imp, &o->o, &d.addr) < 0)
                        return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                d.dst = imp_disk_dst(imp, "vd", 0);
                if (qemu_opt_get_uint(&o->o, "num-queues", &d.queues) < 0 ||
                    qemu_opt_get_bool(&o->o, "event_idx", &d.event_idx) < 0 ||
                    qemu_opt_get_bool(&o->o, "ioeventfd", &d.ioeventfd) < 0)
                        return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                v = qemu_opt_get(&o->o, "iothread");
                if (v && (sscanf(v, "iothread%u", &d.iothread) != 1 || d.iothread == 0 ||
                          d.iothread > imp->def->iothreads))
                        return imp_passthrough(imp, o, "I/O thread '%s' is not one of iothread1..%u", v,
                                               imp->def->iothreads);
        } else if (streq(driver, "usb-storage")) {
                VmTristate rm = VM_TRISTATE_ABSENT;
                d.bus = VM_DISK_BUS_USB;
                r = imp_usb_port(imp, o, &d.addr);
                if (r != 0)
                        return r;
                if (qemu_opt_get_bool(&o->o, "removable", &rm) < 0)
                        return imp_fail(imp, "%s '%s': invalid removable=", o->name, o->arg);
                d.removable = rm == VM_TRISTATE_ON ? VM_TRISTATE_ON : VM_TRISTATE_ABSENT;
                d.dst = imp_disk_dst(imp, "sd", 0);
                imp->usb_requested = true;
        } else {                        /* floppy */
                if (u > 1)
                        return imp_fail(imp, "%s '%s': floppy unit must be 0 or 1", o->name, o->arg);
                d.device = VM_DISK_DEVICE_FLOPPY;
                d.bus = VM_DISK_BUS_FDC;
                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .unit = u };
                d.dst = imp_disk_dst(imp, "fd", u);
                qemu_opt_ignore(&o->o, "bus");
        }
        if (qemu_opt_get_uint(&o->o, "bootindex", &d.boot_order) < 0)
                return imp_fail(imp, "%s '%s': invalid bootindex", o->name, o->arg);
        if (!d.serial)
                d.serial = imp_strdup(imp, qemu_opt_get(&o->o, "serial"));
        v = qemu_opt_get(&o->o, "wwn");
        if (v) {
                uint64_t w;
                char *end;
                errno = 0;
                w = strtoull(v, &end, 0);
                if (errno || *end)
                        return imp_fail(imp, "%s '%s': invalid wwn", o->name, o->arg);
                d.wwn = imp_strdupf(imp, "%016" PRIx64, w);
        }
        if (qemu_opt_get_uint(&o->o, "rotation_rate", &d.rotation_rate) < 0 ||
            qemu_opt_get_uint(&o->o, "logical_block_size", &d.logical_block_size) < 0 ||
            qemu_opt_get_uint(&o->o, "physical_block_size", &d.physical_block_size) < 0 ||
            qemu_opt_get_uint(&o->o, "cyls", &d.cyls) < 0 || qemu_opt_get_uint(&o->o, "heads", &d.heads) < 0 ||
            qemu_opt_get_uint(&o->o, "secs", &d.secs) < 0 || qemu_opt_get_bool(&o->o, "write-cache", &wc) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        v = qemu_opt_get(&o->o, "bios-chs-trans");
        if (v) {
                if (!streq(v, "none") && !streq(v, "lba") && !streq(v, "auto"))
                        return imp_passthrough(imp, o, "bios-chs-trans=%s cannot be represented", v);
                d.trans = imp_strdup(imp, v);
        }
        if ((d.cyls || d.heads || d.secs) && !(d.cyls && d.heads && d.secs))
                return imp_passthrough(imp, o, "a partial disk geometry cannot be represented");
        if (!d.cache && b)
                d.cache = (char *) cache_mode(direct, no_flush, wc);
        if (d.device == VM_DISK_DEVICE_CDROM && d.src.path)
                d.readonly = true;
        if (d.serial && strspn(d.serial, SERIAL_CHARS) != strlen(d.serial))
                return imp_passthrough(imp, o, "disk serial '%s' has characters the domain XML does not allow",
                                       d.serial);
        d.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        if (!append_disk(imp, &d))
                return imp->status;
        used_commit(&used);
        return 0;
}

/* ---- legacy: -drive if=..., -hda ..., -cdrom, -fda ---- */

static int legacy_disk(Import *imp, ImportOpt *o, QemuOptList *opts, const char *iface, int index) {
        VmDisk d = { .device = VM_DISK_DEVICE_DISK };
        unsigned bus = 0, unit = 0;
        const char *media = qemu_opt_get(opts, "media"), *v;
        bool has_bus, has_unit;
        int r;

        if (media && streq(media, "cdrom"))
                d.device = VM_DISK_DEVICE_CDROM;
        else if (media && !streq(media, "disk"))
                return imp_fail(imp, "%s '%s': invalid media", o->name, strempty(o->arg));
        r = drive_common(imp, opts, &d);
        if (r != 0)
                return imp_passthrough(imp, o, "it cannot be represented");
        if (!d.src.path && d.device != VM_DISK_DEVICE_CDROM && !streq(iface, "floppy"))
                return imp_fail(imp, "%s '%s': a disk needs file=", o->name, strempty(o->arg));
        has_bus = qemu_opt_get_uint(opts, "bus", &bus) > 0;
        has_unit = qemu_opt_get_uint(opts, "unit", &unit) > 0;
        if (index < 0) {
                unsigned idx;
                if (qemu_opt_get_uint(opts, "index", &idx) > 0)
                        index = (int) idx;
        }
        v = qemu_opt_get(opts, "addr");
        if (v && !streq(iface, "virtio"))
                return imp_passthrough(imp, o, "addr= is only for if=virtio");

        if (streq(iface, "ide") && !imp->q35) {
                unsigned i = index >= 0 ? (unsigned) index : has_bus || has_unit ? bus * 2 + unit : UINT_MAX;
                if (i == UINT_MAX) {
                        d.dst = imp_disk_dst(imp, "hd", d.device == VM_DISK_DEVICE_CDROM ? 0 : 0);
                        i = count_dev_prefix(d.dst);
                } else
                        d.dst = imp_disk_dst(imp, "hd", i);
                if (i > 3)
                        return imp_fail(imp, "%s '%s': the PIIX IDE controller has four units", o->name, o->arg);
                d.bus = VM_DISK_BUS_IDE;
                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .bus = i / 2, .unit = i % 2 };
        } else if (streq(iface, "ide")) {
                unsigned i = index >= 0 ? (unsigned) index : has_bus ? bus : UINT_MAX;
                d.dst = imp_disk_dst(imp, "sd", i == UINT_MAX ? 0 : i);
                if (i == UINT_MAX)
                        i = count_dev_prefix(d.dst);
                if (i > 5)
                        return imp_fail(imp, "%s '%s': the Q35 AHCI controller has six ports", o->name, o->arg);
                d.bus = VM_DISK_BUS_SATA;
                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .unit = i };
        } else if (streq(iface, "scsi")) {
                unsigned i = index >= 0 ? (unsigned) index : bus * 7 + unit;
                d.bus = VM_DISK_BUS_SCSI;
                d.dst = imp_disk_dst(imp, "sd", i);
                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .controller = i / 7, .unit = i % 7 };
        } else if (streq(iface, "virtio")) {
                d.bus = VM_DISK_BUS_VIRTIO;
                d.dst = imp_disk_dst(imp, "vd", index >= 0 ? (unsigned) index : 0);
                if (v) {
                        QemuOptList l = { .v = &(QemuOptPair) { .key = (char *) "addr", .value = (char *) v }, .n = 1 };
                        if (imp_pci_address(imp, &l, &d.addr) < 0)
                                return imp_fail(imp, "%s '%s': invalid addr", o->name, o->arg);
                }
        } else if (streq(iface, "floppy")) {
                unsigned i = index >= 0 ? (unsigned) index : unit;
                if (i > 1)
                        return imp_fail(imp, "%s '%s': only two floppy drives", o->name, o->arg);
                d.device = VM_DISK_DEVICE_FLOPPY;
                d.bus = VM_DISK_BUS_FDC;
                d.dst = imp_disk_dst(imp, "fd", i);
                d.addr = (VmAddress) { .type = VM_ADDRESS_DRIVE, .unit = i };
                if (!d.src.path)
                        return imp_passthrough(imp, o, "an empty floppy drive cannot be represented");
        } else
                return imp_passthrough(imp, o, "if=%s is not supported", iface);
        if (!d.dst)
                return imp->status;
        if (d.device == VM_DISK_DEVICE_CDROM && d.src.path)
                d.readonly = true;
        {
                unsigned c = 0, h = 0, s = 0;
                if (qemu_opt_get_uint(opts, "cyls", &c) < 0 || qemu_opt_get_uint(opts, "heads", &h) < 0 ||
                    qemu_opt_get_uint(opts, "secs", &s) < 0)
                        return imp_fail(imp, "%s '%s': invalid geometry", o->name, o->arg);
                d.cyls = c, d.heads = h, d.secs = s;
                v = qemu_opt_get(opts, "trans");
                if (v)
                        d.trans = imp_strdup(imp, v);
        }
        qemu_opt_ignore(opts, "index");
        if (imp_check_unused(imp, o))
                return 1;
        return append_disk(imp, &d) ? 0 : imp->status;
}

int imp_drive_legacy(Import *imp, ImportOpt *o) {
        const char *iface;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        iface = qemu_opt_get(&o->o, "if") ?: "ide";
        if (streq(iface, "none")) {
                for (size_t i = 0; i < o->o.n; i++)
                        o->o.v[i].used = false;
                return 1;               /* a backend; left for pass-through when no device used it */
        }
        if (streq(iface, "pflash"))
                return imp_pflash(imp, o);
        return legacy_disk(imp, o, &o->o, iface, -1);
}

int imp_disk_shorthand(Import *imp, ImportOpt *o) {
        const char *n = o->name + (o->name[1] == '-' ? 2 : 1);
        QemuOptPair pairs[2] = {
                { .key = (char *) "file", .value = o->arg },
                { .key = (char *) "media", .value = (char *) (streq(n, "cdrom") ? "cdrom" : "disk") },
        };
        QemuOptList l = { .v = pairs, .n = 2 };
        int index;

        if (streq(n, "fda") || streq(n, "fdb"))
                return legacy_disk(imp, o, &l, "floppy", n[2] - 'a');
        index = streq(n, "cdrom") ? 2 : n[2] - 'a';
        for (unsigned i = 0; i < imp->def->n_disks; i++) {
                const VmDisk *d = &imp->def->disks[i];
                if (d->bus == (imp->q35 ? VM_DISK_BUS_SATA : VM_DISK_BUS_IDE) && d->addr.type == VM_ADDRESS_DRIVE &&
                    (imp->q35 ? d->addr.unit == (unsigned) index
                              : d->addr.bus * 2 + d->addr.unit == (unsigned) index))
                        return imp_fail(imp, "%s%s%s: IDE unit %d is already in use (-cdrom is the same unit as -hdc)",
                                        o->bare ? "'" : o->name, o->bare ? o->arg : "",
                                        o->bare ? "' (a word without a dash, which QEMU reads as -hda)" : "", index);
        }
        return legacy_disk(imp, o, &l, "ide", index);
}

/* ---- UEFI flash ---- */

static int set_flash(Import *imp, ImportOpt *o, unsigned unit, const char *path, VmTristate readonly) {
        VmOs *os = &imp->def->os;

        if (!path || !*path)
                return imp_fail(imp, "%s: a flash drive needs file=", o->name);
        path = imp_abs_path(imp, path, "flash image");
        if (!path)
                return imp_passthrough(imp, o, "a relative path and no directory to resolve it against");
        if (unit == 0) {
                if (os->loader)
                        return imp_passthrough(imp, o, "only two flash drives, code and variables");
                os->loader = (char *) path;
                os->loader_type = (char *) "pflash";
                os->loader_readonly = readonly == VM_TRISTATE_ON ? VM_TRISTATE_ON : VM_TRISTATE_ABSENT;
        } else {
                if (os->nvram || unit > 1)
                        return imp_passthrough(imp, o, "only two flash drives, code and variables");
                if (readonly == VM_TRISTATE_ON)
                        return imp_passthrough(imp, o, "a read-only variable store cannot be represented");
                os->nvram = (char *) path;
        }
        return 0;
}

int imp_pflash(Import *imp, ImportOpt *o) {
        unsigned unit = imp->def->os.loader ? 1 : 0;
        VmTristate ro = VM_TRISTATE_ABSENT;
        const char *file = o->arg, *fmt;

        if (o->parsed) {                /* -drive if=pflash,... */
                if (qemu_opt_get_uint(&o->o, "unit", &unit) < 0 || qemu_opt_get_uint(&o->o, "index", &unit) < 0 ||
                    qemu_opt_get_bool(&o->o, "readonly", &ro) < 0)
                        return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                file = qemu_opt_get(&o->o, "file");
                fmt = qemu_opt_get(&o->o, "format");
                if (fmt && !streq(fmt, "raw"))
                        return imp_passthrough(imp, o, "flash drives are raw images");
                qemu_opt_ignore(&o->o, "if");
                qemu_opt_ignore(&o->o, "id");
                if (imp_check_unused(imp, o))
                        return 1;
        }
        return set_flash(imp, o, unit, file, ro);
}

/* After the -device pass: the flash nodes named by -machine pflash0=/pflash1=, and the floppy boot
 * order given as -global isa-fdc.bootindexA/B. */
int imp_machine_pflash(Import *imp) {
        for (unsigned k = 0; k < 2; k++) {
                VmDisk scratch = {};
                VmTristate direct = VM_TRISTATE_ABSENT, no_flush = VM_TRISTATE_ABSENT;
                ImportOpt *b;
                Used used = {};
                int r;

                if (!imp->pflash_node[k])
                        continue;
                b = imp_find_backend(imp, "blockdev", "node-name", imp->pflash_node[k]);
                if (!b)
                        return imp_fail(imp, "-machine pflash%u=%s: no such -blockdev", k, imp->pflash_node[k]);
                r = blockdev_source(imp, b, &scratch, &scratch.src, true, &used, 0, &direct, &no_flush);
                if (r < 0)
                        return r;
                if (r > 0 || (scratch.src.format && !streq(scratch.src.format, "raw")) || scratch.src.backing) {
                        imp_warn(imp, "flash node '%s' cannot be represented; the firmware is not imported",
                                 imp->pflash_node[k]);
                        continue;
                }
                r = set_flash(imp, b, k, scratch.src.path, scratch.readonly ? VM_TRISTATE_ON : VM_TRISTATE_OFF);
                if (r < 0)
                        return r;
                if (r == 0)
                        used_commit(&used);
        }
        for (unsigned u = 0; u < 2; u++)
                for (unsigned d = 0; d < imp->def->n_disks && imp->fdc_boot[u]; d++) {
                        VmDisk *disk = &imp->def->disks[d];
                        if (disk->bus == VM_DISK_BUS_FDC && disk->addr.unit == u)
                                disk->boot_order = imp->fdc_boot[u];
                }
        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];
                const char *key, *val;
                unsigned order;
                bool applied = false;

                if (o->done || o->why || !o->parsed || !streq(o->name + (o->name[1] == '-' ? 2 : 1), "global") ||
                    o->o.n != 1)
                        continue;
                key = o->o.v[0].key;
                val = o->o.v[0].value;
                if ((!streq(key, "isa-fdc.bootindexA") && !streq(key, "isa-fdc.bootindexB")) || !val ||
                    sscanf(val, "%u", &order) != 1 || order == 0)
                        continue;
                for (unsigned d = 0; d < imp->def->n_disks; d++) {
                        VmDisk *disk = &imp->def->disks[d];
                        if (disk->bus == VM_DISK_BUS_FDC && disk->addr.unit == (unsigned) (key[17] - 'A')) {
                                disk->boot_order = order;
                                applied = true;
                        }
                }
                if (applied)
                        o->done = true;
                else
                        (void) imp_passthrough(imp, o, "there is no such floppy drive");
        }
        return imp->status;
}
