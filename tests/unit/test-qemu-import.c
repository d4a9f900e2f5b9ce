/*
 * `vmctl domxml-from-native qemu-argv` (lib/qemu-import*.c) and its two parsers:
 *   - shell word splitting (lib/shell-words.c) and QEMU option strings with the one ",," un-escaper
 *     (lib/qemu-opts-parse.c), including the round trip against qemu_escape_value();
 *   - golden files, one per option family: tests/data/import/<case>.args must import to exactly
 *     <case>.xml, with exactly the messages in <case>.notes; the XML must pass the strict parser and
 *     build a QEMU command line. VMUNIT_TEST_REGENERATE=1 rewrites .xml and .notes: review the diff;
 *   - hostile lines: unbalanced quotes, NUL bytes, a 1 MiB line, missing option values, escaped commas,
 *     malformed values: a clear error or a correct parse, never a crash.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "domxml-write.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "qemu-import.h"
#include "qemu-opts-parse.h"
#include "qemu-opts.h"
#include "shell-words.h"
#include "strv.h"

#define TEST_UUID "00000000-0000-0000-0000-000000000000"
#define TEST_BASE_DIR "/srv/vms"

static char *data_path(const char *name, const char *ext) {
        const char *dir = getenv("VMUNIT_TEST_DATA");
        char *p;

        cr_assert(dir, "VMUNIT_TEST_DATA is not set (tests/meson.build sets it)");
        cr_assert(asprintf(&p, "%s/import/%s%s", dir, name, ext) >= 0);
        return p;
}

static char *read_file(const char *path) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re"), *m;
        int c;

        if (!f)
                return NULL;
        m = open_memstream(&buf, &len);
        cr_assert(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        cr_assert(f, "%s: %s", path, strerror(errno));
        fputs(text, f);
        cr_assert(fclose(f) == 0);
}

static bool regenerate(void) {
        const char *e = getenv("VMUNIT_TEST_REGENERATE");
        return e && streq(e, "1");
}

static int import(const char *line, VmDef **ret, char ***ret_notes, char **ret_error) {
        return qemu_import(line, strlen(line), &(QemuImportOptions) { .default_uuid = TEST_UUID,
                                                                      .base_dir = TEST_BASE_DIR },
                           ret, ret_notes, ret_error);
}

/* ---- shell words ---- */

static void assert_words(const char *line, const char * const *expect) {
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0;
        int r;

        r = shell_split(line, strlen(line), &w, &error);
        cr_assert_eq(r, 0, "'%s': %s", line, strempty(error));
        for (; expect[n]; n++) {
                cr_assert(w[n], "'%s': word %zu missing", line, n);
                cr_assert_str_eq(w[n], expect[n], "'%s': word %zu", line, n);
        }
        cr_assert_null(w[n], "'%s': extra word '%s'", line, w[n]);
}

static void assert_split_fails(const char *line, size_t len, const char *message) {
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = shell_split(line, len, &w, &error);
        cr_assert_eq(r, -EINVAL, "'%s': expected -EINVAL, got %d", line, r);
        cr_assert(error && strstr(error, message), "'%s': message '%s' lacks '%s'", line, strempty(error), message);
        cr_assert_null(w);
}

Test(shell_words, quoting) {
        assert_words("a b\tc", (const char *[]) { "a", "b", "c", NULL });
        assert_words("  lead  trail  \n", (const char *[]) { "lead", "trail", NULL });
        assert_words("'single $x \"q\"' \"dq \\\" \\\\ \\$ \\a\"",
                     (const char *[]) { "single $x \"q\"", "dq \" \\ $ \\a", NULL });
        assert_words("a\\ b c\\'d", (const char *[]) { "a b", "c'd", NULL });
        assert_words("'' \"\" x''y", (const char *[]) { "", "", "xy", NULL });
        assert_words("one \\\ntwo", (const char *[]) { "one", "two", NULL });
        assert_words("x # a comment", (const char *[]) { "x", NULL });
        assert_words("a#b $ cost$", (const char *[]) { "a#b", "$", "cost$", NULL });
        assert_words("-drive 'file=/a b,,c.img,format=raw'", (const char *[]) { "-drive", "file=/a b,,c.img,format=raw",
                                                                                 NULL });
        assert_words("", (const char *[]) { NULL });
}

