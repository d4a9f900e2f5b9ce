/*
 * Transient disks (lib/qemu-transient.c): the plan for tests/data/argv/disk-transient.xml (a
 * shareBacking virtio disk, a plain virtio and IDE one, a shareBacking SCSI one), the QMP arguments
 * of each step, and that planning leaves the start's command line as it was.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "qemu-transient.h"
#include "qmp.h"
#include "test-util.h"

static void build_case(TestBuild *t) {
        _cleanup_free_ char *path = test_data_path("argv/disk-transient.xml"), *xml = NULL;
        size_t len;

        cr_assert(test_read_file(path, &xml, &len) == 0, "%s", path);
        test_build(xml, len, "disk-transient.xml", t);
        cr_assert(t->r == 0, "%s: %s", t->stage, strempty(t->error));
}

static const char *str(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static const QemuTransientDisk *find(const QemuTransientPlan *p, const char *dst) {
        for (unsigned i = 0; i < p->n_disks; i++)
                if (streq(p->disks[i].disk->dst, dst))
                        return &p->disks[i];
        cr_assert_fail("no plan for %s", dst);
        return NULL;
}

/* @args as JSON text, for exact comparisons */
static void assert_json(json_object *args, const char *expected) {
        cr_assert(args);
        cr_assert_str_eq(json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), expected);
        json_object_put(args);
}

Test(transient, plan) {
        QemuBuildOptions opts = test_build_options();
        _cleanup_free_ char *error = NULL, *before = NULL, *after = NULL;
        QemuTransientPlan p = {};
        const QemuTransientDisk *t;
        TestBuild b;

        build_case(&b);
        before = test_render_args(&b.cmd);
        cr_assert(qemu_transient_plan(b.def, &opts, &p, &error) == 0, "%s", strempty(error));
        cr_assert_eq(p.n_disks, 4);
        cr_assert(p.reset, "a disk is plugged in: the firmware needs a reset to see it");

        /* the plain ones: their format nodes on the start's command line, no objects of their own */
        t = find(&p, "vdb");
        cr_assert_str_eq(t->base_node, "vmunit-vdb-1-format");
        cr_assert_str_eq(t->overlay, "/run/vmunit/test/transient-vdb.qcow2");
        cr_assert_null(t->backends);
        cr_assert_null(t->device);
        cr_assert_str_eq(find(&p, "hda")->base_node, "vmunit-hda-1-format");

        /* shareBacking on virtio: the original read-only, the device on the overlay at its slot */
        t = find(&p, "vda");
        cr_assert_str_eq(t->base_node, "vmunit-vda-1-format");
        cr_assert_eq(json_object_array_length(t->backends), 2);
        cr_assert_eq(json_object_array_length(t->top_backends), 0);
        assert_json(json_object_get(json_object_array_get_idx(t->backends, 0)),
                    "{\"driver\":\"file\",\"filename\":\"/var/lib/vmunit-images/base.qcow2\",\"node-name\":"
                    "\"vmunit-vda-1-storage\",\"cache\":{\"direct\":true,\"no-flush\":false},\"auto-read-only\":true,"
                    "\"discard\":\"unmap\"}");
        assert_json(json_object_get(json_object_array_get_idx(t->backends, 1)),
                    "{\"node-name\":\"vmunit-vda-1-format\",\"read-only\":true,\"cache\":{\"direct\":true,"
                    "\"no-flush\":false},\"driver\":\"qcow2\",\"file\":\"vmunit-vda-1-storage\"}");
        assert_json(json_object_get(t->device),
                    "{\"driver\":\"virtio-blk-pci\",\"bus\":\"pci.0\",\"addr\":\"0x3\",\"drive\":\"vmunit-tr-vda-format\","
                    "\"id\":\"virtio-disk0\",\"write-cache\":\"on\"}");

        /* the overlay's steps */
        assert_json(qemu_transient_overlay_file(t),
                    "{\"driver\":\"file\",\"filename\":\"/run/vmunit/test/transient-vda.qcow2\",\"node-name\":"
                    "\"vmunit-tr-vda-storage\",\"discard\":\"unmap\"}");
        assert_json(qemu_transient_overlay_create(t, 8388608),
                    "{\"job-id\":\"vmunit-tr-vda\",\"options\":{\"driver\":\"qcow2\",\"file\":\"vmunit-tr-vda-storage\","
                    "\"size\":8388608,\"backing-file\":\"/var/lib/vmunit-images/base.qcow2\",\"backing-fmt\":\"qcow2\"}}");
        assert_json(qemu_transient_overlay_add(t),
                    "{\"driver\":\"qcow2\",\"node-name\":\"vmunit-tr-vda-format\",\"file\":\"vmunit-tr-vda-storage\","
                    "\"read-only\":false,\"backing\":\"vmunit-vda-1-format\"}");
        t = find(&p, "vdb");
        assert_json(qemu_transient_overlay_add(t),
                    "{\"driver\":\"qcow2\",\"node-name\":\"vmunit-tr-vdb-format\",\"file\":\"vmunit-tr-vdb-storage\","
                    "\"read-only\":false,\"backing\":null}");
        assert_json(qemu_transient_overlay_create(t, 4096),
                    "{\"job-id\":\"vmunit-tr-vdb\",\"options\":{\"driver\":\"qcow2\",\"file\":\"vmunit-tr-vdb-storage\","
                    "\"size\":4096,\"backing-file\":\"/var/lib/vmunit-images/data.img\",\"backing-fmt\":\"raw\"}}");
        assert_json(qemu_transient_snapshot(t), "{\"node\":\"vmunit-vdb-1-format\",\"overlay\":\"vmunit-tr-vdb-format\"}");

        /* shareBacking on SCSI: on its controller, at its drive address */
        t = find(&p, "sda");
        cr_assert_str_eq(t->base_node, "vmunit-sda-1-format");
        cr_assert_str_eq(str(t->device, "driver"), "scsi-hd");
        cr_assert_str_eq(str(t->device, "bus"), "scsi0.0");
        cr_assert_str_eq(str(t->device, "drive"), "vmunit-tr-sda-format");

        /* planning built the definition once more: the start's command line is what it was */
        qemu_command_done(&b.cmd);
        cr_assert(qemu_argv_build(b.def, &opts, &b.cmd, &error) == 0);
        after = test_render_args(&b.cmd);
        cr_assert_str_eq(before, after);
        qemu_transient_plan_done(&p);
        test_build_done(&b);
        test_assert_no_leaks();
}

Test(transient, none) {
        QemuBuildOptions opts = test_build_options();
        _cleanup_free_ char *error = NULL;
        QemuTransientPlan p = {};
        TestBuild b;
        const char *xml = "<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                          "<memory unit='MiB'>64</memory>"
                          "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                          "<disk type='file'><source file='/var/lib/img/a.raw'/><target dev='vda'/></disk>"
                          "</devices></domain>";

        test_build(xml, strlen(xml), "none.xml", &b);
        cr_assert(b.r == 0, "%s", strempty(b.error));
        cr_assert(qemu_transient_plan(b.def, &opts, &p, &error) == 0);
        cr_assert_eq(p.n_disks, 0);
        cr_assert(!p.reset);
        qemu_transient_plan_done(&p);
        test_build_done(&b);
        test_assert_no_leaks();
}
