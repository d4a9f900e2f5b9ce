/*
 * Host capabilities (lib/capabilities.c) on fake hosts: a temporary tree with emulator directories
 * holding fake executables, a stand-in /dev/kvm, /proc/cpuinfo, sysfs files for AppArmor, SELinux,
 * SMBIOS and IOMMU groups, and SELinux context files. Nothing of the real host is read except the
 * user database (root exists everywhere).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capabilities.h"
#include "cleanup.h"
#include "strv.h"
#include "test-util.h"

typedef struct FakeHost {
        char root[64];
        char *bin, *local, *libexec, *kvm, *cpuinfo, *sysfs, *machine_id, *domain_ctx, *image_ctx;
        const char *dirs[4];
        HostCapsRoots roots;
} FakeHost;

static void put(const char *root, const char *rel, const char *text, mode_t mode) {
        _cleanup_free_ char *path = test_strdupf("%s/%s", root, rel), *dir = strdup(path);
        char *slash;

        cr_assert(dir);
        /* mkdir -p of the parent */
        for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST, "%s: %m", dir);
                *slash = '/';
        }
        cr_assert(test_write_file(path, text) == 0, "%s", path);
        cr_assert(chmod(path, mode) == 0);
}

static const char cpuinfo_2x4x2[] =
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Test CPU @ 2.00GHz\n"
        "physical id\t: 0\nsiblings\t: 8\ncpu cores\t: 4\n\n"
        "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Test CPU @ 2.00GHz\n"
        "physical id\t: 1\nsiblings\t: 8\ncpu cores\t: 4\n\n";

static void fake_host(FakeHost *h) {
        *h = (FakeHost) {};
        strcpy(h->root, "/tmp/vmunit-test-caps.XXXXXX");
        cr_assert(mkdtemp(h->root));
        h->bin = test_strdupf("%s/usr/bin", h->root);
        h->local = test_strdupf("%s/usr/local/bin", h->root);
        h->libexec = test_strdupf("%s/usr/libexec", h->root);
        h->kvm = test_strdupf("%s/dev/kvm", h->root);
        h->cpuinfo = test_strdupf("%s/proc/cpuinfo", h->root);
        h->sysfs = test_strdupf("%s/sys", h->root);
        h->machine_id = test_strdupf("%s/etc/machine-id", h->root);
        h->domain_ctx = test_strdupf("%s/etc/selinux/targeted/contexts/virtual_domain_context", h->root);
        h->image_ctx = test_strdupf("%s/etc/selinux/targeted/contexts/virtual_image_context", h->root);
        h->dirs[0] = h->bin;
        h->dirs[1] = h->local;
        h->dirs[2] = h->libexec;
        h->roots = (HostCapsRoots) {
                .emulator_dirs = h->dirs, .dev_kvm = h->kvm, .proc_cpuinfo = h->cpuinfo, .sysfs = h->sysfs,
                .machine_id = h->machine_id, .arch = "x86_64", .selinux_domain_context = h->domain_ctx,
                .selinux_image_context = h->image_ctx,
        };
        put(h->root, "usr/bin/qemu-system-x86_64", "#!/bin/sh\n", 0755);
        put(h->root, "proc/cpuinfo", cpuinfo_2x4x2, 0644);
        put(h->root, "etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n", 0644);
        cr_assert(mkdir(h->sysfs, 0755) == 0);
}

static void fake_host_done(FakeHost *h) {
        _cleanup_free_ char *rm = test_strdupf("rm -rf '%s'", h->root);

        cr_assert(system(rm) == 0);
        free(h->bin);
        free(h->local);
        free(h->libexec);
        free(h->kvm);
        free(h->cpuinfo);
        free(h->sysfs);
        free(h->machine_id);
        free(h->domain_ctx);
        free(h->image_ctx);
}

/* The defaults of vmunit.conf with QEMU running as root (a user every test host has). */
static void config_root(VmunitConfig *c) {
        cr_assert(config_init(c) == 0);
        free(c->user);
        c->user = strdup("root");
        cr_assert(c->user);
}

static void probe(FakeHost *h, const VmunitConfig *c, HostCaps *caps) {
        cr_assert_eq(host_caps_probe(&h->roots, c, caps), 0);
}

static bool has_note(const HostCaps *c, const char *substring) {
        STRV_FOREACH(n, c->notes)
                if (strstr(*n, substring))
                        return true;
        return false;
}

static char *notes_text(const HostCaps *c) {
        char *s = strdup("");
        STRV_FOREACH(n, c->notes) {
                char *t = test_strdupf("%s%s\n", s, *n);
                free(s);
                s = t;
        }
        return s;
}

