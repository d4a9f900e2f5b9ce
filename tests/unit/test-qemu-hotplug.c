/*
 * Hotplug planning (lib/qemu-hotplug.c): a device XML against a live XML -> the exact QMP commands,
 * the address the device gets, the live XML afterwards, and the errors users see.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "domxml-write.h"
#include "domxml.h"
#include "qemu-hotplug.h"
#include "qmp.h"
#include "test-util.h"

static const QemuBuildOptions opts = {
        .runtime_dir = "/run/vmunit/test",
        .state_dir = "/var/lib/vmunit/test",
        .tap_fd_base = 1729,
        .now = 1700000000,
};

#define Q35 \
        "<domain type='qemu'><name>test</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory unit='MiB'>128</memory><vcpu>1</vcpu>\n" \
        "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n" \
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>\n" \
        "<disk type='file' device='disk'><source file='/var/lib/img/a.raw'/><target dev='vda' bus='virtio'/></disk>\n" \
        "<interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>\n" \
        "</devices></domain>\n"

#define PC \
        "<domain type='qemu'><name>test</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory unit='MiB'>128</memory><vcpu>1</vcpu>\n" \
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>\n" \
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>\n" \
        "<controller type='scsi' index='0' model='virtio-scsi'/>\n" \
        "</devices></domain>\n"

/* What vmunit-supervisor writes at start: the definition through the argv builder, addresses filled in. */
static char *live_of(const char *xml) {
        _cleanup_(qemu_command_done) QemuCommand cmd = {};
        _cleanup_free_ char *error = NULL;
        VmDef *def = NULL;
        char *live = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "test.xml", 0, &def, &error, NULL), 0, "%s", error);
        cr_assert_eq(qemu_argv_build(def, &opts, &cmd, &error), 0, "%s", error);
        def->live_id = 4242;
        cr_assert_eq(domxml_write(def, &live, &error), 0, "%s", error);
        vm_def_free(def);
        return live;
}

static const char *str(json_object *o) {
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static int plan(QemuHotplugAction action, const char *live, const char *device, QemuHotplug *h, char **error) {
        return qemu_hotplug_plan(action, live, device, &opts, h, error);
}

Test(qemu_hotplug, attach_virtio_disk_q35_takes_the_spare_root_port) {
        _cleanup_free_ char *live = live_of(Q35), *error = NULL, *after = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_ATTACH, live,
                          "<disk type='file' device='disk'>\n  <driver name='qemu' type='raw'/>\n"
                          "  <source file='/var/lib/img/b.raw'/>\n  <target dev='vdb' bus='virtio'/>\n</disk>\n",
                          &h, &error), 0, "%s", error);
        cr_assert_str_eq(h.device_id, "virtio-disk1");
        cr_assert_str_eq(str(h.commands),
                "[{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\",\"filename\":\"\\/var\\/lib\\/img\\/b.raw\","
                "\"node-name\":\"vmunit-vdb-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}},"
                "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"vmunit-vdb-1-format\",\"read-only\":false,"
                "\"driver\":\"raw\",\"file\":\"vmunit-vdb-1-storage\"}},"
                "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\"bus\":\"pci.5\",\"addr\":\"0x0\","
                "\"drive\":\"vmunit-vdb-1-format\",\"id\":\"virtio-disk1\"}}]");
        cr_assert_str_eq(str(h.rollback),
                "[{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"vmunit-vdb-1-storage\"}},"
                "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"vmunit-vdb-1-format\"}},null]");
        cr_assert_eq(json_object_array_length(h.after), 0);
        cr_assert_not_null(h.disk);
        cr_assert_str_eq(h.disk->src.path, "/var/lib/img/b.raw");
        cr_assert_geq(h.disk->line, h.device_line);
        /* the live XML afterwards: the disk at its address, the pid kept */
        cr_assert_eq(domxml_write(h.def, &after, &error), 0, "%s", error);
        cr_assert_not_null(strstr(after, "<target dev='vdb' bus='virtio'/>"), "%s", after);
        cr_assert_not_null(strstr(after, "<address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>"),
                           "%s", after);
        cr_assert_not_null(strstr(after, " id='4242'"));
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}

