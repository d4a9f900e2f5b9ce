/*
 * Hostile values in every user-controlled string that reaches QEMU's command line (STYLE R14/R25):
 * commas, '=', quotes, spaces, "-device", JSON fragments, newlines. For each site the domain is
 * built once with a plain token and once per hostile value; the two command lines must have the same
 * shape: the same number of arguments, and where an argument differs, the same JSON keys (json-c) or
 * the same key=value keys as QEMU's own option parser splits them, with the value carried through
 * exactly. A site may refuse a value it validates, but then with a message naming the element; a
 * newline is refused wherever the value lands in a key=value option.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "qemu-cmdline-parse.h"
#include "test-util.h"

/* lower case and short: some sites only take [a-z0-9._-], or at most 12 characters */
#define TOKEN "vmhostile"

#define DOM(name, os, top, devices)                                                             \
        "<domain type='qemu'>\n  <name>" name "</name>\n"                                       \
        "  <uuid>7c8e0f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00</uuid>\n"                                 \
        "  <memory unit='MiB'>256</memory>\n"                                                   \
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n" os "  </os>\n" top           \
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n" devices             \
        "  </devices>\n</domain>\n"

#define DEV(devices) DOM("hostile", "", "", devices)

typedef enum NewlinePolicy {
        NL_REFUSE,              /* lands in key=value syntax: must be refused (-EINVAL) */
        NL_ANY,                 /* JSON or a whole argument: carried exactly, or refused */
} NewlinePolicy;

typedef struct Site {
        const char *name;
        const char *xml;        /* exactly one %s: the value, XML-escaped */
        const char *may_refuse; /* NULL: a validated value, any hostile one may be refused;
                                 * else refusal is only allowed for values containing one of these */
        NewlinePolicy nl;
        bool secret;            /* the value must reach neither argv nor the environment */
        const char *skip;       /* values with these characters are not tried here (they change the
                                 * form of the argument legitimately, e.g. ':' makes an IPv6 address) */
} Site;

/* The qemu:commandline site needs its namespace on <domain>: written out in full. */
static const char qemu_env_xml[] =
        "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>hostile</name>\n  <uuid>7c8e0f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00</uuid>\n"
        "  <memory unit='MiB'>256</memory>\n"
        "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n  </devices>\n"
        "  <qemu:commandline>\n    <qemu:env name='VMUNIT_TEST' value='%s'/>\n  </qemu:commandline>\n"
        "</domain>\n";