Test(capabilities, emulator_discovery) {
        VmunitConfig conf;
        HostCaps caps;
        FakeHost h;
        _cleanup_free_ char *x86 = NULL, *kvm = NULL, *notes = NULL, *i386 = NULL;

        fake_host(&h);
        config_root(&conf);
        put(h.root, "usr/bin/qemu-system-aarch64", "", 0755);          /* an architecture vmunit does not build for */
        put(h.root, "usr/bin/qemu-system-x86_64-microvm", "", 0755);   /* not an architecture */
        put(h.root, "usr/bin/qemu-system-i386", "", 0644);             /* not executable */
        put(h.root, "usr/bin/qemu-img", "", 0755);                     /* not an emulator */
        put(h.root, "usr/libexec/qemu-kvm", "", 0755);                 /* the host's arch: a second x86_64 one */
        put(h.root, "usr/local/bin/xenner", "", 0755);
        probe(&h, &conf, &caps);
        notes = notes_text(&caps);

        x86 = test_strdupf("%s/qemu-system-x86_64", h.bin);
        kvm = test_strdupf("%s/qemu-kvm", h.libexec);
        cr_assert_eq(caps.n_guests, 2, "%s", notes);
        cr_assert_str_eq(caps.guests[0].arch, "x86_64");
        cr_assert_eq(caps.guests[0].wordsize, 64);
        cr_assert_str_eq(caps.guests[0].emulator, x86);
        /* no usable qemu-system-i386: i686 guests run on qemu-system-x86_64, as with libvirt */
        cr_assert_str_eq(caps.guests[1].arch, "i686");
        cr_assert_eq(caps.guests[1].wordsize, 32);
        cr_assert_str_eq(caps.guests[1].emulator, x86);
        cr_assert(has_note(&caps, "qemu-system-aarch64: aarch64 guests are not supported by vmunit"), "%s", notes);
        cr_assert(has_note(&caps, "qemu-system-x86_64-microvm: not an emulator for an architecture"), "%s", notes);
        cr_assert(has_note(&caps, "qemu-kvm: another emulator for x86_64 guests"), "%s", notes);
        cr_assert(has_note(&caps, "xenner: found in"), "%s", notes);
        cr_assert(has_note(&caps, h.local), "%s", notes);
        cr_assert(!has_note(&caps, "qemu-img"), "%s", notes);
        host_caps_done(&caps);

        /* an executable qemu-system-i386 serves i686 itself; qemu-kvm alone serves the host's arch */
        i386 = test_strdupf("%s/qemu-system-i386", h.bin);
        cr_assert(chmod(i386, 0755) == 0);
        cr_assert(unlink(x86) == 0);
        probe(&h, &conf, &caps);
        cr_assert_eq(caps.n_guests, 2);
        cr_assert_str_eq(caps.guests[0].arch, "i686");
        cr_assert(strstr(caps.guests[0].emulator, "/usr/bin/qemu-system-i386"));
        cr_assert_str_eq(caps.guests[1].arch, "x86_64");
        cr_assert_str_eq(caps.guests[1].emulator, kvm);
        host_caps_done(&caps);

        config_done(&conf);
        fake_host_done(&h);
        test_assert_no_leaks();
}

Test(capabilities, xenner_absent_and_no_emulator) {
        VmunitConfig conf;
        HostCaps caps;
        FakeHost h;
        _cleanup_free_ char *x86 = NULL;

        fake_host(&h);
        config_root(&conf);
        x86 = test_strdupf("%s/qemu-system-x86_64", h.bin);
        cr_assert(unlink(x86) == 0);
        probe(&h, &conf, &caps);
        cr_assert_eq(caps.n_guests, 0);
        cr_assert(has_note(&caps, "xenner: not found; Xen guests (os_type xen) are not supported by vmunit"));
        host_caps_done(&caps);
        config_done(&conf);
        fake_host_done(&h);
        test_assert_no_leaks();
}

Test(capabilities, kvm_usable_or_not) {
        VmunitConfig conf;
        HostCaps caps;
        FakeHost h;

        fake_host(&h);
        config_root(&conf);

        /* no /dev/kvm: TCG only */
        probe(&h, &conf, &caps);
        cr_assert(!caps.kvm);
        cr_assert(!caps.guests[0].kvm && !caps.guests[1].kvm);
        cr_assert(has_note(&caps, "KVM is not usable: "));
        host_caps_done(&caps);

        /* a node that opens but is no KVM (/dev/null) */
        h.roots.dev_kvm = "/dev/null";
        probe(&h, &conf, &caps);
        cr_assert(!caps.kvm);
        cr_assert(has_note(&caps, "/dev/null does not speak KVM API version 12"));
        host_caps_done(&caps);

        /* read-only for us: not usable */
        h.roots.dev_kvm = h.kvm;
        put(h.root, "dev/kvm", "", 0444);
        if (geteuid() != 0) {           /* root opens it anyway */
                probe(&h, &conf, &caps);
                cr_assert(!caps.kvm);
                host_caps_done(&caps);
        }

        /* usable: both x86 guests get <domain type='kvm'/>, a guest of another architecture would not */
        cr_assert(chmod(h.kvm, 0666) == 0);
        probe(&h, &conf, &caps);
        cr_assert(caps.kvm);
        cr_assert(caps.guests[0].kvm && caps.guests[1].kvm);
        host_caps_done(&caps);

        h.roots.arch = "aarch64";       /* an aarch64 host running x86 emulators: TCG */
        probe(&h, &conf, &caps);
        cr_assert(caps.kvm);
        cr_assert(!caps.guests[0].kvm && !caps.guests[1].kvm);
        host_caps_done(&caps);

        config_done(&conf);
        fake_host_done(&h);
        test_assert_no_leaks();
}