Test(qemu_hotplug, attach_scsi_disk_pc_goes_on_the_controller) {
        _cleanup_free_ char *live = live_of(PC), *error = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_ATTACH, live,
                          "<disk type='file'><source file='/img/s.qcow2'/><driver name='qemu' type='qcow2'/>"
                          "<target dev='sda' bus='scsi'/></disk>", &h, &error), 0, "%s", error);
        cr_assert_str_eq(h.device_id, "scsi0-0-0-0");
        json_object *dev = json_object_array_get_idx(h.commands, 2);
        cr_assert_str_eq(str(dev), "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"bus\":\"scsi0.0\","
                         "\"channel\":0,\"scsi-id\":0,\"lun\":0,\"device_id\":\"drive-scsi0-0-0-0\","
                         "\"drive\":\"vmunit-sda-1-format\",\"id\":\"scsi0-0-0-0\"}}");
        cr_assert_str_eq(json_object_get_string(json_object_object_get(
                                 json_object_object_get(json_object_array_get_idx(h.commands, 1), "arguments"), "driver")),
                         "qcow2");
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}

Test(qemu_hotplug, attach_user_nic_pc_takes_a_slot_of_pci0) {
        _cleanup_free_ char *live = live_of(PC), *error = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_ATTACH, live,
                          "<interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>",
                          &h, &error), 0, "%s", error);
        cr_assert_str_eq(str(h.commands),
                "[{\"execute\":\"netdev_add\",\"arguments\":{\"type\":\"user\",\"id\":\"hostnet0\"}},"
                "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet0\","
                "\"id\":\"net0\",\"mac\":\"52:54:00:12:34:56\",\"bus\":\"pci.0\",\"addr\":\"0x4\"}}]");
        cr_assert_str_eq(str(h.rollback), "[{\"execute\":\"netdev_del\",\"arguments\":{\"id\":\"hostnet0\"}},null]");
        cr_assert_null(h.disk);
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}

Test(qemu_hotplug, detach_disk_then_backends_after_deleted) {
        _cleanup_free_ char *live = live_of(Q35), *error = NULL, *after = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_DETACH, live, "<disk type='file'><source file='/var/lib/img/a.raw'/><target dev='vda' bus='virtio'/></disk>",
                          &h, &error), 0, "%s", error);
        cr_assert_str_eq(h.device_id, "virtio-disk0");
        cr_assert_str_eq(h.target, "vda");
        cr_assert_str_eq(str(h.commands), "[{\"execute\":\"device_del\",\"arguments\":{\"id\":\"virtio-disk0\"}}]");
        cr_assert_str_eq(str(h.after),
                "[{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"vmunit-vda-1-format\"}},"
                "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"vmunit-vda-1-storage\"}}]");
        cr_assert_eq(h.def->n_disks, 0);
        cr_assert_eq(domxml_write(h.def, &after, &error), 0, "%s", error);
        cr_assert_null(strstr(after, "<disk"), "%s", after);
        cr_assert_not_null(strstr(after, "<interface type='user'>"));
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}

Test(qemu_hotplug, detach_nic_by_mac) {
        _cleanup_free_ char *live = live_of(Q35), *error = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_DETACH, live,
                          "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>", &h, &error), 0,
                     "%s", error);
        cr_assert_str_eq(h.device_id, "net0");
        cr_assert_null(h.target);
        cr_assert_str_eq(str(h.after), "[{\"execute\":\"netdev_del\",\"arguments\":{\"id\":\"hostnet0\"}}]");
        cr_assert_eq(h.def->n_nets, 0);
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}

static void assert_fails(QemuHotplugAction action, const char *live_xml, const char *device, int expected,
                         const char *message) {
        _cleanup_free_ char *live = live_of(live_xml), *error = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(action, live, device, &h, &error), expected, "%s", error ?: "(no message)");
        cr_assert_not_null(error);
        cr_assert_str_eq(error, message);
        cr_assert_null(h.def);
        cr_assert_null(h.commands);
}

