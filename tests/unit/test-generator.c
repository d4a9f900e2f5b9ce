/*
 * vmunit-generator, run as systemd runs it (NORMAL EARLY LATE) on temporary directories: which
 * wants-links and drop-ins it writes, what it logs and skips, and that it never fails on a bad
 * domain. The binary comes from VMUNIT_GENERATOR, the expected link targets from
 * VMUNIT_TEST_TEMPLATE_PATH and VMUNIT_TEST_MACHINES_TARGET (tests/meson.build).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "domxml-vmunit-meta.h"
#include "strv.h"
#include "test-util.h"

#define NS "xmlns:vmunit='" VMUNIT_NS_HREF "'"

extern char **environ;

static char root[] = "/tmp/vmunit-test-generator-XXXXXX";
static char domains[PATH_MAX], autostart[PATH_MAX], out[PATH_MAX];

static void setup(void) {
        cr_assert(mkdtemp(root));
        snprintf(domains, sizeof(domains), "%s/domains", root);
        snprintf(autostart, sizeof(autostart), "%s/autostart", root);
        snprintf(out, sizeof(out), "%s/out", root);
        cr_assert_eq(mkdir(domains, 0755), 0);
        cr_assert_eq(mkdir(autostart, 0755), 0);
        cr_assert_eq(mkdir(out, 0755), 0);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void teardown(void) {
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(generator, .init = setup, .fini = teardown);

static void add_domain(const char *name, const char *metadata) {
        _cleanup_free_ char *path = test_strdupf("%s/%s.xml", domains, name);
        _cleanup_free_ char *xml = test_strdupf("<domain type='qemu'>\n"
                                                "  <name>%s</name>\n"
                                                "  %s\n"
                                                "  <memory unit='MiB'>64</memory>\n"
                                                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                                                "</domain>\n", name, metadata ?: "");

        cr_assert_eq(test_write_file(path, xml), 0);
}

static void add_autostart(const char *name) {
        _cleanup_free_ char *link = test_strdupf("%s/%s", autostart, name);
        _cleanup_free_ char *target = test_strdupf("../domains/%s.xml", name);

        cr_assert_eq(symlink(target, link), 0);
}

/* Runs the generator with the given output dir and environment; its stderr (console logging) in
 * *ret_log. */
static int run_generator_env(const char *normal_dir, char **env, char **ret_log) {
        _cleanup_free_ char *log_path = test_strdupf("%s/generator.log", root);
        const char *generator = getenv("VMUNIT_GENERATOR");
        char *argv[] = { (char *) "vmunit-generator", (char *) normal_dir, (char *) normal_dir,
                         (char *) normal_dir, NULL };
        posix_spawn_file_actions_t fa;
        size_t len;
        pid_t pid;
        int status;

        cr_assert(generator, "VMUNIT_GENERATOR is not set (tests/meson.build sets it)");
        cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
        cr_assert_eq(posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log_path,
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
        cr_assert_eq(posix_spawn(&pid, generator, &fa, NULL, argv, env), 0);
        posix_spawn_file_actions_destroy(&fa);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status));
        cr_assert_eq(test_read_file(log_path, ret_log, &len), 0);
        (void) unlink(log_path);
        return WEXITSTATUS(status);
}

/* ... as the system's generator, on domains/ and autostart/. */
static int run_generator(const char *normal_dir, char **ret_log) {
        _cleanup_free_ char *env_domains = test_strdupf("VMUNIT_DOMAIN_DIR=%s", domains);
        _cleanup_free_ char *env_autostart = test_strdupf("VMUNIT_AUTOSTART_DIR=%s", autostart);
        char *env[] = { env_domains, env_autostart, (char *) "SYSTEMD_LOG_TARGET=console", NULL };

        return run_generator_env(normal_dir, env, ret_log);
}

/* The output tree as sorted "path -> target" and "path" lines, relative to out/. */
static int list_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);
static char **listing;

