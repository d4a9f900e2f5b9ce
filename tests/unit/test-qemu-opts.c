/*
 * The small builders under the argv: the one comma escaper (qemu_escape_value), QemuOpts key=value
 * strings, JSON Props, the sticky-error Argv (STYLE R13/R14), and shell_quote(), whose output must
 * survive a real POSIX shell unchanged.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "argv.h"
#include "cleanup.h"
#include "qemu-argv.h"
#include "qemu-opts.h"
#include "qemu-props.h"
#include "strv.h"
#include "test-util.h"

/* ---- qemu_escape_value ---- */

static void assert_escape(const char *in, const char *want) {
        _cleanup_free_ char *out = NULL;

        cr_assert_eq(qemu_escape_value(in, &out), 0, "'%s' was refused", in);
        cr_assert_str_eq(out, want);
}

Test(qemu_escape_value, commas_are_doubled) {
        assert_escape("plain", "plain");
        assert_escape("a,b", "a,,b");
        assert_escape(",", ",,");
        assert_escape(",,", ",,,,");
        assert_escape(",lead", ",,lead");
        assert_escape("trail,", "trail,,");
        assert_escape("/path/with,file=/etc/shadow", "/path/with,,file=/etc/shadow");
        test_assert_no_leaks();
}

Test(qemu_escape_value, everything_else_is_untouched) {
        assert_escape("key=value", "key=value");
        assert_escape("'single' \"double\" `back` $(sub) \\", "'single' \"double\" `back` $(sub) \\");
        assert_escape("-device", "-device");
        assert_escape("tab\there", "tab\there");
        assert_escape("\xc2\xb5nicode", "\xc2\xb5nicode");
        test_assert_no_leaks();
}

Test(qemu_escape_value, unrepresentable_values_are_refused) {
        char *out = (char *) "untouched";

        cr_assert_eq(qemu_escape_value("", &out), -EINVAL, "an empty value is never what the user meant");
        cr_assert_eq(qemu_escape_value("a\nb", &out), -EINVAL, "a newline cannot be carried");
        cr_assert_eq(qemu_escape_value("\n", &out), -EINVAL);
        cr_assert_eq(qemu_escape_value("a\rb", &out), -EINVAL, "nor a carriage return");
        cr_assert_str_eq(out, "untouched", "the output must not be set on failure");
        test_assert_no_leaks();
}

Test(qemu_escape_value, long_input) {
        size_t n = 1 << 20;
        _cleanup_free_ char *in = malloc(n + 1), *out = NULL;

        cr_assert(in);
        for (size_t i = 0; i < n; i++)
                in[i] = i % 3 == 0 ? ',' : 'x';
        in[n] = 0;
        cr_assert_eq(qemu_escape_value(in, &out), 0);
        cr_assert_eq(strlen(out), n + (n + 2) / 3);
        for (size_t i = 0, k = 0; i < n; i++, k++) {
                cr_assert_eq(out[k], in[i]);
                if (in[i] == ',')
                        cr_assert_eq(out[++k], ',');
        }
        test_assert_no_leaks();
}

/* ---- QemuOpts ---- */

static char *opts_to_string(QemuOpts *o, int *ret_error) {
        Argv a = {};
        char **v = NULL, *s = NULL;

        argv_add_opts(&a, "-opt", o);
        *ret_error = argv_steal(&a, &v);
        if (*ret_error == 0) {
                cr_assert_str_eq(v[0], "-opt");
                s = strdup(v[1]);
                cr_assert_null(v[2]);
        }
        strv_free(v);
        return s;
}

Test(qemu_opts, builds_key_value_list) {
        QemuOpts o = {};
        _cleanup_free_ char *s = NULL;
        int r;

        qemu_opts_add_literal(&o, "socket");
        qemu_opts_add(&o, "id", "char0");
        qemu_opts_add(&o, "path", "/run/a,b");
        qemu_opts_add(&o, "skipped", NULL);
        qemu_opts_addf(&o, "port", "%d", 4555);
        qemu_opts_add_empty_ok(&o, "host", "");
        qemu_opts_add_empty_ok(&o, "localaddr", NULL);
        s = opts_to_string(&o, &r);
        cr_assert_eq(r, 0);
        cr_assert_str_eq(s, "socket,id=char0,path=/run/a,,b,port=4555,host=,localaddr=");
        cr_assert_null(o.buf, "argv_add_opts() releases the options");
        test_assert_no_leaks();
}