Test(shell_words, refused) {
        assert_split_fails("qemu 'open", 10, "column 6: unterminated single quote");
        assert_split_fails("qemu \"open", 10, "unterminated double quote");
        assert_split_fails("qemu trailing\\", 14, "trailing backslash");
        assert_split_fails("qemu a\0b", 8, "NUL byte");
        assert_split_fails("qemu -m $MEM", 12, "expansion");
        assert_split_fails("qemu -m \"${MEM}\"", 16, "expansion");
        assert_split_fails("qemu `id`", 9, "command substitution");
        assert_split_fails("qemu -hda ~/disk.img", 20, "tilde");
        assert_split_fails("qemu > log", 10, "shell operator '>'");
        assert_split_fails("qemu -daemonize &", 17, "shell operator '&'");
        assert_split_fails("qemu a; rm b", 12, "shell operator ';'");
        assert_split_fails("qemu a\nqemu b", 13, "another line");
}

/* ---- QEMU option strings ---- */

static void assert_opts(const char *s, const char *implied, const char * const *kv) {
        _cleanup_(qemu_opt_list_donep) QemuOptList l = {};
        _cleanup_free_ char *error = NULL;
        size_t n = 0;

        cr_assert_eq(qemu_opts_parse(s, implied, &l, &error), 0, "'%s': %s", s, strempty(error));
        for (; kv[2 * n]; n++) {
                cr_assert(n < l.n, "'%s': pair %zu missing", s, n);
                cr_assert_str_eq(l.v[n].key, kv[2 * n], "'%s': key %zu", s, n);
                if (kv[2 * n + 1])
                        cr_assert_str_eq(strempty(l.v[n].value), kv[2 * n + 1], "'%s': value %zu", s, n);
                else
                        cr_assert_null(l.v[n].value, "'%s': value %zu should be null", s, n);
        }
        cr_assert_eq(l.n, n, "'%s': %zu pairs, expected %zu", s, l.n, n);
}

Test(qemu_opts_parse, keyval) {
        assert_opts("pc,usb=off", "type", (const char *[]) { "type", "pc", "usb", "off", NULL });
        assert_opts("file=a,,b,format=raw", NULL, (const char *[]) { "file", "a,b", "format", "raw", NULL });
        assert_opts("file=a,,,,b", NULL, (const char *[]) { "file", "a,,b", NULL });
        assert_opts("a,,b,x=1", "path", (const char *[]) { "path", "a,b", "x", "1", NULL });
        assert_opts("socket,server,nowait,path=/s", "backend",
                    (const char *[]) { "backend", "socket", "server", "on", "wait", "off", "path", "/s", NULL });
        assert_opts("x=,y=a=b", NULL, (const char *[]) { "x", "", "y", "a=b", NULL });
        assert_opts("size=1G,", "size", (const char *[]) { "size", "1G", NULL });
        assert_opts("{\"driver\":\"file\",\"cache\":{\"direct\":true,\"no-flush\":false},\"n\":5,\"b\":null,"
                    "\"l\":[\"x\",{\"k\":1}]}", NULL,
                    (const char *[]) { "driver", "file", "cache.direct", "on", "cache.no-flush", "off", "n", "5", "b",
                                       NULL, "l.0", "x", "l.1.k", "1", NULL });
}

Test(qemu_opts_parse, refused) {
        /* keys are never escaped: "a,,b" without an implied key is the flag "a" and an empty option */
        static const char *bad[] = { "=x", "a,=x", "{\"a\":", "{\"a\":1} junk", "{\"a.b\":1}",
                                     "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}", "a,,b" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(qemu_opt_list_donep) QemuOptList l = {};
                _cleanup_free_ char *error = NULL;
                int r = qemu_opts_parse(bad[i], NULL, &l, &error);

                cr_assert_eq(r, -EINVAL, "'%s': expected -EINVAL, got %d", bad[i], r);
                cr_assert(error, "'%s': no message", bad[i]);
        }
}

