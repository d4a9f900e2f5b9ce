/*
 * The strict domain XML parser, beyond what the golden .err files show: libvirt's scaled integers
 * (units, rounding, overflow), name validation at its limits, UUID canonicalisation, reading files
 * and stdin, the size cap, lax mode, and untrusted-input handling (entities, DTDs).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domxml.h"
#include "strv.h"
#include "test-util.h"

#define DOMAIN_WITH(memory) \
        "<domain type='qemu'><name>t</name>" memory \
        "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"

static int parse(const char *xml, VmDef **ret, char **ret_error) {
        return domxml_parse_memory(xml, strlen(xml), "t.xml", /* flags= */ 0, ret, ret_error, NULL);
}

/* ---- scaled integers (<memory unit=...>) ---- */

typedef struct Scaled {
        char value[24], unit[12];       /* unit "" = attribute absent */
        long long kib;                  /* -1: must be refused */
} Scaled;

static const Scaled scaled[] = {
        { "1024", "", 1024 },                   /* the default unit is KiB */
        { "1024", "KiB", 1024 },
        { "1024", "k", 1024 },
        { "1024", "K", 1024 },
        { "1024", "kib", 1024 },                /* units are case-insensitive */
        { "1000", "KB", 977 },                  /* KB is 1000 bytes: 976.5625 KiB, rounded up */
        { "2048", "b", 2 },
        { "2048", "bytes", 2 },
        { "2048", "byte", 2 },
        { "1025", "B", 2 },                     /* partial KiB round up */
        { "1", "bytes", 1 },
        { "0", "KiB", 0 },
        { "256", "M", 262144 },
        { "256", "MiB", 262144 },
        { "256", "mIb", 262144 },
        { "1", "MB", 977 },                     /* 10^6 bytes */
        { "2", "G", 2097152 },
        { "2", "GiB", 2097152 },
        { "1", "GB", 976563 },
        { "1", "T", 1073741824LL },
        { "1", "TiB", 1073741824LL },
        { "1", "TB", 976562500LL },
        { "1", "P", 1099511627776LL },
        { "1", "PiB", 1099511627776LL },
        { "1", "E", 1125899906842624LL },
        { "15", "EiB", 16888498602639360LL },
        { "16", "EiB", -1 },                    /* 2^64 bytes: overflow */
        { "18446744073709551615", "b", 18014398509481984LL },   /* UINT64_MAX bytes, rounded up */
        { "18446744073709551616", "b", -1 },
        { "1", "KiBi", -1 },
        { "1", "parsec", -1 },
        { "1", "", 1 },
        { "-1", "KiB", -1 },
        { "+1", "KiB", -1 },
        { "0x10", "KiB", -1 },
        { "12abc", "KiB", -1 },
        { "1.5", "GiB", -1 },
        { "", "KiB", -1 },
};

ParameterizedTestParameters(domxml, scaled_units) {
        return cr_make_param_array(Scaled, scaled, ELEMENTSOF(scaled));
}

ParameterizedTest(const Scaled *s, domxml, scaled_units) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *xml = NULL, *error = NULL;
        int r;

        if (s->unit[0])
                xml = test_strdupf(DOMAIN_WITH("<memory unit='%s'>%s</memory>"), s->unit, s->value);
        else
                xml = test_strdupf(DOMAIN_WITH("<memory>%s</memory>"), s->value);
        r = parse(xml, &def, &error);
        if (s->kib < 0) {
                cr_assert_eq(r, -EINVAL, "'%s %s' was accepted as %llu KiB", s->value, s->unit,
                             def ? (unsigned long long) def->memory_kib : 0ULL);
                cr_assert(error && strstr(error, "t.xml:1: <memory>: "), "unclear message: %s", strempty(error));
        } else {
                cr_assert_eq(r, 0, "'%s %s': %s", s->value, s->unit, strempty(error));
                cr_assert_eq(def->memory_kib, (unsigned long long) s->kib, "'%s %s' gave %llu KiB, expected %lld",
                             s->value, s->unit, (unsigned long long) def->memory_kib, s->kib);
        }
        test_assert_no_leaks();
}

