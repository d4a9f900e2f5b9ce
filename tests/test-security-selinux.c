/*
 * The SELinux sVirt driver (lib/security-selinux*.c) and the system-file check shared by all
 * drivers (security_check_relabel_allowed()), on a host that runs no SELinux: contexts from fixture
 * policy files and from the built-in defaults, the exact labels of each <seclabel> case, the MCS
 * registry under real concurrency, file labels through the real security.selinux xattr where the
 * kernel lets root write it (the test says which it verified), and the live XML.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "domxml-write.h"
#include "domxml.h"
#include "security-selinux.h"
#include "unit/test-util.h"

static char tmp[] = "/var/tmp/vmunit-selinux-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void) {
        char *cmd = NULL;

        security_selinux_file_label_xattr_for_tests(NULL);
        cr_assert_gt(asprintf(&cmd, "rm -rf '%s'", tmp), 0);
        cr_assert_eq(system(cmd), 0);
        free(cmd);
        strcpy(tmp, "/var/tmp/vmunit-selinux-XXXXXX");
}

static char *tmp_path(const char *name) {
        char *p = NULL;
        cr_assert_gt(asprintf(&p, "%s/%s", tmp, name), 0);
        return p;
}

static char *write_file(const char *name, const char *content) {
        char *p = tmp_path(name);
        FILE *f = fopen(p, "we");

        cr_assert_not_null(f, "%s: %m", p);
        cr_assert_geq(fputs(content, f), 0);
        cr_assert_eq(fclose(f), 0);
        return p;
}

static VmDef *parse(const char *virt_type, const char *seclabel) {
        char *xml = NULL, *err = NULL;
        VmDef *def = NULL;

        cr_assert_gt(asprintf(&xml,
                "<domain type='%s'><name>t</name><memory unit='MiB'>128</memory>"
                "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>\n%s</domain>",
                virt_type, seclabel), 0);
        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "test.xml", 0, &def, &err, NULL), 0, "%s", err ?: "?");
        free(xml);
        return def;
}

/* The policy of Debian 12 (selinux-policy-default), as fixture files. */
static void load_fixture(SelinuxBaseContexts *base, bool tcg) {
        char *d = write_file("virtual_domain_context", tcg ? "system_u:system_r:svirt_t:s0\n"
                                                             "system_u:system_r:svirt_tcg_t:s0\n"
                                                           : "system_u:system_r:svirt_t:s0\n");
        char *i = write_file("virtual_image_context", "system_u:object_r:svirt_image_t:s0\n"
                                                      "system_u:object_r:virt_content_t:s0\n");
        SelinuxBaseOptions o = { .domain_file = d, .image_file = i, .required = true };
        char *err = NULL;

        cr_assert_eq(security_selinux_base_load(&o, base, &err), 0, "%s", err ?: "?");
        free(d);
        free(i);
}

static const SelinuxMcs test_mcs = { 12, 345 };

/* ---- contexts ---- */