static const char *secmodels(const HostCaps *c, char buf[static 128]) {
        buf[0] = 0;
        for (size_t i = 0; i < c->n_secmodels; i++)
                snprintf(buf + strlen(buf), 128 - strlen(buf), "%s%s", i ? " " : "", c->secmodels[i].model);
        return buf;
}

Test(capabilities, secmodel_per_config) {
        VmunitConfig conf;
        HostCaps caps;
        FakeHost h;
        char buf[128];

        fake_host(&h);
        config_root(&conf);

        /* detect on a host with neither: DAC alone, QEMU's user and group as base label */
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "dac");
        cr_assert_str_eq(caps.secmodels[0].baselabel_kvm, "+0:+0");
        cr_assert_str_eq(caps.secmodels[0].baselabel_qemu, "+0:+0");
        host_caps_done(&caps);

        /* AppArmor enabled: apparmor, then dac */
        put(h.root, "sys/module/apparmor/parameters/enabled", "Y\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "apparmor dac");
        cr_assert_null(caps.secmodels[0].baselabel_kvm);
        host_caps_done(&caps);
        put(h.root, "sys/module/apparmor/parameters/enabled", "N\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "dac");
        host_caps_done(&caps);

        /* SELinux enabled: base labels from the policy's virtual_domain_context */
        put(h.root, "sys/fs/selinux/enforce", "1", 0644);
        put(h.root, "etc/selinux/targeted/contexts/virtual_domain_context",
            "system_u:system_r:svirt_t:s0\nsystem_u:system_r:svirt_tcg_t:s0\n", 0644);
        put(h.root, "etc/selinux/targeted/contexts/virtual_image_context",
            "system_u:object_r:svirt_image_t:s0\nsystem_u:object_r:virt_content_t:s0\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "selinux dac");
        cr_assert_str_eq(caps.secmodels[0].baselabel_kvm, "system_u:system_r:svirt_t:s0");
        cr_assert_str_eq(caps.secmodels[0].baselabel_qemu, "system_u:system_r:svirt_tcg_t:s0");
        host_caps_done(&caps);

        /* a broken context file: the model is shown, its labels are not, and the note says why */
        put(h.root, "etc/selinux/targeted/contexts/virtual_domain_context", "not a context\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "selinux dac");
        cr_assert_null(caps.secmodels[0].baselabel_kvm);
        cr_assert(has_note(&caps, "selinux: no base labels: "));
        cr_assert(has_note(&caps, "virtual_domain_context:1: invalid SELinux"));
        host_caps_done(&caps);

        /* security_driver = "none" */
        conf.security_driver = strv_free(conf.security_driver);
        cr_assert(strv_extend(&conf.security_driver, "none") == 0);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "none");
        host_caps_done(&caps);

        /* [ "apparmor", "dac" ] with AppArmor off: only dac, and a note */
        conf.security_driver = strv_free(conf.security_driver);
        cr_assert(strv_extend(&conf.security_driver, "apparmor") == 0 && strv_extend(&conf.security_driver, "dac") == 0);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "dac");
        cr_assert(has_note(&caps, "apparmor: named in vmunit.conf's security_driver, but not enabled on this host"));
        host_caps_done(&caps);

        /* numeric user and group, as libvirt writes them */
        free(conf.user);
        conf.user = strdup("+0");
        conf.group = strdup("+5");
        probe(&h, &conf, &caps);
        cr_assert_str_eq(caps.secmodels[0].baselabel_kvm, "+0:+5");
        host_caps_done(&caps);

        /* a user that does not exist: no base label, a note naming it */
        free(conf.user);
        conf.user = strdup("vmunit-no-such-user");
        probe(&h, &conf, &caps);
        cr_assert_str_eq(secmodels(&caps, buf), "dac");
        cr_assert_null(caps.secmodels[0].baselabel_kvm);
        cr_assert(has_note(&caps, "QEMU's user 'vmunit-no-such-user' (vmunit.conf) does not exist"));
        host_caps_done(&caps);

        config_done(&conf);
        fake_host_done(&h);
        test_assert_no_leaks();
}

Test(capabilities, host_facts_and_xml) {
        static const char expected[] =
                "<capabilities>\n"
                "  <host>\n"
                "    <uuid>4c4c4544-0051-3910-8057-b2c04f4e4e32</uuid>\n"
                "    <cpu>\n"
                "      <arch>x86_64</arch>\n"
                "      <model>Intel(R) Xeon(R) Test CPU @ 2.00GHz</model>\n"
                "      <vendor>Intel</vendor>\n"
                "      <topology sockets='2' dies='1' cores='4' threads='2'/>\n"
                "    </cpu>\n"
                "    <iommu support='yes'/>\n"
                "    <secmodel>\n"
                "      <model>apparmor</model>\n"
                "      <doi>0</doi>\n"
                "    </secmodel>\n"
                "    <secmodel>\n"
                "      <model>dac</model>\n"
                "      <doi>0</doi>\n"
                "      <baselabel type='kvm'>+0:+0</baselabel>\n"
                "      <baselabel type='qemu'>+0:+0</baselabel>\n"
                "    </secmodel>\n"
                "  </host>\n"
                "  <guest>\n"
                "    <os_type>hvm</os_type>\n"
                "    <arch name='x86_64'>\n"
                "      <wordsize>64</wordsize>\n"
                "      <emulator>@BIN@/qemu-system-x86_64</emulator>\n"
                "      <domain type='qemu'/>\n"
                "      <domain type='kvm'/>\n"
                "    </arch>\n"
                "  </guest>\n"
                "  <guest>\n"
                "    <os_type>hvm</os_type>\n"
                "    <arch name='i686'>\n"
                "      <wordsize>32</wordsize>\n"
                "      <emulator>@BIN@/qemu-system-x86_64</emulator>\n"
                "      <domain type='qemu'/>\n"
                "      <domain type='kvm'/>\n"
                "    </arch>\n"
                "  </guest>\n"
                "  <!-- xenner: not found; Xen guests (os_type xen) are not supported by vmunit -->\n"
                "</capabilities>\n";
        _cleanup_free_ char *xml = NULL, *error = NULL, *want = NULL;
        VmunitConfig conf;
        HostCaps caps;
        FakeHost h;
        const char *at;

        fake_host(&h);
        config_root(&conf);
        put(h.root, "dev/kvm", "", 0666);
        put(h.root, "sys/module/apparmor/parameters/enabled", "Y\n", 0644);
        put(h.root, "sys/class/dmi/id/product_uuid", "4C4C4544-0051-3910-8057-B2C04F4E4E32\n", 0644);
        put(h.root, "sys/kernel/iommu_groups/0/type", "DMA\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_eq(host_caps_format_xml(&caps, &xml, &error), 0, "%s", error);
        at = strstr(expected, "@BIN@");
        want = test_strdupf("%.*s%s%.*s%s%s", (int) (at - expected), expected, h.bin,
                            (int) (strstr(at + 5, "@BIN@") - at - 5), at + 5, h.bin, strstr(at + 5, "@BIN@") + 5);
        cr_assert_str_eq(xml, want);
        host_caps_done(&caps);

        /* without SMBIOS: the machine ID as UUID; a cpuinfo without topology lines: one socket */
        put(h.root, "sys/class/dmi/id/product_uuid", "00000000-0000-0000-0000-000000000000\n", 0644);
        put(h.root, "proc/cpuinfo", "processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\n", 0644);
        probe(&h, &conf, &caps);
        cr_assert_str_eq(caps.uuid, "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4");
        cr_assert_eq(caps.sockets, 1);
        cr_assert_eq(caps.cores, 3);
        cr_assert_eq(caps.threads, 1);
        cr_assert_null(caps.cpu_model);
        host_caps_done(&caps);

        config_done(&conf);
        fake_host_done(&h);
        test_assert_no_leaks();
}

Test(capabilities, notes_cannot_break_the_xml) {
        HostCaps caps = { .arch = strdup("x86_64") };
        _cleanup_free_ char *xml = NULL;

        cr_assert(strv_extend(&caps.notes, "a -- b --> c -") == 0);
        cr_assert(strv_extend(&caps.notes, "ctrl \x01 and bad utf-8 \xff") == 0);
        cr_assert_eq(host_caps_format_xml(&caps, &xml, NULL), 0);
        cr_assert(strstr(xml, "<!-- a - - b - -> c -  -->"), "%s", xml);
        cr_assert(strstr(xml, "<!-- ctrl ? and bad utf-8 ? -->"), "%s", xml);
        host_caps_done(&caps);
        test_assert_no_leaks();
}