/* The un-escaper is the exact inverse of the one escaper, for any value QEMU can carry. */
Test(qemu_opts_parse, unescape_inverts_escape) {
        static const char *values[] = { "a", ",", ",,", "a,b,,c", ",lead", "trail,", "=,=", "x y", "ü,é",
                                        "{\"json\":1,\"x\":2}", "/path/with,comma/disk.img" };
        unsigned seed = 42;

        for (size_t i = 0; i < ELEMENTSOF(values) + 200; i++) {
                _cleanup_free_ char *esc = NULL, *back = NULL, *buf = NULL, *opt = NULL;
                _cleanup_(qemu_opt_list_donep) QemuOptList l = {};
                const char *v, *end;

                if (i < ELEMENTSOF(values))
                        v = values[i];
                else {
                        size_t n = 1 + (seed = seed * 1103515245 + 12345) % 20;
                        buf = calloc(n + 1, 1);
                        cr_assert(buf);
                        for (size_t k = 0; k < n; k++)
                                buf[k] = ",=a \x7f\t"[(seed = seed * 1103515245 + 12345) % 6];
                        v = buf;
                }
                cr_assert_eq(qemu_escape_value(v, &esc), 0);
                cr_assert_eq(qemu_unescape_value(esc, &back, &end), 0);
                cr_assert_str_eq(back, v);
                cr_assert_eq(*end, 0);
                /* and inside an option string, followed by another key */
                cr_assert(asprintf(&opt, "file=%s,format=raw", esc) >= 0);
                cr_assert_eq(qemu_opts_parse(opt, NULL, &l, NULL), 0);
                cr_assert_str_eq(qemu_opt_get(&l, "file"), v);
                cr_assert_str_eq(qemu_opt_get(&l, "format"), "raw");
        }
}

Test(qemu_opts_parse, sizes) {
        uint64_t v;

        cr_assert(qemu_parse_size("214", 1024 * 1024, &v) == 0 && v == 214ULL << 20);
        cr_assert(qemu_parse_size("1G", 1024 * 1024, &v) == 0 && v == 1ULL << 30);
        cr_assert(qemu_parse_size("1.5g", 1, &v) == 0 && v == 3ULL << 29);
        cr_assert(qemu_parse_size("512k", 1, &v) == 0 && v == 512ULL << 10);
        cr_assert(qemu_parse_size("2T", 1, &v) == 0 && v == 2ULL << 40);
        cr_assert(qemu_parse_size("1024B", 1024, &v) == 0 && v == 1024);
        cr_assert(qemu_parse_size("lots", 1, &v) < 0);
        cr_assert(qemu_parse_size("-1", 1, &v) < 0);
        cr_assert(qemu_parse_size("1X", 1, &v) < 0);
        cr_assert(qemu_parse_size("1GB", 1, &v) < 0);
        cr_assert(qemu_parse_size("99999999999E", 1, &v) < 0);
        cr_assert(qemu_parse_size("", 1, &v) < 0);
}

/* ---- golden files ---- */

typedef struct Case {
        char name[64];
} Case;

