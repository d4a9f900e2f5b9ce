/*
 * vmunit.conf parser (lib/config.c): defaults, every key, libvirt qemu.conf syntax, and strict
 * errors that name FILE:LINE.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-plan.h"
#include "config.h"
#include "strv.h"

static int parse(VmunitConfig *c, const char *text, char **ret_error) {
        cr_assert_eq(config_init(c), 0);
        return config_parse(c, text, strlen(text), "vmunit.conf", ret_error);
}

/* Parses @text, which must fail with exactly @message. */
static void expect_error(const char *text, const char *message) {
        VmunitConfig c;
        char *error = NULL;

        cr_assert_eq(parse(&c, text, &error), -EINVAL, "accepted: %s", text);
        cr_assert_not_null(error);
        cr_expect_str_eq(error, message, "for: %s", text);
        free(error);
        config_done(&c);
}

Test(config, defaults) {
        VmunitConfig c;

        cr_assert_eq(config_init(&c), 0);
        cr_expect_str_eq(c.user, "vmunit-qemu");
        cr_expect_null(c.group);
        cr_expect_null(c.security_driver);
        cr_expect(c.dynamic_ownership);
        cr_expect(c.remember_owner);
        cr_expect_null(c.cgroup_device_acl);
        cr_expect(c.seccomp_sandbox);
        cr_expect_eq(c.shutdown_timeout_usec, 60ULL * 1000000ULL);
        cr_expect_eq(c.max_processes, 0);
        cr_expect_str_eq(c.hugetlbfs_mount, "/dev/hugepages");
        cr_expect_str_eq(c.spice_tls_x509_cert_dir, "/etc/pki/libvirt-spice");
        config_done(&c);
}

Test(config, empty_and_comments_keep_defaults) {
        VmunitConfig c;

        cr_assert_eq(parse(&c, "", NULL), 0);
        config_done(&c);
        cr_assert_eq(parse(&c, "\n# only a comment\n   \t\n#user = \"root\"\n", NULL), 0);
        cr_expect_str_eq(c.user, "vmunit-qemu");
        config_done(&c);
}

Test(config, every_key) {
        static const char text[] =
                "# vmunit.conf\n"
                "user = \"qemu\"\n"
                "group = kvm        # bare words are fine too\n"
                "security_driver = [ \"selinux\", \"dac\" ]\n"
                "dynamic_ownership = 0\n"
                "remember_owner = no\n"
                "cgroup_device_acl = [\n"
                "    \"/dev/null\", \"/dev/full\",   # comments inside a list\n"
                "    \"/dev/kvm\",\n"
                "    char-pts, \"block-sd\",\n"
                "]\n"
                "seccomp_sandbox = false\n"
                "shutdown_timeout = 120\n"
                "max_processes = 512\n"
                "hugetlbfs_mount = \"/mnt/huge\"\n"
                "spice_tls_x509_cert_dir = \"/etc/pki/vmunit-spice\"";     /* no final newline */
        VmunitConfig c;
        char *error = NULL;

        cr_assert_eq(parse(&c, text, &error), 0, "%s", error ?: "");
        cr_expect_str_eq(c.user, "qemu");
        cr_expect_str_eq(c.group, "kvm");
        cr_assert_eq(strv_length(c.security_driver), 2);
        cr_expect_str_eq(c.security_driver[0], "selinux");
        cr_expect_str_eq(c.security_driver[1], "dac");
        cr_expect_not(c.dynamic_ownership);
        cr_expect_not(c.remember_owner);
        cr_assert_eq(strv_length(c.cgroup_device_acl), 5);
        cr_expect_str_eq(c.cgroup_device_acl[0], "/dev/null");
        cr_expect_str_eq(c.cgroup_device_acl[2], "/dev/kvm");
        cr_expect_str_eq(c.cgroup_device_acl[3], "char-pts");
        cr_expect_str_eq(c.cgroup_device_acl[4], "block-sd");
        cr_expect_not(c.seccomp_sandbox);
        cr_expect_eq(c.shutdown_timeout_usec, 120ULL * 1000000ULL);
        cr_expect_eq(c.max_processes, 512);
        cr_expect_str_eq(c.hugetlbfs_mount, "/mnt/huge");
        cr_expect_str_eq(c.spice_tls_x509_cert_dir, "/etc/pki/vmunit-spice");
        config_done(&c);
}

