/*
 * The domain XML writer (lib/domxml-write.c) against the strict parser: parse(write(def)) must
 * give back the same definition. "The same" is checked three ways: the written document is a
 * fixed point (write(parse(write(def))) == write(def)); the argv built from the re-parsed
 * definition equals the one built from the original; and for a hand-built definition, field by
 * field. Inputs: tests/data/domxml-write/<case>.xml, and, when VMUNIT_CONFORMANCE_DIR points at
 * the shared corpus, every domain of it that vmunit accepts (never copied into the project).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "domxml-write.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "strv.h"

static char *data_path(const char *rel) {
        const char *dir = getenv("VMUNIT_TEST_DATA");
        char *p;

        cr_assert(dir, "VMUNIT_TEST_DATA is not set (tests/meson.build sets it)");
        cr_assert(asprintf(&p, "%s/%s", dir, rel) >= 0);
        return p;
}

static VmDef *parse_ok(const char *xml, const char *what) {
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        VmDef *def = NULL;
        int r;

        r = domxml_parse_memory(xml, strlen(xml), what, 0, &def, &error, &warnings);
        cr_assert(r == 0, "%s does not parse: %s\n%s", what, error ?: strerror(-r), xml);
        return def;
}

static char *write_ok(const VmDef *def, const char *what) {
        _cleanup_free_ char *error = NULL;
        char *xml = NULL;
        int r;

        r = domxml_write(def, &xml, &error);
        cr_assert(r == 0, "%s cannot be written: %s", what, error ?: strerror(-r));
        cr_assert(xml && strlen(xml) > 0);
        return xml;
}

/* "r error" or the whole command, one string to compare. */
static char *build_text(VmDef *def) {
        QemuBuildOptions opts = { .runtime_dir = "/run/vmunit/test", .state_dir = "/var/lib/vmunit/test",
                                  .seccomp_sandbox = true, .tap_fd_base = 1729 };
        _cleanup_free_ char *error = NULL;
        QemuCommand cmd = {};
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        r = qemu_argv_build(def, &opts, &cmd, &error);
        f = open_memstream(&text, &len);
        cr_assert(f);
        if (r < 0)
                fprintf(f, "error %d: %s\n", r, strempty(error));
        STRV_FOREACH(e, cmd.env)
                fprintf(f, "%s\n", *e);
        STRV_FOREACH(a, cmd.argv)
                fprintf(f, "%s\n", *a);
        fclose(f);
        qemu_command_done(&cmd);
        return text;
}

/* The whole check for one document that the parser accepts. */
static void check_round_trip(const char *xml, const char *what) {
        _cleanup_(vm_def_freep) VmDef *d1 = NULL, *d2 = NULL, *b1 = NULL, *b2 = NULL;
        _cleanup_free_ char *x1 = NULL, *x2 = NULL, *a1 = NULL, *a2 = NULL;

        d1 = parse_ok(xml, what);
        x1 = write_ok(d1, what);
        d2 = parse_ok(x1, what);
        x2 = write_ok(d2, what);
        cr_assert_str_eq(x2, x1, "%s: the written document is not a fixed point", what);

        /* the builder completes a definition in place, so build from fresh copies */
        b1 = parse_ok(xml, what);
        b2 = parse_ok(x1, what);
        a1 = build_text(b1);
        a2 = build_text(b2);
        cr_assert_str_eq(a2, a1, "%s: the re-parsed definition builds a different command line", what);
}

