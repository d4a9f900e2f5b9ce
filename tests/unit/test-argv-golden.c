/*
 * Golden-file tests of XML -> QEMU command line (STYLE R25): tests/data/argv/<case>.xml must give
 * exactly <case>.args, or fail as <case>.err says. VMUNIT_TEST_REGENERATE=1 rewrites the .args
 * files; review every regenerated diff against what QEMU 7.2 expects before committing it.
 * The format of both files is described in tests/data/argv/README.md.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "test-util.h"

/* Cases that must build: <case>.xml -> <case>.args */
static const char *good_cases[] = {
#include "golden-cases.inc"
};

/* Cases that must fail: <case>.xml -> <case>.err */
static const char *bad_cases[] = {
#include "error-cases.inc"
};

static void build_case(const char *name, TestBuild *ret) {
        _cleanup_free_ char *rel = test_strdupf("argv/%s.xml", name), *path = test_data_path(rel),
                            *xml = NULL, *filename = test_strdupf("%s.xml", name);
        size_t len;
        int r;

        r = test_read_file(path, &xml, &len);
        cr_assert(r == 0, "%s: %s", path, strerror(-r));
        test_build(xml, len, filename, ret);
}

/* Reports the first line where @expected and @actual differ. */
static void assert_same_text(const char *what, const char *expected, const char *actual) {
        const char *e = expected, *a = actual;
        unsigned line = 1;

        if (streq(expected, actual))
                return;
        while (*e && *a) {
                size_t le = strcspn(e, "\n"), la = strcspn(a, "\n");
                if (le != la || memcmp(e, a, le) != 0)
                        break;
                line++;
                e += le + (e[le] ? 1 : 0);
                a += la + (a[la] ? 1 : 0);
        }
        cr_assert_fail("%s differs at line %u:\n  expected: %.*s\n  actual:   %.*s\n"
                       "(if the change is intended, rerun with VMUNIT_TEST_REGENERATE=1 and review the diff)",
                       what, line, (int) strcspn(e, "\n"), e, (int) strcspn(a, "\n"), a);
}

/* Every JSON-syntax option value must be one JSON object; every other argument must be on one line. */
static void assert_well_formed(const char *name, char **argv) {
        static const char * const json_opts[] = { "-blockdev", "-device", "-object", "-netdev", "-audiodev" };

        cr_assert(argv && argv[0] && argv[0][0] == '/', "%s: argv[0] is not an absolute emulator path", name);
        for (size_t i = 1; argv[i]; i++) {
                bool json = false;
                for (size_t k = 0; k < ELEMENTSOF(json_opts); k++)
                        if (streq(argv[i - 1], json_opts[k]))
                                json = true;
                if (!json || argv[i][0] != '{')
                        continue;
                json_object *o = json_tokener_parse(argv[i]);
                cr_assert(o && json_object_is_type(o, json_type_object), "%s: argument %zu is not a JSON object: %s",
                          name, i, argv[i]);
                json_object_put(o);
        }
}

/* Criterion runs each test in a re-executed copy of this binary: with PIE the parent's pointers mean
 * nothing there, so parameters carry the case name by value, not a const char *. */
typedef struct Case {
        char name[64];
} Case;

static struct criterion_test_params case_params(const char * const *names, size_t n, Case *out) {
        for (size_t i = 0; i < n; i++) {
                cr_assert(strlen(names[i]) < sizeof(out[i].name), "case name too long: %s", names[i]);
                strcpy(out[i].name, names[i]);
        }
        return cr_make_param_array(Case, out, n);
}

ParameterizedTestParameters(argv_golden, builds) {
        static Case cases[ELEMENTSOF(good_cases)];

        return case_params(good_cases, ELEMENTSOF(good_cases), cases);
}

ParameterizedTest(Case *c, argv_golden, builds) {
        const char *name[] = { c->name };
        _cleanup_free_ char *actual = NULL, *again = NULL, *expected = NULL,
                            *rel = test_strdupf("argv/%s.args", *name), *path = test_data_path(rel);
        TestBuild t, t2;
        int r;

        build_case(*name, &t);
        cr_assert(t.r == 0, "%s: %s failed: %s: %s", *name, t.stage, test_errno_name(t.r), strempty(t.error));
        assert_well_formed(*name, t.cmd.argv);
        actual = test_render_args(&t.cmd);
        test_build_done(&t);

        /* the same XML always gives the same command line */
        build_case(*name, &t2);
        cr_assert(t2.r == 0);
        again = test_render_args(&t2.cmd);
        test_build_done(&t2);
        assert_same_text("a second build", actual, again);

        if (test_regenerate()) {
                r = test_write_file(path, actual);
                cr_assert(r == 0, "%s: %s", path, strerror(-r));
        } else {
                r = test_read_file(path, &expected, NULL);
                cr_assert(r == 0, "%s: %s (create it with VMUNIT_TEST_REGENERATE=1, then review it)", path,
                          strerror(-r));
                assert_same_text(path, expected, actual);
        }
        test_assert_no_leaks();
}

/* <case>.err: "errno: ENAME", "stage: parse|build", "message: <substring of the error message>" */
typedef struct ErrSpec {
        char *errno_name, *stage, *message;
} ErrSpec;

static char *err_field(const char *text, const char *key) {
        size_t kl = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, kl) == 0 && l[kl] == ':' && l[kl + 1] == ' ')
                        return strndup(l + kl + 2, strcspn(l + kl + 2, "\n"));
        return NULL;
}

ParameterizedTestParameters(argv_golden, fails) {
        static Case cases[ELEMENTSOF(bad_cases)];

        return case_params(bad_cases, ELEMENTSOF(bad_cases), cases);
}