Test(selinux_context, valid) {
        static const char * const good[] = {
                "system_u:system_r:svirt_t:s0",
                "system_u:system_r:svirt_t:s0:c12,c345",
                "system_u:object_r:svirt_image_t:s0:c0.c1023",
                "system_u:system_r:svirt_t:s0-s0:c0.c1023",
                "unconfined_u:unconfined_r:unconfined_t:s0-s15:c0.c5,c7,c1023",
                "user.name-x:role_r:type_t:s15",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                cr_expect_eq(security_selinux_context_check(good[i], NULL), 0, "%s", good[i]);
        test_assert_no_leaks();
}

Test(selinux_context, invalid_with_reason) {
        static const struct { const char *ctx, *reason; } bad[] = {
                { "system_u:system_r:svirt_t", "expected user:role:type:level" },
                { "system_u:system_r:svirt_t:", "sensitivity s0..s15" },
                { "system_u::svirt_t:s0", "expected user:role:type:level" },
                { "system_u:system_r:svirt_t:s16", "sensitivity s0..s15" },
                { "system_u:system_r:svirt_t:s0:c1024", "categories are c0..c1023" },
                { "system_u:system_r:svirt_t:s0:c01", "categories are c0..c1023" },
                { "system_u:system_r:svirt_t:s0:c5.c2", "cX.cY needs X < Y" },
                { "system_u:system_r:svirt_t:s0:c1,", "categories are c0..c1023" },
                { "system_u:system_r:svirt_t:s3-s1", "high level of a range is below" },
                { "system_u:system_r:svirt_t:s0:c1,c2 ", "whitespace or control" },
                { "system_u:system_r:svirt_t:s0\n", "whitespace or control" },
                { "system_u:system_r:svirt\x01t:s0", "whitespace or control" },
                { "system_u:system_r:svirt_t:s0:c1:c2", "unexpected characters after" },
                { "system_u:system_r:svirt$t:s0", "expected user:role:type:level" },
                { "", "expected user:role:type:level" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                cr_expect_eq(security_selinux_context_check(bad[i].ctx, &why), -EINVAL, "'%s'", bad[i].ctx);
                cr_expect(why && strstr(why, bad[i].reason), "'%s': %s", bad[i].ctx, why ?: "(no reason)");
        }
        test_assert_no_leaks();
}

/* ---- base contexts ---- */

TestSuite(selinux_base, .init = setup, .fini = teardown);

Test(selinux_base, from_policy_files) {
        SelinuxBaseContexts b;

        load_fixture(&b, true);
        cr_expect_str_eq(b.domain, "system_u:system_r:svirt_t:s0");
        cr_expect_str_eq(b.domain_tcg, "system_u:system_r:svirt_tcg_t:s0");
        cr_expect_str_eq(b.image, "system_u:object_r:svirt_image_t:s0");
        cr_expect_str_eq(b.content, "system_u:object_r:virt_content_t:s0");
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_base, defaults_without_policy) {
        char *missing = tmp_path("no-such-file");
        SelinuxBaseOptions o = { .domain_file = missing, .image_file = missing, .required = false };
        SelinuxBaseContexts b;

        cr_assert_eq(security_selinux_base_load(&o, &b, NULL), 0);
        cr_expect_str_eq(b.domain, "system_u:system_r:svirt_t:s0");
        cr_expect_null(b.domain_tcg);
        cr_expect_str_eq(b.image, "system_u:object_r:svirt_image_t:s0");
        cr_expect_str_eq(b.content, "system_u:object_r:svirt_content_t:s0");
        security_selinux_base_done(&b);
        free(missing);
        test_assert_no_leaks();
}

Test(selinux_base, required_file_missing) {
        char *missing = tmp_path("no-such-file"), *err = NULL;
        SelinuxBaseOptions o = { .domain_file = missing, .image_file = missing, .required = true };
        SelinuxBaseContexts b;

        cr_assert_eq(security_selinux_base_load(&o, &b, &err), -ENOENT);
        cr_assert_not_null(err);
        cr_expect_not_null(strstr(err, "cannot read the SELinux virtual domain context file '"), "%s", err);
        cr_expect_not_null(strstr(err, "no-such-file': No such file or directory"), "%s", err);
        free(err);
        free(missing);
        test_assert_no_leaks();
}

Test(selinux_base, malformed_policy_line) {
        char *d = write_file("dom", "system_u:system_r:svirt_t:s0\n");
        char *i = write_file("img", "system_u:object_r:svirt_image_t:s0\nvirt_content_t\n"), *err = NULL;
        SelinuxBaseOptions o = { .domain_file = d, .image_file = i, .required = true };
        SelinuxBaseContexts b;
        char *want = NULL;

        cr_assert_eq(security_selinux_base_load(&o, &b, &err), -EINVAL);
        cr_assert_gt(asprintf(&want, "%s:2: invalid SELinux virtual image context 'virt_content_t': expected", i), 0);
        cr_expect_not_null(strstr(err, want), "%s", err);
        free(want);
        free(err);
        free(d);
        free(i);
        test_assert_no_leaks();
}

/* ---- labels, exact strings ---- */

TestSuite(selinux_labels, .init = setup, .fini = teardown);

static void compute(const VmDef *def, const SelinuxBaseContexts *b, SelinuxLabels *l) {
        char *err = NULL;
        cr_assert_eq(security_selinux_labels_compute(def, b, security_selinux_needs_mcs(def) ? &test_mcs : NULL,
                                                     "test.xml", l, &err), 0, "%s", err ?: "?");
}

Test(selinux_labels, dynamic_default) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", "");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, true);
        cr_assert(security_selinux_needs_mcs(def));
        compute(def, &b, &l);
        cr_expect(l.confined);
        cr_expect(l.dynamic);
        cr_expect(l.relabel);
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_t:s0:c12,c345");
        cr_expect_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_expect_str_eq(l.shared, "system_u:object_r:svirt_image_t:s0");
        cr_expect_str_eq(l.content, "system_u:object_r:virt_content_t:s0");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_labels, dynamic_builtin_contexts) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", "<seclabel type='dynamic' model='selinux'/>");
        char *missing = tmp_path("none");
        SelinuxBaseOptions o = { .domain_file = missing, .image_file = missing };
        SelinuxBaseContexts b;
        SelinuxLabels l;

        cr_assert_eq(security_selinux_base_load(&o, &b, NULL), 0);
        compute(def, &b, &l);
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_t:s0:c12,c345");
        cr_expect_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c12,c345");
        cr_expect_str_eq(l.shared, "system_u:object_r:svirt_image_t:s0");
        cr_expect_str_eq(l.content, "system_u:object_r:svirt_content_t:s0");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        free(missing);
        test_assert_no_leaks();
}