Test(qemu_hotplug, errors) {
        assert_fails(QEMU_HOTPLUG_DETACH, Q35, "<disk type='file'>\n<source file='/c'/>\n<target dev='vdc' bus='virtio'/></disk>", -ENODEV,
                     "device XML:1: <disk> 'vdc': the running VM has no disk with this target");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<disk type='file'>\n<source file='/x'/>\n<target dev='vdb'/>\n</dsk>",
                     -EINVAL, "device XML:4: malformed XML: Opening and ending tag mismatch: disk line 1 and dsk");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<disk type='file'>\n<source file='/x'/>\n<target dev='vdb' bus='virtio' "
                     "bogus='1'/>\n</disk>", -EINVAL,
                     "device XML:3: <disk><target>: unsupported attribute 'bogus'");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<disk type='file'><source file='/x'/><target dev='sda' bus='sata'/></disk>",
                     -EOPNOTSUPP, "device XML:1: <disk> 'sda': bus='sata' cannot be hotplugged; virtio and scsi disks can");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<disk type='file'><source file='/x'/><target dev='vda' bus='virtio'/></disk>",
                     -EEXIST, "device XML:1: <disk> 'vda': the running VM has a disk with this target already");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<interface type='bridge'><source bridge='br0'/></interface>", -EOPNOTSUPP,
                     "device XML:1: <interface type='bridge'>: hotplugging a tap interface is not supported yet (define it and restart the VM)");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<hostdev mode='subsystem' type='usb'/>", -EOPNOTSUPP,
                     "device XML:1: <hostdev>: only <disk> and <interface> can be attached or detached");
        assert_fails(QEMU_HOTPLUG_ATTACH, Q35, "<disk/><disk/>", -EINVAL,
                     "device XML:1: malformed XML: Extra content at the end of the document");
        assert_fails(QEMU_HOTPLUG_DETACH, Q35, "<interface type='user'/>", -EINVAL,
                     "device XML: <interface>: give the <mac address=> of the interface to detach");
        /* q35 whose one given root port is taken (by the USB controller): a new one cannot be hotplugged */
        assert_fails(QEMU_HOTPLUG_ATTACH,
                     "<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                     "<memory>131072</memory><os><type machine='q35'>hvm</type></os><devices>"
                     "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
                     "<controller type='pci' index='1' model='pcie-root-port'/><memballoon model='none'/>"
                     "</devices></domain>",
                     "<disk type='file'><source file='/x'/><target dev='vdb' bus='virtio'/></disk>", -ENOSPC,
                     "device XML:1: <disk>: no free place for it in the running VM: it would need a new <controller "
                     "type='pci' model='pcie-root-port'>, which cannot be hotplugged; add it to the definition and "
                     "restart the VM");
        /* pc: a scsi disk needs the controller to be there already */
        assert_fails(QEMU_HOTPLUG_ATTACH,
                     "<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                     "<memory>131072</memory><os><type machine='pc'>hvm</type></os><devices>"
                     "<emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>",
                     "<disk type='file'><source file='/x'/><target dev='sda' bus='scsi'/></disk>", -ENOSPC,
                     "device XML:1: <disk>: no free place for it in the running VM: it would need a new <controller "
                     "type='scsi' model='lsilogic'>, which cannot be hotplugged; add it to the definition and "
                     "restart the VM");
        test_assert_no_leaks();
}

/* The tiny test guest's shape: q35, no PCI device of its own but the USB controller, two root ports
 * given in the definition: one stays free for hotplug. */
Test(qemu_hotplug, attach_to_a_given_free_root_port) {
        _cleanup_free_ char *live = live_of(
                "<domain type='qemu'><name>test</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                "<memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<features><acpi/></features><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                "<controller type='pci' index='1' model='pcie-root-port'/><controller type='pci' index='2' "
                "model='pcie-root-port'/><serial type='stdio'><target port='0'/></serial>"
                "<memballoon model='none'/></devices></domain>"), *error = NULL;
        QemuHotplug h = {};

        cr_assert_eq(plan(QEMU_HOTPLUG_ATTACH, live,
                          "<disk type='file'><source file='/img/d.img'/><target dev='vdb' bus='virtio'/></disk>",
                          &h, &error), 0, "%s\n%s", error, live);
        cr_assert_str_eq(json_object_get_string(json_object_object_get(json_object_object_get(
                                 json_object_array_get_idx(h.commands, 2), "arguments"), "bus")), "pci.2");
        qemu_hotplug_done(&h);
        test_assert_no_leaks();
}