static int list_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        char target[PATH_MAX];
        const char *rel = path + strlen(out);
        ssize_t k;

        if (!*rel)
                return 0;
        rel++;
        if (flag == FTW_SL) {
                k = readlink(path, target, sizeof(target) - 1);
                cr_assert(k > 0);
                target[k] = 0;
                cr_assert_eq(strv_consume(&listing, test_strdupf("%s -> %s", rel, target)), 0);
        } else
                cr_assert_eq(strv_extend(&listing, rel), 0);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static char *output_listing(void) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        listing = strv_free(listing);
        cr_assert_eq(nftw(out, list_one, 16, FTW_PHYS), 0);
        if (listing)
                qsort(listing, strv_length(listing), sizeof(char *), cmp_str);
        f = open_memstream(&text, &size);
        cr_assert(f);
        STRV_FOREACH(l, listing)
                fprintf(f, "%s\n", *l);
        fclose(f);
        listing = strv_free(listing);
        return TAKE_PTR(text) ?: strdup("");
}

static char *read_out(const char *rel) {
        _cleanup_free_ char *path = test_strdupf("%s/%s", out, rel);
        char *text = NULL;
        size_t len;

        cr_assert_eq(test_read_file(path, &text, &len), 0, "no %s", rel);
        return text;
}