Test(selinux_labels, dynamic_tcg_and_baselabel) {
        _cleanup_(vm_def_freep) VmDef *tcg = parse("qemu", "");
        _cleanup_(vm_def_freep) VmDef *based = parse("qemu",
                "<seclabel type='dynamic' model='selinux'><baselabel>system_u:system_r:svirt_custom_t:s0"
                "</baselabel></seclabel>");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, true);
        compute(tcg, &b, &l);
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_tcg_t:s0:c12,c345");
        cr_expect_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c12,c345");
        security_selinux_labels_done(&l);
        compute(based, &b, &l);
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_custom_t:s0:c12,c345");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_labels, static_relabel_default_no) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm",
                "<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, false);
        cr_assert_not(security_selinux_needs_mcs(def));
        compute(def, &b, &l);
        cr_expect(l.confined);
        cr_expect_not(l.dynamic);
        cr_expect_not(l.relabel, "a static label leaves files alone unless relabel='yes'");
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_t:s0:c1,c2");
        cr_expect_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c1,c2");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_labels, static_relabel_yes) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm",
                "<seclabel type='static' model='selinux' relabel='yes'>"
                "<label>system_u:system_r:svirt_t:s0:c7,c9</label></seclabel>");
        _cleanup_(vm_def_freep) VmDef *own = parse("kvm",
                "<seclabel type='static' model='selinux' relabel='yes'><label>system_u:system_r:svirt_t:s0:c7,c9</label>"
                "<imagelabel>system_u:object_r:my_image_t:s0:c7,c9</imagelabel></seclabel>");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, false);
        compute(def, &b, &l);
        cr_expect(l.relabel);
        cr_expect_str_eq(l.image, "system_u:object_r:svirt_image_t:s0:c7,c9");
        security_selinux_labels_done(&l);
        compute(own, &b, &l);
        cr_expect_str_eq(l.image, "system_u:object_r:my_image_t:s0:c7,c9");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_labels, none) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", "<seclabel type='none'/>");
        _cleanup_(vm_def_freep) VmDef *named = parse("kvm", "<seclabel type='none' model='selinux'/>");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, false);
        cr_assert_not(security_selinux_needs_mcs(def));
        compute(def, &b, &l);
        cr_expect_not(l.confined);
        cr_expect_not(l.relabel);
        cr_expect_null(l.process);
        cr_expect_null(l.image);
        cr_expect_eq(security_selinux_exec_label(&l), 0, "an unconfined QEMU gets no exec context");
        security_selinux_labels_done(&l);
        compute(named, &b, &l);
        cr_expect_not(l.confined);
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_labels, another_models_seclabel) {
        /* <seclabel model='dac'> is the DAC driver's: SELinux confines with its default. */
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", "<seclabel type='none' model='dac'/>");
        SelinuxBaseContexts b;
        SelinuxLabels l;

        load_fixture(&b, false);
        cr_assert(security_selinux_needs_mcs(def));
        compute(def, &b, &l);
        cr_expect_str_eq(l.process, "system_u:system_r:svirt_t:s0:c12,c345");
        security_selinux_labels_done(&l);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

static void assert_invalid(const char *seclabel, const char *want) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", seclabel);
        SelinuxBaseContexts b;
        SelinuxLabels l = {};
        char *err = NULL;

        load_fixture(&b, false);
        cr_assert_eq(security_selinux_validate(def, "/etc/vmunit/domains/t.xml", &err), -EINVAL, "%s", seclabel);
        cr_assert_not_null(err);
        cr_expect_str_eq(err, want);
        free(err);
        err = NULL;
        cr_assert_eq(security_selinux_labels_compute(def, &b, &test_mcs, "/etc/vmunit/domains/t.xml", &l, &err),
                     -EINVAL);
        cr_expect_str_eq(err, want);
        cr_expect_null(l.process, "nothing computed");
        free(err);
        security_selinux_base_done(&b);
}

/* Without model= the label is for the host's MAC driver, unknown to the parser: checked at start. */
Test(selinux_labels, malformed_contexts_rejected) {
        assert_invalid("<seclabel type='static'><label>system_u:system_r:svirt_t</label></seclabel>",
                       "/etc/vmunit/domains/t.xml:3: <seclabel>: invalid label 'system_u:system_r:svirt_t': expected "
                       "user:role:type:level, each of user, role and type made of letters, digits, '_', '.' and '-'");
        assert_invalid("<seclabel type='static'><label>system_u:system_r:svirt_t:s0 c1</label>"
                       "</seclabel>",
                       "/etc/vmunit/domains/t.xml:3: <seclabel>: invalid label 'system_u:system_r:svirt_t:s0 c1': "
                       "contains whitespace or control characters");
        assert_invalid("<seclabel type='static' relabel='yes'><label>a_u:b_r:c_t:s0</label>"
                       "<imagelabel>a_u:object_r:d_t:s0:c2048</imagelabel></seclabel>",
                       "/etc/vmunit/domains/t.xml:3: <seclabel>: invalid imagelabel 'a_u:object_r:d_t:s0:c2048': "
                       "categories are c0..c1023, separated by ',' (a range as cX.cY)");
        assert_invalid("<seclabel type='dynamic'><baselabel>svirt_t&#9;</baselabel></seclabel>",
                       "/etc/vmunit/domains/t.xml:3: <seclabel>: invalid baselabel 'svirt_t\\x09': "
                       "contains whitespace or control characters");
        test_assert_no_leaks();
}

/* With model='selinux' the parser refuses them already (vmctl define), naming the element. */
Test(selinux_labels, malformed_contexts_rejected_by_parser) {
        static const struct { const char *seclabel, *want; } cases[] = {
                { "<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t</label></seclabel>",
                  "t.xml:3: <seclabel><label>: not an SELinux context: expected user:role:type:level" },
                { "<seclabel type='static' model='selinux' relabel='yes'><label>a_u:b_r:c_t:s0</label>"
                  "<imagelabel>a_u:object_r:d_t:s0:c2048</imagelabel></seclabel>",
                  "t.xml:3: <seclabel><imagelabel>: not an SELinux context: categories are c0..c1023" },
                { "<seclabel type='dynamic' model='selinux'><baselabel>svirt_t&#9;</baselabel></seclabel>",
                  "t.xml:3: <seclabel><baselabel>: not an SELinux context: contains whitespace or control characters" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = NULL;
                VmDef *def = NULL;
                char *err = NULL;

                cr_assert_gt(asprintf(&xml, "<domain type='kvm'><name>t</name><memory unit='MiB'>128</memory>"
                                      "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n\n%s</domain>",
                                      cases[i].seclabel), 0);
                cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "t.xml", 0, &def, &err, NULL), -EINVAL, "%s",
                             cases[i].seclabel);
                cr_expect(err && strstr(err, cases[i].want), "%s", strempty(err));
                free(err);
        }
        test_assert_no_leaks();
}