static const Site sites[] = {
        { "domain name", DOM("%s", "", "", ""), "/", NL_REFUSE },
        { "domain name in the NVRAM path",
          DOM("%s", "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
                    "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'/>\n", "", ""), "/", NL_REFUSE },
        { "disk file path", DEV("<disk type='file'><source file='/var/lib/images/%s.img'/>"
                                "<target dev='vda' bus='virtio'/></disk>"), "", NL_ANY },
        { "block device path", DEV("<disk type='block'><source dev='/dev/mapper/%s'/>"
                                   "<target dev='sda' bus='sata'/></disk>"), "", NL_ANY },
        { "backing store path", DEV("<disk type='file'><driver name='qemu' type='qcow2'/>"
                                    "<source file='/var/lib/images/top.qcow2'/>"
                                    "<backingStore type='file'><format type='raw'/>"
                                    "<source file='/var/lib/images/%s.raw'/></backingStore>"
                                    "<target dev='vda' bus='virtio'/></disk>"), "", NL_ANY },
        { "cdrom media path", DEV("<disk type='file' device='cdrom'><source file='/srv/iso/%s.iso'/>"
                                  "<target dev='sdb' bus='sata'/><readonly/></disk>"), "", NL_ANY },
        { "disk serial", DEV("<disk type='file'><source file='/var/lib/images/a.img'/>"
                             "<target dev='vda' bus='virtio'/><serial>%s</serial></disk>"), NULL, NL_ANY },
        { "disk vendor", DEV("<disk type='file'><source file='/var/lib/images/a.img'/>"
                             "<target dev='sda' bus='scsi'/><vendor>%s</vendor></disk>"
                             "<controller type='scsi' model='virtio-scsi'/>"), NULL, NL_ANY },
        { "file chardev path", DEV("<serial type='file'><source path='/var/log/vm/%s.log'/></serial>"),
          "", NL_REFUSE },
        { "unix chardev path", DEV("<serial type='unix'><source mode='bind' path='/run/vm/%s.sock'/></serial>"),
          "", NL_REFUSE },
        { "chardev log file", DEV("<serial type='pty'><log file='/var/log/vm/%s.log'/></serial>"), "", NL_REFUSE },
        { "tcp chardev host", DEV("<serial type='tcp'><source mode='connect' host='%s' service='4555'/></serial>"),
          NULL, NL_REFUSE },
        { "tcp chardev service", DEV("<serial type='tcp'><source mode='connect' host='127.0.0.1' service='%s'/>"
                                     "</serial>"), NULL, NL_REFUSE },
        { "udp chardev bind host", DEV("<serial type='udp'><source mode='bind' host='%s' service='4558'/>"
                                       "<source mode='connect' host='127.0.0.1' service='4557'/></serial>"),
          NULL, NL_REFUSE },
        { "serial device path", DEV("<serial type='dev'><source path='/dev/%s'/></serial>"), "", NL_REFUSE },
        { "channel name", DEV("<channel type='unix'><target type='virtio' name='org.example.%s'/></channel>"),
          NULL, NL_REFUSE },
        { "channel socket path", DEV("<channel type='unix'><source mode='bind' path='/run/vm/%s'/>"
                                     "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"),
          "", NL_REFUSE },
        { "SMBIOS system entry",
          DOM("hostile", "    <smbios mode='sysinfo'/>\n",
              "  <sysinfo type='smbios'><system><entry name='manufacturer'>%s</entry></system></sysinfo>\n", ""),
          "", NL_REFUSE },
        { "SMBIOS OEM string",
          DOM("hostile", "    <smbios mode='sysinfo'/>\n",
              "  <sysinfo type='smbios'><oemStrings><entry>%s</entry></oemStrings></sysinfo>\n", ""),
          "", NL_REFUSE },
        { "fw_cfg entry name",
          DOM("hostile", "", "  <sysinfo type='fwcfg'><entry name='opt/org.example/%s'>v</entry></sysinfo>\n", ""),
          "", NL_REFUSE },
        { "fw_cfg entry value",
          DOM("hostile", "", "  <sysinfo type='fwcfg'><entry name='opt/org.example/x'>%s</entry></sysinfo>\n", ""),
          "", NL_REFUSE },
        { "fw_cfg entry file",
          DOM("hostile", "", "  <sysinfo type='fwcfg'><entry name='opt/org.example/x' file='/srv/%s'/></sysinfo>\n",
              ""), "", NL_REFUSE },
        { "CPU model", DOM("hostile", "", "  <cpu mode='custom'><model>%s</model></cpu>\n", ""), NULL, NL_REFUSE },
        { "CPU feature name",
          DOM("hostile", "", "  <cpu mode='custom'><model>qemu64</model><feature name='%s'/></cpu>\n", ""),
          NULL, NL_REFUSE },
        { "Hyper-V vendor id",
          DOM("hostile", "", "  <features><hyperv><vendor_id state='on' value='%s'/></hyperv></features>\n", ""),
          NULL, NL_REFUSE },
        { "kernel command line", DOM("hostile", "    <kernel>/boot/vmlinuz</kernel>\n    <cmdline>%s</cmdline>\n",
                                     "", ""), "", NL_ANY },
        { "kernel path", DOM("hostile", "    <kernel>/boot/%s</kernel>\n", "", ""), "", NL_ANY },
        { "initrd path", DOM("hostile", "    <kernel>/boot/vmlinuz</kernel>\n    <initrd>/boot/%s</initrd>\n", "", ""),
          "", NL_ANY },
        { "pflash loader path", DOM("hostile", "    <loader readonly='yes' type='pflash'>/srv/fw/%s.fd</loader>\n",
                                    "", ""), "", NL_ANY },
        { "NVRAM path", DOM("hostile", "    <loader readonly='yes' type='pflash'>/srv/fw/code.fd</loader>\n"
                                       "    <nvram>/srv/fw/%s.fd</nvram>\n", "", ""), "", NL_ANY },
        { "ACPI table file", DOM("hostile", "    <acpi><table type='slic'>/srv/%s.dat</table></acpi>\n", "", ""),
          "", NL_REFUSE },
        { "VNC socket path", DEV("<graphics type='vnc'><listen type='socket' socket='/run/vm/%s.sock'/></graphics>"),
          "", NL_REFUSE },
        { "VNC listen address", DEV("<graphics type='vnc' port='5901' autoport='no' listen='%s'/>"), "=", NL_REFUSE,
          .skip = ":" },
        { "VNC share policy", DEV("<graphics type='vnc' sharePolicy='%s'/>"), NULL, NL_REFUSE },
        { "SPICE listen address", DEV("<graphics type='spice' port='5901' autoport='no' listen='%s'/>"), "",
          NL_REFUSE },
        { "VNC password", DEV("<graphics type='vnc' passwd='%s'/>"), "", NL_ANY, .secret = true },
        { "SPICE password", DEV("<graphics type='spice' passwd='%s'/>"), "", NL_ANY, .secret = true },
        { "EGD RNG host", DEV("<rng model='virtio'><backend model='egd' type='tcp'>"
                              "<source mode='connect' host='%s' service='7000'/></backend></rng>"), NULL, NL_REFUSE },
        { "external TPM socket", DEV("<tpm model='tpm-crb'><backend type='external'>"
                                     "<source type='unix' mode='connect' path='/run/swtpm/%s'/></backend></tpm>"),
          "", NL_REFUSE },
        { "USB redirection host", DEV("<redirdev bus='usb' type='tcp'><source mode='connect' host='%s' service='4000'/>"
                                      "</redirdev>"), NULL, NL_REFUSE },
        { "smartcard host", DEV("<smartcard mode='passthrough' type='tcp'>"
                                "<source mode='connect' host='%s' service='2001'/></smartcard>"), NULL, NL_REFUSE },
        { "audio file path", DEV("<sound model='ich9'/><audio id='1' type='file' path='/srv/audio/%s.wav'/>"), "",
          NL_ANY },
        { "NIC ROM file", DEV("<interface type='user'><model type='virtio'/><rom file='/srv/rom/%s.rom'/></interface>"),
          "", NL_ANY },
        { "UDP tunnel address", DEV("<interface type='udp'><model type='virtio'/><source address='%s' port='5561'>"
                                    "<local address='127.0.0.1' port='5562'/></source></interface>"), NULL, NL_ANY },
        { "socket NIC address", DEV("<interface type='client'><model type='virtio'/>"
                                    "<source address='%s' port='5559'/></interface>"), NULL, NL_ANY },
        { "timezone", DOM("hostile", "", "  <clock offset='timezone' timezone='Europe/%s'/>\n", ""), NULL, NL_REFUSE },
        { "qemu:env value", qemu_env_xml, "", NL_ANY },
};