static unsigned count(const char *haystack, const char *needle) {
        unsigned n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

Test(generator, autostart_ordering_and_a_broken_domain) {
        const char *template = getenv("VMUNIT_TEST_TEMPLATE_PATH"), *target = getenv("VMUNIT_TEST_MACHINES_TARGET");
        _cleanup_free_ char *log = NULL, *tree = NULL, *expected = NULL, *alpha = NULL, *beta = NULL;
        _cleanup_free_ char *gamma = NULL, *broken = test_strdupf("%s/broken.xml", domains);

        cr_assert(template && target);
        add_domain("alpha", "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>kill</vmunit:shutdown-policy>"
                            "</vmunit:boot></metadata>");
        add_domain("beta", "<metadata><vmunit:boot " NS "><vmunit:after>alpha</vmunit:after>"
                           "<vmunit:start-delay>2</vmunit:start-delay></vmunit:boot></metadata>");
        add_domain("gamma", "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>leave</vmunit:shutdown-policy>"
                            "</vmunit:boot></metadata>");
        cr_assert_eq(test_write_file(broken, "<domain type='qemu'>\n  <name>broken</name>\n  <metadata>\n</domain>\n"), 0);
        add_autostart("alpha");
        add_autostart("beta");
        add_autostart("broken");

        cr_assert_eq(run_generator(out, &log), 0, "%s", log);

        tree = output_listing();
        expected = test_strdupf("machines.target.wants\n"
                                "machines.target.wants/vm@alpha.service -> %s\n"
                                "machines.target.wants/vm@beta.service -> %s\n"
                                "multi-user.target.wants\n"
                                "multi-user.target.wants/machines.target -> %s\n"
                                "vm@alpha.service.d\n"
                                "vm@alpha.service.d/50-vmunit-boot.conf\n"
                                "vm@beta.service.d\n"
                                "vm@beta.service.d/50-vmunit-boot.conf\n"
                                "vm@gamma.service.d\n"
                                "vm@gamma.service.d/50-vmunit-boot.conf\n", template, template, target);
        cr_assert_str_eq(tree, expected);

        alpha = read_out("vm@alpha.service.d/50-vmunit-boot.conf");
        cr_assert(strstr(alpha, "\nPartOf=machines.target\n"), "%s", alpha);
        cr_assert(strstr(alpha, "\n[Service]\nEnvironment=VMUNIT_SHUTDOWN_TIMEOUT=0\n"), "%s", alpha);
        beta = read_out("vm@beta.service.d/50-vmunit-boot.conf");
        cr_assert(strstr(beta, "\nPartOf=machines.target\nAfter=vm@alpha.service\n\n[Service]\n"
                               "ExecStartPre=sleep 2.000\nTimeoutStartSec=92000ms\n"), "%s", beta);
        gamma = read_out("vm@gamma.service.d/50-vmunit-boot.conf");
        cr_assert_null(strstr(gamma, "PartOf="), "%s", gamma);
        cr_assert(strstr(gamma, "\nStopWhenUnneeded=no\n"), "%s", gamma);

        /* the broken domain: one line, with file and line, and nothing else to say */
        expected = mfree(expected);
        expected = test_strdupf("vmunit-generator: Skipping domain %s:5: malformed XML: "
                                "Premature end of data in tag domain line 1\n", broken);
        cr_assert_str_eq(log, expected);
        test_assert_no_leaks();
}

Test(generator, escaped_instances) {
        _cleanup_free_ char *log = NULL, *tree = NULL, *web = NULL;

        add_domain("web-01", "<metadata><vmunit:boot " NS "><vmunit:requires>my vm</vmunit:requires>"
                             "</vmunit:boot></metadata>");
        add_domain("my vm", NULL);
        add_domain("a\\b", NULL);
        add_autostart("web-01");
        add_autostart("my vm");
        add_autostart("a\\b");

        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        cr_assert_str_eq(log, "");
        tree = output_listing();
        cr_assert(strstr(tree, "machines.target.wants/vm@web-01.service -> "), "%s", tree);
        cr_assert(strstr(tree, "machines.target.wants/vm@my\\x20vm.service -> "), "%s", tree);
        cr_assert(strstr(tree, "machines.target.wants/vm@a\\x5cb.service -> "), "%s", tree);
        cr_assert_null(strstr(tree, "vm@my\\x20vm.service.d"), "no drop-in without <vmunit:boot>: %s", tree);
        web = read_out("vm@web-01.service.d/50-vmunit-boot.conf");
        cr_assert(strstr(web, "\nRequires=vm@my\\x20vm.service\nAfter=vm@my\\x20vm.service\n"), "%s", web);
        test_assert_no_leaks();
}

Test(generator, mistakes_are_logged_and_skipped) {
        _cleanup_free_ char *log = NULL, *tree = NULL, *dir = test_strdupf("%s/dir.xml", domains);
        _cleanup_free_ char *long_name = malloc(201);

        memset(long_name, ' ', 200);            /* valid, but 800 bytes escaped */
        long_name[200] = 0;
        add_domain("ok", "<metadata><vmunit:boot " NS "><vmunit:requires>ghost</vmunit:requires>"
                         "</vmunit:boot></metadata>");
        add_domain("wrong", NULL);
        cr_assert_eq(rename(test_strdupf("%s/wrong.xml", domains), test_strdupf("%s/other.xml", domains)), 0);
        add_domain(long_name, NULL);
        add_domain("bad-meta", "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>halt</vmunit:shutdown-policy>"
                               "</vmunit:boot></metadata>");
        cr_assert_eq(mkdir(dir, 0755), 0);
        cr_assert_eq(test_write_file(test_strdupf("%s/.hidden.xml", domains), "junk"), 0);
        cr_assert_eq(test_write_file(test_strdupf("%s/notes.txt", domains), "junk"), 0);
        add_autostart("ok");
        add_autostart("other");
        add_autostart("bad-meta");
        add_autostart("nowhere");
        add_autostart(long_name);

        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        tree = output_listing();
        cr_assert(strstr(tree, "machines.target.wants/vm@ok.service -> "), "%s", tree);
        cr_assert(strstr(tree, "vm@ok.service.d/50-vmunit-boot.conf"), "%s", tree);
        cr_assert_null(strstr(tree, "other"), "%s", tree);
        cr_assert_null(strstr(tree, "bad-meta"), "%s", tree);
        cr_assert_null(strstr(tree, "\\x20"), "%s", tree);

        cr_assert(strstr(log, test_strdupf("vmunit-generator: VM 'ok' requires 'ghost', which has no domain file "
                                           "'%s/ghost.xml'.\n", domains)), "%s", log);
        cr_assert(strstr(log, test_strdupf("vmunit-generator: Skipping domain '%s/other.xml': its <name> is "
                                           "'wrong', the file must be named after it.\n", domains)), "%s", log);
        cr_assert(strstr(log, test_strdupf("vmunit-generator: Skipping domain %s/bad-meta.xml:3: "
                                           "<boot><shutdown-policy>: unknown policy 'halt' (shutdown, kill or "
                                           "leave)\n", domains)), "%s", log);
        cr_assert(strstr(log, "' is too long for a unit name (vm@NAME.service, at most 255 bytes with NAME "
                              "escaped).\n"), "%s", log);
        cr_assert(strstr(log, test_strdupf("vmunit-generator: Skipping domain '%s': not a regular file.\n", dir)),
                  "%s", log);
        cr_assert(strstr(log, test_strdupf("vmunit-generator: Autostart entry '%s/nowhere' has no domain file "
                                           "'%s/nowhere.xml', ignoring it.\n", autostart, domains)), "%s", log);
        cr_assert_null(strstr(log, "hidden"), "%s", log);
        cr_assert_null(strstr(log, "notes"), "%s", log);
        cr_assert_eq(count(log, "Autostart entry '"), 1, "only 'nowhere' lacks a domain file: %s", log);
        cr_assert_eq(count(log, "\n"), 6, "one line per mistake: %s", log);
}

Test(generator, nothing_to_do) {
        _cleanup_free_ char *log = NULL, *tree = NULL;

        add_domain("idle", NULL);               /* defined, not autostarted, no metadata */
        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        cr_assert_str_eq(log, "");
        tree = output_listing();
        cr_assert_str_eq(tree, "", "%s", tree);

        /* no configuration at all is no error either */
        cr_assert_eq(rmdir(test_strdupf("%s/autostart", root)), 0);
        cr_assert_eq(unlink(test_strdupf("%s/idle.xml", domains)), 0);
        cr_assert_eq(rmdir(domains), 0);
        log = mfree(log);
        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        cr_assert_str_eq(log, "");
        cr_assert_eq(mkdir(domains, 0755), 0);
        cr_assert_eq(mkdir(autostart, 0755), 0);
}

Test(generator, output_problems_are_the_only_failure) {
        _cleanup_free_ char *log = NULL, *missing = test_strdupf("%s/missing", root);

        add_domain("alpha", NULL);
        add_autostart("alpha");
        cr_assert_eq(run_generator(missing, &log), 1);
        cr_assert(strstr(log, "Failed to open the output directory"), "%s", log);
        log = mfree(log);

        /* a second run over the same output (daemon-reload reuses a cleaned dir, but be safe) */
        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        log = mfree(log);
        cr_assert_eq(run_generator(out, &log), 0, "%s", log);
        cr_assert_str_eq(log, "");
}

/* A user's manager runs it with SYSTEMD_SCOPE=user: the user's own domains ($XDG_CONFIG_HOME/vmunit),
 * started with default.target through the user unit; no machines.target. */
Test(generator, session_instance) {
        const char *user_template = getenv("VMUNIT_TEST_USER_TEMPLATE_PATH");
        _cleanup_free_ char *config = test_strdupf("%s/config", root), *vmunit = test_strdupf("%s/config/vmunit", root);
        _cleanup_free_ char *env_config = test_strdupf("XDG_CONFIG_HOME=%s", config);
        _cleanup_free_ char *env_home = test_strdupf("HOME=%s", root), *log = NULL, *list = NULL, *want = NULL;
        char *env[] = { (char *) "SYSTEMD_SCOPE=user", env_config, env_home, (char *) "SYSTEMD_LOG_TARGET=console", NULL };

        cr_assert(user_template, "VMUNIT_TEST_USER_TEMPLATE_PATH is not set (tests/meson.build sets it)");
        cr_assert_eq(mkdir(config, 0755), 0);
        cr_assert_eq(mkdir(vmunit, 0755), 0);
        /* the session's domains/ and autostart/ are the suite's, under the user's config dir */
        _cleanup_free_ char *d = test_strdupf("%s/domains", vmunit), *a = test_strdupf("%s/autostart", vmunit);
        cr_assert_eq(rename(domains, d), 0);
        cr_assert_eq(rename(autostart, a), 0);
        cr_assert_eq(symlink(d, domains), 0);
        cr_assert_eq(symlink(a, autostart), 0);
        add_domain("mine", NULL);
        add_domain("other", NULL);
        add_autostart("mine");

        cr_assert_eq(run_generator_env(out, env, &log), 0, "%s", log);
        list = output_listing();
        want = test_strdupf("default.target.wants\ndefault.target.wants/vm@mine.service -> %s\n", user_template);
        cr_expect_str_eq(list, want);
}