/* The lines of libvirt's own qemu.conf for keys we share parse unchanged. */
Test(config, libvirt_qemu_conf_lines) {
        static const char text[] =
                "#       user = \"qemu\"   # A user named \"qemu\"\n"
                "user = \"+0\"\n";
        static const char text2[] =
                "security_driver = \"none\"\n"
                "cgroup_device_acl = [\n"
                "    \"/dev/null\", \"/dev/full\", \"/dev/zero\",\n"
                "    \"/dev/random\", \"/dev/urandom\",\n"
                "    \"/dev/ptmx\", \"/dev/kvm\",\n"
                "    \"/dev/userfaultfd\"\n"
                "]\n"
                "seccomp_sandbox = 1\n"
                "max_processes = 0\n"
                "dynamic_ownership = 1\n"
                "remember_owner = 1\r\n";
        VmunitConfig c;
        char *error = NULL;

        /* libvirt's "+0": uid 0, given as a number. */
        cr_assert_eq(parse(&c, text, &error), 0, "%s", error ?: "");
        cr_expect_str_eq(c.user, "+0");
        config_done(&c);

        cr_assert_eq(parse(&c, text2, &error), 0, "%s", error ?: "");
        cr_assert_eq(strv_length(c.security_driver), 1);
        cr_expect_str_eq(c.security_driver[0], "none");
        cr_expect_eq(strv_length(c.cgroup_device_acl), 8);
        cr_expect_str_eq(c.cgroup_device_acl[7], "/dev/userfaultfd");
        config_done(&c);
}

Test(config, quoted_strings) {
        VmunitConfig c;

        cr_assert_eq(parse(&c, "hugetlbfs_mount = \"/mnt/a \\\"b\\\" \\\\c#d\"\n", NULL), 0);
        cr_expect_str_eq(c.hugetlbfs_mount, "/mnt/a \"b\" \\c#d");
        config_done(&c);
}

Test(config, empty_acl_list_is_an_empty_list) {
        VmunitConfig c;

        cr_assert_eq(parse(&c, "cgroup_device_acl = [ ]\n", NULL), 0);
        cr_assert_not_null(c.cgroup_device_acl);
        cr_expect_eq(strv_length(c.cgroup_device_acl), 0);
        config_done(&c);
}

Test(config, numbers_and_booleans) {
        VmunitConfig c;

        cr_assert_eq(parse(&c, "shutdown_timeout = 0\nmax_processes = 4194304\n", NULL), 0);
        cr_expect_eq(c.shutdown_timeout_usec, 0);
        cr_expect_eq(c.max_processes, 4194304);
        config_done(&c);
        cr_assert_eq(parse(&c, "shutdown_timeout = 86400\nseccomp_sandbox = yes\n", NULL), 0);
        cr_expect_eq(c.shutdown_timeout_usec, 86400ULL * 1000000ULL);
        cr_expect(c.seccomp_sandbox);
        config_done(&c);
}

Test(config, unknown_and_duplicate_keys) {
        expect_error("user = qemu\nusr = qemu\n", "vmunit.conf:2: unknown setting 'usr'");
        expect_error("vnc_listen = \"0.0.0.0\"\n", "vmunit.conf:1: unknown setting 'vnc_listen'");
        expect_error("user = a\n\nuser = b\n", "vmunit.conf:3: 'user' is set twice (first on line 1)");
        expect_error("User = a\n", "vmunit.conf:1: unknown setting 'User'");
}

Test(config, syntax_errors) {
        expect_error("user qemu\n", "vmunit.conf:1: expected '=' after 'user', got a word");
        expect_error("user =\n", "vmunit.conf:1: user: expected a value after '=', got the end of the line");
        expect_error("= qemu\n", "vmunit.conf:1: expected a setting name, got '='");
        expect_error("user = qemu kvm\n", "vmunit.conf:1: user: expected the end of the line after the value, got a word");
        expect_error("user = \"qemu\n", "vmunit.conf:1: unterminated quoted string");
        expect_error("user = \"q\\nemu\"\n", "vmunit.conf:1: in a quoted string only \\\" and \\\\ are escapes");
        expect_error("\n\ncgroup_device_acl = [ \"/dev/null\"\n  \"/dev/kvm\" ]\n",
                     "vmunit.conf:4: cgroup_device_acl: expected ',' or ']' after a list item, got a quoted string");
        expect_error("cgroup_device_acl = [ \"/dev/null\",\n",
                     "vmunit.conf:2: cgroup_device_acl: expected a list item or ']', got the end of the file (is a ']' missing?)");
        expect_error("cgroup_device_acl = [ , ]\n",
                     "vmunit.conf:1: cgroup_device_acl: expected a list item or ']', got ','");
        expect_error("user = q\x01\n", "vmunit.conf:1: unexpected character 0x01");
}