Test(domxml, scaled_units_elsewhere) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        static const char xml[] =
                "<domain type='qemu'><name>t</name><memory unit='GiB'>1</memory>"
                "<currentMemory unit='MiB'>512</currentMemory>"
                "<maxMemory slots='4' unit='G'>4</maxMemory>"
                "<memtune><hard_limit unit='M'>1536</hard_limit><min_guarantee unit='bytes'>1048576</min_guarantee>"
                "</memtune>"
                "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/></numa></cpu>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>";

        cr_assert_eq(parse(xml, &def, &error), 0, "%s", strempty(error));
        cr_assert_eq(def->memory_kib, 1048576);
        cr_assert_eq(def->current_memory_kib, 524288);
        cr_assert_eq(def->max_memory_kib, 4194304);
        cr_assert_eq(def->max_memory_slots, 4);
        cr_assert_eq(def->tune.hard_limit_kib, 1572864);
        cr_assert_eq(def->tune.min_guarantee_kib, 1024);
        cr_assert_eq(def->cpu.n_cells, 1);
        cr_assert_eq(def->cpu.cells[0].memory_kib, 1048576);
        test_assert_no_leaks();
}

/* ---- names ---- */

Test(domxml, name_validation_limits) {
        char name[202];

        memset(name, 'n', sizeof(name) - 1);
        name[200] = 0;
        cr_assert_eq(vm_name_validate(name), 0, "200 characters are allowed");
        name[200] = 'n';
        name[201] = 0;
        cr_assert_eq(vm_name_validate(name), -EINVAL, "201 are not");
        cr_assert_eq(vm_name_validate(""), -EINVAL);
        cr_assert_eq(vm_name_validate(NULL), -EINVAL);
        cr_assert_eq(vm_name_validate("."), -EINVAL);
        cr_assert_eq(vm_name_validate(".."), -EINVAL);
        cr_assert_eq(vm_name_validate("a/b"), -EINVAL);
        cr_assert_eq(vm_name_validate("/"), -EINVAL);
        cr_assert_eq(vm_name_validate("a\nb"), -EINVAL);
        cr_assert_eq(vm_name_validate("a\x7f"), -EINVAL);
        cr_assert_eq(vm_name_validate("web.example"), 0);
        cr_assert_eq(vm_name_validate("a,b=c d"), 0, "commas and spaces are escaped later, not refused");
        cr_assert_eq(vm_name_validate("-device"), 0);
        cr_assert_eq(vm_name_validate("\xc3\xa9t\xc3\xa9"), 0);
        test_assert_no_leaks();
}

/* ---- UUIDs ---- */

Test(domxml, uuid_is_canonicalised) {
        static const char * const forms[] = {
                "6A2C1E1E-3D4F-4B7A-9C0E-0123456789AB",
                "6a2c1e1e3d4f4b7a9c0e0123456789ab",
                "6a2c1e1e 3d4f 4b7a 9c0e 0123456789ab",
        };

        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                _cleanup_(vm_def_freep) VmDef *def = NULL;
                _cleanup_free_ char *xml = test_strdupf(DOMAIN_WITH("<uuid>%s</uuid><memory>1024</memory>"), forms[i]),
                                    *error = NULL;
                cr_assert_eq(parse(xml, &def, &error), 0, "%s: %s", forms[i], strempty(error));
                cr_assert_str_eq(def->uuid, "6a2c1e1e-3d4f-4b7a-9c0e-0123456789ab");
        }
        test_assert_no_leaks();
}

Test(domxml, bad_uuids) {
        static const char * const bad[] = {
                "6a2c1e1e-3d4f-4b7a-9c0e-0123456789a",         /* 31 digits */
                "6a2c1e1e-3d4f-4b7a-9c0e-0123456789abc",       /* 33 */
                "6a2c1e1e-3d4f-4b7a-9c0e-0123456789ag",
                "",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(vm_def_freep) VmDef *def = NULL;
                _cleanup_free_ char *xml = test_strdupf(DOMAIN_WITH("<uuid>%s</uuid><memory>1024</memory>"), bad[i]),
                                    *error = NULL;
                cr_assert_eq(parse(xml, &def, &error), -EINVAL, "'%s' was accepted", bad[i]);
                cr_assert(error && strstr(error, "<uuid>"), "%s", strempty(error));
        }
        test_assert_no_leaks();
}

/* ---- files, stdin, size ---- */

static const char good[] = DOMAIN_WITH("<memory>1024</memory>");