Test(qemu_opts, positional_value) {
        QemuOpts o = {};
        _cleanup_free_ char *s = NULL;
        int r;

        qemu_opts_add_positional(&o, "Nehalem,with-comma");
        qemu_opts_add_literal(&o, "pmu=off");
        s = opts_to_string(&o, &r);
        cr_assert_eq(r, 0);
        cr_assert_str_eq(s, "Nehalem,,with-comma,pmu=off");

        /* '=' would turn a positional value into a key */
        o = (QemuOpts) {};
        qemu_opts_add_positional(&o, "model=evil");
        cr_assert_eq(o.error, -EINVAL);
        qemu_opts_done(&o);
        test_assert_no_leaks();
}

Test(qemu_opts, error_is_sticky_and_moves_to_argv) {
        QemuOpts o = {};
        Argv a = {};
        char **v = NULL;

        qemu_opts_add(&o, "a", "1");
        qemu_opts_add(&o, "path", "bad\nvalue");
        cr_assert_eq(o.error, -EINVAL);
        qemu_opts_add(&o, "b", "2");            /* ignored after the failure */
        qemu_opts_add_literal(&o, "c=3");
        cr_assert_str_eq(o.buf, "a=1");
        argv_add(&a, "/usr/bin/qemu");
        argv_add_opts(&a, "-chardev", &o);
        argv_add(&a, "-S");
        cr_assert_eq(a.error, -EINVAL);
        cr_assert_eq(argv_steal(&a, &v), -EINVAL);
        cr_assert_null(v);
        cr_assert_null(a.v, "a failed steal frees the vector");
        test_assert_no_leaks();
}

Test(qemu_opts, empty_option_is_an_error) {
        QemuOpts o = {};
        int r;

        cr_assert_null(opts_to_string(&o, &r));
        cr_assert_eq(r, -EINVAL, "an option without any value is a bug, not an empty argument");
        test_assert_no_leaks();
}

/* ---- Argv ---- */

Test(argv, starts_empty_and_null_terminated) {
        Argv a = {};
        char **v = NULL;

        cr_assert_eq(argv_steal(&a, &v), 0);
        cr_assert_not_null(v);
        cr_assert_null(v[0]);
        strv_free(v);
        test_assert_no_leaks();
}

Test(argv, add_and_addf) {
        Argv a = {};
        char **v = NULL;

        argv_add(&a, "/usr/bin/qemu-system-x86_64");
        argv_addf(&a, "-%s", "S");
        argv_addf(&a, "%u,%s", 7u, "x");
        cr_assert_eq(a.n, 3);
        cr_assert_null(a.v[a.n], "the vector is NULL-terminated after every push");
        cr_assert_eq(argv_steal(&a, &v), 0);
        cr_assert_str_eq(v[0], "/usr/bin/qemu-system-x86_64");
        cr_assert_str_eq(v[1], "-S");
        cr_assert_str_eq(v[2], "7,x");
        cr_assert_null(v[3]);
        strv_free(v);
        test_assert_no_leaks();
}

Test(argv, first_error_wins) {
        Argv a = {};
        char **v = NULL;

        argv_add(&a, "one");
        argv_fail(&a, -EOPNOTSUPP);
        argv_fail(&a, -EINVAL);
        argv_add(&a, "two");
        argv_consume(&a, strdup("three"));      /* freed, not leaked (ASan/valgrind check that) */
        argv_consume(&a, NULL);
        cr_assert_eq(a.error, -EOPNOTSUPP);
        cr_assert_eq(a.n, 1, "nothing is added after a failure");
        cr_assert_eq(argv_steal(&a, &v), -EOPNOTSUPP);
        cr_assert_null(v);
        test_assert_no_leaks();
}

Test(argv, consume_null_means_out_of_memory) {
        Argv a = {};

        argv_add(&a, "x");
        argv_consume(&a, NULL);
        cr_assert_eq(a.error, -ENOMEM);
        argv_done(&a);
        cr_assert_null(a.v);
        cr_assert_eq(a.error, 0);
        test_assert_no_leaks();
}

/* ---- Props ---- */

