/*
 * Host CPU pinning: libvirt's CPU list syntax (lib/cpuset.c) with its refusals, the parser's
 * <vcpupin>/<emulatorpin>/<iothreadpin>/<vcpu cpuset> and their refusals with file:line, the
 * writer's canonical form, and lib/cpu-pin.c's decisions: which set each thread gets, the check
 * against the host (a fake sysfs and cgroup tree), and QEMU's thread ids from QMP replies.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cpu-pin.h"
#include "domxml-write.h"
#include "domxml.h"
#include "qmp.h"
#include "strv.h"
#include "test-util.h"

/* ---- the list syntax ---- */

typedef struct ListCase {
        char in[48];
        char out[48];                   /* canonical form; "" = refused */
        int error;                      /* the refusal's errno */
} ListCase;

static const ListCase lists[] = {
        { "0", "0", 0 },
        { "0-3", "0-3", 0 },
        { "0-3,^2,8", "0-1,3,8", 0 },
        { "1-4,^2", "1,3-4", 0 },
        { "3,1,2", "1-3", 0 },                  /* any order, runs joined */
        { "0,0,0", "0", 0 },
        { " 0 - 2 , 5 ", "0-2,5", 0 },          /* spaces around items, as virBitmapParse */
        { "0,", "0", 0 },                       /* libvirt takes one trailing comma */
        { "^1,0-3", "0-3", 0 },                 /* items apply in order: a later range sets it again */
        { "8191", "8191", 0 },                  /* the last CPU the kernel can have */
        { "5-5", "5", 0 },
        { "3-1", "", EINVAL },                  /* backwards range */
        { "a", "", EINVAL },
        { "", "", EINVAL },
        { "   ", "", EINVAL },
        { "0,^0", "", EINVAL },                 /* empty result */
        { "^2", "", EINVAL },
        { "^2-3", "", EINVAL },                 /* libvirt has no excluded ranges */
        { "0,,1", "", EINVAL },
        { ",0", "", EINVAL },
        { "-1", "", EINVAL },
        { "+1", "", EINVAL },
        { "1-", "", EINVAL },
        { "0x1", "", EINVAL },
        { "1 2", "", EINVAL },
        { "0-3;", "", EINVAL },
        { "8192", "", ERANGE },                 /* beyond CPUSET_BITS */
        { "0-8192", "", ERANGE },
        { "99999999999999999999", "", ERANGE }, /* no overflow into a small number */
};

ParameterizedTestParameters(cpuset, lists) {
        return cr_make_param_array(ListCase, (void *) lists, ELEMENTSOF(lists));
}

ParameterizedTest(const ListCase *c, cpuset, lists) {
        _cleanup_free_ char *text = NULL;
        CpuSet set, untouched;
        int r;

        memset(&set, 0xaa, sizeof(set));
        untouched = set;
        r = cpuset_parse(c->in, CPUSET_BITS, &set);
        if (!*c->out) {
                cr_assert_eq(r, -c->error, "'%s': %d, expected %s", c->in, r, test_errno_name(c->error));
                cr_assert(cpuset_equal(&set, &untouched), "'%s': the output was written on failure", c->in);
                return;
        }
        cr_assert_eq(r, 0, "'%s' refused: %s", c->in, strerror(-r));
        cr_assert_eq(cpuset_format(&set, &text), 0);
        cr_assert_str_eq(text, c->out, "'%s'", c->in);
        test_assert_no_leaks();
}

Test(cpuset, limit_and_set_operations) {
        _cleanup_free_ char *text = NULL;
        CpuSet a, b, outside;

        /* NUMA nodesets have their own, smaller limit */
        cr_assert_eq(cpuset_parse("1023", CPUSET_NODES_MAX, &a), 0);
        cr_assert_eq(cpuset_parse("1024", CPUSET_NODES_MAX, &a), -ERANGE);

        cr_assert_eq(cpuset_parse("0-5,64,130", CPUSET_BITS, &a), 0);
        cr_assert_eq(cpuset_count(&a), 8u);
        cr_assert_eq(cpuset_size(&a), 131u);
        cr_assert(cpuset_isset(&a, 64) && !cpuset_isset(&a, 63) && !cpuset_isset(&a, 99999));
        cr_assert_eq(cpuset_parse("0-1,130", CPUSET_BITS, &b), 0);
        cr_assert(cpuset_is_subset(&b, &a, NULL));
        cr_assert(!cpuset_is_subset(&a, &b, &outside));
        cr_assert_eq(cpuset_format(&outside, &text), 0);
        cr_assert_str_eq(text, "2-5,64");
        cpuset_and(&a, &b);
        cr_assert(cpuset_equal(&a, &b));

        a = (CpuSet) {};
        cr_assert_eq(cpuset_size(&a), 0u);
        text = mfree(text);
        cr_assert_eq(cpuset_format(&a, &text), 0);
        cr_assert_str_eq(text, "");
        test_assert_no_leaks();
}

