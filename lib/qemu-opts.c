/* QEMU "key=value" option strings and the one comma escaper (see qemu-opts.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "qemu-opts.h"

int qemu_escape_value(const char *s, char **ret) {
        size_t extra = 0, l;
        char *out, *p;

        assert(s);
        if (!*s || strchr(s, '\n') || strchr(s, '\r'))
                return -EINVAL;

        for (const char *c = s; *c; c++)
                if (*c == ',')
                        extra++;
        l = strlen(s);
        if (l > SIZE_MAX / 2 - 1)
                return -E2BIG;
        out = malloc(l + extra + 1);
        if (!out)
                return -ENOMEM;
        p = out;
        for (const char *c = s; *c; c++) {
                *p++ = *c;
                if (*c == ',')
                        *p++ = ',';
        }
        *p = 0;
        *ret = out;
        return 0;
}

static void opts_fail(QemuOpts *o, int r) {
        if (o->error == 0)
                o->error = r;
}

static void opts_append(QemuOpts *o, const char *a, const char *b, const char *c) {
        size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
        char *n;

        n = realloc(o->buf, o->len + 1 + la + lb + lc + 1);
        if (!n)
                return opts_fail(o, -ENOMEM);
        o->buf = n;
        if (o->len > 0)
                o->buf[o->len++] = ',';
        memcpy(o->buf + o->len, a, la);
        o->len += la;
        if (b) {
                memcpy(o->buf + o->len, b, lb);
                o->len += lb;
        }
        if (c) {
                memcpy(o->buf + o->len, c, lc);
                o->len += lc;
        }
        o->buf[o->len] = 0;
}

void qemu_opts_add_literal(QemuOpts *o, const char *text) {
        if (o->error < 0)
                return;
        opts_append(o, text, NULL, NULL);
}

void qemu_opts_add(QemuOpts *o, const char *key, const char *value) {
        _cleanup_free_ char *e = NULL;
        int r;

        if (o->error < 0 || !value)
                return;
        assert(key && !strchr(key, ',') && !strchr(key, '='));
        r = qemu_escape_value(value, &e);
        if (r < 0) {
                if (o->error == 0)
                        o->error_key = key;
                return opts_fail(o, r);
        }
        opts_append(o, key, "=", e);
}

void qemu_opts_addf(QemuOpts *o, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        if (o->error < 0)
                return;
        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return opts_fail(o, -ENOMEM);
        qemu_opts_add(o, key, v);
}

void qemu_opts_done(QemuOpts *o) {
        o->buf = mfree(o->buf);
        o->len = 0;
        o->error = 0;
        o->error_key = NULL;
}

void argv_add_opts(Argv *a, const char *option, QemuOpts *o) {
        if (o->error < 0) {
                if (a->error == 0) {
                        a->error_option = option;
                        a->error_key = o->error_key;
                }
                argv_fail(a, o->error);
        }
        else if (!o->buf)
                argv_fail(a, -EINVAL);
        else {
                argv_add(a, option);
                argv_consume(a, TAKE_PTR(o->buf));
        }
        qemu_opts_done(o);
}

void qemu_opts_add_empty_ok(QemuOpts *o, const char *key, const char *value) {
        if (o->error < 0)
                return;
        if (!value || !*value)
                return opts_append(o, key, "=", "");
        qemu_opts_add(o, key, value);
}

void qemu_opts_add_positional(QemuOpts *o, const char *value) {
        _cleanup_free_ char *e = NULL;
        int r;

        if (o->error < 0)
                return;
        if (strchr(value, '='))
                return opts_fail(o, -EINVAL);
        r = qemu_escape_value(value, &e);
        if (r < 0)
                return opts_fail(o, r);
        opts_append(o, e, NULL, NULL);
}