Test(props, serialises_typed_json) {
        Props p, sub;
        Argv a = {};
        char **v = NULL;
        json_object *o, *x;

        props_init(&p);
        props_str(&p, "driver", "virtio-blk-pci");
        props_str(&p, "skipped", NULL);
        props_str(&p, "serial", "quote\" back\\ nl\n comma, ok");
        props_int(&p, "neg", -5);
        props_uint(&p, "big", UINT64_MAX);
        props_bool(&p, "ro", true);
        props_strf(&p, "addr", "0x%x", 10);
        props_init(&sub);
        props_bool(&sub, "direct", true);
        props_obj(&p, "cache", &sub);
        argv_add_props(&a, "-device", &p);
        cr_assert_eq(argv_steal(&a, &v), 0);
        cr_assert_str_eq(v[0], "-device");
        cr_assert_null(strchr(v[1], '\n'), "JSON must stay on one line");

        o = json_tokener_parse(v[1]);
        cr_assert_not_null(o, "not JSON: %s", v[1]);
        cr_assert_eq(json_object_object_length(o), 7);
        cr_assert(json_object_object_get_ex(o, "serial", &x));
        cr_assert_str_eq(json_object_get_string(x), "quote\" back\\ nl\n comma, ok");
        cr_assert(json_object_object_get_ex(o, "big", &x));
        cr_assert_eq(json_object_get_uint64(x), UINT64_MAX);
        cr_assert(json_object_object_get_ex(o, "neg", &x));
        cr_assert_eq(json_object_get_int64(x), -5);
        cr_assert(json_object_object_get_ex(o, "cache", &x));
        cr_assert(json_object_is_type(x, json_type_object));
        cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "addr")), "0xa");
        json_object_put(o);
        strv_free(v);
        test_assert_no_leaks();
}

Test(props, sub_object_error_propagates) {
        Props p, sub;
        Argv a = {};
        char **v = NULL;

        props_init(&p);
        props_init(&sub);
        sub.error = -ENOMEM;                    /* as if an allocation inside had failed */
        props_obj(&p, "cache", &sub);
        cr_assert_eq(p.error, -ENOMEM);
        argv_add_props(&a, "-blockdev", &p);
        cr_assert_eq(argv_steal(&a, &v), -ENOMEM);
        test_assert_no_leaks();
}

/* ---- shell_quote ---- */

static const char * const shell_words[] = {
        "plain",
        "/usr/bin/qemu-system-x86_64",
        "guest=a,b,debug-threads=on",
        "",
        " ",
        "two words",
        "it's",
        "''",
        "\"double\"",
        "$HOME",
        "$(id)",
        "`id`",
        "back\\slash",
        "new\nline",
        "tab\tand\rcr",
        "*",
        "?[a]",
        "~root",
        "a;b|c&d",
        "<in >out",
        "!bang",
        "#hash",
        "{\"driver\":\"virtio-blk-pci\",\"id\":\"x\"}",
        "-device",
        "--",
        "\xc2\xb5nicode",
        "=",
        "%@+:,.",
};

Test(shell_quote, safe_words_are_left_alone) {
        static const char * const safe[] = { "plain", "/usr/bin/qemu", "guest=a,debug-threads=on", "-S", "a.b_c:d@e%f+g" };

        for (size_t i = 0; i < ELEMENTSOF(safe); i++) {
                _cleanup_free_ char *q = shell_quote(safe[i]);
                cr_assert_str_eq(q, safe[i]);
        }
        _cleanup_free_ char *e = shell_quote("");
        cr_assert_str_eq(e, "''", "an empty word must survive the shell");
        test_assert_no_leaks();
}

/* Quote every word, let /bin/sh expand them and print them NUL-separated: the words come back. */
Test(shell_quote, round_trips_through_sh) {
        _cleanup_free_ char *cmd = strdup("printf '%s\\0'"), *out = NULL;
        size_t n = 0, cap = 0;
        FILE *f;

        cr_assert(cmd);
        for (size_t i = 0; i < ELEMENTSOF(shell_words); i++) {
                _cleanup_free_ char *q = shell_quote(shell_words[i]);
                char *c;
                cr_assert(q);
                cr_assert(asprintf(&c, "%s %s", cmd, q) >= 0);
                free(cmd);
                cmd = c;
        }
        f = popen(cmd, "r");                    /* runs /bin/sh -c CMD */
        cr_assert(f, "popen: %m");
        for (;;) {
                if (cap - n < 4096) {
                        out = realloc(out, cap += 65536);
                        cr_assert(out);
                }
                size_t k = fread(out + n, 1, cap - n, f);
                if (k == 0)
                        break;
                n += k;
        }
        cr_assert_eq(pclose(f), 0, "the shell failed on: %s", cmd);

        size_t off = 0;
        for (size_t i = 0; i < ELEMENTSOF(shell_words); i++) {
                cr_assert(off < n, "the shell printed only %zu of %zu words", i, ELEMENTSOF(shell_words));
                cr_assert_str_eq(out + off, shell_words[i], "word %zu changed in the shell", i);
                off += strlen(out + off) + 1;
        }
        cr_assert_eq(off, n, "the shell printed more words than it was given: something split a word");
        test_assert_no_leaks();
}