Test(selinux_labels, unknown_model_rejected_by_parser) {
        const char *xml = "<domain type='kvm'><name>t</name><memory unit='MiB'>128</memory>\n"
                          "<os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
                          "<seclabel type='dynamic' model='smack'/></domain>";
        VmDef *def = NULL;
        char *err = NULL;

        cr_assert_lt(domxml_parse_memory(xml, strlen(xml), "bad.xml", 0, &def, &err, NULL), 0);
        cr_assert_null(def);
        cr_assert_not_null(err);
        cr_expect_not_null(strstr(err, "bad.xml:3:"), "%s", err);
        cr_expect_not_null(strstr(err, "seclabel"), "%s", err);
        cr_expect_not_null(strstr(err, "smack"), "%s", err);
        free(err);
        test_assert_no_leaks();
}

/* ---- the live XML ---- */

TestSuite(selinux_live_xml, .init = setup, .fini = teardown);

static char *live_xml(VmDef *def, const SelinuxBaseContexts *b) {
        SelinuxLabels l;
        char *xml = NULL, *err = NULL;

        compute(def, b, &l);
        cr_assert_eq(security_selinux_seclabel_fill(def, &l), 0);
        security_selinux_labels_done(&l);
        cr_assert_eq(domxml_write(def, &xml, &err), 0, "%s", err ?: "?");
        return xml;
}

Test(selinux_live_xml, dynamic) {
        _cleanup_(vm_def_freep) VmDef *def = parse("kvm", "");
        SelinuxBaseContexts b;
        char *xml;

        load_fixture(&b, false);
        xml = live_xml(def, &b);
        /* As libvirt's live XML shows a dynamic label. */
        cr_expect_not_null(strstr(xml,
                "<seclabel type='dynamic' model='selinux' relabel='yes'>\n"
                "    <label>system_u:system_r:svirt_t:s0:c12,c345</label>\n"
                "    <imagelabel>system_u:object_r:svirt_image_t:s0:c12,c345</imagelabel>\n"
                "  </seclabel>"), "%s", xml);
        free(xml);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

Test(selinux_live_xml, static_and_none) {
        _cleanup_(vm_def_freep) VmDef *st = parse("kvm",
                "<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>");
        _cleanup_(vm_def_freep) VmDef *none = parse("kvm", "<seclabel type='none'/>");
        _cleanup_(vm_def_freep) VmDef *dac = parse("kvm", "<seclabel type='none' model='dac'/>");
        SelinuxBaseContexts b;
        char *xml;

        load_fixture(&b, false);
        xml = live_xml(st, &b);
        cr_expect_not_null(strstr(xml,
                "<seclabel type='static' model='selinux' relabel='no'>\n"
                "    <label>system_u:system_r:svirt_t:s0:c1,c2</label>\n"
                "  </seclabel>"), "%s", xml);
        free(xml);
        xml = live_xml(none, &b);
        cr_expect_not_null(strstr(xml, "<seclabel type='none' model='selinux'/>"), "%s", xml);
        free(xml);
        /* The one <seclabel> the model holds is the DAC driver's: left as it is. */
        xml = live_xml(dac, &b);
        cr_expect_not_null(strstr(xml, "<seclabel type='none' model='dac'/>"), "%s", xml);
        free(xml);
        security_selinux_base_done(&b);
        test_assert_no_leaks();
}

/* ---- the host ---- */

Test(selinux_host, detection_and_exec_label) {
        SelinuxLabels l = { .confined = true, .process = (char *) "system_u:system_r:svirt_t:s0:c1,c2" };
        bool selinuxfs = access("/sys/fs/selinux/enforce", F_OK) == 0;
        pid_t pid;
        int status;

        cr_expect_eq(security_selinux_enabled(), selinuxfs);
        if (security_selinux_enabled())
                return;
        /* No SELinux here: the kernel (or a build without libselinux) refuses the exec context, and the
         * child learns it (the supervisor only asks when the driver is active). In a child: nothing
         * leaks into this one. */
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
                _exit(security_selinux_exec_label(&l) < 0 ? 0 : 1);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "setexeccon succeeded without SELinux");
        fprintf(stderr, "selinux: host runs no SELinux; security_selinux_exec_label() refused, as expected\n");
        test_assert_no_leaks();
}

/* ---- file labels ---- */

static const char *label_xattr = "security.selinux";

/* Can root write security.selinux here? If so, everything below is checked through the real xattr,
 * read back with getxattr() beside the driver's own seam; if not, through the seam on a trusted.*
 * xattr. Either way the output says which. */
static void files_setup(void) {
        char *probe;
        int fd;

        setup();
        probe = tmp_path("probe");
        fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        cr_assert_geq(fd, 0);
        close(fd);
        if (setxattr(probe, "security.selinux", "system_u:object_r:foo_t:s0", 27, 0) == 0) {
                label_xattr = "security.selinux";
                fprintf(stderr, "selinux: verified through the real security.selinux xattr on %s (the kernel lets "
                        "root write it without SELinux)\n", tmp);
        } else {
                fprintf(stderr, "selinux: the kernel refuses security.selinux on %s (%m): verified only through "
                        "the labelling seam, on trusted.vmunit-test.selinux\n", tmp);
                label_xattr = "trusted.vmunit-test.selinux";
                security_selinux_file_label_xattr_for_tests(label_xattr);
        }
        cr_assert_eq(unlink(probe), 0);
        free(probe);
}

