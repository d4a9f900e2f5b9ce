/*
 * <metadata><vmunit:boot>: the strict parser (domxml.c) and the generator's scanner
 * (domxml-scan.c) read the same fields and refuse the same errors with the same message; the
 * writer writes them back; VM names map to vm@.service instances and back (unit-name.c); and the
 * drop-in vmunit-generator writes for each policy (boot-dropin.c).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot-dropin.h"
#include "cleanup.h"
#include "domxml-scan.h"
#include "domxml-vmunit-meta.h"
#include "domxml-write.h"
#include "domxml.h"
#include "strv.h"
#include "test-util.h"
#include "unit-name.h"

#define NS "xmlns:vmunit='" VMUNIT_NS_HREF "'"

/* A domain whose line 3 is @metadata (so that errors in it are on line 3). */
static char *domain(const char *name, const char *metadata) {
        return test_strdupf("<domain type='qemu'>\n"
                            "  <name>%s</name>\n"
                            "  %s\n"
                            "  <memory unit='MiB'>64</memory>\n"
                            "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                            "</domain>\n", name, metadata);
}

static int parse(const char *xml, VmDef **ret, char **ret_error) {
        return domxml_parse_memory(xml, strlen(xml), "t.xml", /* flags= */ 0, ret, ret_error, NULL);
}

static int scan(const char *xml, VmDef **ret, char **ret_error) {
        return domxml_scan_memory(xml, strlen(xml), "t.xml", ret, ret_error);
}

static void assert_list(char **list, unsigned n, const char * const *expected) {
        unsigned k = 0;

        while (expected[k])
                k++;
        cr_assert_eq(n, k, "%u names instead of %u", n, k);
        for (unsigned i = 0; i < n; i++)
                cr_assert_str_eq(list[i], expected[i]);
}

static void assert_boot_equal(const VmBoot *a, const VmBoot *b) {
        cr_assert_eq(a->n_after, b->n_after);
        cr_assert_eq(a->n_wants, b->n_wants);
        cr_assert_eq(a->n_requires, b->n_requires);
        for (unsigned i = 0; i < a->n_after; i++)
                cr_assert_str_eq(a->after[i], b->after[i]);
        for (unsigned i = 0; i < a->n_wants; i++)
                cr_assert_str_eq(a->wants[i], b->wants[i]);
        for (unsigned i = 0; i < a->n_requires; i++)
                cr_assert_str_eq(a->requires[i], b->requires[i]);
        cr_assert_eq(a->start_delay_usec, b->start_delay_usec);
        cr_assert_eq(a->shutdown_policy, b->shutdown_policy);
}

/* ---- reading ---- */

Test(vmunit_boot, every_field_by_both_parsers) {
        _cleanup_free_ char *xml = domain("web",
                "<metadata>"
                "<other:thing xmlns:other='urn:example'><other:x a='1'>free form</other:x></other:thing>"
                "<vmunit:boot " NS ">"
                "<vmunit:after>db</vmunit:after><vmunit:after>cache-1</vmunit:after>"
                "<vmunit:wants>logs</vmunit:wants>"
                "<vmunit:requires>my vm</vmunit:requires>"
                "<vmunit:start-delay>1500ms</vmunit:start-delay>"
                "<vmunit:shutdown-policy>kill</vmunit:shutdown-policy>"
                "</vmunit:boot></metadata>");
        _cleanup_(vm_def_freep) VmDef *full = NULL, *fast = NULL;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;

        cr_assert_eq(parse(xml, &full, &e1), 0, "%s", e1);
        cr_assert_eq(scan(xml, &fast, &e2), 0, "%s", e2);
        assert_list(full->boot.after, full->boot.n_after, (const char *[]) { "db", "cache-1", NULL });
        assert_list(full->boot.wants, full->boot.n_wants, (const char *[]) { "logs", NULL });
        assert_list(full->boot.requires, full->boot.n_requires, (const char *[]) { "my vm", NULL });
        cr_assert_eq(full->boot.start_delay_usec, 1500000);
        cr_assert_eq(full->boot.shutdown_policy, VM_SHUTDOWN_POLICY_KILL);
        cr_assert_str_eq(fast->name, "web");
        assert_boot_equal(&full->boot, &fast->boot);
        test_assert_no_leaks();
}

Test(vmunit_boot, absent_means_defaults) {
        _cleanup_free_ char *xml = domain("web", "<metadata><x:y xmlns:x='urn:x'/></metadata>");
        _cleanup_free_ char *plain = domain("web", "<description>no metadata</description>");
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL, *d3 = NULL;

        cr_assert_eq(parse(xml, &d1, NULL), 0);
        cr_assert_eq(scan(xml, &d2, NULL), 0);
        cr_assert_eq(scan(plain, &d3, NULL), 0);
        cr_assert(vm_boot_is_default(&d1->boot));
        cr_assert(vm_boot_is_default(&d2->boot));
        cr_assert(vm_boot_is_default(&d3->boot));
        cr_assert_eq(d1->boot.shutdown_policy, VM_SHUTDOWN_POLICY_SHUTDOWN);
        test_assert_no_leaks();
}

Test(vmunit_boot, any_prefix_same_namespace) {
        _cleanup_free_ char *xml = domain("web", "<metadata><v:boot xmlns:v='" VMUNIT_NS_HREF "'>"
                                                 "<v:shutdown-policy>leave</v:shutdown-policy></v:boot></metadata>");
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL;

        cr_assert_eq(parse(xml, &d1, NULL), 0);
        cr_assert_eq(scan(xml, &d2, NULL), 0);
        cr_assert_eq(d1->boot.shutdown_policy, VM_SHUTDOWN_POLICY_LEAVE);
        cr_assert_eq(d2->boot.shutdown_policy, VM_SHUTDOWN_POLICY_LEAVE);
        test_assert_no_leaks();
}

typedef struct Delay {
        char text[24];
        long long usec;                 /* -1: refused */
} Delay;

ParameterizedTestParameters(vmunit_boot, start_delay) {
        static Delay cases[] = {
                { "5", 5000000 }, { "5s", 5000000 }, { "0", 0 }, { "05s", 5000000 }, { "500ms", 500000 },
                { "2min", 120000000 }, { "3600", 3600000000LL }, { "60min", 3600000000LL },
                { "3600000ms", 3600000000LL }, { "3601", -1 }, { "61min", -1 }, { "3600001ms", -1 },
                { "", -1 }, { "s", -1 }, { "5 s", -1 }, { " 5", -1 }, { "+5", -1 }, { "-5", -1 }, { "1.5s", -1 },
                { "5h", -1 }, { "5S", -1 }, { "99999999999999999999", -1 },
        };
        return cr_make_param_array(Delay, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Delay *d, vmunit_boot, start_delay) {
        _cleanup_free_ char *meta = test_strdupf("<metadata><vmunit:boot " NS "><vmunit:start-delay>%s"
                                                 "</vmunit:start-delay></vmunit:boot></metadata>", d->text);
        _cleanup_free_ char *xml = domain("web", meta);
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;
        int r1 = parse(xml, &d1, &e1), r2 = scan(xml, &d2, &e2);

        if (d->usec < 0) {
                cr_assert_eq(r1, -EINVAL, "'%s' accepted", d->text);
                cr_assert_eq(r2, -EINVAL, "'%s' accepted by the scanner", d->text);
                cr_assert_str_eq(e1, e2);
                cr_assert(strstr(e1, "t.xml:3: <boot><start-delay>: invalid delay"), "%s", e1);
        } else {
                cr_assert_eq(r1, 0, "'%s': %s", d->text, e1);
                cr_assert_eq(r2, 0, "'%s': %s", d->text, e2);
                cr_assert_eq(d1->boot.start_delay_usec, (uint64_t) d->usec, "'%s'", d->text);
                cr_assert_eq(d2->boot.start_delay_usec, (uint64_t) d->usec, "'%s'", d->text);
        }
        test_assert_no_leaks();
}

/* ---- strictness: both parsers refuse, with the same file:line: <element>: message ---- */

typedef struct Bad {
        char metadata[400];
        char error[200];                /* the whole message after "t.xml:" */
} Bad;

ParameterizedTestParameters(vmunit_boot, refused) {
        static Bad cases[] = {
                { "<metadata><vmunit:boot " NS "><vmunit:afterr>db</vmunit:afterr></vmunit:boot></metadata>",
                  "3: <boot><afterr>: unsupported element (vmunit:boot has after, wants, requires, start-delay "
                  "and shutdown-policy)" },
                { "<metadata><vmunit:boot " NS "><vmunit:after x='1'>db</vmunit:after></vmunit:boot></metadata>",
                  "3: <boot><after>: unsupported attribute 'x'" },
                { "<metadata><vmunit:boot " NS " when='now'/></metadata>",
                  "3: <metadata><boot>: unsupported attribute 'when'" },
                { "<metadata><vmunit:boot " NS "><after>db</after></vmunit:boot></metadata>",
                  "3: <boot><after>: unsupported element (only vmunit: elements belong here)" },
                { "<metadata><vmunit:boot " NS "><vmunit:after><vmunit:x/></vmunit:after></vmunit:boot></metadata>",
                  "3: <after><x>: unsupported element" },
                { "<metadata><vmunit:autostart " NS "/></metadata>",
                  "3: <metadata><autostart>: unsupported element (vmunit metadata is <vmunit:boot>)" },
                { "<metadata><vmunit:boot " NS "/><vmunit:boot " NS "/></metadata>",
                  "3: <metadata><boot>: element may appear only once" },
                { "<metadata><vmunit:boot " NS "><vmunit:start-delay>1</vmunit:start-delay>"
                  "<vmunit:start-delay>2</vmunit:start-delay></vmunit:boot></metadata>",
                  "3: <boot><start-delay>: element may appear only once" },
                { "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>leave</vmunit:shutdown-policy>"
                  "<vmunit:shutdown-policy>kill</vmunit:shutdown-policy></vmunit:boot></metadata>",
                  "3: <boot><shutdown-policy>: element may appear only once" },
                { "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>destroy</vmunit:shutdown-policy>"
                  "</vmunit:boot></metadata>",
                  "3: <boot><shutdown-policy>: unknown policy 'destroy' (shutdown, kill or leave)" },
                { "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy/></vmunit:boot></metadata>",
                  "3: <boot><shutdown-policy>: unknown policy '' (shutdown, kill or leave)" },
                { "<metadata><vmunit:boot " NS "><vmunit:requires>a/b</vmunit:requires></vmunit:boot></metadata>",
                  "3: <boot><requires>: invalid VM name 'a/b' (1-200 characters, no '/', no leading '.', "
                  "no control characters)" },
                { "<metadata><vmunit:boot " NS "><vmunit:wants>.hidden</vmunit:wants></vmunit:boot></metadata>",
                  "3: <boot><wants>: invalid VM name '.hidden' (1-200 characters, no '/', no leading '.', "
                  "no control characters)" },
                { "<metadata><vmunit:boot " NS "><vmunit:after/></vmunit:boot></metadata>",
                  "3: <boot><after>: invalid VM name '' (1-200 characters, no '/', no leading '.', "
                  "no control characters)" },
                { "<metadata><vmunit:boot " NS "><vmunit:after>web</vmunit:after></vmunit:boot></metadata>",
                  "3: <metadata><boot>: VM 'web' cannot be ordered after or depend on itself" },
        };
        return cr_make_param_array(Bad, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Bad *b, vmunit_boot, refused) {
        _cleanup_free_ char *xml = domain("web", b->metadata), *expected = test_strdupf("t.xml:%s", b->error);
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;

        cr_assert_eq(parse(xml, &d1, &e1), -EINVAL, "accepted: %s", b->metadata);
        cr_assert_eq(scan(xml, &d2, &e2), -EINVAL, "accepted by the scanner: %s", b->metadata);
        cr_assert_null(d1);
        cr_assert_null(d2);
        cr_assert_str_eq(e1, expected);
        cr_assert_str_eq(e2, expected);
        test_assert_no_leaks();
}

/* ---- what only the scanner checks, and what it leaves to the full parser ---- */

typedef struct ScanCase {
        char xml[300];
        char error[160];                /* "" = accepted */
        bool scanner_only;              /* the full parser accepts it */
} ScanCase;

ParameterizedTestParameters(vmunit_boot, scanner) {
        static ScanCase cases[] = {
                { "<domain><name>a</name><metadata></domain>",
                  "t.xml:1: malformed XML: Premature end of data in tag domain line 1" },
                { "", "t.xml:1: malformed XML: Document is empty" },
                { "<domain><name>a</name></domain><more/>", "t.xml:1: malformed XML: Extra content at the end of the document" },
                { "<vm><name>a</name></vm>", "t.xml:1: <vm>: root element must be <domain>" },
                { "<x:domain xmlns:x='urn:x'><name>a</name></x:domain>", "t.xml:1: <domain>: root element must be <domain>" },
                { "<domain>\n<uuid/>\n</domain>", "t.xml:1: <domain>: missing <name>" },
                { "<domain><name>a</name>\n<name>b</name></domain>", "t.xml:2: <name>: element may appear only once" },
                { "<domain><name>a<b/></name></domain>", "t.xml:1: <name><b>: unsupported element" },
                { "<domain><name></name></domain>", "t.xml:1: <name>: invalid domain name ''" },
                { "<domain><name>a/b</name></domain>", "t.xml:1: <name>: invalid domain name 'a/b'" },
                { "<domain><name>a</name><metadata/>\n<metadata/></domain>", "t.xml:2: <metadata>: element may appear only once" },
                /* Stricter than the full parser, which keeps the entity as a node: no DTD is read. */
                { "<!DOCTYPE domain [<!ENTITY e 'x'>]><domain><name>&e;</name></domain>",
                  "t.xml:1: malformed XML: Entity 'e' not defined", true },
                /* the rest of the document is the full parser's business, at the VM's start */
                { "<domain type='nonsense'><bogus/><name>a &amp; b</name><devices><x/></devices></domain>", "" },
                { "<domain><name><![CDATA[c d]]></name></domain>", "" },
        };
        return cr_make_param_array(ScanCase, cases, ELEMENTSOF(cases));
}

ParameterizedTest(ScanCase *c, vmunit_boot, scanner) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        int r = scan(c->xml, &def, &error);

        if (c->error[0]) {
                cr_assert_eq(r, -EINVAL, "accepted: %s", c->xml);
                cr_assert_str_eq(error, c->error);
                if (strstr(c->error, "malformed XML") && !c->scanner_only) { /* libxml2's words, as the full parser's */
                        _cleanup_(vm_def_freep) VmDef *full = NULL;
                        _cleanup_free_ char *full_error = NULL;

                        cr_assert_eq(parse(c->xml, &full, &full_error), -EINVAL);
                        cr_assert_str_eq(full_error, error);
                }
        } else {
                cr_assert_eq(r, 0, "%s: %s", c->xml, error);
                cr_assert(streq(def->name, "a & b") || streq(def->name, "c d"), "name '%s'", def->name);
        }
        test_assert_no_leaks();
}

Test(vmunit_boot, scanner_size_cap_and_files) {
        _cleanup_free_ char *big = malloc(DOMXML_MAX_SIZE + 2), *error = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        char dir[] = "/tmp/vmunit-test-scan-XXXXXX", path[sizeof(dir) + 16];

        cr_assert(big);
        memset(big, ' ', DOMXML_MAX_SIZE + 1);
        big[DOMXML_MAX_SIZE + 1] = 0;
        cr_assert_eq(domxml_scan_memory(big, DOMXML_MAX_SIZE + 1, "big.xml", &def, &error), -E2BIG);
        cr_assert_str_eq(error, "big.xml: document larger than 8388608 bytes");
        error = mfree(error);

        cr_assert(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a.xml", dir);
        cr_assert_eq(domxml_scan_file(AT_FDCWD, path, path, &def, &error), -ENOENT);
        cr_assert_eq(test_write_file(path, "<domain><name>a</name></domain>"), 0);
        cr_assert_eq(domxml_scan_file(AT_FDCWD, path, path, &def, &error), 0, "%s", error);
        cr_assert_str_eq(def->name, "a");
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(domxml_scan_file(AT_FDCWD, dir, dir, &def, &error), -EBADFD);     /* a directory */
        cr_assert_eq(rmdir(dir), 0);
        test_assert_no_leaks();
}

/* ---- writing ---- */

Test(vmunit_boot, written_back) {
        _cleanup_free_ char *xml = domain("web",
                "<metadata><vmunit:boot " NS "><vmunit:requires>db</vmunit:requires><vmunit:after>x &amp; y</vmunit:after>"
                "<vmunit:start-delay>90s</vmunit:start-delay><vmunit:shutdown-policy>leave</vmunit:shutdown-policy>"
                "</vmunit:boot></metadata>");
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL;
        _cleanup_free_ char *w1 = NULL, *w2 = NULL;

        cr_assert_eq(parse(xml, &d1, NULL), 0);
        cr_assert_eq(domxml_write(d1, &w1, NULL), 0);
        cr_assert(strstr(w1, "  <metadata>\n"
                             "    <vmunit:boot xmlns:vmunit='" VMUNIT_NS_HREF "'>\n"
                             "      <vmunit:after>x &amp; y</vmunit:after>\n"
                             "      <vmunit:requires>db</vmunit:requires>\n"
                             "      <vmunit:start-delay>90s</vmunit:start-delay>\n"
                             "      <vmunit:shutdown-policy>leave</vmunit:shutdown-policy>\n"
                             "    </vmunit:boot>\n"
                             "  </metadata>\n"), "%s", w1);
        cr_assert_eq(parse(w1, &d2, NULL), 0);
        assert_boot_equal(&d1->boot, &d2->boot);
        cr_assert_eq(domxml_write(d2, &w2, NULL), 0);
        cr_assert_str_eq(w1, w2);
        test_assert_no_leaks();
}

Test(vmunit_boot, defaults_are_not_written) {
        _cleanup_free_ char *xml = domain("web", "<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>shutdown"
                                                 "</vmunit:shutdown-policy><vmunit:start-delay>0</vmunit:start-delay>"
                                                 "</vmunit:boot></metadata>");
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *w = NULL;
        char buf[32];

        cr_assert_eq(parse(xml, &def, NULL), 0);
        cr_assert_eq(domxml_write(def, &w, NULL), 0);
        cr_assert_null(strstr(w, "metadata"), "%s", w);
        vm_boot_format_delay(1500000, buf);
        cr_assert_str_eq(buf, "1500ms");
        vm_boot_format_delay(120000000, buf);
        cr_assert_str_eq(buf, "120s");
        test_assert_no_leaks();
}

/* ---- unit names ---- */

typedef struct Instance {
        char name[40], instance[80];    /* instance "" = no unit name */
        int r;
} Instance;

ParameterizedTestParameters(vmunit_boot, instance) {
        static Instance cases[] = {
                { "web", "web", 0 },
                { "web-01", "web-01", 0 },              /* '-' stays: %i, not %I */
                { "a.b:c_d@e", "a.b:c_d@e", 0 },
                { "my vm", "my\\x20vm", 0 },
                { "a\\b", "a\\x5cb", 0 },
                { "100%", "100\\x25", 0 },              /* '%' would be a specifier */
                { "caf\xc3\xa9", "caf\\xc3\\xa9", 0 },
                { "x'y\"z", "x\\x27y\\x22z", 0 },
                { "a/b", "", -EINVAL },
                { ".hidden", "", -EINVAL },
                { "", "", -EINVAL },
                { "tab\there", "", -EINVAL },
        };
        return cr_make_param_array(Instance, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Instance *c, vmunit_boot, instance) {
        _cleanup_free_ char *instance = NULL, *back = NULL, *unit = NULL;
        _cleanup_free_ char *expected = test_strdupf("vm@%s.service", c->instance);
        int r = vm_unit_instance(c->name, &instance);

        cr_assert_eq(r, c->r, "'%s': %d", c->name, r);
        if (r < 0) {
                cr_assert_eq(vm_unit_name(c->name, &unit), r);
                return;
        }
        cr_assert_str_eq(instance, c->instance);
        cr_assert_eq(vm_unit_instance_unescape(instance, &back), 0);
        cr_assert_str_eq(back, c->name);
        cr_assert_eq(vm_unit_name(c->name, &unit), 0);
        cr_assert_str_eq(unit, expected);
        test_assert_no_leaks();
}

Test(vmunit_boot, instance_one_spelling_only) {
        static const char * const refused[] = {
                "web\\x2d01",   /* '-' is written as itself */
                "\\x41bc",      /* 'A' too */
                "a\\x5Cb",      /* upper-case hex is not what is written */
                "a\\b", "a\\x2", "a\\x", "a\\", "a\\x00b",
                "\\x2ehidden",  /* a valid escape of an invalid name */
                "a\\x2fb",
                "my vm",        /* the space must come escaped */
        };
        _cleanup_free_ char *name = NULL, *long_name = malloc(201), *instance = NULL;

        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                cr_assert_eq(vm_unit_instance_unescape(refused[i], &name), -EINVAL, "'%s' accepted", refused[i]);

        /* 200 bytes is a valid VM name, but 200 escaped spaces make no unit name */
        memset(long_name, ' ', 200);
        long_name[200] = 0;
        cr_assert_eq(vm_name_validate(long_name), 0);
        cr_assert_eq(vm_unit_instance(long_name, &instance), -ENAMETOOLONG);
        memset(long_name, 'a', 200);
        cr_assert_eq(vm_unit_instance(long_name, &instance), 0);
        cr_assert_eq(strlen(instance), 200);
        test_assert_no_leaks();
}

/* ---- the generator's drop-in ---- */

static char *dropin_for(const char *metadata, const char *source) {
        _cleanup_free_ char *xml = domain("web", metadata);
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        char *text = NULL;

        cr_assert_eq(scan(xml, &def, &error), 0, "%s", error);
        cr_assert_eq(vm_boot_dropin(def, source, 90 * 1000000ULL, &text), 0);
        return text;
}

Test(vmunit_boot, dropin_shutdown_policy) {
        _cleanup_free_ char *d = dropin_for("<metadata><vmunit:boot " NS "><vmunit:after>db</vmunit:after>"
                                            "<vmunit:wants>my vm</vmunit:wants><vmunit:requires>a-b</vmunit:requires>"
                                            "</vmunit:boot></metadata>", "/etc/vmunit/domains/web.xml");

        cr_assert_str_eq(d,
                "# Generated by vmunit-generator from <vmunit:boot> in /etc/vmunit/domains/web.xml.\n"
                "# It replaces vm@.service.d/50-vmunit-boot.conf (the defaults) for this VM.\n"
                "[Unit]\n"
                "SourcePath=/etc/vmunit/domains/web.xml\n"
                "PartOf=machines.target\n"
                "After=vm@db.service\n"
                "Wants=vm@my\\x20vm.service\n"
                "After=vm@my\\x20vm.service\n"
                "Requires=vm@a-b.service\n"
                "After=vm@a-b.service\n");
        test_assert_no_leaks();
}

Test(vmunit_boot, dropin_kill_policy_and_delay) {
        _cleanup_free_ char *d = dropin_for("<metadata><vmunit:boot " NS "><vmunit:start-delay>2500ms"
                                            "</vmunit:start-delay><vmunit:shutdown-policy>kill</vmunit:shutdown-policy>"
                                            "</vmunit:boot></metadata>", "/d/100%.xml");

        cr_assert_str_eq(d,
                "# Generated by vmunit-generator from <vmunit:boot> in /d/100%%.xml.\n"
                "# It replaces vm@.service.d/50-vmunit-boot.conf (the defaults) for this VM.\n"
                "[Unit]\n"
                "SourcePath=/d/100%%.xml\n"
                "PartOf=machines.target\n"
                "\n"
                "[Service]\n"
                "ExecStartPre=sleep 2.500\n"
                "TimeoutStartSec=92500ms\n"
                "Environment=VMUNIT_SHUTDOWN_TIMEOUT=0\n");
        test_assert_no_leaks();
}

Test(vmunit_boot, dropin_leave_policy) {
        _cleanup_free_ char *d = dropin_for("<metadata><vmunit:boot " NS "><vmunit:shutdown-policy>leave"
                                            "</vmunit:shutdown-policy></vmunit:boot></metadata>", "/d/web.xml");

        /* no PartOf=machines.target: stopping machines.target leaves the VM running */
        cr_assert_str_eq(d,
                "# Generated by vmunit-generator from <vmunit:boot> in /d/web.xml.\n"
                "# It replaces vm@.service.d/50-vmunit-boot.conf (the defaults) for this VM.\n"
                "[Unit]\n"
                "SourcePath=/d/web.xml\n"
                "StopWhenUnneeded=no\n");
        test_assert_no_leaks();
}

Test(vmunit_boot, dropin_none_for_defaults) {
        _cleanup_free_ char *d = dropin_for("<metadata><vmunit:boot " NS "/></metadata>", "/d/web.xml");

        cr_assert_null(d);
        test_assert_no_leaks();
}