Test(domxml, parse_file_errors) {
        VmDef *def = NULL;
        char *error = NULL;

        cr_assert_eq(domxml_parse_file("/nonexistent/vmunit/domain.xml", 0, &def, &error, NULL), -ENOENT);
        cr_assert_null(def);
        free(error);
        error = NULL;
        cr_assert_eq(domxml_parse_file("/", 0, &def, &error, NULL), -EISDIR);
        cr_assert_null(def);
        free(error);
        test_assert_no_leaks();
}

Test(domxml, parse_file_and_stdin) {
        char path[] = "/tmp/vmunit-test-domxml-XXXXXX";
        int fd = mkstemp(path);
        VmDef *def = NULL;
        char *error = NULL;

        cr_assert(fd >= 0, "%m");
        cr_assert_eq(write(fd, good, strlen(good)), (ssize_t) strlen(good));
        cr_assert_eq(domxml_parse_file(path, 0, &def, &error, NULL), 0, "%s", strempty(error));
        cr_assert_str_eq(def->name, "t");
        def = vm_def_free(def);

        /* "-" is stdin: each Criterion test runs in its own process, so replacing fd 0 is harmless */
        cr_assert(lseek(fd, 0, SEEK_SET) == 0);
        cr_assert(dup2(fd, STDIN_FILENO) == STDIN_FILENO);
        cr_assert_eq(domxml_parse_file("-", 0, &def, &error, NULL), 0, "%s", strempty(error));
        cr_assert_str_eq(def->name, "t");
        def = vm_def_free(def);
        close(fd);
        unlink(path);
        test_assert_no_leaks();
}

Test(domxml, stdin_errors_name_stdin) {
        int p[2];
        VmDef *def = NULL;
        char *error = NULL;

        cr_assert(pipe(p) == 0);
        cr_assert_eq(write(p[1], "<domain>", 8), 8);
        close(p[1]);
        cr_assert(dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
        close(p[0]);
        cr_assert_eq(domxml_parse_file("-", 0, &def, &error, NULL), -EINVAL);
        cr_assert(error && strstr(error, "<stdin>:"), "%s", strempty(error));
        free(error);
        test_assert_no_leaks();
}

Test(domxml, size_is_capped) {
        size_t n = DOMXML_MAX_SIZE + 1;
        _cleanup_free_ char *big = malloc(n);
        char path[] = "/tmp/vmunit-test-domxml-XXXXXX";
        VmDef *def = NULL;
        char *error = NULL;
        int fd;

        cr_assert(big);
        memset(big, ' ', n);
        memcpy(big, good, strlen(good));        /* a valid document followed by too much whitespace */
        cr_assert_eq(domxml_parse_memory(big, n, "big.xml", 0, &def, &error, NULL), -E2BIG);
        cr_assert_null(def);
        cr_assert(error && strstr(error, "big.xml"), "%s", strempty(error));
        error = mfree(error);

        fd = mkstemp(path);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, big, n), (ssize_t) n);
        close(fd);
        cr_assert_eq(domxml_parse_file(path, 0, &def, &error, NULL), -E2BIG);
        cr_assert_null(def);
        free(error);
        unlink(path);

        /* exactly at the cap is still read */
        cr_assert_eq(domxml_parse_memory(big, DOMXML_MAX_SIZE, "cap.xml", 0, &def, &error, NULL), 0,
                     "%s", strempty(error));
        vm_def_free(def);
        test_assert_no_leaks();
}

/* ---- strict and lax ---- */

Test(domxml, lax_mode_warns_and_goes_on) {
        static const char xml[] =
                "<domain type='qemu' frob='1'>\n"
                "  <name>t</name>\n"
                "  <memory>1024</memory>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "  <turbo/>\n"
                "</domain>\n";
        VmDef *def = NULL;
        char *error = NULL, **warnings = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "lax.xml", 0, &def, &error, &warnings), -EINVAL);
        cr_assert(error && strstr(error, "lax.xml:1: <domain>: unsupported attribute 'frob'"), "%s", strempty(error));
        error = mfree(error);
        strv_free(warnings);
        warnings = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "lax.xml", DOMXML_LAX, &def, &error, &warnings), 0,
                     "%s", strempty(error));
        cr_assert_eq(strv_length(warnings), 2);
        cr_assert(strstr(warnings[0], "lax.xml:1: <domain>: unsupported attribute 'frob'"), "%s", warnings[0]);
        cr_assert(strstr(warnings[1], "lax.xml:5: <turbo>: unsupported element"), "%s", warnings[1]);
        strv_free(warnings);
        vm_def_free(def);
        test_assert_no_leaks();
}

