/*
 * Helpers shared by the Criterion unit tests: where the test data lives (VMUNIT_TEST_DATA, set by
 * tests/meson.build, never the CWD), the fixed build options every test uses, XML -> command in
 * one call, and the golden-file rendering of a QemuCommand (format: tests/data/argv/README.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"
#include "qemu-argv.h"

#define TEST_RUNTIME_DIR "/run/vmunit/test"
#define TEST_STATE_DIR "/var/lib/vmunit/test"
#define TEST_TAP_FD_BASE 1729
/* "now" for <clock offset='variable'>: 2023-11-14T22:13:20Z; and the host time zone the builder sees
 * (test_build() sets TZ, so that basis='localtime' gives the same output everywhere) */
#define TEST_NOW 1700000000
#define TEST_TZ "Etc/GMT-2"

/* The fixed options of every golden and hostile-value test, so that output is deterministic. */
static inline QemuBuildOptions test_build_options(void) {
        return (QemuBuildOptions) {
                .runtime_dir = TEST_RUNTIME_DIR,
                .state_dir = TEST_STATE_DIR,
                .tap_fd_base = TEST_TAP_FD_BASE,
                .seccomp_sandbox = true,
                .now = TEST_NOW,
        };
}

/* $VMUNIT_TEST_DATA; the test fails (not crashes) when it is unset. */
const char *test_data_dir(void);
/* "$VMUNIT_TEST_DATA/@rel" (malloc'd). */
char *test_data_path(const char *rel);
/* VMUNIT_TEST_REGENERATE=1 */
bool test_regenerate(void);

/* Whole-file helpers; return 0 or -errno. */
int test_read_file(const char *path, char **ret, size_t *ret_len);
int test_write_file(const char *path, const char *data);

/* The result of XML -> VmDef -> QemuCommand. */
typedef struct TestBuild {
        int r;                          /* 0, or the -errno of the stage that failed */
        const char *stage;              /* "parse" or "build" when r < 0 */
        char *error;                    /* the library's message, or NULL */
        VmDef *def;
        QemuCommand cmd;
} TestBuild;

/* Parses @xml (@filename is what messages name) and builds with test_build_options(), in TEST_TZ. */
void test_build(const char *xml, size_t len, const char *filename, TestBuild *ret);
void test_build_done(TestBuild *t);

/* Golden text of @cmd: environment, then emulator and arguments, one per line, escaped. */
char *test_render_args(const QemuCommand *cmd);
/* Escapes one line of the golden format (\\, \n, control bytes as \xHH, empty as \(empty)). */
char *test_escape_line(const char *s);

/* "EINVAL" for -EINVAL / EINVAL. */
const char *test_errno_name(int r);

/* Under ASan, fails the running test if LeakSanitizer finds unreachable memory now (known lib/ leaks
 * are suppressed in tests/unit/lsan.supp). Criterion ignores a leak report at process exit and
 * assertions in .fini, so each test calls this as its last statement. A no-op without ASan. */
void test_assert_no_leaks(void);

/* rm -rf @root (a temporary tree of the test's own), then frees @root; returns NULL. */
char *test_remove_tree(char *root);

/* printf into a new string; aborts the test on ENOMEM. */
char *test_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