/* ---- the domain XML ---- */

#define DOMAIN(vcpu, extra) \
        "<domain type='kvm'>\n" \
        "  <name>t</name>\n" \
        "  <memory>65536</memory>\n" \
        "  " vcpu "\n" \
        "  <iothreads>2</iothreads>\n" \
        "  " extra "\n" \
        "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n" \
        "</domain>\n"

static int parse(const char *xml, VmDef **ret, char **ret_error) {
        return domxml_parse_memory(xml, strlen(xml), "t.xml", /* flags= */ 0, ret, ret_error, NULL);
}

static char *set_text(const CpuSet *s) {
        char *text = NULL;

        cr_assert(s, "no set");
        cr_assert_eq(cpuset_format(s, &text), 0);
        return text;
}

#define assert_set(s, expected) do {                                    \
                _cleanup_free_ char *_t = set_text(s);                 \
                cr_assert_str_eq(_t, (expected));                       \
        } while (false)

static const char pinned_xml[] = DOMAIN("<vcpu placement='static' cpuset='0-3,^1'>4</vcpu>",
        "<cputune>\n"
        "    <shares>512</shares>\n"
        "    <vcpupin vcpu='2' cpuset='5'/>\n"
        "    <vcpupin vcpu='0' cpuset='6-7'/>\n"
        "    <emulatorpin cpuset='0, 1'/>\n"
        "    <iothreadpin iothread='2' cpuset='4'/>\n"
        "  </cputune>");

Test(domxml, pinning_model) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        const VmTune *t;

        cr_assert_eq(parse(pinned_xml, &def, &error), 0, "%s", strempty(error));
        t = &def->tune;
        assert_set(def->vcpu_cpuset, "0,2-3");
        cr_assert_eq(def->vcpu_line, 4u);
        cr_assert_eq(t->n_vcpupins, 2u);
        cr_assert_eq(t->vcpupins[0].id, 2u);
        assert_set(t->vcpupins[0].cpus, "5");
        cr_assert_eq(t->vcpupins[0].line, 8u);
        cr_assert_eq(t->vcpupins[1].id, 0u);
        assert_set(t->vcpupins[1].cpus, "6-7");
        assert_set(t->emulatorpin, "0-1");
        cr_assert_eq(t->emulatorpin_line, 10u);
        cr_assert_eq(t->n_iothreadpins, 1u);
        cr_assert_eq(t->iothreadpins[0].id, 2u);
        assert_set(t->iothreadpins[0].cpus, "4");
        cr_assert_eq(t->cpu_shares, 512u);

        /* libvirt's rule: the thread's own pin, else <vcpu cpuset>, else nothing (all CPUs) */
        cr_assert(cpu_pin_wanted(def));
        assert_set(cpu_pin_vcpu(def, 0), "6-7");
        assert_set(cpu_pin_vcpu(def, 1), "0,2-3");
        assert_set(cpu_pin_vcpu(def, 2), "5");
        assert_set(cpu_pin_iothread(def, 1), "0,2-3");
        assert_set(cpu_pin_iothread(def, 2), "4");
        assert_set(cpu_pin_emulator(def), "0-1");
        test_assert_no_leaks();
}

Test(domxml, pinning_defaults) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *none = NULL;
        _cleanup_free_ char *error = NULL;

        cr_assert_eq(parse(DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='1' cpuset='3'/></cputune>"), &def,
                           &error), 0, "%s", strempty(error));
        cr_assert(cpu_pin_wanted(def));
        cr_assert_null(cpu_pin_vcpu(def, 0));
        assert_set(cpu_pin_vcpu(def, 1), "3");
        cr_assert_null(cpu_pin_emulator(def));
        cr_assert_null(cpu_pin_iothread(def, 1));

        cr_assert_eq(parse(DOMAIN("<vcpu>2</vcpu>", ""), &none, &error), 0, "%s", strempty(error));
        cr_assert(!cpu_pin_wanted(none));
        test_assert_no_leaks();
}

