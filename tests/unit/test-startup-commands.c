/*
 * qemu_startup_commands(): the QMP commands the supervisor runs between QEMU's paused start and
 * 'cont' (libvirt applies <iotune> the same way, which is why it is not on the command line).
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <string.h>

#include "cleanup.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "strv.h"

static const char *xml =
        "<domain type='qemu'><name>t</name><uuid>0a9f3c52-6b1e-4a7d-8f20-3c4b5d6e7f80</uuid>"
        "<memory unit='MiB'>256</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/i/a.img'/><target dev='hda' bus='ide'/></disk>"
        "<disk type='file' device='disk'><source file='/i/b.img'/><target dev='vdb' bus='virtio'/>"
        "<iotune><total_bytes_sec>1000000</total_bytes_sec><read_iops_sec>400</read_iops_sec>"
        "<total_bytes_sec_max>2000000</total_bytes_sec_max><group_name>slow</group_name></iotune></disk>"
        "<disk type='file' device='disk'><source file='/i/c.img'/><target dev='hdc' bus='ide'/>"
        "<iotune><write_bytes_sec>5</write_bytes_sec></iotune></disk>"
        "</devices></domain>";

static int64_t get_int(json_object *o, const char *key) {
        json_object *v;
        cr_assert(json_object_object_get_ex(o, key, &v), "missing '%s' in %s", key, json_object_to_json_string(o));
        return json_object_get_int64(v);
}

Test(startup_commands, iotune_per_disk) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        QemuBuildOptions opts = { .runtime_dir = "/run/vmunit/test", .state_dir = "/var/lib/vmunit/test",
                                  .tap_fd_base = 1729 };
        QemuCommand cmd = {};
        json_object *list = NULL, *c, *args, *v;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "t.xml", 0, &def, &error, NULL), 0, "%s", error);
        cr_assert_eq(qemu_argv_build(def, &opts, &cmd, &error), 0, "%s", error);
        STRV_FOREACH(a, cmd.argv)
                cr_assert_null(strstr(*a, "throttle"), "iotune must not be on the command line: %s", *a);
        qemu_command_done(&cmd);

        cr_assert_eq(qemu_startup_commands(def, &list), 0);
        cr_assert_eq(json_object_array_length(list), 2, "%s", json_object_to_json_string(list));

        c = json_object_array_get_idx(list, 0);
        cr_assert(json_object_object_get_ex(c, "execute", &v));
        cr_assert_str_eq(json_object_get_string(v), "block_set_io_throttle");
        cr_assert(json_object_object_get_ex(c, "arguments", &args));
        cr_assert(json_object_object_get_ex(args, "id", &v));
        cr_assert_str_eq(json_object_get_string(v), "virtio-disk1", "the qdev id of vdb");
        cr_assert_eq(get_int(args, "bps"), 1000000);
        cr_assert_eq(get_int(args, "iops_rd"), 400);
        cr_assert_eq(get_int(args, "bps_max"), 2000000);
        cr_assert_eq(get_int(args, "bps_rd"), 0, "mandatory limits are present, 0 = unlimited");
        cr_assert_eq(get_int(args, "iops_wr"), 0);
        cr_assert(!json_object_object_get_ex(args, "iops_max", NULL), "unset optional limits are left out");
        cr_assert(json_object_object_get_ex(args, "group", &v));
        cr_assert_str_eq(json_object_get_string(v), "slow");

        c = json_object_array_get_idx(list, 1);
        cr_assert(json_object_object_get_ex(c, "arguments", &args));
        cr_assert(json_object_object_get_ex(args, "id", &v));
        cr_assert_str_eq(json_object_get_string(v), "ide0-1-0", "the qdev id of hdc");
        cr_assert_eq(get_int(args, "bps_wr"), 5);
        json_object_put(list);
}

Test(startup_commands, none_without_iotune) {
        static const char *plain =
                "<domain type='qemu'><name>t</name><uuid>0a9f3c52-6b1e-4a7d-8f20-3c4b5d6e7f80</uuid>"
                "<memory unit='MiB'>256</memory><os><type>hvm</type></os></domain>";
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        json_object *list = NULL;

        cr_assert_eq(domxml_parse_memory(plain, strlen(plain), "t.xml", 0, &def, NULL, NULL), 0);
        cr_assert_eq(qemu_startup_commands(def, &list), 0);
        cr_assert_eq(json_object_array_length(list), 0);
        json_object_put(list);
}

Test(startup_commands, conflicting_limits_refused) {
        static const char *bad =
                "<domain type='qemu'><name>t</name><uuid>0a9f3c52-6b1e-4a7d-8f20-3c4b5d6e7f80</uuid>"
                "<memory unit='MiB'>256</memory><os><type>hvm</type></os><devices>"
                "<disk type='file' device='disk'><source file='/i/a.img'/><target dev='vda' bus='virtio'/>"
                "<iotune><total_bytes_sec>1</total_bytes_sec><read_bytes_sec>2</read_bytes_sec></iotune>"
                "</disk></devices></domain>";
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        QemuBuildOptions opts = { .runtime_dir = "/r", .state_dir = "/s", .tap_fd_base = 3 };
        QemuCommand cmd = {};

        cr_assert_eq(domxml_parse_memory(bad, strlen(bad), "t.xml", 0, &def, NULL, NULL), 0);
        cr_assert_lt(qemu_argv_build(def, &opts, &cmd, &error), 0);
        cr_assert_not_null(strstr(error, "total_bytes_sec cannot be combined"), "%s", error);
}