static char *read_file(const char *path) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");
        FILE *m;
        int c;

        cr_assert(f, "%s: %s", path, strerror(errno));
        m = open_memstream(&buf, &len);
        cr_assert(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

/* Criterion hands parameters to the test process by value: names are inline, not pointers. Besides
 * the writer's own cases, golden argv cases of elements that leave little on the command line. */
typedef struct Case {
        char name[64];
} Case;

ParameterizedTestParameters(domxml_write, cases) {
        static Case cases[] = { { "domxml-write/pc-everything.xml" }, { "domxml-write/q35-pcie.xml" },
                                { "domxml-write/more-devices.xml" }, { "domxml-write/virtiofs.xml" },
                                { "argv/net-virtualport.xml" }, { "argv/net-hostdev-teaming.xml" },
                                { "argv/net-virtio-rss.xml" }, { "argv/video-accel3d.xml" },
                                { "argv/virtio-transitional-models.xml" } };
        return cr_make_param_array(Case, cases, ELEMENTSOF(cases));
}

ParameterizedTest(Case *c, domxml_write, cases) {
        _cleanup_free_ char *path = NULL, *xml = NULL;

        path = data_path(c->name);
        xml = read_file(path);
        check_round_trip(xml, c->name);
}

/* A definition built the way the importer builds one, compared field by field after the trip. */
Test(domxml_write, hand_built) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
        _cleanup_free_ char *xml = NULL;
        VmDisk *d;
        VmNet *n;
        VmChar *ch;
        VmQemuEnv *e;
        char **a;

        cr_assert(vm_def_new(&def) == 0);
        def->virt_type = vm_def_strdup(def, "kvm");
        def->name = vm_def_strdup(def, "hand-built");
        def->uuid = vm_def_strdup(def, "00000000-0000-0000-0000-000000000000");
        def->memory_kib = 219136;
        def->vcpus = 1;
        def->os.type = vm_def_strdup(def, "hvm");
        def->os.arch = vm_def_strdup(def, "i686");
        def->os.machine = vm_def_strdup(def, "pc");
        def->os.boot[def->os.n_boot++] = VM_BOOT_HD;
        def->on_reboot = VM_LIFECYCLE_DESTROY;
        def->emulator = vm_def_strdup(def, "/usr/bin/qemu");
        d = VM_DEVICE_NEW(def, disks);
        cr_assert(d);
        d->src.type = VM_DISK_TYPE_BLOCK;
        d->src.path = vm_def_strdup(def, "/dev/HostVG/QEMU'Guest,1");
        d->dst = vm_def_strdup(def, "hda");
        d->bus = VM_DISK_BUS_IDE;
        n = VM_DEVICE_NEW(def, nets);
        cr_assert(n);
        n->type = vm_def_strdup(def, "user");
        n->model = vm_def_strdup(def, "e1000");
        n->mac = vm_def_strdup(def, "52:54:00:12:34:56");
        n->addr = (VmAddress) { .type = VM_ADDRESS_PCI, .slot = 3, .assigned = true };
        ch = VM_DEVICE_NEW(def, chars);
        cr_assert(ch);
        ch->kind = VM_CHAR_SERIAL;
        ch->src.type = vm_def_strdup(def, "tcp");
        ch->src.host = vm_def_strdup(def, "0.0.0.0");
        ch->src.service = vm_def_strdup(def, "4444");
        ch->src.listen = true;
        ch->src.protocol = vm_def_strdup(def, "telnet");
        ch->target_port = 0;
        ch->same_as_serial = -1;
        a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
        cr_assert(a);
        *a = vm_def_strdup(def, "-device");
        a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
        cr_assert(a);
        *a = vm_def_strdup(def, "{\"driver\":\"pci-testdev\",\"membar\":\"1,2\"}\n");
        e = VM_DEVICE_NEW(def, qemu_env);
        cr_assert(e);
        e->name = vm_def_strdup(def, "QEMU_AUDIO_DRV");
        e->value = vm_def_strdup(def, "none & <nothing>");

        xml = write_ok(def, "hand-built");
        back = parse_ok(xml, "hand-built");
        cr_assert_str_eq(back->virt_type, "kvm");
        cr_assert_str_eq(back->name, "hand-built");
        cr_assert_str_eq(back->uuid, "00000000-0000-0000-0000-000000000000");
        cr_assert_eq(back->memory_kib, 219136);
        cr_assert_eq(back->vcpus, 1);
        cr_assert_str_eq(back->os.arch, "i686");
        cr_assert_str_eq(back->os.machine, "pc");
        cr_assert_eq(back->os.n_boot, 1);
        cr_assert_eq(back->os.boot[0], VM_BOOT_HD);
        cr_assert_eq(back->on_reboot, VM_LIFECYCLE_DESTROY);
        cr_assert_eq(back->on_poweroff, VM_LIFECYCLE_DESTROY);
        cr_assert_str_eq(back->emulator, "/usr/bin/qemu");
        cr_assert_eq(back->n_disks, 1);
        cr_assert_eq(back->disks[0].src.type, VM_DISK_TYPE_BLOCK);
        cr_assert_str_eq(back->disks[0].src.path, "/dev/HostVG/QEMU'Guest,1");
        cr_assert_str_eq(back->disks[0].dst, "hda");
        cr_assert_eq(back->disks[0].bus, VM_DISK_BUS_IDE);
        cr_assert_eq(back->n_nets, 1);
        cr_assert_str_eq(back->nets[0].model, "e1000");
        cr_assert_str_eq(back->nets[0].mac, "52:54:00:12:34:56");
        cr_assert_eq(back->nets[0].addr.type, VM_ADDRESS_PCI);
        cr_assert_eq(back->nets[0].addr.slot, 3);
        cr_assert_eq(back->n_chars, 1);
        cr_assert_str_eq(back->chars[0].src.type, "tcp");
        cr_assert(back->chars[0].src.listen);
        cr_assert_str_eq(back->chars[0].src.protocol, "telnet");
        cr_assert_eq(back->chars[0].target_port, 0);
        cr_assert_eq(back->n_qemu_args, 2);
        cr_assert_str_eq(back->qemu_args[1], "{\"driver\":\"pci-testdev\",\"membar\":\"1,2\"}\n");
        cr_assert_null(back->qemu_args[2]);
        cr_assert_eq(back->n_qemu_env, 1);
        cr_assert_str_eq(back->qemu_env[0].value, "none & <nothing>");
        cr_assert_eq(back->memballoon.present, false);
}

