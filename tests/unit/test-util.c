/* Shared helpers of the unit tests (see test-util.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "cleanup.h"
#include "strv.h"
#include "test-util.h"

const char *test_data_dir(void) {
        const char *d = getenv("VMUNIT_TEST_DATA");

        cr_assert(d && *d, "VMUNIT_TEST_DATA is not set: run the tests through 'meson test'");
        return d;
}

char *test_data_path(const char *rel) {
        return test_strdupf("%s/%s", test_data_dir(), rel);
}

bool test_regenerate(void) {
        const char *e = getenv("VMUNIT_TEST_REGENERATE");

        return e && streq(e, "1");
}

char *test_remove_tree(char *root) {
        char *cmd = test_strdupf("rm -rf '%s'", root);

        cr_assert_eq(system(cmd), 0);
        free(cmd);
        free(root);
        return NULL;
}

char *test_strdupf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        cr_assert(r >= 0, "out of memory");
        return s;
}

int test_read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (;;) {
                size_t k;
                if (cap - len < 4096) {
                        char *n = realloc(buf, cap + 65536 + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap += 65536;
                }
                k = fread(buf + len, 1, cap - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int test_write_file(const char *path, const char *data) {
        _cleanup_fclose_ FILE *f = NULL;

        f = fopen(path, "we");
        if (!f)
                return -errno;
        if (fputs(data, f) < 0)
                return -EIO;
        if (fclose(TAKE_PTR(f)) != 0)
                return -errno;
        return 0;
}

void test_build(const char *xml, size_t len, const char *filename, TestBuild *ret) {
        QemuBuildOptions opts = test_build_options();
        char **warnings = NULL;

        *ret = (TestBuild) {};
        /* each Criterion test is its own process: changing the time zone here affects nothing else */
        cr_assert(setenv("TZ", TEST_TZ, 1) == 0);
        tzset();
        ret->r = domxml_parse_memory(xml, len, filename, /* flags= */ 0, &ret->def, &ret->error, &warnings);
        strv_free(warnings);
        if (ret->r < 0) {
                ret->stage = "parse";
                return;
        }
        ret->r = qemu_argv_build(ret->def, &opts, &ret->cmd, &ret->error);
        if (ret->r < 0)
                ret->stage = "build";
}

void test_build_done(TestBuild *t) {
        qemu_command_done(&t->cmd);
        t->def = vm_def_free(t->def);
        t->error = mfree(t->error);
}

char *test_escape_line(const char *s) {
        char *out, *p;

        if (!*s)
                return strdup("\\(empty)");
        out = malloc(strlen(s) * 4 + 1);
        if (!out)
                return NULL;
        p = out;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c == '\\') {
                        *p++ = '\\';
                        *p++ = '\\';
                } else if (*c == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                } else if (*c < 0x20 || *c == 0x7f)
                        p += sprintf(p, "\\x%02x", *c);
                else
                        *p++ = (char) *c;
        }
        *p = 0;
        return out;
}

static void render_lines(FILE *f, char * const *l) {
        for (char * const *s = l; s && *s; s++) {
                _cleanup_free_ char *e = test_escape_line(*s);
                cr_assert(e, "out of memory");
                fprintf(f, "%s\n", e);
        }
}

char *test_render_args(const QemuCommand *cmd) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        cr_assert(f, "out of memory");
        render_lines(f, cmd->env);
        render_lines(f, cmd->argv);
        cr_assert(fclose(f) == 0, "out of memory");
        return buf;
}

const char *test_errno_name(int r) {
        const char *n = strerrorname_np(r < 0 ? -r : r);

        return n ?: "E?";
}

void test_assert_no_leaks(void) {
#ifdef __SANITIZE_ADDRESS__
        cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "LeakSanitizer found a leak (report above)");
#endif
}
