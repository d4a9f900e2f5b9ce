/*
 * Hotplug planning: one <disk> or <interface> against a running VM's live XML -> the QMP commands
 * that add or remove it, and the live XML afterwards. The device's QEMU objects come from the very
 * argv builder that started the VM (qemu_argv_build() over the live definition with the device in
 * it, then the -blockdev/-netdev/-device JSON of that one device), so a hotplugged device is what
 * the same definition would have got at start. Pure: no I/O, no QMP, no logging.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "model.h"
#include "qemu-argv.h"

typedef enum QemuHotplugAction {
        QEMU_HOTPLUG_ATTACH,
        QEMU_HOTPLUG_DETACH,
        _QEMU_HOTPLUG_ACTION_MAX,
        _QEMU_HOTPLUG_ACTION_INVALID = -EINVAL,
} QemuHotplugAction;

/* The size cap of the device XML. */
#define QEMU_HOTPLUG_XML_MAX (64U * 1024U)

typedef struct QemuHotplug {
        VmDef *def;                     /* the live definition after the change (prepared) */
        char *device_id;                /* QEMU's id of the device (device_del, DEVICE_DELETED) */
        json_object *commands;          /* [{"execute": ..., "arguments": ...}], in order */
        json_object *rollback;          /* attach: the undo of commands[i] or null, run last first when
                                           commands[i + 1] fails; detach: [] */
        json_object *after;             /* detach: the backends to remove after DEVICE_DELETED; attach: [] */
        const VmDisk *disk;             /* attach: the new disk in @def, or NULL */
        const char *target;             /* the disk's <target dev=> (attach and detach), NULL for a NIC */
        unsigned device_line;           /* attach: lines of the device in @def's XML are >= this */
} QemuHotplug;

void qemu_hotplug_done(QemuHotplug *h);

/* Plans @action of the single <disk> or <interface> element @device_xml on the VM whose live XML
 * is @live_xml (as vmunit-supervisor wrote it: addresses filled in). Attach: the strict parser reads
 * the device inside the live definition, the argv builder places it (a free pcie-root-port on q35,
 * a free slot of pci.0 on pc; never a new controller, which cannot be hotplugged) and yields its
 * objects. Detach: matches a <disk> by <target dev=>, an <interface> by <mac address=>.
 * Returns 0, or -EINVAL (bad XML), -EOPNOTSUPP (a device vmunit cannot hotplug), -ENODEV (detach:
 * no such device), -EEXIST (attach: the target is taken), -ENOSPC (no free hotplug slot), -ENOMEM, with a message in *@ret_error naming
 * "device XML:LINE" and the element. */
int qemu_hotplug_plan(QemuHotplugAction action, const char *live_xml, const char *device_xml,
                      const QemuBuildOptions *opts, QemuHotplug *ret, char **ret_error);

/* The objects of the device with qdev id @id in the built command line @argv: its backends (the
 * -blockdev/-netdev options right before its -device) as [[OPTION, JSON] ...], and the -device
 * JSON. Returns 0, -ENOENT (no such device), -ENOMEM. */
int qemu_hotplug_device_objects(char **argv, const char *id, json_object **ret_backends, json_object **ret_device);