/* libvirt's QEMU driver accepts <catchup> and has nothing to give it to: accepted with a warning
 * naming the line; without tickpolicy='catchup' it makes no sense and is refused. */
Test(domxml, timer_catchup_is_a_warning) {
        static const char xml[] =
                "<domain type='qemu'>\n"
                "  <name>t</name>\n"
                "  <memory>1024</memory>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "  <clock offset='utc'>\n"
                "    <timer name='rtc' tickpolicy='catchup'><catchup slew='4636'/></timer>\n"
                "    <timer name='pit' tickpolicy='catchup'><catchup threshold='123' limit='2342'/></timer>\n"
                "  </clock>\n"
                "</domain>\n";
        VmDef *def = NULL;
        char *error = NULL, **warnings = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "c.xml", 0, &def, &error, &warnings), 0, "%s",
                     strempty(error));
        cr_assert_eq(strv_length(warnings), 2);
        cr_assert(strstr(warnings[0], "c.xml:6: <timer><catchup>: QEMU has no setting for catch-up"), "%s", warnings[0]);
        cr_assert(strstr(warnings[1], "c.xml:7: <timer><catchup>:"), "%s", warnings[1]);
        cr_assert_eq(def->clock.n_timers, 2);
        cr_assert_str_eq(def->clock.timers[0].tickpolicy, "catchup");
        strv_free(warnings);
        vm_def_free(def);

        static const char * const bad[] = {
                "<timer name='rtc' tickpolicy='delay'><catchup slew='1'/></timer>",
                "<timer name='rtc'><catchup slew='1'/></timer>",
                "<timer name='rtc' tickpolicy='catchup'><catchup slew='-1'/></timer>",
                "<timer name='rtc' tickpolicy='catchup'><catchup speed='1'/></timer>",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *doc = NULL;
                cr_assert_geq(asprintf(&doc, "<domain type='qemu'><name>t</name><memory>1024</memory><os><type "
                                       "arch='x86_64' machine='pc'>hvm</type></os><clock offset='utc'>%s</clock>"
                                       "</domain>", bad[i]), 0);
                error = NULL;
                cr_assert_eq(parse(doc, &def, &error), -EINVAL, "accepted: %s", bad[i]);
                cr_assert(error && strstr(error, "t.xml:1: <"), "%s", strempty(error));
                free(error);
        }
        test_assert_no_leaks();
}

/* A channel socket path libvirt generated for a running VM (kept by virsh dumpxml) is generated anew
 * in vmunit's runtime directory; any other path is the user's and stays. */
