/*
 * AppArmor sVirt profiles (lib/apparmor-rules.c, lib/apparmor-profile.c):
 *   - golden .files for the domains in tests/data/apparmor/ (VMUNIT_TEST_REGENERATE=1 rewrites them);
 *   - the rules checked against the QEMU command line built from the same domain: every host path
 *     the command line names is allowed, and every rule stands for a path the command line names
 *     (or one QEMU opens on its own: listed below), over the argv golden domains and the shared
 *     conformance corpus, whose profiles the real apparmor_parser -Q must also accept;
 *   - hostile paths: quoted and escaped so that the real parser reads each as itself (checked in
 *     its expression tree), or refused with the file, line and element;
 *   - writing: the profile from the shipped template only once (an admin's edit is kept), .files
 *     every time, atomically, and nothing left behind on failure.
 * VMUNIT_APPARMOR_DIR is the tree's etc/apparmor.d (the template and the vmunit-qemu abstraction).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apparmor-profile.h"
#include "cleanup.h"
#include "qemu-cmdline-parse.h"
#include "strv.h"
#include "test-util.h"

#define TEST_LOG "/var/log/vmunit/test.log"
#define TEST_UUID "4b3e8d1a-62f0-4c55-9a8e-0a1b2c3d4e01"

static const char *apparmor_dir(void) {
        const char *d = getenv("VMUNIT_APPARMOR_DIR");

        cr_assert(d && *d, "VMUNIT_APPARMOR_DIR is not set: run the tests through 'meson test'");
        return d;
}

static AppArmorOptions test_options(const QemuBuildOptions *build, const char *filename) {
        return (AppArmorOptions) { .filename = filename, .build = build, .log_path = TEST_LOG };
}

static char *read_text(const char *path) {
        char *s = NULL;
        size_t len;
        int r;

        r = test_read_file(path, &s, &len);
        cr_assert(r == 0, "%s: %s", path, strerror(-r));
        return s;
}

/* Compares @text with the golden file @path (VMUNIT_TEST_REGENERATE=1 rewrites it first). */
static void golden_compare(const char *path, const char *text) {
        _cleanup_free_ char *expected = NULL;

        if (test_regenerate())
                cr_assert(test_write_file(path, text) == 0, "cannot write %s", path);
        expected = read_text(path);
        cr_assert_str_eq(text, expected, "%s differs from what is generated now:\n%s", path, text);
}

/* XML file -> built command (TestBuild) and its rules; the build must succeed. */
static void collect_file(const char *path, TestBuild *t, AppArmorRules *rules) {
        QemuBuildOptions build = test_build_options();
        AppArmorOptions opts = test_options(&build, path);
        _cleanup_free_ char *xml = read_text(path), *error = NULL;
        int r;

        test_build(xml, strlen(xml), path, t);
        cr_assert(t->r == 0, "%s: %s failed: %s", path, t->stage, t->error ?: strerror(-t->r));
        r = apparmor_rules_collect(t->def, &opts, rules, &error);
        cr_assert(r == 0, "%s: %s", path, error ?: strerror(-r));
}

/* ---- golden .files ---- */

/* Criterion runs each test in a re-executed copy of this binary: parameters carry names by value. */
typedef struct Case {
        char name[32];
} Case;