static const char * const hostile_values[] = {
        "a,b",
        "a,,b",
        "x=y",
        ",file=/etc/shadow",
        "a,id=evil,b",
        "tail,",
        "quote'and\"double",
        "sp ace",
        "-device",
        "back\\slash",
        "},{\"driver\":\"evil\"",
        "$(reboot)`id`",
        "\xc2\xb5nicode-\xc3\xa9",
};

static const char * const newline_values[] = {
        "a\nb",
        "x,\n-device,y",
};

static char *xml_escape(const char *s) {
        char *out = malloc(strlen(s) * 6 + 1), *p = out;

        cr_assert(out);
        for (; *s; s++)
                switch (*s) {
                case '&': p = stpcpy(p, "&amp;"); break;
                case '<': p = stpcpy(p, "&lt;"); break;
                case '>': p = stpcpy(p, "&gt;"); break;
                case '\'': p = stpcpy(p, "&apos;"); break;
                case '"': p = stpcpy(p, "&quot;"); break;
                case '\n': p = stpcpy(p, "&#10;"); break;
                default: *p++ = *s;
                }
        *p = 0;
        return out;
}

/* @s with every TOKEN replaced by @value */
static char *subst(const char *s, const char *value) {
        size_t n = 0, tl = strlen(TOKEN), vl = strlen(value);
        char *out, *p;

        for (const char *q = strstr(s, TOKEN); q; q = strstr(q + tl, TOKEN))
                n++;
        out = malloc(strlen(s) + n * vl + 1);
        cr_assert(out);
        p = out;
        for (const char *q; (q = strstr(s, TOKEN)); s = q + tl) {
                memcpy(p, s, (size_t) (q - s));
                p = stpcpy(p + (q - s), value);
        }
        strcpy(p, s);
        return out;
}