TestSuite(selinux_files, .init = files_setup, .fini = teardown);

/* The label as the kernel stores it, read without the driver. "" for none. */
static char *raw_label(const char *path) {
        char buf[1100];
        ssize_t n = getxattr(path, label_xattr, buf, sizeof(buf) - 1);

        if (n < 0) {
                cr_assert_eq(errno, ENODATA, "%s: %m", path);
                n = 0;
        }
        while (n > 0 && buf[n - 1] == 0)
                n--;
        buf[n] = 0;
        return strdup(buf);
}

static void assert_label(const char *path, const char *want) {
        char *got = raw_label(path);
        cr_assert_str_eq(got, want, "%s", path);
        free(got);
}

static char *mkfile_labelled(const char *name, const char *label) {
        char *p = write_file(name, "");
        if (label)
                cr_assert_eq(setxattr(p, label_xattr, label, strlen(label) + 1, 0), 0, "%s: %m", p);
        return p;
}

static SecurityResource resource(char *path, SecurityResourceKind kind, bool readonly, bool shared) {
        return (SecurityResource) { .path = path, .kind = kind, .element = "disk", .line = 9,
                                    .readonly = readonly, .shared = shared, .relabel = true };
}

static SelinuxLabels vm_labels(unsigned c1, unsigned c2) {
        SelinuxLabels l = { .confined = true, .dynamic = true, .relabel = true };
        cr_assert_gt(asprintf(&l.process, "system_u:system_r:svirt_t:s0:c%u,c%u", c1, c2), 0);
        cr_assert_gt(asprintf(&l.image, "system_u:object_r:svirt_image_t:s0:c%u,c%u", c1, c2), 0);
        l.shared = strdup("system_u:object_r:svirt_image_t:s0");
        l.content = strdup("system_u:object_r:svirt_content_t:s0");
        return l;
}

static int prepare(SecurityResource *items, size_t n, const SelinuxLabels *l, const char *journal, char **err) {
        SecurityResources res = { .items = items, .n = n };
        SecuritySelinuxOptions o = { .labels = l, .remember = true, .journal = journal,
                                     .domain_path = "/etc/vmunit/domains/t.xml" };
        return security_selinux_prepare(&res, &o, err);
}

Test(selinux_files, labelled_then_restored) {
        char *excl = mkfile_labelled("excl.img", "system_u:object_r:user_tmp_t:s0");
        char *shared = mkfile_labelled("shared.img", NULL);
        char *ro = mkfile_labelled("ro.iso", "system_u:object_r:user_tmp_t:s0");
        char *kernel = mkfile_labelled("vmlinuz", NULL);
        char *nvram = mkfile_labelled("VARS.fd", NULL);
        char *urandom = mkfile_labelled("urandom", "system_u:object_r:random_device_t:s0");
        char *sockdir = tmp_path("sockets"), *missing = tmp_path("missing.img"), *journal = tmp_path("journal");
        char *err = NULL;
        SelinuxLabels l = vm_labels(12, 345);
        SecurityResource r[] = {
                resource(excl, SECURITY_RESOURCE_IMAGE, false, false),
                resource(shared, SECURITY_RESOURCE_IMAGE, false, true),
                resource(ro, SECURITY_RESOURCE_IMAGE, true, false),
                resource(kernel, SECURITY_RESOURCE_BOOT, true, true),
                resource(nvram, SECURITY_RESOURCE_NVRAM, false, false),
                resource(urandom, SECURITY_RESOURCE_DEVICE, true, true),
                resource(sockdir, SECURITY_RESOURCE_SOCKET_DIR, false, false),
                resource(missing, SECURITY_RESOURCE_IMAGE, false, false),
        };

        cr_assert_eq(mkdir(sockdir, 0755), 0);
        cr_assert_eq(prepare(r, ELEMENTSOF(r), &l, journal, &err), 0, "%s", err ?: "?");
        assert_label(excl, "system_u:object_r:svirt_image_t:s0:c12,c345");
        assert_label(shared, "system_u:object_r:svirt_image_t:s0");
        assert_label(ro, "system_u:object_r:svirt_content_t:s0");
        assert_label(kernel, "system_u:object_r:svirt_content_t:s0");
        assert_label(nvram, "system_u:object_r:svirt_image_t:s0:c12,c345");
        assert_label(urandom, "system_u:object_r:random_device_t:s0");      /* host-wide: untouched */
        assert_label(sockdir, "");
        cr_expect_neq(access(missing, F_OK), 0, "a missing image is not created");
        /* The driver's own reader agrees with the kernel's. */
        char *seen = NULL;
        cr_assert_eq(security_selinux_file_label_get(excl, &seen), 0);
        cr_expect_str_eq(seen, "system_u:object_r:svirt_image_t:s0:c12,c345");
        free(seen);

        cr_assert_eq(security_restore(journal, &err), 0, "%s", err ?: "?");
        assert_label(excl, "system_u:object_r:user_tmp_t:s0");
        assert_label(shared, "");       /* had none: the label is removed, not set to "" */
        assert_label(ro, "system_u:object_r:user_tmp_t:s0");
        assert_label(kernel, "");
        assert_label(nvram, "");
        cr_expect_lt(getxattr(shared, label_xattr, NULL, 0), 0);
        cr_expect_lt(getxattr(excl, "trusted.vmunit.selinux", NULL, 0), 0, "the remembered label is dropped");
        cr_expect_neq(access(journal, F_OK), 0);
        security_selinux_labels_done(&l);
        free(excl), free(shared), free(ro), free(kernel), free(nvram), free(urandom);
        free(sockdir), free(missing), free(journal);
        test_assert_no_leaks();
}