ParameterizedTestParameters(qemu_import, golden) {
        static Case cases[] = {
#include "../data/import/cases.inc"
        };
        return cr_make_param_array(Case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Case *c, qemu_import, golden) {
        _cleanup_free_ char *args_path = data_path(c->name, ".args"), *xml_path = data_path(c->name, ".xml"),
                            *notes_path = data_path(c->name, ".notes"), *line = NULL, *xml = NULL, *error = NULL,
                            *expected = NULL, *expected_notes = NULL, *notes_text = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
        _cleanup_strv_free_ char **notes = NULL, **warnings = NULL;
        QemuBuildOptions opts = { .runtime_dir = "/run/vmunit/test", .state_dir = "/var/lib/vmunit/test",
                                  .tap_fd_base = 1729 };
        QemuCommand cmd = {};
        size_t len = 0;
        FILE *f;
        int r;

        line = read_file(args_path);
        cr_assert(line, "%s: %s", args_path, strerror(errno));
        r = import(line, &def, &notes, &error);
        cr_assert_eq(r, 0, "%s: import failed: %s", c->name, error ?: strerror(-r));
        r = domxml_write(def, &xml, &error);
        cr_assert_eq(r, 0, "%s: cannot write: %s", c->name, strempty(error));
        f = open_memstream(&notes_text, &len);
        cr_assert(f);
        STRV_FOREACH(n, notes)
                fprintf(f, "%s\n", *n);
        fclose(f);

        if (regenerate()) {
                write_file(xml_path, xml);
                write_file(notes_path, notes_text);
        }
        expected = read_file(xml_path);
        expected_notes = read_file(notes_path);
        cr_assert(expected, "%s missing (VMUNIT_TEST_REGENERATE=1 makes it)", xml_path);
        cr_assert(expected_notes, "%s missing (VMUNIT_TEST_REGENERATE=1 makes it)", notes_path);
        cr_assert_str_eq(xml, expected, "%s: the imported XML differs from %s", c->name, xml_path);
        cr_assert_str_eq(notes_text, expected_notes, "%s: the messages differ from %s", c->name, notes_path);

        /* what is printed is what vmunit reads and runs */
        r = domxml_parse_memory(xml, strlen(xml), c->name, 0, &back, &error, &warnings);
        cr_assert_eq(r, 0, "%s: the imported XML does not parse: %s", c->name, strempty(error));
        r = qemu_argv_build(back, &opts, &cmd, &error);
        cr_assert_eq(r, 0, "%s: the imported XML does not build: %s", c->name, strempty(error));
        qemu_command_done(&cmd);
}

/* The seed's example, checked field by field against the XML libvirt's documentation shows. */
Test(qemu_import, seed_demo) {
        _cleanup_free_ char *path = data_path("demo", ".args"), *line = read_file(path), *error = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        bool usb = false;

        cr_assert(line);
        cr_assert_eq(import(line, &def, &notes, &error), 0, "%s", strempty(error));
        cr_assert_str_eq(def->uuid, TEST_UUID);
        cr_assert_str_eq(def->name, "unnamed");
        cr_assert_str_eq(def->virt_type, "qemu");
        cr_assert_eq(def->memory_kib, 219136);
        cr_assert_eq(def->vcpus, 1);
        cr_assert_str_eq(def->os.machine, "pc");
        cr_assert_str_eq(def->os.arch, "i686");
        cr_assert_eq(def->os.n_boot, 1);
        cr_assert_eq(def->os.boot[0], VM_BOOT_HD);
        cr_assert_eq(def->features.acpi, false);
        cr_assert_str_eq(def->emulator, "/usr/bin/qemu");
        cr_assert_eq(def->n_disks, 1);
        cr_assert_eq(def->disks[0].src.type, VM_DISK_TYPE_BLOCK);
        cr_assert_eq(def->disks[0].device, VM_DISK_DEVICE_DISK);
        cr_assert_str_eq(def->disks[0].src.path, "/dev/HostVG/QEMUGuest1");
        cr_assert_str_eq(def->disks[0].dst, "hda");
        cr_assert_eq(def->disks[0].bus, VM_DISK_BUS_IDE);
        cr_assert_eq(def->n_nets, 0);
        cr_assert_eq(def->n_chars, 0, "no serial, no parallel");
        cr_assert_eq(def->n_videos, 0);
        cr_assert_eq(def->n_graphics, 0);
        cr_assert_eq(def->n_qemu_args, 0, "nothing passed through");
        cr_assert_eq(def->n_qemu_env, 0, "the environment is the caller's own");
        for (unsigned i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == VM_CONTROLLER_USB)
                        cr_assert_neq(def->controllers[i].model && streq(def->controllers[i].model, "none"), true,
                                      "-usb means a USB controller");
                else
                        cr_assert_fail("unexpected controller");
        (void) usb;
}

/* ---- hostile lines ---- */

static void assert_import_fails(const char *line, size_t len, int expect, const char *message) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = qemu_import(line, len, &(QemuImportOptions) { .default_uuid = TEST_UUID }, &def, &notes, &error);
        cr_assert_eq(r, expect, "'%.60s': expected %d, got %d (%s)", line, expect, r, strempty(error));
        cr_assert(error && strstr(error, message), "'%.60s': message '%s' lacks '%s'", line, strempty(error), message);
        cr_assert_null(def);
}