static void build_site(const Site *site, const char *value, TestBuild *ret) {
        _cleanup_free_ char *v = xml_escape(value), *xml = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        cr_assert(asprintf(&xml, site->xml, v) >= 0);
#pragma GCC diagnostic pop
        test_build(xml, strlen(xml), "hostile.xml", ret);
}

/* ---- comparing a benign and a hostile command line ---- */

static void compare_json(const char *where, json_object *b, json_object *h, const char *value) {
        cr_assert_eq(json_object_get_type(b), json_object_get_type(h), "%s: JSON type changed", where);
        switch (json_object_get_type(b)) {
        case json_type_object: {
                cr_assert_eq(json_object_object_length(b), json_object_object_length(h),
                             "%s: JSON key count changed (%d -> %d): a property was injected", where,
                             json_object_object_length(b), json_object_object_length(h));
                json_object_object_foreach(b, key, bv) {
                        json_object *hv;
                        cr_assert(json_object_object_get_ex(h, key, &hv), "%s: JSON key '%s' disappeared", where, key);
                        compare_json(where, bv, hv, value);
                }
                break;
        }
        case json_type_array:
                cr_assert_eq(json_object_array_length(b), json_object_array_length(h), "%s: array length", where);
                for (size_t i = 0; i < json_object_array_length(b); i++)
                        compare_json(where, json_object_array_get_idx(b, i), json_object_array_get_idx(h, i), value);
                break;
        case json_type_string: {
                _cleanup_free_ char *want = subst(json_object_get_string(b), value);
                cr_assert_str_eq(json_object_get_string(h), want, "%s: JSON value not carried exactly", where);
                break;
        }
        case json_type_null:
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
        default:
                cr_assert(json_object_equal(b, h), "%s: JSON value changed", where);
        }
}

static void compare_opts(const char *where, const OptList *b, const OptList *h, const char *value) {
        cr_assert_eq(b->n, h->n, "%s: %zu items became %zu: an option was injected", where, b->n, h->n);
        for (size_t i = 0; i < b->n; i++) {
                /* a key may itself be the value (-cpu MODEL,FEATURE=on) */
                _cleanup_free_ char *key = b->items[i].key ? subst(b->items[i].key, value) : NULL;
                cr_assert(streq_ptr(key, h->items[i].key), "%s: item %zu: key '%s' became '%s'", where, i,
                          strempty(b->items[i].key), strempty(h->items[i].key));
                cr_assert_eq(!b->items[i].value, !h->items[i].value, "%s: item %zu changed shape", where, i);
                if (b->items[i].value) {
                        _cleanup_free_ char *want = subst(b->items[i].value, value);
                        cr_assert_str_eq(h->items[i].value, want, "%s: key '%s': value not carried exactly", where,
                                         strempty(b->items[i].key));
                }
        }
}

/* Options whose value is one whole string for QEMU (no key=value parsing). */
static const char * const raw_options[] = { "-kernel", "-initrd", "-append", "-bios", "-k", "-uuid",
                                             "-watchdog-action", "-tpmdev", NULL };
/* Options whose value QEMU splits as QemuOpts key=value. */
static const char * const keyval_options[] = { "-name", "-machine", "-smp", "-m", "-numa", "-smbios", "-fw_cfg",
                                                "-chardev", "-vnc", "-spice", "-acpitable", "-rtc", "-boot", "-mon",
                                                "-sandbox", "-msg", "-overcommit", "-global", "-accel", "-display",
                                                NULL };