Test(selinux_files, shared_disk_restored_by_last_vm) {
        char *disk = mkfile_labelled("cluster.img", "system_u:object_r:user_tmp_t:s0");
        char *ja = tmp_path("journal-a"), *jb = tmp_path("journal-b");
        SelinuxLabels a = vm_labels(1, 2), b = vm_labels(3, 4);
        SecurityResource r = resource(disk, SECURITY_RESOURCE_IMAGE, false, true);
        char buf[128];
        ssize_t n;

        cr_assert_eq(prepare(&r, 1, &a, ja, NULL), 0);
        cr_assert_eq(prepare(&r, 1, &b, jb, NULL), 0);
        assert_label(disk, "system_u:object_r:svirt_image_t:s0");
        n = getxattr(disk, "trusted.vmunit.selinux", buf, sizeof(buf) - 1);
        cr_assert_gt(n, 0);
        buf[n] = 0;
        cr_expect_str_eq(buf, "2 system_u:object_r:user_tmp_t:s0");

        cr_assert_eq(security_restore(ja, NULL), 0);
        assert_label(disk, "system_u:object_r:svirt_image_t:s0");     /* B still runs */
        cr_assert_eq(security_restore(jb, NULL), 0);
        assert_label(disk, "system_u:object_r:user_tmp_t:s0");
        security_selinux_labels_done(&a);
        security_selinux_labels_done(&b);
        free(disk), free(ja), free(jb);
        test_assert_no_leaks();
}

Test(selinux_files, nothing_without_relabel) {
        char *disk = mkfile_labelled("static.img", "system_u:object_r:user_tmp_t:s0"), *journal = tmp_path("j");
        SelinuxLabels l = vm_labels(5, 6);
        SecurityResource r = resource(disk, SECURITY_RESOURCE_IMAGE, false, false);

        l.relabel = false;              /* static label, relabel='no' */
        cr_assert_eq(prepare(&r, 1, &l, journal, NULL), 0);
        assert_label(disk, "system_u:object_r:user_tmp_t:s0");
        cr_expect_neq(access(journal, F_OK), 0, "nothing journalled");
        l.relabel = true;
        r.relabel = false;              /* this resource: relabel='no' */
        cr_assert_eq(prepare(&r, 1, &l, journal, NULL), 0);
        assert_label(disk, "system_u:object_r:user_tmp_t:s0");
        security_selinux_labels_done(&l);
        free(disk), free(journal);
        test_assert_no_leaks();
}

Test(selinux_files, system_file_refused_before_anything_changes) {
        char *disk = mkfile_labelled("first.img", "system_u:object_r:user_tmp_t:s0"), *journal = tmp_path("j");
        char *err = NULL, *passwd_label = NULL;
        SelinuxLabels l = vm_labels(7, 8);
        SecurityResource r[] = {
                resource(disk, SECURITY_RESOURCE_IMAGE, false, false),
                resource((char *) "/etc/passwd", SECURITY_RESOURCE_IMAGE, true, false),
        };

        cr_assert_eq(security_selinux_file_label_get("/etc/passwd", &passwd_label), 0);
        cr_assert_eq(prepare(r, 2, &l, journal, &err), -EPERM);
        cr_expect_not_null(strstr(err, "/etc/vmunit/domains/t.xml:9: <disk> '/etc/passwd': refusing to relabel it: "
                                       "it is in '/etc', a system directory of the host"), "%s", err);
        assert_label(disk, "system_u:object_r:user_tmp_t:s0");
        assert_label("/etc/passwd", passwd_label);
        cr_expect_neq(access(journal, F_OK), 0);
        security_selinux_labels_done(&l);
        free(err), free(passwd_label), free(disk), free(journal);
        test_assert_no_leaks();
}

/* A crash between labelling and the stop: the next supervisor has only the journal. */
Test(selinux_files, crash_journal_reclaimed) {
        char *disk = mkfile_labelled("crash.img", NULL), *journal = tmp_path("j");
        SelinuxLabels l = vm_labels(9, 10);
        SecurityResource r = resource(disk, SECURITY_RESOURCE_IMAGE, false, false);
        int fd;

        cr_assert_eq(prepare(&r, 1, &l, journal, NULL), 0);
        fd = open(journal, O_WRONLY | O_APPEND);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "selinux\0/half", 13), 13);  /* a record cut short */
        close(fd);
        cr_assert_eq(security_restore(journal, NULL), 0);
        assert_label(disk, "");
        security_selinux_labels_done(&l);
        free(disk), free(journal);
        test_assert_no_leaks();
}

/* ---- the check shared by all drivers ---- */

TestSuite(relabel_allowed, .init = setup, .fini = teardown);

static int check_one_path(const char *path, SecurityResourceKind kind, bool readonly, char **err) {
        SecurityResource r = resource((char *) path, kind, readonly, false);
        SecurityResources res = { .items = &r, .n = 1 };
        return security_check_relabel_allowed(&res, "/etc/vmunit/domains/t.xml", err);
}