/* Values XML 1.0 cannot carry are refused with a message, never written as broken XML. */
Test(domxml_write, hostile_values) {
        static const char *bad[] = { "a\001b", "tab\tok but bell \a", "\xff\xfe", "\xc3(", "esc\033[0m" };
        static const char *good[] = { "'\"&<>]]>", "line\nbreak", "cr\r\nlf", "  leading and trailing  ", "é ü ß" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(vm_def_freep) VmDef *def = NULL;
                _cleanup_free_ char *xml = NULL, *error = NULL;
                int r;

                cr_assert(vm_def_new(&def) == 0);
                def->virt_type = (char *) "qemu";
                def->name = (char *) "hostile";
                def->os.kernel = vm_def_strdup(def, bad[i]);
                r = domxml_write(def, &xml, &error);
                cr_assert_eq(r, -EINVAL, "case %zu: expected -EINVAL, got %d", i, r);
                cr_assert(error && strstr(error, "<kernel>"), "case %zu: message '%s'", i, strempty(error));
                cr_assert_null(xml);
        }
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
                _cleanup_free_ char *xml = NULL;
                VmQemuEnv *e;

                cr_assert(vm_def_new(&def) == 0);
                def->virt_type = (char *) "qemu";
                def->name = (char *) "hostile";
                def->memory_kib = 1024;
                def->os.cmdline = vm_def_strdup(def, good[i]);
                e = VM_DEVICE_NEW(def, qemu_env);
                cr_assert(e);
                e->name = (char *) "X";
                e->value = vm_def_strdup(def, good[i]);
                xml = write_ok(def, "hostile");
                back = parse_ok(xml, "hostile");
                cr_assert_str_eq(back->os.cmdline, good[i], "case %zu (text)", i);
                cr_assert_str_eq(back->qemu_env[0].value, good[i], "case %zu (attribute)", i);
        }
}

/* Every domain of the shared corpus that vmunit accepts, when the corpus is there. */
Test(domxml_write, conformance_corpus) {
        const char *dir = getenv("VMUNIT_CONFORMANCE_DIR");
        _cleanup_free_ char *lib = NULL;
        unsigned n = 0;
        struct dirent *de;
        DIR *d;

        if (!dir || asprintf(&lib, "%s/libvirt", dir) < 0 || !(d = opendir(lib))) {
                cr_skip_test("VMUNIT_CONFORMANCE_DIR not set or no corpus there");
                return;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *xml = NULL, *error = NULL;
                _cleanup_strv_free_ char **warnings = NULL;
                _cleanup_(vm_def_freep) VmDef *def = NULL;
                size_t l = strlen(de->d_name);

                if (l < 5 || !streq(de->d_name + l - 4, ".xml"))
                        continue;
                cr_assert(asprintf(&path, "%s/%s", lib, de->d_name) >= 0);
                xml = read_file(path);
                if (domxml_parse_memory(xml, strlen(xml), de->d_name, 0, &def, &error, &warnings) < 0)
                        continue;       /* refused by vmunit: nothing to round-trip */
                check_round_trip(xml, de->d_name);
                n++;
        }
        closedir(d);
        cr_assert(n > 0, "no domain of %s was accepted", lib);
}

/* The live XML of a running VM (supervisor/vm-live.c): QEMU's pid as <domain id=>, the pty of each
 * pty chardev, matched to QEMU's chardev ids; and a live dump defines again (id= and tty= are
 * runtime facts the parser reads past). */