static bool in(const char * const *l, const char *s) {
        for (; *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static char *double_commas(const char *s) {
        char *out = malloc(strlen(s) * 2 + 1), *p = out;

        cr_assert(out);
        for (; *s; s++) {
                *p++ = *s;
                if (*s == ',')
                        *p++ = ',';
        }
        *p = 0;
        return out;
}

static void compare_arg(const char *site, const char *opt, const char *b, const char *h, const char *value) {
        _cleanup_free_ char *where = test_strdupf("%s, %s '%s'", site, opt ?: "argv[0]", value);
        OptList lb = {}, lh = {};

        if (b[0] == '{') {
                json_object *jb = json_tokener_parse(b), *jh = json_tokener_parse(h);
                cr_assert(jb && jh, "%s: not JSON: %s", where, h);
                compare_json(where, jb, jh, value);
                json_object_put(jb);
                json_object_put(jh);
                return;
        }
        if (!opt || in(raw_options, opt)) {
                _cleanup_free_ char *want = subst(b, value);
                cr_assert_str_eq(h, want, "%s: argument not carried exactly", where);
                return;
        }
        if (streq(opt, "-cpu")) {
                cr_assert(qemu_cpu_split(b, &lb) == 0 && qemu_cpu_split(h, &lh) == 0);
                compare_opts(where, &lb, &lh, value);
        } else {
                cr_assert(in(keyval_options, opt), "%s: option %s is in neither list of this test: classify it", where,
                          opt);
                cr_assert(qemu_opts_split(b, &lb) == 0 && qemu_opts_split(h, &lh) == 0);
                compare_opts(where, &lb, &lh, value);
                if (strchr(value, ',')) {
                        _cleanup_free_ char *esc = double_commas(value);
                        cr_assert(strstr(h, esc), "%s: ',' is not escaped as ',,' in %s", where, h);
                }
        }
        opt_list_done(&lb);
        opt_list_done(&lh);
}

static void assert_same_shape(const char *site, const QemuCommand *b, const QemuCommand *h, const char *value) {
        size_t nb = 0, nh = 0;

        while (b->env && b->env[nb])
                nb++;
        while (h->env && h->env[nh])
                nh++;
        cr_assert_eq(nb, nh, "%s '%s': environment grew from %zu to %zu entries", site, value, nb, nh);
        for (size_t i = 0; i < nb; i++) {
                _cleanup_free_ char *want = subst(b->env[i], value);
                cr_assert_str_eq(h->env[i], want, "%s '%s': environment entry changed shape", site, value);
        }
        nb = nh = 0;
        while (b->argv[nb])
                nb++;
        while (h->argv[nh])
                nh++;
        cr_assert_eq(nb, nh, "%s '%s': %zu arguments became %zu: an option was injected", site, value, nb, nh);
        for (size_t i = 0; i < nb; i++)
                if (!streq(b->argv[i], h->argv[i]))
                        compare_arg(site, i > 0 ? b->argv[i - 1] : NULL, b->argv[i], h->argv[i], value);
}

static bool appears(const QemuCommand *c, const char *s) {
        for (char **e = c->env; e && *e; e++)
                if (strstr(*e, s))
                        return true;
        for (char **a = c->argv; a && *a; a++)
                if (strstr(*a, s))
                        return true;
        return false;
}

static void assert_clear_refusal(const char *site, const char *value, const TestBuild *t) {
        cr_assert(t->error && *t->error, "%s '%s': refused (%s) without a message", site, value,
                  test_errno_name(t->r));
        if (streq(t->stage, "parse"))
                cr_assert(strstr(t->error, "hostile.xml:") && strstr(t->error, ": <"),
                          "%s '%s': parser message does not name file, line and element: %s", site, value, t->error);
}

/* ---- the tests ---- */

typedef struct SiteParam {
        unsigned index;
} SiteParam;

ParameterizedTestParameters(hostile, site) {
        static SiteParam p[ELEMENTSOF(sites)];

        for (unsigned i = 0; i < ELEMENTSOF(sites); i++)
                p[i].index = i;
        return cr_make_param_array(SiteParam, p, ELEMENTSOF(p));
}

ParameterizedTest(SiteParam *p, hostile, site) {
        const Site *s = &sites[p->index];
        TestBuild benign;

        build_site(s, TOKEN, &benign);
        cr_assert(benign.r == 0, "%s: the benign build failed: %s: %s", s->name, strempty(benign.stage),
                  strempty(benign.error));
        if (s->secret)
                cr_assert(!appears(&benign.cmd, TOKEN), "%s: the secret is on the command line", s->name);
        else
                cr_assert(appears(&benign.cmd, TOKEN), "%s: the value never reaches the command line: a useless site",
                          s->name);

        for (size_t k = 0; k < ELEMENTSOF(hostile_values); k++) {
                _cleanup_free_ char *secret = test_strdupf(TOKEN "%s", hostile_values[k]);
                const char *v = s->secret ? secret : hostile_values[k];
                TestBuild t;

                if (s->skip && strpbrk(v, s->skip))
                        continue;
                build_site(s, v, &t);
                if (t.r < 0) {
                        cr_assert(!s->may_refuse || strpbrk(v, s->may_refuse),
                                  "%s: refused '%s', a value it must carry: %s", s->name, v, strempty(t.error));
                        assert_clear_refusal(s->name, v, &t);
                } else if (s->secret)
                        cr_assert(!appears(&t.cmd, TOKEN), "%s: the secret '%s' is on the command line", s->name, v);
                else
                        assert_same_shape(s->name, &benign.cmd, &t.cmd, v);
                test_build_done(&t);
        }

        for (size_t k = 0; k < ELEMENTSOF(newline_values); k++) {
                const char *v = newline_values[k];
                TestBuild t;

                build_site(s, v, &t);
                if (t.r < 0)
                        assert_clear_refusal(s->name, v, &t);
                if (s->nl == NL_REFUSE) {
                        cr_assert(t.r == -EINVAL, "%s: a newline was not refused (%s)", s->name,
                                  t.r == 0 ? "built" : test_errno_name(t.r));
                        cr_assert(streq(t.stage, "parse") || strstr(t.error, "newline"),
                                  "%s: the refusal does not say why: %s", s->name, t.error);
                } else if (t.r == 0 && !s->secret)
                        assert_same_shape(s->name, &benign.cmd, &t.cmd, v);
                test_build_done(&t);
        }
        test_build_done(&benign);
        test_assert_no_leaks();
}

/* <hyperv><vendor_id value=...> lands in -cpu, whose feature list QEMU splits with strtok(","): there is
 * no ",," escape there, so "KVM,,kvm=off" would set the CPU property kvm=off. The value must be refused
 * (libvirt allows at most 12 alphanumeric characters). */
Test(hostile, hyperv_vendor_id) {
        static const char xml[] = DOM("hostile", "",
                                      "  <features><hyperv><vendor_id state='on' value='KVM,kvm=off'/></hyperv></features>\n",
                                      "");
        TestBuild t;

        test_build(xml, strlen(xml), "hostile.xml", &t);
        cr_assert_eq(t.r, -EINVAL, "a vendor_id with ',' must be refused, it injects a CPU property");
        cr_assert(t.error && strstr(t.error, "vendor_id"), "unclear message: %s", strempty(t.error));
        test_build_done(&t);
        test_assert_no_leaks();
}

/* <cpu><feature name='-sse2'/> would give "-cpu qemu64,-sse2=on", which QEMU reads as its legacy
 * "-feature" syntax (a feature named "sse2=on"), not as sse2=on: such names must be refused. */
Test(hostile, cpu_feature_leading_dash) {
        static const char xml[] = DOM("hostile", "",
                                      "  <cpu mode='custom'><model>qemu64</model><feature name='-sse2'/></cpu>\n", "");
        TestBuild t;

        test_build(xml, strlen(xml), "hostile.xml", &t);
        cr_assert_eq(t.r, -EINVAL, "a CPU feature name starting with '-' must be refused");
        test_build_done(&t);
        test_assert_no_leaks();
}

/* The clearest statement of R14: a newline cannot be carried in key=value syntax and is refused. */
Test(hostile, newline_in_chardev_path_is_refused) {
        static const char xml[] = DEV("<serial type='file'><source path='/var/log/a&#10;b.log'/></serial>");
        TestBuild t;

        test_build(xml, strlen(xml), "hostile.xml", &t);
        cr_assert_eq(t.r, -EINVAL);
        cr_assert_str_eq(t.stage, "build");
        cr_assert(t.error && strstr(t.error, "newline"), "unclear message: %s", strempty(t.error));
        test_build_done(&t);
        test_assert_no_leaks();
}

/* A comma in a key=value value is doubled, and QEMU's own splitting gets the value back. */
Test(hostile, comma_is_doubled) {
        static const char xml[] = DEV("<serial type='file'><source path='/var/log/a,path=/etc/shadow'/></serial>");
        TestBuild t;
        OptList l = {};

        test_build(xml, strlen(xml), "hostile.xml", &t);
        cr_assert_eq(t.r, 0, "%s", strempty(t.error));
        for (char **a = t.cmd.argv; *a; a++)
                if (startswith(*a, "file,id=charserial0")) {
                        cr_assert_str_eq(*a, "file,id=charserial0,path=/var/log/a,,path=/etc/shadow");
                        cr_assert(qemu_opts_split(*a, &l) == 0);
                        cr_assert_eq(l.n, 3);
                        cr_assert_str_eq(l.items[2].key, "path");
                        cr_assert_str_eq(l.items[2].value, "/var/log/a,path=/etc/shadow");
                        opt_list_done(&l);
                        test_build_done(&t);
                        test_assert_no_leaks();
                        return;
                }
        cr_assert_fail("no -chardev for the serial port");
}