Test(relabel_allowed, system_directories) {
        static const struct { const char *path; SecurityResourceKind kind; bool ro; int want; } cases[] = {
                { "/", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/disk.img", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/etc/passwd", SECURITY_RESOURCE_IMAGE, true, -EPERM },
                { "/etc", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/bin/sh", SECURITY_RESOURCE_BOOT, true, -EPERM },
                { "/usr/disk.img", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/var/disk.img", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/lib/x", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/proc/self/environ", SECURITY_RESOURCE_IMAGE, true, -EPERM },
                { "/sys/kernel/notes", SECURITY_RESOURCE_IMAGE, true, -EPERM },
                { "/dev", SECURITY_RESOURCE_DEVICE, false, -EPERM },
                { "/dev/no-such-node", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/boot/vmlinuz-test", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/etc/ssh/ssh_host_ed25519_key", SECURITY_RESOURCE_IMAGE, true, -EPERM },
                { "/usr/bin/qemu-system-x86_64", SECURITY_RESOURCE_BOOT, true, -EPERM },
                { "/usr/lib/x86_64-linux-gnu/libc.so.6", SECURITY_RESOURCE_IMAGE, true, -EPERM },
                { "/usr", SECURITY_RESOURCE_IMAGE, false, -EPERM },
                { "/dev/null", SECURITY_RESOURCE_DEVICE, false, 0 },
                { "/dev/shm/vm.img", SECURITY_RESOURCE_IMAGE, false, 0 },
                { "/usr/lib/u-boot/qemu_arm64/u-boot.bin", SECURITY_RESOURCE_BOOT, true, 0 },
                { "/boot/vmlinuz-test", SECURITY_RESOURCE_BOOT, true, 0 },
                { "/usr/share/OVMF/OVMF_CODE.fd", SECURITY_RESOURCE_BOOT, true, 0 },
                { "/var/lib/vmunit/images/a.qcow2", SECURITY_RESOURCE_IMAGE, false, 0 },
                { "/srv/vm/a.img", SECURITY_RESOURCE_IMAGE, false, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *err = NULL;
                cr_expect_eq(check_one_path(cases[i].path, cases[i].kind, cases[i].ro, &err), cases[i].want,
                             "%s: %s", cases[i].path, err ?: "allowed");
                if (cases[i].want < 0)
                        cr_expect(err && strstr(err, "refusing to relabel it"), "%s", err ?: "no message");
                free(err);
        }
        test_assert_no_leaks();
}

Test(relabel_allowed, symlink_resolved) {
        char *link = tmp_path("innocent.img"), *err = NULL;

        cr_assert_eq(symlink("/etc/shadow", link), 0);
        cr_assert_eq(check_one_path(link, SECURITY_RESOURCE_IMAGE, false, &err), -EPERM);
        cr_expect_not_null(strstr(err, "innocent.img': refusing to relabel it (that is '/etc/shadow'): it is in '/etc'"),
                           "%s", err);
        free(err);
        free(link);
        test_assert_no_leaks();
}

Test(relabel_allowed, relabel_no_and_relative) {
        SecurityResource r = resource((char *) "/etc/passwd", SECURITY_RESOURCE_IMAGE, true, false);
        SecurityResources res = { .items = &r, .n = 1 };
        char *err = NULL;

        r.relabel = false;
        cr_expect_eq(security_check_relabel_allowed(&res, "t.xml", NULL), 0, "relabel='no': nothing is touched");
        cr_expect_eq(check_one_path("disk.img", SECURITY_RESOURCE_IMAGE, false, &err), -EINVAL);
        cr_expect_str_eq(err, "/etc/vmunit/domains/t.xml:9: <disk> 'disk.img': the path must be absolute");
        free(err);
        test_assert_no_leaks();
}

/* ---- MCS registry ---- */

TestSuite(selinux_mcs, .init = setup, .fini = teardown);

static char *registry(void) {
        return tmp_path("run/vmunit/selinux");  /* created on first use, parents too */
}

static unsigned count_entries(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        cr_assert_not_null(d, "%s: %m", dir);
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                        n++;
        closedir(d);
        return n;
}

static unsigned pair_index(SelinuxMcs m) {
        return m.c1 * (SELINUX_CATEGORY_MAX + 1) + m.c2;
}

Test(selinux_mcs, thousand_distinct_pairs) {
        char *dir = registry(), name[32];
        static bool seen[(SELINUX_CATEGORY_MAX + 1) * (SELINUX_CATEGORY_MAX + 1)];

        for (unsigned i = 0; i < 1000; i++) {
                SelinuxMcs m;
                snprintf(name, sizeof(name), "vm%u", i);
                cr_assert_eq(security_selinux_mcs_allocate(dir, name, &m), 1, "%s", name);
                cr_assert_lt(m.c1, m.c2);
                cr_assert_leq(m.c2, SELINUX_CATEGORY_MAX);
                cr_assert_not(seen[pair_index(m)], "c%u,c%u handed out twice", m.c1, m.c2);
                seen[pair_index(m)] = true;
        }
        cr_expect_eq(count_entries(dir, "pair-"), 1000);
        cr_expect_eq(count_entries(dir, "vm-"), 1000);
        for (unsigned i = 0; i < 1000; i++) {
                snprintf(name, sizeof(name), "vm%u", i);
                cr_assert_eq(security_selinux_mcs_release(dir, name), 0, "%s", name);
        }
        cr_expect_eq(count_entries(dir, "pair-"), 0);
        cr_expect_eq(count_entries(dir, "vm-"), 0);
        /* The registry is root's alone; the directories made on the way stay searchable. */
        struct stat st;
        char *parent = tmp_path("run/vmunit");
        cr_assert_eq(stat(dir, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0700);
        cr_assert_eq(stat(parent, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0755);
        free(parent);
        free(dir);
        test_assert_no_leaks();
}

Test(selinux_mcs, same_vm_gets_its_pair_back) {
        char *dir = registry();
        SelinuxMcs a, again, other, looked;

        cr_assert_eq(security_selinux_mcs_allocate(dir, "web", &a), 1);
        cr_assert_eq(security_selinux_mcs_allocate(dir, "web", &again), 0, "a restarted supervisor");
        cr_expect(a.c1 == again.c1 && a.c2 == again.c2);
        cr_assert_eq(security_selinux_mcs_lookup(dir, "web", &looked), 0);
        cr_expect(a.c1 == looked.c1 && a.c2 == looked.c2);
        cr_assert_eq(security_selinux_mcs_allocate(dir, "db", &other), 1);
        cr_expect(other.c1 != a.c1 || other.c2 != a.c2);
        cr_assert_eq(security_selinux_mcs_release(dir, "web"), 0);
        cr_expect_eq(security_selinux_mcs_release(dir, "web"), -ENOENT);
        cr_expect_eq(security_selinux_mcs_lookup(dir, "web", &looked), -ENOENT);
        cr_expect_eq(security_selinux_mcs_lookup(dir, "db", &looked), 0);
        cr_expect_eq(security_selinux_mcs_allocate(dir, "../etc", &a), -EINVAL);
        cr_expect_eq(security_selinux_mcs_allocate(dir, "", &a), -EINVAL);
        free(dir);
        test_assert_no_leaks();
}

static bool alive_unless_dead(const char *name, void *userdata) {
        return !streq(name, (const char *) userdata);
}

Test(selinux_mcs, reclaim_gone_vms_and_half_records) {
        char *dir = registry(), *orphan = NULL;
        SelinuxMcs m;

        cr_assert_eq(security_selinux_mcs_allocate(dir, "a", &m), 1);
        cr_assert_eq(security_selinux_mcs_allocate(dir, "b", &m), 1);
        cr_assert_eq(security_selinux_mcs_allocate(dir, "c", &m), 1);
        /* A crash between the pair and the VM link: pair-c1000,c1001 names a VM that holds nothing. */
        cr_assert_gt(asprintf(&orphan, "%s/pair-c1000,c1001", dir), 0);
        cr_assert_eq(symlink("ghost", orphan), 0);

        cr_assert_eq(security_selinux_mcs_reclaim(dir, alive_unless_dead, (void *) "b"), 2);
        cr_expect_eq(security_selinux_mcs_lookup(dir, "b", &m), -ENOENT);
        cr_expect_eq(security_selinux_mcs_lookup(dir, "a", &m), 0);
        cr_expect_eq(security_selinux_mcs_lookup(dir, "c", &m), 0);
        cr_expect_neq(access(orphan, F_OK), 0);
        cr_expect_eq(count_entries(dir, "pair-"), 2);
        cr_expect_eq(security_selinux_mcs_reclaim(dir, alive_unless_dead, (void *) "b"), 0);
        free(orphan);
        free(dir);
        test_assert_no_leaks();
}

/* 32 processes allocating at once, 20 pairs each: every pair distinct. */
Test(selinux_mcs, concurrent_processes, .timeout = 60) {
        enum { CHILDREN = 32, EACH = 20 };
        static bool seen[(SELINUX_CATEGORY_MAX + 1) * (SELINUX_CATEGORY_MAX + 1)];
        char *dir = registry();
        int pipefd[2], status;
        unsigned total = 0;
        SelinuxMcs got;
        pid_t pids[CHILDREN];

        cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
        for (int c = 0; c < CHILDREN; c++) {
                pids[c] = fork();
                cr_assert_geq(pids[c], 0);
                if (pids[c] == 0) {
                        close(pipefd[0]);
                        for (int i = 0; i < EACH; i++) {
                                char name[32];
                                SelinuxMcs m;
                                snprintf(name, sizeof(name), "vm-%d-%d", c, i);
                                if (security_selinux_mcs_allocate(dir, name, &m) != 1 ||
                                    write(pipefd[1], &m, sizeof(m)) != (ssize_t) sizeof(m))
                                        _exit(1);
                        }
                        _exit(0);
                }
        }
        close(pipefd[1]);
        while (read(pipefd[0], &got, sizeof(got)) == (ssize_t) sizeof(got)) {
                cr_assert_lt(got.c1, got.c2);
                cr_assert_leq(got.c2, SELINUX_CATEGORY_MAX);
                cr_assert_not(seen[pair_index(got)], "c%u,c%u handed out twice", got.c1, got.c2);
                seen[pair_index(got)] = true;
                total++;
        }
        close(pipefd[0]);
        for (int c = 0; c < CHILDREN; c++) {
                cr_assert_eq(waitpid(pids[c], &status, 0), pids[c]);
                cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", c);
        }
        cr_assert_eq(total, CHILDREN * EACH);
        cr_expect_eq(count_entries(dir, "pair-"), CHILDREN * EACH);
        cr_expect_eq(count_entries(dir, "vm-"), CHILDREN * EACH);
        free(dir);
        test_assert_no_leaks();
}