/* The written document keeps every pin, in libvirt's order and canonical form, and reads back. */
Test(domxml, pinning_round_trip) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
        _cleanup_free_ char *error = NULL, *xml = NULL, *again = NULL;

        cr_assert_eq(parse(pinned_xml, &def, &error), 0, "%s", strempty(error));
        cr_assert_eq(domxml_write(def, &xml, &error), 0, "%s", strempty(error));
        cr_assert(strstr(xml, "<vcpu placement='static' cpuset='0,2-3'>4</vcpu>"), "%s", xml);
        cr_assert(strstr(xml, "<shares>512</shares>\n"
                              "    <vcpupin vcpu='2' cpuset='5'/>\n"
                              "    <vcpupin vcpu='0' cpuset='6-7'/>\n"
                              "    <emulatorpin cpuset='0-1'/>\n"
                              "    <iothreadpin iothread='2' cpuset='4'/>\n"
                              "  </cputune>"), "%s", xml);
        cr_assert_eq(parse(xml, &back, &error), 0, "%s", strempty(error));
        cr_assert_eq(domxml_write(back, &again, &error), 0);
        cr_assert_str_eq(again, xml);
        test_assert_no_leaks();
}

typedef struct Refusal {
        char xml[400];
        char message[160];              /* the whole "file:line: <element>: ..." must contain this */
} Refusal;

static const Refusal refusals[] = {
        { DOMAIN("<vcpu cpuset='3-1'>2</vcpu>", ""),
          "t.xml:4: <vcpu>: invalid cpuset '3-1': expected a non-empty list of host CPUs" },
        { DOMAIN("<vcpu cpuset=''>2</vcpu>", ""), "t.xml:4: <vcpu>: invalid cpuset ''" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='0' cpuset='a'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: invalid cpuset 'a'" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='0' cpuset='0,^0'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: invalid cpuset '0,^0'" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='0' cpuset='9000'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: cpuset '9000': host CPU numbers go up to 8191" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='2' cpuset='0'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: vCPU 2 does not exist (<vcpu> is 2, the first vCPU is 0)" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune>\n<vcpupin vcpu='1' cpuset='0'/>\n<vcpupin vcpu='1' cpuset='1'/></cputune>"),
          "t.xml:8: <cputune><vcpupin>: vCPU 1 is pinned twice (first on line 7)" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin cpuset='0'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: needs vcpu= and cpuset=" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='0'/></cputune>"),
          "t.xml:6: <cputune><vcpupin>: needs vcpu= and cpuset=" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><emulatorpin/></cputune>"), "t.xml:6: <cputune><emulatorpin>: needs cpuset=" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><emulatorpin cpuset='1-'/></cputune>"),
          "t.xml:6: <cputune><emulatorpin>: invalid cpuset '1-'" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><iothreadpin iothread='3' cpuset='0'/></cputune>"),
          "t.xml:6: <cputune><iothreadpin>: iothread 3 does not exist (<iothreads> is 2, the first iothread is 1)" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><iothreadpin iothread='0' cpuset='0'/></cputune>"),
          "t.xml:6: <cputune><iothreadpin>: iothread 0 does not exist" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><iothreadpin iothread='1' cpuset='0'/>"
                                   "<iothreadpin iothread='1' cpuset='0'/></cputune>"),
          "t.xml:6: <cputune><iothreadpin>: iothread 1 is pinned twice" },
        { DOMAIN("<vcpu>2</vcpu>", "<cputune><vcpupin vcpu='0' cpuset='0' extra='1'/></cputune>"),
          "extra" },                    /* strict: an unknown attribute is refused */
        { DOMAIN("<vcpu>2</vcpu>", "<numatune><memory nodeset='3-1'/></numatune>"),
          "t.xml:6: <numatune><memory>: needs a host nodeset= such as '0-1,3'" },
        { DOMAIN("<vcpu>2</vcpu>", "<numatune><memory nodeset='1024'/></numatune>"),
          "t.xml:6: <numatune><memory>: needs a host nodeset=" },
};

ParameterizedTestParameters(domxml, pinning_refusals) {
        return cr_make_param_array(Refusal, (void *) refusals, ELEMENTSOF(refusals));
}