Test(config, nul_byte) {
        VmunitConfig c;
        char *error = NULL;

        cr_assert_eq(config_init(&c), 0);
        cr_assert_eq(config_parse(&c, "user = a\0b\n", 11, "x.conf", &error), -EINVAL);
        cr_expect_str_eq(error, "x.conf:1: the file contains a NUL byte");
        free(error);
        config_done(&c);
}

Test(config, bad_values) {
        expect_error("user = \"\"\n", "vmunit.conf:1: user: '' is not a valid user or group name or number");
        expect_error("group = \"a b\"\n", "vmunit.conf:1: group: 'a b' is not a valid user or group name or number");
        expect_error("user = 4294967295\n", "vmunit.conf:1: user: '4294967295' is not a valid user or group name or number");
        expect_error("user = +\n", "vmunit.conf:1: user: '+' is not a valid user or group name or number");
        expect_error("user = +qemu\n", "vmunit.conf:1: user: '+qemu' is not a valid user or group name or number");
        expect_error("user = [ qemu ]\n", "vmunit.conf:1: user: expected a single value, not a list");
        expect_error("dynamic_ownership = 2\n", "vmunit.conf:1: dynamic_ownership: expected 0 or 1, got '2'");
        expect_error("seccomp_sandbox = -1\n", "vmunit.conf:1: seccomp_sandbox: expected 0 or 1, got '-1'");
        expect_error("shutdown_timeout = 86401\n",
                     "vmunit.conf:1: shutdown_timeout: expected seconds from 0 to 86400, got '86401'");
        expect_error("shutdown_timeout = 10s\n",
                     "vmunit.conf:1: shutdown_timeout: expected seconds from 0 to 86400, got '10s'");
        expect_error("shutdown_timeout = 010\n",
                     "vmunit.conf:1: shutdown_timeout: expected seconds from 0 to 86400, got '010'");
        expect_error("max_processes = 99999999999999999999999\n",
                     "vmunit.conf:1: max_processes: expected a number from 0 to 4194304, got '99999999999999999999999'");
        expect_error("hugetlbfs_mount = dev/hugepages\n",
                     "vmunit.conf:1: hugetlbfs_mount: 'dev/hugepages' is not an absolute, normalized path");
        expect_error("spice_tls_x509_cert_dir = /etc/../pki\n",
                     "vmunit.conf:1: spice_tls_x509_cert_dir: '/etc/../pki' is not an absolute, normalized path");
        expect_error("hugetlbfs_mount = //dev\n",
                     "vmunit.conf:1: hugetlbfs_mount: '//dev' is not an absolute, normalized path");
}

Test(config, device_acl_values) {
        expect_error("cgroup_device_acl = \"/dev/null\"\n",
                     "vmunit.conf:1: cgroup_device_acl: expected a list, like [ \"/dev/null\", \"/dev/kvm\" ]");
        expect_error("cgroup_device_acl = [ \"/etc/passwd\" ]\n",
                     "vmunit.conf:1: cgroup_device_acl: '/etc/passwd' is neither a device node path under /dev/ "
                     "nor a device class like char-pts or block-sd");
        expect_error("cgroup_device_acl = [ \"/dev/../etc/shadow\" ]\n",
                     "vmunit.conf:1: cgroup_device_acl: '/dev/../etc/shadow' is neither a device node path under /dev/ "
                     "nor a device class like char-pts or block-sd");
        expect_error("cgroup_device_acl = [ \"/dev/\" ]\n",
                     "vmunit.conf:1: cgroup_device_acl: '/dev/' is neither a device node path under /dev/ "
                     "nor a device class like char-pts or block-sd");
        expect_error("cgroup_device_acl = [ \"char-\" ]\n",
                     "vmunit.conf:1: cgroup_device_acl: 'char-' is neither a device node path under /dev/ "
                     "nor a device class like char-pts or block-sd");
        expect_error("cgroup_device_acl = [ \"/dev/kvm\", \"/dev/kvm\" ]\n",
                     "vmunit.conf:1: cgroup_device_acl: '/dev/kvm' is listed twice");
}