Test(qemu_import, hostile) {
        assert_import_fails("qemu-system-x86_64 -drive 'file=/a", 34, -EINVAL, "unterminated single quote");
        assert_import_fails("qemu-system-x86_64 -name \"x", 27, -EINVAL, "unterminated double quote");
        assert_import_fails("qemu-system-x86_64 -m 1G\0 -smp 2", 32, -EINVAL, "NUL byte");
        assert_import_fails("qemu-system-x86_64 -m", 21, -EINVAL, "option '-m' needs a value");
        assert_import_fails("qemu-system-x86_64 -hda /a -device", 34, -EINVAL, "needs a value");
        assert_import_fails("qemu-system-x86_64 -unknown-with-value", 38, -EINVAL, "needs a value");
        assert_import_fails("qemu-system-x86_64 -m lots", 26, -EINVAL, "invalid memory size");
        assert_import_fails("qemu-system-x86_64 -smp 2,sockets=3", 35, -EINVAL, "does not add up");
        assert_import_fails("qemu-system-x86_64 -smp 99999", 29, -EINVAL, "too many CPUs");
        assert_import_fails("qemu-system-x86_64 -uuid nope", 29, -EINVAL, "not a UUID");
        assert_import_fails("qemu-system-x86_64 -name ../x/y", 31, -EINVAL, "not a valid domain name");
        assert_import_fails("qemu-system-x86_64 -device '{\"driver\":'", 39, -EINVAL, "invalid JSON");
        assert_import_fails("qemu-system-x86_64 -drive =x", 28, -EINVAL, "empty key");
        assert_import_fails("qemu-system-x86_64 -net nic,macaddr=01:00:00:00:00:01 -net user", 63, -EINVAL,
                            "multicast");
        assert_import_fails("qemu-system-x86_64 -name a\001b", 28, -EINVAL, "column 27: byte 0x01");
        assert_import_fails("qemu-system-x86_64 -name caf\xe9", 29, -EINVAL, "not UTF-8");   /* Latin-1 */
        assert_import_fails("qemu-system-x86_64 -name \xed\xa0\x80", 28, -EINVAL, "not UTF-8"); /* surrogate */
        assert_import_fails("qemu-system-x86_64 -name \xc0\xaf", 27, -EINVAL, "not UTF-8");  /* overlong */
        assert_import_fails("qemu-system-x86_64 -name \xe2\x82", 27, -EINVAL, "not UTF-8");  /* truncated */
        assert_import_fails("qemu-system-x86_64 -audiodev oss,id=audio1,in.format=u86", 56, -EINVAL,
                            "invalid sample format 'u86'");
        assert_import_fails("qemu-system-x86_64 -spice port=1,jpeg-wan-compression=sometimes", 63, -EINVAL,
                            "invalid jpeg-wan-compression 'sometimes'");
        assert_import_fails("", 0, -EINVAL, "no QEMU binary");
        assert_import_fails("A=1 B=2", 7, -EINVAL, "no QEMU binary");
}

Test(qemu_import, escaped_comma) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        _cleanup_free_ char *error = NULL;

        cr_assert_eq(import("/usr/bin/qemu-system-x86_64 -nodefaults -drive file=a,,b,format=raw,if=virtio", &def,
                            &notes, &error), 0, "%s", strempty(error));
        cr_assert_eq(def->n_disks, 1);
        cr_assert_str_eq(def->disks[0].src.path, TEST_BASE_DIR "/a,b");
        cr_assert_str_eq(def->disks[0].src.format, "raw");
        cr_assert_eq(def->disks[0].bus, VM_DISK_BUS_VIRTIO);
}