ParameterizedTest(const Refusal *c, domxml, pinning_refusals) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = parse(c->xml, &def, &error);
        cr_assert_eq(r, -EINVAL, "accepted:\n%s", c->xml);
        cr_assert_null(def);
        cr_assert(error && strstr(error, c->message), "message '%s' does not contain '%s'", strempty(error),
                  c->message);
        test_assert_no_leaks();
}

/* ---- the host ---- */

static char *fake_sys(const char *online) {
        char *root = strdup("/tmp/test-cpu-pin.XXXXXX"), *path;

        cr_assert(root && mkdtemp(root));
        path = test_strdupf("mkdir -p %s/devices/system/cpu %s/fs/cgroup/machine.slice/vm@t.service", root, root);
        cr_assert_eq(system(path), 0);
        free(path);
        path = test_strdupf("%s/devices/system/cpu/online", root);
        cr_assert_eq(test_write_file(path, online), 0);
        free(path);
        return root;
}

static void remove_tree(char *root) {
        (void) test_remove_tree(root);
}

static void write_in(const char *root, const char *rel, const char *text) {
        _cleanup_free_ char *path = test_strdupf("%s/%s", root, rel);

        cr_assert_eq(test_write_file(path, text), 0);
}

static char *allowed_text(const char *root, const char *cgroup) {
        CpuSet s;
        int r;

        r = cpu_pin_host_allowed(root, cgroup, &s);
        cr_assert_eq(r, 0, "%s", strerror(-r));
        return set_text(&s);
}

Test(cpu_pin, host_allowed) {
        char *root = fake_sys("0-7\n");
        char *t;
        CpuSet s;

        /* no cgroup cpuset anywhere: the online CPUs */
        t = allowed_text(root, "/machine.slice/vm@t.service");
        cr_assert_str_eq(t, "0-7");
        free(t);
        t = allowed_text(root, NULL);
        cr_assert_str_eq(t, "0-7");
        free(t);

        /* the root's set counts when the slice has none */
        write_in(root, "fs/cgroup/cpuset.cpus.effective", "0-5\n");
        t = allowed_text(root, "/machine.slice/vm@t.service");
        cr_assert_str_eq(t, "0-5");
        free(t);

        /* the slice's (the scope's parent) wins over the root's; our own unit's is not the scope's */
        write_in(root, "fs/cgroup/machine.slice/cpuset.cpus.effective", "2-3,6-9\n");
        write_in(root, "fs/cgroup/machine.slice/vm@t.service/cpuset.cpus.effective", "2\n");
        t = allowed_text(root, "/machine.slice/vm@t.service");
        cr_assert_str_eq(t, "2-3,6-7");
        free(t);

        /* an empty effective set (no CPUs of its own) is skipped */
        write_in(root, "fs/cgroup/machine.slice/cpuset.cpus.effective", "\n");
        t = allowed_text(root, "/machine.slice/vm@t.service");
        cr_assert_str_eq(t, "0-5");
        free(t);

        write_in(root, "devices/system/cpu/online", "garbage\n");
        cr_assert_eq(cpu_pin_host_allowed(root, NULL, &s), -EBADMSG);
        remove_tree(root);
        cr_assert_eq(cpu_pin_host_allowed("/nonexistent-sys", NULL, &s), -ENOENT);
        test_assert_no_leaks();
}

Test(cpu_pin, check_against_host) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL, *outside = NULL;
        CpuPinProblem p = {};
        CpuSet host;

        cr_assert_eq(parse(pinned_xml, &def, &error), 0, "%s", strempty(error));
        cr_assert_eq(cpuset_parse("0-7", CPUSET_BITS, &host), 0);
        cr_assert_eq(cpu_pin_check(def, &host, &p), 0);

        /* CPUs 6-7 gone: <vcpupin vcpu='0' cpuset='6-7'> on line 9 is the first to name them */
        cr_assert_eq(cpuset_parse("0-5", CPUSET_BITS, &host), 0);
        cr_assert_eq(cpu_pin_check(def, &host, &p), -ENXIO);
        cr_assert_eq(p.line, 9u);
        cr_assert_str_eq(p.element, "<cputune><vcpupin vcpu='0'>");
        outside = set_text(&p.outside);
        cr_assert_str_eq(outside, "6-7");

        /* <vcpu cpuset> is checked first */
        cr_assert_eq(cpuset_parse("4-7", CPUSET_BITS, &host), 0);
        cr_assert_eq(cpu_pin_check(def, &host, &p), -ENXIO);
        cr_assert_eq(p.line, 4u);
        cr_assert_str_eq(p.element, "<vcpu cpuset>");

        /* then the emulator, then iothreads */
        cr_assert_eq(cpuset_parse("2-7", CPUSET_BITS, &host), 0);
        def->vcpu_cpuset = NULL;
        cr_assert_eq(cpu_pin_check(def, &host, &p), -ENXIO);
        cr_assert_str_eq(p.element, "<cputune><emulatorpin>");
        cr_assert_eq(p.line, 10u);
        def->tune.emulatorpin = NULL;
        cr_assert_eq(cpuset_parse("5-7", CPUSET_BITS, &host), 0);
        cr_assert_eq(cpu_pin_check(def, &host, &p), -ENXIO);
        cr_assert_str_eq(p.element, "<cputune><iothreadpin iothread='2'>");
        test_assert_no_leaks();
}