Test(config, security_driver_values) {
        expect_error("security_driver = \"smack\"\n",
                     "vmunit.conf:1: security_driver: unknown security driver 'smack' (known: dac, selinux, apparmor, none)");
        expect_error("security_driver = [ \"none\", \"dac\" ]\n",
                     "vmunit.conf:1: security_driver: 'none' cannot be combined with other drivers");
        expect_error("security_driver = [ selinux, selinux ]\n",
                     "vmunit.conf:1: security_driver: 'selinux' is listed twice");
        expect_error("security_driver = [ ]\n",
                     "vmunit.conf:1: security_driver: the list is empty (leave the key out to detect the drivers)");
}

static int parse_session(VmunitConfig *c, const char *text, char **ret_error) {
        cr_assert_eq(config_init_session(c), 0);
        return config_parse(c, text, strlen(text), "vmunit.conf", ret_error);
}

/* The session instance: QEMU as the caller, DAC checking only; the rest as for the system. */
Test(config, session_defaults) {
        VmunitConfig c;
        char want[32];

        cr_assert_eq(config_init_session(&c), 0);
        snprintf(want, sizeof(want), "+%u", (unsigned) getuid());
        cr_expect_str_eq(c.user, want);
        cr_expect_null(c.group);
        cr_assert_eq(strv_length(c.security_driver), 1);
        cr_expect_str_eq(c.security_driver[0], "dac");
        cr_expect_not(c.dynamic_ownership);
        cr_expect(c.seccomp_sandbox);
        cr_expect_eq(c.shutdown_timeout_usec, 60ULL * 1000000ULL);
        cr_expect(c.session);
        config_done(&c);
}

/* What needs privileges is refused at its line in the session instance, accepted by the system's. */
Test(config, session_refuses_privileged_settings) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "shutdown_timeout = 5\ndynamic_ownership = 1\n",
                  "vmunit.conf:2: dynamic_ownership: the session instance cannot hand files to another user, QEMU "
                  "runs as you; set it to 0 or leave it out" },
                { "security_driver = [ \"dac\",\n  \"selinux\" ]\n",
                  "vmunit.conf:1: security_driver: 'selinux' labels files or loads profiles, which the session "
                  "instance has no privilege for; use 'dac' or 'none'" },
                { "# comment\nsecurity_driver = \"apparmor\"\n",
                  "vmunit.conf:2: security_driver: 'apparmor' labels files or loads profiles, which the session "
                  "instance has no privilege for; use 'dac' or 'none'" },
        };
        VmunitConfig c;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *error = NULL;

                cr_expect_eq(parse_session(&c, cases[i].text, &error), -EINVAL, "accepted: %s", cases[i].text);
                cr_expect_str_eq(error ?: "(none)", cases[i].error);
                free(error);
                config_done(&c);

                cr_expect_eq(parse(&c, cases[i].text, NULL), 0, "the system instance refused: %s", cases[i].text);
                config_done(&c);
        }
}

Test(config, session_accepts_the_rest) {
        VmunitConfig c;

        cr_assert_eq(parse_session(&c, "security_driver = \"none\"\ndynamic_ownership = 0\nremember_owner = 1\n"
                                       "shutdown_timeout = 20\nuser = \"alice\"\n", NULL), 0);
        cr_expect_str_eq(c.security_driver[0], "none");
        cr_expect_not(c.dynamic_ownership);
        cr_expect_eq(c.shutdown_timeout_usec, 20ULL * 1000000ULL);
        cr_expect_str_eq(c.user, "alice");      /* whether that is the caller, the supervisor checks */
        config_done(&c);
}