Test(domxml_write, live_facts) {
        static const char xml[] =
                "<domain type='qemu'><name>live</name><uuid>6a2c1e1e-3d4f-4b7a-9c0e-0004001779b2</uuid>"
                "<memory unit='MiB'>128</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                "<serial type='pty'><target port='0'/></serial>"
                "<serial type='pty'><target port='1'/></serial>"
                "<console type='pty'><target type='serial' port='0'/></console>"
                "<channel type='pty'><target type='virtio' name='org.example.0'/></channel>"
                "</devices></domain>";
        _cleanup_(vm_def_freep) VmDef *def = parse_ok(xml, "live"), *again = NULL;
        _cleanup_free_ char *out = NULL, *error = NULL;
        QemuBuildOptions opts;
        QemuCommand cmd = {};
        char buf[256], id[64];

        qemu_build_options_default(&opts, "live", buf, sizeof(buf));
        cr_assert_eq(qemu_argv_build(def, &opts, &cmd, &error), 0, "%s", error ?: "?");
        qemu_command_done(&cmd);
        static const char * const want[] = { "charserial0", "charserial1", "charserial0", "charchannel0" };
        cr_assert_eq(def->n_chars, ELEMENTSOF(want));
        for (unsigned i = 0; i < def->n_chars; i++) {
                cr_assert_eq(qemu_char_chardev_id(def, i, id, sizeof(id)), 0);
                cr_expect_str_eq(id, want[i], "chars[%u]", i);
        }
        cr_assert_eq(qemu_char_chardev_id(def, 9, id, sizeof(id)), -EINVAL);

        def->live_id = 4242;
        def->chars[0].src.path = vm_def_strdup(def, "/dev/pts/7");
        cr_assert_eq(domxml_write(def, &out, &error), 0, "%s", error ?: "?");
        cr_assert_not_null(strstr(out, "<domain type='qemu' id='4242'"), "%s", out);
        cr_assert_not_null(strstr(out, "<source path='/dev/pts/7'/>"), "%s", out);
        again = parse_ok(out, "live dump");
        cr_assert_eq(again->live_id, 0, "id= is not part of a definition");
        free(out);
        out = NULL;
        /* libvirt's form of a live console */
        const char *tty = strstr(xml, "<console type='pty'>");
        cr_assert_not_null(tty);
        _cleanup_free_ char *with_tty = NULL;
        cr_assert_gt(asprintf(&with_tty, "%.*s<console type='pty' tty='/dev/pts/7'>%s", (int) (tty - xml), xml,
                              tty + strlen("<console type='pty'>")), 0);
        _cleanup_(vm_def_freep) VmDef *t = parse_ok(with_tty, "tty");
}

/* The supervisor's argv lets QEMU find a free VNC display for autoport (to=99); the converter's
 * argv keeps libvirt's display 0. */
Test(domxml_write, vnc_autoport_search) {
        static const char xml[] =
                "<domain type='qemu'><name>vnc</name><uuid>6a2c1e1e-3d4f-4b7a-9c0e-0004001779b3</uuid>"
                "<memory unit='MiB'>128</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>";
        for (int search = 0; search <= 1; search++) {
                _cleanup_(vm_def_freep) VmDef *def = parse_ok(xml, "vnc");
                _cleanup_free_ char *error = NULL;
                QemuBuildOptions opts;
                QemuCommand cmd = {};
                char buf[256];
                const char *vnc = NULL;

                qemu_build_options_default(&opts, "vnc", buf, sizeof(buf));
                opts.vnc_autoport_search = search;
                cr_assert_eq(qemu_argv_build(def, &opts, &cmd, &error), 0, "%s", error ?: "?");
                for (char **a = cmd.argv; *a; a++)
                        if (streq(*a, "-vnc"))
                                vnc = a[1];
                cr_assert_not_null(vnc);
                cr_expect_str_eq(vnc, search ? "127.0.0.1:0,to=99,audiodev=audio1" : "127.0.0.1:0,audiodev=audio1");
                qemu_command_done(&cmd);
        }
}

/* The host-side settings of an interface (port group and id, VLAN tags, virtual port, an unmanaged
 * tap, trustGuestRxFilters) leave no trace on the command line, so the argv comparison cannot see
 * them: they must be written back all the same, or a define through vmunit loses them. */
Test(domxml_write, interface_host_side_settings) {
        _cleanup_free_ char *path = data_path("argv/net-virtualport.xml"), *xml = read_file(path), *out = NULL,
                            *error = NULL;
        static const char * const want[] = {
                "<interface type='network' trustGuestRxFilters='yes'>",
                "<source network='lan' portgroup='web' portid='873be5a0-6b8a-4a0b-a1df-ef3659cd64bc'/>",
                "<vlan trunk='yes'>",
                "<tag id='42' nativeMode='untagged'/>",
                "<tag id='4095'/>",
                "<virtualport type='802.1Qbg'>",
                "<parameters managerid='11' typeid='1193047' typeidversion='2' "
                "instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>",
                "<virtualport type='openvswitch'>",
                "<parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa50' profileid='web-1'/>",
                "<target dev='mytap0' managed='no'/>",
        };
        VmDef *def = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "net-virtualport.xml", 0, &def, &error, NULL), 0, "%s",
                     strempty(error));
        cr_assert_eq(domxml_write(def, &out, &error), 0, "%s", strempty(error));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                cr_expect(strstr(out, want[i]), "missing %s in:\n%s", want[i], out);
        vm_def_free(def);
}
