/*
 * Devices the converter builds without looking at the host: the SCSI generic node the supervisor
 * finds in sysfs (lib/host-scsi.c), and the domain XML writer keeping what such devices carry
 * beyond the command line (a rebuilt definition gives the same command line, and the settings the
 * supervisor acts on are written back).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "domxml-write.h"
#include "host-scsi.h"
#include "test-util.h"

static char *fake_sys(void) {
        char *root = strdup("/tmp/test-host-devices.XXXXXX");

        cr_assert(root && mkdtemp(root));
        return root;
}

static void mkdirs(const char *root, const char *rel) {
        char *cmd = test_strdupf("mkdir -p '%s/%s'", root, rel);

        cr_assert_eq(system(cmd), 0);
        free(cmd);
}

static VmHostdev scsi_hostdev(const char *adapter, unsigned bus, unsigned target, unsigned unit) {
        return (VmHostdev) { .type = (char *) "scsi", .scsi_adapter = (char *) adapter,
                             .source_addr = { .type = VM_ADDRESS_DRIVE, .bus = bus, .target = target, .unit = unit } };
}

Test(host_scsi, generic_node) {
        char *root = fake_sys();
        _cleanup_free_ char *node = NULL, *big = NULL;
        VmHostdev h = scsi_hostdev("scsi_host2", 0, 1, 3);
        VmHostdev large = scsi_hostdev("scsi_host12", 1, 0, 3221225472u);

        mkdirs(root, "bus/scsi/devices/2:0:1:3/scsi_generic/sg5");
        mkdirs(root, "bus/scsi/devices/12:1:0:3221225472/scsi_generic/sg17");
        cr_assert_eq(host_scsi_generic_node(root, &h, &node), 0);
        cr_expect_str_eq(node, "/dev/sg5");
        cr_assert_eq(host_scsi_generic_node(root, &large, &big), 0);
        cr_expect_str_eq(big, "/dev/sg17");
        (void) test_remove_tree(root);
        test_assert_no_leaks();
}

Test(host_scsi, refusals) {
        char *root = fake_sys();
        char *node = NULL;
        VmHostdev missing = scsi_hostdev("scsi_host2", 0, 0, 4);
        VmHostdev no_sg = scsi_hostdev("scsi_host3", 0, 0, 0);
        VmHostdev odd = scsi_hostdev("scsi_host3", 0, 0, 1);
        VmHostdev bad = scsi_hostdev("host3", 0, 0, 0);
        VmHostdev empty = scsi_hostdev("scsi_host", 0, 0, 0);

        mkdirs(root, "bus/scsi/devices/3:0:0:0");               /* the sg module is not loaded */
        mkdirs(root, "bus/scsi/devices/3:0:0:1/scsi_generic/sgx");
        cr_expect_eq(host_scsi_generic_node(root, &missing, &node), -ENOENT);
        cr_expect_eq(host_scsi_generic_node(root, &no_sg, &node), -ENOENT);
        cr_expect_eq(host_scsi_generic_node(root, &odd, &node), -ENOENT);
        cr_expect_eq(host_scsi_generic_node(root, &bad, &node), -EINVAL);
        cr_expect_eq(host_scsi_generic_node(root, &empty, &node), -EINVAL);
        cr_expect_null(node);
        (void) test_remove_tree(root);
        test_assert_no_leaks();
}

typedef struct Case {
        char name[48];
        char want[3][120];              /* in the written XML */
} Case;

ParameterizedTestParameters(host_devices, written_back) {
        static Case cases[] = {
                { "net-downscript", { "<downscript path='/etc/vmunit/net-down.sh'/>",
                                      "<script path='/etc/vmunit/net-up.sh'/>" } },
                { "graphics-spice-gl", { "<gl enable='yes' rendernode='/dev/dri/renderD129'/>",
                                         "<listen type='none'/>" } },
                { "hostdev-mdev", { "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' ramfb='on'>",
                                    "<address uuid='d3c2b1a0-1111-4c2d-9e8f-0a1b2c3d4e5f'/>",
                                    "<graphics type='egl-headless'" } },
                { "video-vhost-user", { "<driver name='vhostuser'/>" } },
                { "launch-security-sev", { "<launchSecurity type='sev' kernelHashes='yes'>", "<policy>0x0003</policy>",
                                           "<dhCert>dm11bml0LWRoLWNlcnQ=</dhCert>" } },
                { "hostdev-scsi-generic", { "<shareable/>", "<readonly/>", "<address bus='0' target='1' unit='3221225472'/>" } },
                { "hostdev-vhost-scsi", { "<source protocol='vhost' wwpn='naa.5001405df3e54061'/>",
                                          "type='scsi_host' model='virtio-transitional'",
                                          "<rng model='virtio-non-transitional'>" } },
        };
        return cr_make_param_array(Case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Case *c, host_devices, written_back) {
        _cleanup_free_ char *rel = test_strdupf("argv/%s.xml", c->name), *path = test_data_path(rel), *xml = NULL,
                            *out = NULL, *error = NULL, *a1 = NULL, *a2 = NULL;
        TestBuild b1 = {}, b2 = {};
        size_t len;

        cr_assert_eq(test_read_file(path, &xml, &len), 0, "%s", path);
        test_build(xml, len, c->name, &b1);
        cr_assert_eq(b1.r, 0, "%s: %s", c->name, strempty(b1.error));
        cr_assert_eq(domxml_write(b1.def, &out, &error), 0, "%s", strempty(error));
        for (size_t i = 0; i < ELEMENTSOF(c->want) && c->want[i][0]; i++)
                cr_expect(strstr(out, c->want[i]), "%s: missing %s in:\n%s", c->name, c->want[i], out);
        test_build(out, strlen(out), c->name, &b2);
        cr_assert_eq(b2.r, 0, "%s (written): %s", c->name, strempty(b2.error));
        a1 = test_render_args(&b1.cmd);
        a2 = test_render_args(&b2.cmd);
        cr_expect_str_eq(a2, a1, "%s: the written definition builds another command line", c->name);
        test_build_done(&b1);
        test_build_done(&b2);
        test_assert_no_leaks();
}