ParameterizedTestParameters(apparmor, golden) {
        static Case cases[] = { { "storage" }, { "boot" }, { "chardevs" }, { "devices" } };
        return cr_make_param_array(Case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Case *c, apparmor, golden) {
        _cleanup_free_ char *xml = test_strdupf("%s/apparmor/%s.xml", test_data_dir(), c->name),
                            *golden = test_strdupf("%s/apparmor/%s.files", test_data_dir(), c->name),
                            *text = NULL;
        AppArmorRules rules = {};
        TestBuild t;

        collect_file(xml, &t, &rules);
        cr_assert(apparmor_files_render(&rules, t.def->uuid, &text) == 0);
        golden_compare(golden, text);
        apparmor_rules_done(&rules);
        test_build_done(&t);
        test_assert_no_leaks();
}

/* The storage domain rule by rule, without a golden file: exactly these, in this order. */
Test(apparmor, storage_rules_exact) {
        static const struct { const char *path; unsigned perms; bool tree; } want[] = {
#define R APPARMOR_PERM_READ
#define W APPARMOR_PERM_WRITE
#define K APPARMOR_PERM_LOCK
#define M APPARMOR_PERM_MMAP
                { "/var/lib/vmunit-images/top.qcow2", R|W|K, false },
                { "/var/lib/vmunit-images/middle.qcow2", R|K, false },
                { "/var/lib/vmunit-images/base.raw", R|K, false },
                { "/var/lib/vmunit-images/ro.raw", R|K, false },
                { "/srv/shared/cluster.raw", R|W|K, false },
                { "/dev/vg0/data", R|W|K, false },
                { "/run/nbd/export.sock", R|W, false },
                { "/var/lib/vmunit-images/install.iso", R|K, false },       /* a cdrom: read-only */
                { "/var/lib/vmunit-images/boot.img", R|W|K, false },
                { "/usr/bin/qemu-system-x86_64", R|M, false },
                { "/srv/vmunit-share", R, true },                          /* trailing '/' dropped */
                { "/srv/vmunit-home", R|W, true },
                { TEST_RUNTIME_DIR, R|W|K, true },
                { TEST_STATE_DIR, R|W|K, true },
                { TEST_LOG, W, false },
#undef R
#undef W
#undef K
#undef M
        };
        _cleanup_free_ char *xml = test_strdupf("%s/apparmor/storage.xml", test_data_dir());
        AppArmorRules rules = {};
        TestBuild t;

        collect_file(xml, &t, &rules);
        for (size_t i = 0; i < MIN(rules.n, ELEMENTSOF(want)); i++) {
                cr_expect_str_eq(rules.rules[i].path, want[i].path, "rule %zu", i);
                cr_expect_eq(rules.rules[i].perms, want[i].perms, "rule %zu (%s): perms %#x, want %#x", i,
                             rules.rules[i].path, rules.rules[i].perms, want[i].perms);
                cr_expect_eq(rules.rules[i].tree, want[i].tree, "rule %zu (%s)", i, rules.rules[i].path);
        }
        cr_assert_eq(rules.n, ELEMENTSOF(want), "%zu rules, want %zu", rules.n, ELEMENTSOF(want));
        apparmor_rules_done(&rules);
        test_build_done(&t);
        test_assert_no_leaks();
}

/* ---- the rules against the command line ---- */

/* QEMU opens these without the command line naming them (see apparmor-rules.c). */
static bool implied(const char *path) {
        return streq(path, "/dev/vhost-net") || streq(path, "/dev/vfio/vfio");
}

static void add_candidate(char ***paths, const char *s) {
        const char *p = startswith(s, "unix:") ?: s;

        /* QEMU's name for an fd set of passed fds (-add-fd), not a file it opens */
        if (startswith(p, "/dev/fdset/"))
                return;
        if (p[0] == '/')
                cr_assert(strv_extend(paths, p) == 0);
}

static void json_paths(json_object *o, char ***paths) {
        switch (json_object_get_type(o)) {
        case json_type_string:
                add_candidate(paths, json_object_get_string(o));
                break;
        case json_type_object: {
                json_object_object_foreach(o, key, v) {
                        (void) key;
                        json_paths(v, paths);
                }
                break;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        json_paths(json_object_array_get_idx(o, i), paths);
                break;
        case json_type_null:
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
                break;
        }
}

/* Every absolute path the command names: environment values, the emulator, whole arguments,
 * JSON string values, and QemuOpts values (a "unix:" prefix stripped). */
static char **command_paths(const VmDef *def, const QemuCommand *cmd) {
        char **paths = NULL;

        STRV_FOREACH(e, cmd->env)
                if (!startswith(*e, "PATH="))
                        add_candidate(&paths, strchr(*e, '=') + 1);
        STRV_FOREACH(a, cmd->argv) {
                /* the guest's kernel command line, and <qemu:commandline> arguments, which vmunit
                 * passes on unread (their paths are the admin's to add to the profile) */
                if (a != cmd->argv && streq(a[-1], "-append"))
                        continue;
                if (strv_contains(def->qemu_args, *a))
                        continue;
                if ((*a)[0] == '{') {
                        json_object *o = json_tokener_parse(*a);
                        cr_assert(o, "not JSON: %s", *a);
                        json_paths(o, &paths);
                        json_object_put(o);
                } else if ((*a)[0] == '/' || (*a)[0] == '-' || !strchr(*a, '='))
                        add_candidate(&paths, *a);
                else {
                        OptList l = {};
                        cr_assert(qemu_opts_split(*a, &l) == 0);
                        for (size_t i = 0; i < l.n; i++)
                                if (l.items[i].value)
                                        add_candidate(&paths, l.items[i].value);
                        opt_list_done(&l);
                }
        }
        return paths;
}

static bool rule_covers(const AppArmorRule *r, const char *path) {
        const char *rest = startswith(path, r->path);

        if (!rest)
                return false;
        if (!*rest)
                return true;
        return r->tree && (rest[0] == '/' || streq(r->path, "/"));
}

/* Returns the number of problems, each printed to stderr. */
/* A <transient shareBacking='yes'/> disk's images: not on the command line, QEMU opens them when the
 * supervisor plugs the disk in (qemu-transient.h). */
static bool hotplugged_image(const VmDef *def, const char *path) {
        for (unsigned i = 0; i < def->n_disks; i++)
                for (const VmDiskSource *s = &def->disks[i].src; s && def->disks[i].transient_share_backing;
                     s = s->backing)
                        if (streq_ptr(s->path, path))
                                return true;
        return false;
}

static unsigned check_against_command(const char *what, const AppArmorRules *rules, const VmDef *def,
                                      const QemuCommand *cmd) {
        _cleanup_strv_free_ char **paths = command_paths(def, cmd);
        unsigned bad = 0;

        STRV_FOREACH(p, paths) {
                bool ok = false;
                for (size_t i = 0; i < rules->n && !ok; i++)
                        ok = rule_covers(&rules->rules[i], *p);
                if (!ok) {
                        fprintf(stderr, "%s: the command line names '%s', which no rule allows\n", what, *p);
                        bad++;
                }
        }
        for (size_t i = 0; i < rules->n; i++) {
                const AppArmorRule *r = &rules->rules[i];
                bool ok = implied(r->path) || streq(r->path, TEST_LOG) || hotplugged_image(def, r->path);
                _cleanup_free_ char *base = NULL;
                size_t l = strlen(r->path);

                /* a pipe's PATH.in and PATH.out stand for PATH */
                if (l > 4 && (streq(r->path + l - 3, ".in") || streq(r->path + l - 4, ".out")))
                        base = strndup(r->path, l - (streq(r->path + l - 3, ".in") ? 3 : 4));
                STRV_FOREACH(p, paths)
                        if (ok || streq(*p, r->path) || (r->tree && rule_covers(r, *p)) ||
                            (base && streq(*p, base)))
                                ok = true;
                if (!ok) {
                        fprintf(stderr, "%s: rule for '%s' stands for no path of the command line\n", what, r->path);
                        bad++;
                }
        }
        return bad;
}

/* Every buildable domain of tests/data/argv/: the rules and the command agree. */
Test(apparmor, argv_golden_domains) {
        _cleanup_free_ char *dir = test_strdupf("%s/argv", test_data_dir());
        unsigned n = 0, bad = 0;
        struct dirent *de;
        DIR *d = opendir(dir);

        cr_assert(d, "%s: %m", dir);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *xml = NULL, *error = NULL;
                QemuBuildOptions build = test_build_options();
                AppArmorOptions opts = test_options(&build, de->d_name);
                AppArmorRules rules = {};
                size_t l = strlen(de->d_name);
                TestBuild t;

                if (l < 5 || !streq(de->d_name + l - 4, ".xml") || startswith(de->d_name, "error-"))
                        continue;
                path = test_strdupf("%s/%s", dir, de->d_name);
                xml = read_text(path);
                test_build(xml, strlen(xml), de->d_name, &t);
                cr_assert(t.r == 0, "%s: %s", de->d_name, t.error ?: strerror(-t.r));
                cr_assert(apparmor_rules_collect(t.def, &opts, &rules, &error) == 0, "%s: %s", de->d_name, error);
                bad += check_against_command(de->d_name, &rules, t.def, &t.cmd);
                apparmor_rules_done(&rules);
                test_build_done(&t);
                n++;
        }
        closedir(d);
        cr_assert(n >= 50, "only %u argv golden domains found in %s", n, dir);
        cr_assert_eq(bad, 0, "%u disagreements between rules and command lines (listed above)", bad);
        test_assert_no_leaks();
}

/* ---- hostile paths ---- */

/* Runs apparmor_parser -Q -D expr-tree on a profile holding only @files_text and returns the
 * expression of its (single) rule as the parser understood it. */
static char *parser_expression(const char *files_text) {
        char tmpl[] = "/tmp/vmunit-test-aa.XXXXXX";
        _cleanup_free_ char *profile = NULL, *text = NULL, *output = NULL, *expr = NULL;
        const char *line, *end;
        int r;

        cr_assert(mkdtemp(tmpl));
        profile = test_strdupf("%s/profile", tmpl);
        text = test_strdupf("profile hostile {\n%s}\n", files_text);
        cr_assert(test_write_file(profile, text) == 0);
        {
                /* -D expr-tree is a debugging flag apparmor_parser_run() does not pass: run it here */
                _cleanup_free_ char *cmd = test_strdupf(APPARMOR_PARSER_PATH " -Q -K -D expr-tree '%s' 2>&1", profile);
                FILE *p = popen(cmd, "r");
                char buf[4096];
                size_t len = 0;
                cr_assert(p);
                output = malloc(65536);
                cr_assert(output);
                while ((r = (int) fread(buf, 1, sizeof(buf), p)) > 0 && len + (size_t) r < 65535) {
                        memcpy(output + len, buf, (size_t) r);
                        len += (size_t) r;
                }
                output[len] = 0;
                cr_assert_eq(pclose(p), 0, "apparmor_parser refused:\n%s\n%s", text, output);
        }
        (void) unlink(profile);
        (void) rmdir(tmpl);
        line = strstr(output, "DFA: Expression Tree\n");
        cr_assert(line, "no expression tree in:\n%s", output);
        line += strlen("DFA: Expression Tree\n");
        end = strstr(line, "< 0x");
        cr_assert(end && !memchr(line, '\n', (size_t) (end - line)), "unexpected output:\n%s", output);
        expr = strndup(line, (size_t) (end - line));
        return TAKE_PTR(expr);
}

Test(apparmor, hostile_paths_mean_themselves) {
        /* @tree is how apparmor_parser's expression tree prints the literal path: it escapes the
         * characters its own regex syntax uses (space . * [ ] + ( ) |) and prints the rest as
         * they are; a glob would show up as [^\x0/], an alternation as (a|b), a variable as its value. */
        static const struct { const char *path, *quoted, *tree; } cases[] = {
                { "/var/lib/vm images/a b.img", "\"/var/lib/vm images/a b.img\"", "/var/lib/vm\\ images/a\\ b\\.img" },
                { "/img/*?.raw", "\"/img/\\*\\?.raw\"", "/img/\\*?\\.raw" },
                { "/img/**", "\"/img/\\*\\*\"", "/img/\\*\\*" },
                { "/img/[ab]/c", "\"/img/\\[ab\\]/c\"", "/img/\\[ab\\]/c" },
                { "/img/{a,b}.raw", "\"/img/\\{a,b\\}.raw\"", "/img/{a,b}\\.raw" },
                { "/img/^x", "\"/img/\\^x\"", "/img/^x" },
                { "/img/@{HOME}/x", "\"/img/\\@\\{HOME\\}/x\"", "/img/@{HOME}/x" },
                { "/img/q\"uote", "\"/img/q\\\"uote\"", "/img/q\"uote" },
                { "/img/back\\slash", "\"/img/back\\\\slash\"", "/img/back\\slash" },
                { "/img/trailing\\", "\"/img/trailing\\\\\"", "/img/trailing\\" },
                { "/img/a,b#c $x", "\"/img/a,b#c $x\"", "/img/a,b#c\\ $x" },
                { "/img/\xc3\xa9t\xc3\xa9", "\"/img/\xc3\xa9t\xc3\xa9\"", "/img/\\xc3\\xa9t\\xc3\\xa9" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *q = apparmor_quote_path(cases[i].path), *line = NULL, *expr = NULL;

                cr_assert_str_eq(q, cases[i].quoted, "case %zu", i);
                line = test_strdupf("  %s r,\n", q);
                expr = parser_expression(line);
                cr_expect_str_eq(expr, cases[i].tree, "case %zu: %s is read by apparmor_parser as %s", i, q, expr);
        }
        test_assert_no_leaks();
}

/* A domain whose disk path is set after parsing (the parser refuses some of these itself). */
static VmDef *storage_def(TestBuild *t) {
        _cleanup_free_ char *path = test_strdupf("%s/apparmor/storage.xml", test_data_dir()), *xml = read_text(path);

        test_build(xml, strlen(xml), "storage.xml", t);
        cr_assert(t->r == 0);
        return t->def;
}

Test(apparmor, unnameable_paths_refused) {
        static const struct { const char *path, *error; } cases[] = {
                { "/img/new\nline", "storage.xml:12: <disk> 'vda': path '/img/new\\x0aline' contains a control character" },
                { "/img/tab\there", "storage.xml:12: <disk> 'vda': path '/img/tab\\x09here' contains a control" },
                { "images/rel.qcow2", "storage.xml:12: <disk> 'vda': path 'images/rel.qcow2' is not absolute" },
                { "/img/../etc/shadow", "storage.xml:12: <disk> 'vda': path '/img/../etc/shadow' has a '.' or '..'" },
                { "/img/./x", "storage.xml:12: <disk> 'vda': path '/img/./x' has a '.' or '..'" },
                { "/img/..", "storage.xml:12: <disk> 'vda': path '/img/..' has a '.' or '..'" },
        };
        QemuBuildOptions build = test_build_options();
        AppArmorOptions opts = test_options(&build, "storage.xml");

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *error = NULL;
                AppArmorRules rules = {};
                TestBuild t;
                VmDef *def = storage_def(&t);

                def->disks[0].src.path = vm_def_strdup(def, cases[i].path);
                cr_assert_eq(apparmor_rules_collect(def, &opts, &rules, &error), -EINVAL, "case %zu", i);
                cr_assert(error && startswith(error, cases[i].error), "case %zu: %s", i, error);
                cr_assert_eq(rules.n, 0);
                test_build_done(&t);
        }
        {
                /* elements without a line are named by kind and index */
                _cleanup_free_ char *error = NULL;
                AppArmorRules rules = {};
                TestBuild t;
                VmDef *def = storage_def(&t);

                def->os.kernel = vm_def_strdup(def, "vmlinuz");
                cr_assert_eq(apparmor_rules_collect(def, &opts, &rules, &error), -EINVAL);
                cr_assert_str_eq(error, "storage.xml: <os><kernel>: path 'vmlinuz' is not absolute; an AppArmor "
                                        "rule needs an absolute path");
                test_build_done(&t);
        }
        test_assert_no_leaks();
}

/* ---- profile and writing ---- */

static char *template_path(void) {
        return test_strdupf("%s/vmunit/TEMPLATE.qemu", apparmor_dir());
}

Test(apparmor, profile_from_shipped_template) {
        _cleanup_free_ char *tp = template_path(), *tmpl = read_text(tp), *text = NULL, *error = NULL,
                            *golden = test_strdupf("%s/apparmor/template.profile", test_data_dir());

        cr_assert(apparmor_profile_render(tmpl, tp, "vmunit-" TEST_UUID, "/etc/apparmor.d/vmunit/vmunit-" TEST_UUID ".files",
                                          &text, &error) == 0, "%s", error);
        golden_compare(golden, text);
        test_assert_no_leaks();
}

Test(apparmor, bad_templates) {
        static const struct { const char *text, *files, *error; } cases[] = {
                { "profile foo {\n}\n", "/x/y.files", "T: no 'VMUNIT_TEMPLATE' for the profile name" },
                { "profile VMUNIT_TEMPLATE\n", "/x/y.files", "T: no closing '}' of the profile" },
                { "profile VMUNIT_TEMPLATE {\n}\n", "x/y.files", "'x/y.files' cannot be included" },
                { "profile VMUNIT_TEMPLATE {\n}\n", "/x/\"y.files", "'/x/\"y.files' cannot be included" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL, *error = NULL;
                cr_assert_eq(apparmor_profile_render(cases[i].text, "T", "vmunit-x", cases[i].files, &text, &error),
                             -EINVAL, "case %zu", i);
                cr_assert(error && startswith(error, cases[i].error), "case %zu: %s", i, error);
                cr_assert_null(text);
        }
        {
                /* the include goes on its own line, also when the brace shares a line with a rule */
                _cleanup_free_ char *text = NULL;
                cr_assert(apparmor_profile_render("profile VMUNIT_TEMPLATE { /x r, }", "T", "vmunit-x", "/f", &text,
                                                  NULL) == 0);
                cr_assert_str_eq(text, "profile vmunit-x { /x r, \n  #include \"/f\"\n}");
        }
        test_assert_no_leaks();
}

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        cr_assert(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void remove_dir(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        _cleanup_free_ char *p = test_strdupf("%s/%s", dir, de->d_name);
                        cr_assert(unlink(p) == 0, "%s: %m", p);
                }
        closedir(d);
        cr_assert(rmdir(dir) == 0, "%s: %m", dir);
}

Test(apparmor, install_keeps_admin_edits) {
        char tmp[] = "/tmp/vmunit-test-aa.XXXXXX";
        _cleanup_free_ char *dir = NULL, *profile = NULL, *files = NULL, *tp = template_path(), *error = NULL,
                            *edited = NULL, *text = NULL;
        struct stat st1, st2;
        bool created;

        cr_assert(mkdtemp(tmp));
        dir = test_strdupf("%s/vmunit", tmp);          /* created by the install */
        cr_assert(apparmor_profile_path(dir, TEST_UUID, false, &profile) == 0);
        cr_assert(apparmor_profile_path(dir, TEST_UUID, true, &files) == 0);

        cr_assert(apparmor_profile_install(dir, tp, TEST_UUID, "  \"/a\" r,\n", &created, &error) == 0, "%s", error);
        cr_assert(created);
        text = read_text(profile);
        cr_assert(strstr(text, "profile vmunit-" TEST_UUID " flags=(attach_disconnected) {"));
        cr_assert(strstr(text, "#include \"") && strstr(text, files), "%s", text);
        text = mfree(text);
        text = read_text(files);
        cr_assert_str_eq(text, "  \"/a\" r,\n");
        text = mfree(text);
        cr_assert(stat(files, &st1) == 0);

        /* the admin adds a rule; the next start keeps it and rewrites .files by rename */
        edited = test_strdupf("# edited by the admin\nprofile vmunit-%s {\n  /opt/extra r,\n  #include \"%s\"\n}\n",
                              TEST_UUID, files);
        cr_assert(test_write_file(profile, edited) == 0);
        cr_assert(apparmor_profile_install(dir, tp, TEST_UUID, "  \"/b\" rw,\n", &created, &error) == 0, "%s", error);
        cr_assert(!created);
        text = read_text(profile);
        cr_assert_str_eq(text, edited);
        text = mfree(text);
        text = read_text(files);
        cr_assert_str_eq(text, "  \"/b\" rw,\n");
        text = mfree(text);
        cr_assert(stat(files, &st2) == 0);
        cr_assert_neq(st1.st_ino, st2.st_ino, ".files was rewritten in place, not replaced");
        cr_assert_eq(st2.st_mode & 07777, 0644);
        cr_assert_eq(count_entries(dir), 2, "temporary files left in %s", dir);

        /* stop: .files goes; undefine: the profile too */
        cr_assert(apparmor_profile_delete(dir, TEST_UUID, false) == 0);
        cr_assert(access(files, F_OK) < 0 && access(profile, F_OK) == 0);
        cr_assert(apparmor_profile_delete(dir, TEST_UUID, true) == 0);
        cr_assert(apparmor_profile_delete(dir, TEST_UUID, true) == 0, "deleting twice is fine");
        cr_assert_eq(count_entries(dir), 0);
        remove_dir(dir);
        remove_dir(tmp);
        test_assert_no_leaks();
}

Test(apparmor, install_failures_change_nothing) {
        char tmp[] = "/tmp/vmunit-test-aa.XXXXXX";
        _cleanup_free_ char *dir = NULL, *bad = NULL, *error = NULL, *tp = template_path();

        cr_assert(mkdtemp(tmp));
        dir = test_strdupf("%s/vmunit", tmp);
        bad = test_strdupf("%s/TEMPLATE.bad", tmp);

        /* no template: -ENOENT naming it, and the directory is not even created */
        cr_assert_eq(apparmor_profile_install(dir, "/nonexistent/TEMPLATE.qemu", TEST_UUID, "", NULL, &error), -ENOENT);
        cr_assert(error && startswith(error, "AppArmor profile template /nonexistent/TEMPLATE.qemu: "), "%s", error);
        error = mfree(error);
        cr_assert_eq(count_entries(tmp), 0);

        /* a template without the placeholder */
        cr_assert(test_write_file(bad, "profile foo {\n}\n") == 0);
        cr_assert_eq(apparmor_profile_install(dir, bad, TEST_UUID, "", NULL, &error), -EINVAL);
        cr_assert(error && strstr(error, "TEMPLATE.bad: no 'VMUNIT_TEMPLATE'"), "%s", error);
        error = mfree(error);
        cr_assert_eq(count_entries(tmp), 1);
        cr_assert(unlink(bad) == 0);

        /* not a UUID */
        cr_assert_eq(apparmor_profile_install(dir, tp, "../../etc/passwd", "", NULL, &error), -EINVAL);
        cr_assert(error && strstr(error, "is not a canonical UUID"), "%s", error);
        error = mfree(error);

        /* .files cannot be written (a directory is in its way): the new profile is removed again */
        cr_assert(mkdir(dir, 0755) == 0);
        {
                _cleanup_free_ char *files = NULL, *profile = NULL;
                cr_assert(apparmor_profile_path(dir, TEST_UUID, true, &files) == 0);
                cr_assert(apparmor_profile_path(dir, TEST_UUID, false, &profile) == 0);
                cr_assert(mkdir(files, 0755) == 0);
                cr_assert_lt(apparmor_profile_install(dir, tp, TEST_UUID, "", NULL, &error), 0);
                cr_assert(error && strstr(error, files), "%s", error);
                cr_assert(access(profile, F_OK) < 0, "the profile written by the failed install is still there");
                cr_assert(rmdir(files) == 0);
        }
        cr_assert_eq(count_entries(dir), 0);
        remove_dir(dir);
        remove_dir(tmp);
        test_assert_no_leaks();
}

Test(apparmor, resolve_symlinks_and_vfio_groups) {
        char tmp[] = "/tmp/vmunit-test-aa.XXXXXX";
        _cleanup_free_ char *real = NULL, *images = NULL, *link = NULL, *disk = NULL, *sysfs = NULL,
                            *devdir = NULL, *group = NULL, *error = NULL, *pcidir = NULL, *sock = NULL,
                            *mkdirs = NULL, *rm = NULL;
        QemuBuildOptions build = test_build_options();
        AppArmorOptions opts = test_options(&build, "storage.xml");
        AppArmorRules rules = {};
        TestBuild t;
        VmDef *def = storage_def(&t);
        VmHostdev *h;
        bool found_disk = false, found_new = false, found_group = false;

        cr_assert(mkdtemp(tmp));
        real = test_strdupf("%s/real", tmp);
        images = test_strdupf("%s/images", tmp);
        cr_assert(mkdir(real, 0755) == 0);
        cr_assert(symlink(real, images) == 0);
        disk = test_strdupf("%s/disk.qcow2", real);
        cr_assert(test_write_file(disk, "") == 0);
        link = test_strdupf("%s/disk.qcow2", images);
        def->disks[0].src.path = vm_def_strdup(def, link);
        /* a socket QEMU will create later, in a directory reached through the symlink */
        sock = test_strdupf("%s/new.sock", images);
        def->disks[4].src.hosts[0].socket = vm_def_strdup(def, sock);

        /* a fake sysfs: the PCI device's iommu_group link */
        sysfs = test_strdupf("%s/sys", tmp);
        pcidir = test_strdupf("%s/bus/pci/devices/0000:06:12.5", sysfs);
        devdir = test_strdupf("%s/kernel/iommu_groups/42", sysfs);
        mkdirs = test_strdupf("mkdir -p '%s' '%s'", pcidir, devdir);
        cr_assert(system(mkdirs) == 0);
        group = test_strdupf("%s/iommu_group", pcidir);
        cr_assert(symlink("../../../../kernel/iommu_groups/42", group) == 0);
        h = VM_DEVICE_NEW(def, hostdevs);
        h->type = vm_def_strdup(def, "pci");
        h->source_addr = (VmAddress) { .type = VM_ADDRESS_PCI, .bus = 6, .slot = 0x12, .function = 5 };

        cr_assert(apparmor_rules_collect(def, &opts, &rules, &error) == 0, "%s", error);
        cr_assert(apparmor_rules_resolve(&rules, def, sysfs, &error) == 0, "%s", error);
        for (size_t i = 0; i < rules.n; i++) {
                _cleanup_free_ char *new_sock = test_strdupf("%s/new.sock", real);
                found_disk |= streq(rules.rules[i].path, disk) && rules.rules[i].perms == (APPARMOR_PERM_READ |
                              APPARMOR_PERM_WRITE | APPARMOR_PERM_LOCK);
                found_new |= streq(rules.rules[i].path, new_sock);
                found_group |= streq(rules.rules[i].path, "/dev/vfio/42");
        }
        cr_assert(found_disk && found_new && found_group, "disk %d, socket %d, group %d", found_disk, found_new,
                  found_group);
        apparmor_rules_done(&rules);

        /* a device without an IOMMU group is named */
        h->source_addr.slot = 0x13;
        cr_assert(apparmor_rules_collect(def, &opts, &rules, &error) == 0);
        cr_assert_eq(apparmor_rules_resolve(&rules, def, sysfs, &error), -ENODEV);
        cr_assert(error && startswith(error, "<hostdev> 0000:06:13.5: no IOMMU group"), "%s", error);
        apparmor_rules_done(&rules);
        test_build_done(&t);
        rm = test_strdupf("rm -rf '%s'", tmp);
        cr_assert(system(rm) == 0);
        test_assert_no_leaks();
}

Test(apparmor, parser_run) {
        char tmp[] = "/tmp/vmunit-test-aa.XXXXXX";
        _cleanup_free_ char *good = NULL, *bad = NULL, *output = NULL;
        const char *includes[] = { apparmor_dir(), NULL };
        AppArmorParserOptions po = { .include_dirs = includes };
        AppArmorParserOptions missing = { .parser = "/nonexistent/apparmor_parser" };

        cr_assert(mkdtemp(tmp));
        good = test_strdupf("%s/good", tmp);
        bad = test_strdupf("%s/bad", tmp);
        cr_assert(test_write_file(good, "#include <tunables/global>\nprofile good {\n  #include <abstractions/vmunit-qemu>\n"
                                        "  \"/a b\" rwk,\n}\n") == 0);
        cr_assert(test_write_file(bad, "profile bad {\n  /a rwz,\n}\n") == 0);
        cr_assert_eq(apparmor_parser_run(&po, APPARMOR_PARSER_CHECK, good, &output), 0, "%s", output);
        output = mfree(output);
        cr_assert_eq(apparmor_parser_run(&po, APPARMOR_PARSER_CHECK, bad, &output), -EINVAL);
        cr_assert(output && strstr(output, "bad"), "%s", output);
        output = mfree(output);
        cr_assert_eq(apparmor_parser_run(&missing, APPARMOR_PARSER_CHECK, good, &output), -ENOENT);
        cr_assert(unlink(good) == 0 && unlink(bad) == 0 && rmdir(tmp) == 0);
        test_assert_no_leaks();
}

/* ---- the conformance corpus ---- */

/* Writes the profile and .files for @def into @dir and checks them with apparmor_parser -Q.
 * Returns 0, or the parser's -errno with its output printed. */
static int check_with_parser(const VmDef *def, const AppArmorRules *rules, const char *dir, const char *what) {
        _cleanup_free_ char *files = NULL, *profile = NULL, *error = NULL, *output = NULL, *tp = template_path();
        const char *includes[] = { apparmor_dir(), NULL };
        AppArmorParserOptions po = { .include_dirs = includes };
        int r;

        cr_assert(apparmor_files_render(rules, def->uuid, &files) == 0, "%s", what);
        cr_assert(apparmor_profile_install(dir, tp, def->uuid, files, NULL, &error) == 0, "%s: %s", what, error);
        cr_assert(apparmor_profile_path(dir, def->uuid, false, &profile) == 0);
        r = apparmor_parser_run(&po, APPARMOR_PARSER_CHECK, profile, &output);
        if (r < 0)
                fprintf(stderr, "%s: apparmor_parser -Q refused %s:\n%s\n", what, profile, output);
        cr_assert(apparmor_profile_delete(dir, def->uuid, true) == 0);
        return r;
}

Test(apparmor, conformance_corpus, .timeout = 600) {
        const char *cdir = getenv("VMUNIT_CONFORMANCE_DIR");
        _cleanup_free_ char *lib = NULL, *dir = NULL;
        char tmp[] = "/tmp/vmunit-test-aa.XXXXXX";
        unsigned n = 0, parsed = 0, not_parsed = 0, not_built = 0, refused = 0, bad = 0, parser_failed = 0;
        struct dirent *de;
        DIR *d;

        if (!cdir || asprintf(&lib, "%s/libvirt", cdir) < 0 || !(d = opendir(lib))) {
                fprintf(stderr, "apparmor conformance_corpus: SKIPPED, no corpus at %s/libvirt\n", strempty(cdir));
                cr_skip_test("VMUNIT_CONFORMANCE_DIR not set or no corpus there");
                return;
        }
        cr_assert(mkdtemp(tmp));
        dir = test_strdupf("%s/vmunit", tmp);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *xml = NULL, *error = NULL;
                QemuBuildOptions build = test_build_options();
                AppArmorOptions opts = test_options(&build, de->d_name);
                AppArmorRules rules = {};
                size_t l = strlen(de->d_name);
                TestBuild t;

                if (l < 5 || !streq(de->d_name + l - 4, ".xml"))
                        continue;
                n++;
                path = test_strdupf("%s/%s", lib, de->d_name);
                xml = read_text(path);
                test_build(xml, strlen(xml), de->d_name, &t);
                if (t.r < 0) {
                        /* vmunit refuses the domain: the supervisor would never start it */
                        if (streq(t.stage, "parse"))
                                not_parsed++;
                        else
                                not_built++;
                        test_build_done(&t);
                        continue;
                }
                if (apparmor_rules_collect(t.def, &opts, &rules, &error) < 0) {
                        fprintf(stderr, "%s: refused by the profile generator: %s\n", de->d_name, error);
                        refused++;
                        test_build_done(&t);
                        continue;
                }
                bad += check_against_command(de->d_name, &rules, t.def, &t.cmd);
                if (check_with_parser(t.def, &rules, dir, de->d_name) < 0)
                        parser_failed++;
                else
                        parsed++;
                apparmor_rules_done(&rules);
                test_build_done(&t);
        }
        closedir(d);
        remove_dir(dir);
        remove_dir(tmp);
        fprintf(stderr, "apparmor conformance_corpus: %u domains; %u profiles accepted by apparmor_parser -Q, "
                        "%u refused by it; %u domains refused by vmunit's parser, %u by its command line builder, "
                        "%u by the profile generator\n", n, parsed, parser_failed, not_parsed, not_built, refused);
        cr_assert(parsed > 0, "no profile was generated from %s", lib);
        cr_assert_eq(parser_failed, 0, "%u profiles refused by apparmor_parser (above)", parser_failed);
        cr_assert_eq(bad, 0, "%u disagreements between rules and command lines (above)", bad);
        test_assert_no_leaks();
}
