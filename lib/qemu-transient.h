/*
 * <disk><transient/>: what the supervisor does, as libvirt 9.0 does it, so that the guest's writes
 * go to a throw-away qcow2 overlay in the VM's runtime dir and the original image is never written:
 *
 *   - a plain transient disk is on the command line like any other; while QEMU is still paused the
 *     overlay is created over its format node (blockdev-add of the empty file, blockdev-create of
 *     the qcow2, blockdev-add of the qcow2 node) and put on top of it with blockdev-snapshot;
 *   - a <transient shareBacking='yes'/> disk is left out of the command line (its PCI slot kept):
 *     its original is blockdev-add'ed read-only, so that other VMs can share it, the overlay is
 *     created on it as above, and the device is device_add'ed on the overlay at its own address,
 *     with the very JSON the argv builder gives it (qemu_hotplug_device_objects()). A system_reset
 *     afterwards lets the firmware see the new disk, as libvirt does.
 *
 * Pure: no I/O, no QMP, no logging. The QMP arguments are built here; vmunit-supervisor runs them.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "qemu-argv.h"

#define QEMU_TRANSIENT_OVERLAY_PREFIX "transient-"
#define QEMU_TRANSIENT_OVERLAY_SUFFIX ".qcow2"

typedef struct QemuTransientDisk {
        const VmDisk *disk;             /* in the definition the plan was made from */
        char *overlay;                  /* RUNTIME_DIR/transient-DST.qcow2 */
        char *base_node;                /* the original's top format node: the overlay's backing */
        char *overlay_storage, *overlay_format; /* the overlay's node names */
        char *job_id;                   /* of its blockdev-create */
        json_object *backends;          /* shareBacking: blockdev-add arguments of the original (read-only)
                                           up to @base_node, in order; NULL for a plain transient disk */
        json_object *top_backends;      /* shareBacking: those above it (copy-on-read), on the overlay */
        json_object *device;            /* shareBacking: device_add arguments, on the overlay; else NULL */
} QemuTransientDisk;

typedef struct QemuTransientPlan {
        QemuTransientDisk *disks;
        unsigned n_disks;
        bool reset;                     /* a disk is plugged in: system_reset before the vCPUs run */
} QemuTransientPlan;

void qemu_transient_plan_done(QemuTransientPlan *p);

/* Plans the transient disks of @def, which qemu_argv_build() prepared with @opts (addresses
 * assigned): builds the command line once more, with the shareBacking disks in it, and takes their
 * objects and the other transient disks' node names from it. A @def without transient disks gives
 * an empty plan. Returns 0, or -errno with a message in *@ret_error. */
int qemu_transient_plan(VmDef *def, const QemuBuildOptions *opts, QemuTransientPlan *ret, char **ret_error);

/* The QMP arguments of each step, for one disk of the plan (NULL on out of memory): */
/* blockdev-add of the (empty, pre-created) overlay file */
json_object *qemu_transient_overlay_file(const QemuTransientDisk *t);
/* blockdev-create of the qcow2 image of @virtual_size bytes on it, naming the original as backing */
json_object *qemu_transient_overlay_create(const QemuTransientDisk *t, uint64_t virtual_size);
/* blockdev-add of the qcow2 node: backing the original's node (shareBacking), or none yet (plain) */
json_object *qemu_transient_overlay_add(const QemuTransientDisk *t);
/* blockdev-snapshot that puts the overlay on top of the original (plain transient disks) */
json_object *qemu_transient_snapshot(const QemuTransientDisk *t);
