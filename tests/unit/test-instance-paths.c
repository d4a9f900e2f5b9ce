/*
 * The instances' paths (lib/instance-paths.c) and the two users of them in lib/: the session
 * instance's XDG directories and their fallbacks under $HOME, relative values ignored as the XDG
 * specification says, a missing $XDG_RUNTIME_DIR, and the system instance's fixed paths; the
 * runtime and state dirs of a command line (native_build_options) follow the same rules.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "instance-paths.h"
#include "native.h"

static const char * const vars[] = { "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR" };
static char *saved[4];

/* Each test starts from an environment without the four variables; the caller's come back after. */
static void setup(void) {
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                const char *v = getenv(vars[i]);
                saved[i] = v ? strdup(v) : NULL;
                cr_assert_eq(unsetenv(vars[i]), 0);
        }
}

static void teardown(void) {
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                if (saved[i])
                        setenv(vars[i], saved[i], 1);
                else
                        unsetenv(vars[i]);
                saved[i] = mfree(saved[i]);
        }
}

TestSuite(instance_paths, .init = setup, .fini = teardown);

/* The paths of the instance in the current environment are CONFIG_DIR/vmunit.conf, CONFIG_DIR/domains,
 * CONFIG_DIR/autostart, @runtime_root and @state_root. */
static void expect_paths(bool session, const char *config_dir, const char *runtime_root, const char *state_root) {
        _cleanup_(instance_paths_done) InstancePaths p = {};
        _cleanup_free_ char *conf = NULL, *domains = NULL, *autostart = NULL;

        cr_assert_gt(asprintf(&conf, "%s/vmunit.conf", config_dir), 0);
        cr_assert_gt(asprintf(&domains, "%s/domains", config_dir), 0);
        cr_assert_gt(asprintf(&autostart, "%s/autostart", config_dir), 0);
        cr_assert_eq(instance_paths_init(&p, session), 0);
        cr_expect_str_eq(p.config_file, conf);
        cr_expect_str_eq(p.domain_dir, domains);
        cr_expect_str_eq(p.autostart_dir, autostart);
        cr_expect_str_eq(p.runtime_root, runtime_root);
        cr_expect_str_eq(p.state_root, state_root);
}

Test(instance_paths, system) {
        cr_assert_eq(setenv("XDG_CONFIG_HOME", "/x/cfg", 1), 0);       /* not the system's business */
        expect_paths(false, "/etc/vmunit", "/run/vmunit", "/var/lib/vmunit");
}

Test(instance_paths, session_home_only) {
        cr_assert_eq(setenv("HOME", "/home/u", 1), 0);
        cr_assert_eq(setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1), 0);
        expect_paths(true, "/home/u/.config/vmunit", "/run/user/1000/vmunit", "/home/u/.local/share/vmunit");
}

Test(instance_paths, session_xdg_variables) {
        cr_assert_eq(setenv("HOME", "/home/u", 1), 0);
        cr_assert_eq(setenv("XDG_CONFIG_HOME", "/x/cfg", 1), 0);
        cr_assert_eq(setenv("XDG_DATA_HOME", "/x/data", 1), 0);
        cr_assert_eq(setenv("XDG_RUNTIME_DIR", "/x/run", 1), 0);
        expect_paths(true, "/x/cfg/vmunit", "/x/run/vmunit", "/x/data/vmunit");
}

Test(instance_paths, session_relative_values_are_unset) {
        _cleanup_(instance_paths_done) InstancePaths p = {};

        cr_assert_eq(setenv("HOME", "/home/u", 1), 0);
        cr_assert_eq(setenv("XDG_CONFIG_HOME", "cfg", 1), 0);
        cr_assert_eq(setenv("XDG_DATA_HOME", "", 1), 0);
        cr_assert_eq(setenv("XDG_RUNTIME_DIR", "run/user/1000", 1), 0);
        cr_assert_eq(instance_paths_init(&p, true), 0);
        cr_expect_str_eq(p.domain_dir, "/home/u/.config/vmunit/domains");
        cr_expect_str_eq(p.state_root, "/home/u/.local/share/vmunit");
        cr_expect_null(p.runtime_root);
}

Test(instance_paths, session_without_home) {
        InstancePaths p;

        cr_assert_eq(setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1), 0);
        cr_expect_eq(instance_paths_init(&p, true), -ENXIO);
        cr_expect_null(p.config_file);
        cr_expect_null(p.runtime_root);

        /* config from $XDG_CONFIG_HOME, but the data dir has nothing to fall back on */
        cr_assert_eq(setenv("XDG_CONFIG_HOME", "/x/cfg", 1), 0);
        cr_expect_eq(instance_paths_init(&p, true), -ENXIO);
        cr_expect_null(p.domain_dir);

        cr_assert_eq(setenv("XDG_DATA_HOME", "/x/data", 1), 0);
        cr_assert_eq(instance_paths_init(&p, true), 0);
        cr_expect_str_eq(p.state_root, "/x/data/vmunit");
        instance_paths_done(&p);
        cr_expect_null(p.state_root);
}

Test(instance_paths, command_line_dirs) {
        _cleanup_free_ char *buf = NULL, *sys_buf = NULL;
        QemuBuildOptions o, s;

        cr_assert_eq(setenv("HOME", "/home/u", 1), 0);
        cr_expect_eq(native_build_options("web", true, &o, &buf), -ENXIO);     /* no $XDG_RUNTIME_DIR */
        cr_assert_eq(setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1), 0);
        cr_assert_eq(setenv("XDG_DATA_HOME", "/x/data", 1), 0);
        cr_assert_eq(native_build_options("web", true, &o, &buf), 0);
        cr_expect_str_eq(o.runtime_dir, "/run/user/1000/vmunit/web");
        cr_expect_str_eq(o.state_dir, "/x/data/vmunit/web");
        cr_expect(o.seccomp_sandbox);

        cr_assert_eq(native_build_options("web", false, &s, &sys_buf), 0);
        cr_expect_str_eq(s.runtime_dir, "/run/vmunit/web");
        cr_expect_str_eq(s.state_dir, "/var/lib/vmunit/web");
}