ParameterizedTest(Case *c, argv_golden, fails) {
        const char *name[] = { c->name };
        _cleanup_free_ char *rel = test_strdupf("argv/%s.err", *name), *path = test_data_path(rel), *text = NULL;
        ErrSpec spec;
        TestBuild t;
        int r;

        r = test_read_file(path, &text, NULL);
        cr_assert(r == 0, "%s: %s", path, strerror(-r));
        spec = (ErrSpec) { err_field(text, "errno"), err_field(text, "stage"), err_field(text, "message") };
        cr_assert(spec.errno_name && spec.stage && spec.message, "%s: needs errno:, stage: and message: lines", path);

        build_case(*name, &t);
        cr_assert(t.r < 0, "%s: expected %s, but it built", *name, spec.errno_name);
        cr_expect_str_eq(test_errno_name(t.r), spec.errno_name, "%s: errno %s, expected %s (%s)", *name,
                         test_errno_name(t.r), spec.errno_name, strempty(t.error));
        cr_expect_str_eq(t.stage, spec.stage, "%s: failed in %s, expected %s (%s)", *name, t.stage, spec.stage,
                         strempty(t.error));
        cr_assert(t.error, "%s: failed without a message", *name);
        cr_expect(strstr(t.error, spec.message), "%s: message\n  '%s'\ndoes not contain\n  '%s'", *name, t.error,
                  spec.message);
        test_build_done(&t);
        free(spec.errno_name);
        free(spec.stage);
        free(spec.message);
        test_assert_no_leaks();
}

/* Every case file in tests/data/argv is listed, and every listed case has its files: a case that is
 * added but not listed would silently never run. */
Test(argv_golden, case_list_matches_files) {
        _cleanup_free_ char *dir = test_data_path("argv");
        DIR *d = opendir(dir);
        unsigned n_xml = 0;

        cr_assert(d, "%s: %m", dir);
        for (struct dirent *de; (de = readdir(d)); ) {
                const char *dot = strrchr(de->d_name, '.');
                _cleanup_free_ char *base = NULL;
                bool good = false, bad = false;

                if (de->d_name[0] == '.' || !dot || (!streq(dot, ".xml") && !streq(dot, ".args") && !streq(dot, ".err")))
                        continue;
                base = strndup(de->d_name, (size_t) (dot - de->d_name));
                for (size_t i = 0; i < ELEMENTSOF(good_cases); i++)
                        good = good || streq(good_cases[i], base);
                for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
                        bad = bad || streq(bad_cases[i], base);
                cr_expect(!(good && bad), "%s is listed as both a good and a bad case", base);
                if (streq(dot, ".xml")) {
                        n_xml++;
                        cr_expect(good || bad, "%s is not listed in golden-cases.inc or error-cases.inc", de->d_name);
                } else if (streq(dot, ".args"))
                        cr_expect(good, "%s has no listed good case", de->d_name);
                else
                        cr_expect(bad, "%s has no listed bad case", de->d_name);
        }
        closedir(d);
        cr_expect_eq(n_xml, ELEMENTSOF(good_cases) + ELEMENTSOF(bad_cases),
                     "%u .xml files, but %zu listed cases (a listed case without its .xml?)", n_xml,
                     ELEMENTSOF(good_cases) + ELEMENTSOF(bad_cases));
        test_assert_no_leaks();
}

/* With vhost-net on the host (the supervisor's option), a virtio NIC on a tap gets vhost=on and a
 * vhostfd right after its tap fd, unless <driver name='qemu'>; other models never. The spawner opens
 * what the fd list says, in that order. */
Test(argv_golden, vhost_net_fds) {
        _cleanup_free_ char *path = test_data_path("argv/net-tap.xml"), *xml = NULL, *error = NULL;
        _cleanup_(qemu_command_done) QemuCommand cmd = {};
        QemuBuildOptions opts = test_build_options();
        VmDef *def = NULL;
        bool found = false;
        size_t len;

        cr_assert_eq(test_read_file(path, &xml, &len), 0);
        cr_assert_eq(domxml_parse_memory(xml, len, "net-tap.xml", 0, &def, &error, NULL), 0);
        opts.vhost_net = true;
        cr_assert_eq(qemu_argv_build(def, &opts, &cmd, &error), 0, "%s", strempty(error));
        cr_assert_eq(cmd.n_fds, 4);
        const QemuFd want[] = {
                { QEMU_FD_TAP, 0, 1729 }, { QEMU_FD_VHOST_NET, 0, 1730 }, { QEMU_FD_TAP, 1, 1731 },
                { QEMU_FD_TAP, 2, 1732 },
        };
        for (unsigned i = 0; i < 4; i++) {
                cr_expect_eq(cmd.fds[i].kind, want[i].kind, "fd %u", i);
                cr_expect_eq(cmd.fds[i].net, want[i].net, "fd %u", i);
                cr_expect_eq(cmd.fds[i].number, want[i].number, "fd %u", i);
        }
        for (char **a = cmd.argv; *a; a++)
                if (strstr(*a, "\"id\":\"hostnet0\"")) {
                        cr_expect_str_eq(*a, "{\"type\":\"tap\",\"fd\":\"1729\",\"vhost\":true,\"vhostfd\":\"1730\","
                                         "\"id\":\"hostnet0\"}");
                        found = true;
                } else if (strstr(*a, "\"id\":\"hostnet2\""))
                        cr_expect_str_eq(*a, "{\"type\":\"tap\",\"fd\":\"1732\",\"id\":\"hostnet2\"}");
        cr_expect(found);
        cr_expect_null(qemu_command_find_fd(&cmd, QEMU_FD_VHOST_VSOCK));
        vm_def_free(def);
}