Test(domxml, libvirt_generated_channel_paths_are_dropped) {
        static const struct {
                const char *path, *name;
                bool generated;
        } cases[] = {
                { "/var/lib/libvirt/qemu/channel/target/domain-5-web/org.qemu.guest_agent.0", "org.qemu.guest_agent.0", true },
                { "/tmp/channel/domain-oldname/fdsa", "fdsa", true },
                { "/var/lib/libvirt/qemu/channel/target/web.org.qemu.guest_agent.0", "org.qemu.guest_agent.0", true },
                { "/var/lib/libvirt/qemu/channel/target/web.org.qemu.guest_agent.0", NULL, true },
                { "/srv/sockets/domain-web/agent", "other", false },
                { "/srv/sockets/domain-/fdsa", "fdsa", false },
                { "/srv/sockets/web/fdsa", "fdsa", false },
                { "/srv/domain-web/fdsa/x", "fdsa", false },
                { "/run/agent.sock", "org.qemu.guest_agent.0", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *doc = NULL, *target = NULL;
                VmDef *def = NULL;
                char *error = NULL;

                if (cases[i].name)
                        cr_assert_geq(asprintf(&target, "<target type='virtio' name='%s'/>", cases[i].name), 0);
                cr_assert_geq(asprintf(&doc, "<domain type='qemu'><name>t</name><memory>1024</memory><os><type "
                                       "arch='x86_64' machine='pc'>hvm</type></os><devices><channel type='unix'>"
                                       "<source mode='bind' path='%s'/>%s</channel></devices></domain>",
                                       cases[i].path, target ?: "<target type='virtio'/>"), 0);
                cr_assert_eq(parse(doc, &def, &error), 0, "%s", strempty(error));
                cr_assert_eq(def->n_chars, 1);
                if (cases[i].generated)
                        cr_assert_null(def->chars[0].src.path, "kept %s", cases[i].path);
                else
                        cr_assert_str_eq(def->chars[0].src.path, cases[i].path);
                vm_def_free(def);
        }
        test_assert_no_leaks();
}

Test(domxml, foreign_namespaced_attribute_is_unsupported) {
        static const char xml[] =
                "<domain type='qemu' xmlns:x='http://example.org/x'><name x:tag='1'>t</name><memory>1024</memory>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>";
        VmDef *def = NULL;
        char *error = NULL;

        cr_assert_eq(parse(xml, &def, &error), -EINVAL);
        cr_assert(error && strstr(error, "<name>: unsupported attribute 'tag'"), "%s", strempty(error));
        free(error);
        test_assert_no_leaks();
}

Test(domxml, metadata_and_comments_are_free_form) {
        static const char xml[] =
                "<!-- a comment -->\n<domain type='qemu'><name>t</name><!-- inside -->"
                "<metadata><app:x xmlns:app='http://example.org/app' any='thing'><deep/></app:x></metadata>"
                "<memory>1024</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>";
        VmDef *def = NULL;
        char *error = NULL;

        cr_assert_eq(parse(xml, &def, &error), 0, "%s", strempty(error));
        vm_def_free(def);
        test_assert_no_leaks();
}

/* ---- untrusted input ---- */

Test(domxml, external_entities_are_not_loaded) {
        char path[] = "/tmp/vmunit-test-entity-XXXXXX";
        int fd = mkstemp(path);
        _cleanup_free_ char *xml = NULL;
        VmDef *def = NULL;
        char *error = NULL;
        int r;

        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, "SECRET-CONTENT", 14), 14);
        close(fd);
        xml = test_strdupf("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>]>"
                           "<domain type='qemu'><name>n&x;</name><description>&x;</description><memory>1024</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>", path);
        r = parse(xml, &def, &error);
        if (r == 0) {
                cr_assert_null(strstr(def->name, "SECRET"), "the external entity was loaded into <name>");
                cr_assert(!def->description || !strstr(def->description, "SECRET"), "the entity was loaded");
        } else
                cr_assert(error && !strstr(error, "SECRET"), "%s", strempty(error));
        vm_def_free(def);
        free(error);
        unlink(path);
        test_assert_no_leaks();
}

Test(domxml, entity_expansion_is_bounded, .timeout = 10) {
        /* "billion laughs": 10^9 copies if expanded */
        static const char xml[] =
                "<!DOCTYPE domain [\n"
                " <!ENTITY a \"xxxxxxxxxx\">\n"
                " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
                " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
                " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
                " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
                " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
                " <!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
                " <!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
                "]>\n"
                "<domain type='qemu'><name>t</name><description>&i;</description><memory>1024</memory>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>";
        VmDef *def = NULL;
        char *error = NULL;
        int r;

        r = parse(xml, &def, &error);
        if (r == 0)
                cr_assert(!def->description || strlen(def->description) < DOMXML_MAX_SIZE,
                          "an entity was expanded to %zu bytes", strlen(def->description));
        else
                cr_assert(error, "refused without a message");
        vm_def_free(def);
        free(error);
        test_assert_no_leaks();
}

/* A listener on the loopback interface stands in for a DTD server: nothing may connect to it. */
Test(domxml, external_dtd_is_not_fetched, .timeout = 10) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        _cleanup_free_ char *xml = NULL;
        VmDef *def = NULL;
        char *error = NULL;
        int s, c;

        s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        cr_assert(s >= 0);
        cr_assert(bind(s, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(s, 4) == 0);
        cr_assert(getsockname(s, (struct sockaddr *) &sa, &sl) == 0);
        xml = test_strdupf("<!DOCTYPE domain SYSTEM 'http://127.0.0.1:%u/domain.dtd'>"
                           "<domain type='qemu'><name>t</name><memory>1024</memory>"
                           "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>", ntohs(sa.sin_port));
        cr_assert_eq(parse(xml, &def, &error), 0, "%s", strempty(error));
        c = accept(s, NULL, NULL);
        cr_assert(c < 0 && errno == EAGAIN, "the parser fetched the external DTD");
        vm_def_free(def);
        close(s);
        test_assert_no_leaks();
}