Test(qemu_import, huge_lines) {
        _cleanup_free_ char *line = NULL, *error = NULL, *xml = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        const size_t mib = 1024 * 1024;
        size_t n;

        /* a correct 1 MiB line: one huge kernel command line */
        line = malloc(mib + 128);
        cr_assert(line);
        n = (size_t) sprintf(line, "/usr/bin/qemu-system-x86_64 -nodefaults -append '");
        memset(line + n, 'k', mib);
        strcpy(line + n + mib, "'");
        cr_assert_eq(import(line, &def, &notes, &error), 0, "%s", strempty(error));
        cr_assert_eq(strlen(def->os.cmdline), mib);
        cr_assert_eq(domxml_write(def, &xml, &error), 0);
        def = vm_def_free(def);
        notes = strv_free(notes);

        /* a 1 MiB line of options: refused with a message, not imported slowly */
        n = 0;
        n += (size_t) sprintf(line, "/usr/bin/qemu-system-x86_64");
        while (n + 16 < mib)
                n += (size_t) sprintf(line + n, " -device sb16");
        error = mfree(error);
        cr_assert_eq(qemu_import(line, n, NULL, &def, &notes, &error), -E2BIG);
        cr_assert(error && strstr(error, "words"), "%s", strempty(error));
        /* and below the word limit, above the argument limit */
        n = (size_t) sprintf(line, "/usr/bin/qemu-system-x86_64");
        for (unsigned i = 0; i < 5000; i++)
                n += (size_t) sprintf(line + n, " -device sb16");
        error = mfree(error);
        cr_assert_eq(qemu_import(line, n, NULL, &def, &notes, &error), -EINVAL);
        cr_assert(error && strstr(error, "arguments"), "%s", strempty(error));

        /* past the input limit */
        free(line);
        line = malloc(SHELL_WORDS_MAX_INPUT + 2);
        cr_assert(line);
        memset(line, 'a', SHELL_WORDS_MAX_INPUT + 1);
        error = mfree(error);
        cr_assert_eq(qemu_import(line, SHELL_WORDS_MAX_INPUT + 1, NULL, &def, &notes, &error), -E2BIG);
}

/* Whatever the line, the result is either an error or XML that vmunit reads back: a small
 * deterministic fuzz over option soup. */
Test(qemu_import, option_soup) {
        static const char *words[] = {
                "-m", "1G", "-smp", "4,cores=2", "-drive", "file=/x,,y,if=virtio", "-device", "virtio-net-pci,netdev=n",
                "-netdev", "user,id=n", "-chardev", "socket,id=c,path=/s,server=on", "-serial", "chardev:c", "-vnc",
                ":1", "-cpu", "host,+x", "-boot", "dc", "-usb", "-nodefaults", "-hda", "/d", "-cdrom", "/c", "-M", "q35",
                "-global", "a.b=c", "-object", "{\"qom-type\":\"iothread\",\"id\":\"t\"}", "-monitor", "stdio", "-S",
                "-nic", "user", "-net", "nic", "-net", "user", ",", "=", "''", "-device", "ide-hd,drive=d0",
                "-blockdev", "{\"driver\":\"file\",\"node-name\":\"d0\",\"filename\":\"/z\"}", "-parallel", "none",
                "-rtc", "base=2020-01-01", "-numa", "node,nodeid=0", "-vga", "qxl", "-k", "fr", "-spice", "port=1",
        };
        unsigned seed = 7;

        for (unsigned round = 0; round < 300; round++) {
                _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
                _cleanup_strv_free_ char **notes = NULL, **warnings = NULL;
                _cleanup_free_ char *line = NULL, *error = NULL, *xml = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&line, &len);
                unsigned n = (seed = seed * 1103515245 + 12345) % 14;
                int r;

                cr_assert(f);
                fputs("/usr/bin/qemu-system-x86_64", f);
                for (unsigned k = 0; k < n; k++)
                        fprintf(f, " '%s'", words[(seed = seed * 1103515245 + 12345) % ELEMENTSOF(words)]);
                fclose(f);
                r = import(line, &def, &notes, &error);
                if (r < 0) {
                        cr_assert(error, "'%s': error %d without a message", line, r);
                        continue;
                }
                r = domxml_write(def, &xml, &error);
                cr_assert_eq(r, 0, "'%s': cannot write: %s", line, strempty(error));
                r = domxml_parse_memory(xml, strlen(xml), "soup", 0, &back, &error, &warnings);
                cr_assert_eq(r, 0, "'%s': imported XML does not parse: %s\n%s", line, strempty(error), xml);
        }
}