/* The configured ACL replaces the seed list in the scope's plan, as libvirt's does. */
Test(config, acl_feeds_the_cgroup_plan) {
        VmunitConfig c;
        VmDef def = {};
        CgroupPlan p;

        cr_assert_eq(parse(&c, "cgroup_device_acl = [ \"/dev/null\", \"/dev/vmunit-extra\" ]\n", NULL), 0);
        cr_assert_eq(cgroup_plan_build(&def, (const char * const *) c.cgroup_device_acl, &p), 0);
        cr_assert_eq(p.n_devices, 3);
        cr_expect_str_eq(p.devices[0].path, "/dev/null");
        cr_expect_str_eq(p.devices[1].path, "/dev/vmunit-extra");
        cr_expect_str_eq(p.devices[2].path, "char-pts");
        cgroup_plan_done(&p);
        config_done(&c);
}

Test(config, load_file) {
        char path[] = "/tmp/vmunit-test-config-XXXXXX";
        VmunitConfig c;
        char *error = NULL;
        int fd;

        cr_assert_eq(config_init(&c), 0);
        cr_expect_eq(config_load(&c, "/nonexistent/vmunit.conf", &error), -ENOENT);
        cr_expect_null(error);

        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "user = qemu\nbogus = 1\n", 22), 22);
        close(fd);
        cr_expect_eq(config_load(&c, path, &error), -EINVAL);
        cr_assert_not_null(error);
        char *want = NULL;
        cr_assert_gt(asprintf(&want, "%s:2: unknown setting 'bogus'", path), 0);
        cr_expect_str_eq(error, want);
        free(want);
        free(error);
        unlink(path);
        cr_expect_eq(config_load(&c, "/tmp", NULL), -EBADFD);
        config_done(&c);
}

/* The shipped etc/vmunit.conf parses as it is (everything commented out), and with its commented
 * settings switched on it still parses and documents the compiled-in defaults. */
Test(config, shipped_default_file) {
        const char *path = getenv("VMUNIT_DEFAULT_CONF");
        VmunitConfig c, d;
        char *error = NULL, *text = NULL, *out = NULL;
        size_t size = 0, out_size = 0;
        FILE *f, *o;
        char line[1024];

        cr_assert_not_null(path, "VMUNIT_DEFAULT_CONF is not set (run through meson test)");
        cr_assert_eq(config_init(&c), 0);
        cr_assert_eq(config_load(&c, path, &error), 0, "%s", error ?: "");
        cr_expect_str_eq(c.user, CONFIG_DEFAULT_USER);
        cr_expect_null(c.cgroup_device_acl);
        config_done(&c);

        /* Uncomment "#key = ..." lines and the lines of a commented list. */
        f = fopen(path, "re");
        cr_assert_not_null(f);
        o = open_memstream(&out, &out_size);
        cr_assert_not_null(o);
        while (fgets(line, sizeof(line), f)) {
                bool setting = line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = ");
                bool list_line = startswith(line, "#    \"") || startswith(line, "#]");
                fputs(setting || list_line ? line + 1 : line, o);
        }
        fclose(f);
        fclose(o);
        text = out;
        size = out_size;

        cr_assert_eq(config_init(&c), 0);
        cr_assert_eq(config_init(&d), 0);
        cr_assert_eq(config_parse(&c, text, size, "uncommented", &error), 0, "%s", error ?: "");
        cr_expect_str_eq(c.user, d.user);
        cr_expect_eq(c.dynamic_ownership, d.dynamic_ownership);
        cr_expect_eq(c.remember_owner, d.remember_owner);
        cr_expect_eq(c.seccomp_sandbox, d.seccomp_sandbox);
        cr_expect_eq(c.shutdown_timeout_usec, d.shutdown_timeout_usec);
        cr_expect_eq(c.max_processes, d.max_processes);
        cr_expect_str_eq(c.hugetlbfs_mount, d.hugetlbfs_mount);
        cr_expect_str_eq(c.spice_tls_x509_cert_dir, d.spice_tls_x509_cert_dir);
        /* The documented list is the compiled-in seed list, in order. */
        size_t n = 0;
        for (; cgroup_device_acl_default[n]; n++) {
                cr_assert_lt(n, strv_length(c.cgroup_device_acl));
                cr_expect_str_eq(c.cgroup_device_acl[n], cgroup_device_acl_default[n]);
        }
        cr_expect_eq(strv_length(c.cgroup_device_acl), n);
        /* The examples for the two keys whose default is "derived": the user's group, detection. */
        cr_expect_str_eq(strempty(c.group), CONFIG_DEFAULT_USER);
        cr_expect_eq(strv_length(c.security_driver), 1);
        config_done(&c);
        config_done(&d);
        free(text);
}