/* ---- QEMU's threads ---- */

static json_object *json(const char *text) {
        json_object *o = json_tokener_parse(text);

        cr_assert(o, "bad JSON in the test: %s", text);
        return o;
}

Test(cpu_pin, threads_from_qmp) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_(json_object_putp) json_object *cpus = NULL, *io = NULL;
        _cleanup_free_ CpuPinThread *t = NULL;
        _cleanup_free_ char *error = NULL;
        CpuSet all;
        int n;

        cr_assert_eq(parse(pinned_xml, &def, &error), 0, "%s", strempty(error));
        def->vcpu_cpuset = NULL;        /* so that the unpinned fall back to @all */
        cr_assert_eq(cpuset_parse("0-7", CPUSET_BITS, &all), 0);
        /* the shape of QEMU 7.2's replies (members we do not read left out of some) */
        cpus = json("[{\"cpu-index\": 0, \"thread-id\": 1001, \"qom-path\": \"/machine/unattached/device[0]\","
                    "  \"target\": \"x86_64\", \"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}},"
                    " {\"cpu-index\": 1, \"thread-id\": 1002},"
                    " {\"cpu-index\": 2, \"thread-id\": 1003}]");
        io = json("[{\"id\": \"iothread1\", \"thread-id\": 2001, \"poll-max-ns\": 32768},"
                  " {\"id\": \"iothread2\", \"thread-id\": 2002},"
                  " {\"id\": \"someone-elses\", \"thread-id\": 2003}]");
        n = cpu_pin_threads(def, cpus, io, &all, &t);
        cr_assert_eq(n, 5);
        cr_assert(t[0].tid == 1001 && t[0].kind == CPU_PIN_VCPU && t[0].id == 0);
        assert_set(t[0].cpus, "6-7");
        cr_assert(t[1].tid == 1002 && t[1].id == 1 && t[1].cpus == &all);
        assert_set(t[2].cpus, "5");
        cr_assert(t[3].tid == 2001 && t[3].kind == CPU_PIN_IOTHREAD && t[3].id == 1 && t[3].cpus == &all);
        cr_assert(t[4].tid == 2002 && t[4].id == 2);
        assert_set(t[4].cpus, "4");
        cr_assert_str_eq(cpu_pin_kind_to_string(t[3].kind), "iothread");
        t = mfree(t);

        /* no iothreads at all */
        cr_assert_eq(cpu_pin_threads(def, cpus, NULL, &all, &t), 3);
        t = mfree(t);
        test_assert_no_leaks();
}

Test(cpu_pin, threads_bad_replies) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        static const char * const bad[] = {
                "{}",
                "[{\"cpu-index\": 0}]",
                "[{\"thread-id\": 5}]",
                "[{\"cpu-index\": 0, \"thread-id\": \"5\"}]",
                "[{\"cpu-index\": 0, \"thread-id\": 0}]",
                "[{\"cpu-index\": -1, \"thread-id\": 7}]",
                "[1]",
        };
        CpuSet all = {};

        cr_assert_eq(parse(pinned_xml, &def, &error), 0, "%s", strempty(error));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(json_object_putp) json_object *o = json(bad[i]);
                CpuPinThread *t = NULL;

                cr_assert_eq(cpu_pin_threads(def, o, NULL, &all, &t), -EBADMSG, "%s", bad[i]);
                cr_assert_null(t);
        }
        test_assert_no_leaks();
}
