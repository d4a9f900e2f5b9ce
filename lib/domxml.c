/*
 * Domain XML -> VmDef: the document, the <domain> element and everything outside <devices>
 * (memory, vcpus, cpu, os, features, clock, lifecycle, tuning, seclabel, sysinfo,
 * qemu:commandline). Devices are in domxml-devices.c and domxml-chardev.c.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "domxml-internal.h"
#include "domxml.h"
#include "fs-util.h"
#include "security-selinux.h"
#include "strv.h"

static void silent_error(void *ctx, const char *msg, ...) {
        (void) ctx;
        (void) msg;
}

DEFINE_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt);

static int parse_uuid(XmlCtx *c, xmlNode *n, char **ret) {
        char *s = NULL, out[37];

        (void) xml_text(c, n, &s);
        if (!s)
                return xml_fail(c, n, "empty UUID");
        if (!vm_uuid_canonicalize(s, out))
                return xml_fail(c, n, "malformed UUID '%s'", s);
        *ret = vm_def_strdup(c->def, out);
        return *ret ? 0 : xml_oom(c);
}

static int parse_memory(XmlCtx *c, xmlNode *n, uint64_t *ret) {
        char *v = NULL;

        (void) xml_text(c, n, &v);
        return xml_scaled_kib(c, n, v, "unit", "KiB", ret);
}

/* The cpuset= attribute of @n, host CPUs, into the arena: 0 when absent, 1 when read, -EINVAL
 * (recorded in @c) for a malformed or empty list or one beyond CPUSET_BITS. */
static int prop_cpuset(XmlCtx *c, xmlNode *n, CpuSet **ret) {
        char *v = NULL;
        CpuSet *set;
        int r;

        r = xml_prop(c, n, "cpuset", &v);
        if (r <= 0)
                return r;
        set = vm_def_alloc(c->def, sizeof(CpuSet));
        if (!set)
                return xml_oom(c);
        r = cpuset_parse(v, CPUSET_BITS, set);
        if (r == -ERANGE)
                return xml_fail(c, n, "cpuset '%s': host CPU numbers go up to %u", v, CPUSET_BITS - 1);
        if (r < 0)
                return xml_fail(c, n, "invalid cpuset '%s': expected a non-empty list of host CPUs such as "
                                "'0-3,^2,8'", v);
        *ret = set;
        return 1;
}

static int parse_vcpu(XmlCtx *c, xmlNode *n) {
        static const char * const placements[] = { "static", "auto", NULL };
        VmDef *def = c->def;
        char *v = NULL;
        uint64_t u;

        (void) xml_prop_choice(c, n, "placement", placements, &def->vcpu_placement);
        def->vcpu_line = (unsigned) xmlGetLineNo(n);
        (void) prop_cpuset(c, n, &def->vcpu_cpuset);
        (void) xml_prop_uint(c, n, "current", &def->vcpus_current);
        (void) xml_text(c, n, &v);
        if (!v || sscanf(v, "%" SCNu64, &u) != 1 || u == 0 || u > 4096)
                return xml_fail(c, n, "invalid vCPU count '%s'", strempty(v));
        def->vcpus = (unsigned) u;
        if (def->vcpus_current > def->vcpus)
                return xml_fail(c, n, "current vCPUs %u exceed maximum %u", def->vcpus_current, def->vcpus);
        /* placement='auto' (numad's advice) is a host matter: it converts, and the supervisor refuses to
         * start such a domain while vmunit has no numad support */
        return xml_status(c);
}

static int parse_os(XmlCtx *c, xmlNode *os) {
        static const char * const firmwares[] = { "efi", "bios", NULL };
        static const char * const loader_types[] = { "rom", "pflash", NULL };
        static const char * const smbios_modes[] = { "emulate", "host", "sysinfo", NULL };
        VmOs *o = &c->def->os;
        xmlNode *n;

        (void) xml_prop_choice(c, os, "firmware", firmwares, &o->firmware);
        n = xml_child(c, os, "type");
        if (!n)
                return xml_fail(c, os, "missing <type>");
        (void) xml_prop(c, n, "arch", &o->arch);
        (void) xml_prop(c, n, "machine", &o->machine);
        (void) xml_text(c, n, &o->type);
        if (!o->type || !streq(o->type, "hvm"))
                return xml_fail(c, n, "unsupported OS type '%s' (only 'hvm')", strempty(o->type));

        XML_FOREACH_ELEMENT(b, os) {
                int dev;

                if (!xml_is(b, "boot"))
                        continue;
                xml_mark(b);
                if (xml_prop_enum(c, b, "dev", (int (*)(const char *)) vm_boot_dev_from_string, &dev) <= 0) {
                        (void) xml_fail(c, b, "missing or invalid attribute 'dev'");
                        break;
                }
                if (o->n_boot >= _VM_BOOT_DEV_MAX)
                        return xml_fail(c, b, "too many <boot> elements");
                o->boot[o->n_boot++] = dev;
        }

        n = xml_child(c, os, "bootmenu");
        if (n) {
                (void) xml_prop_yesno(c, n, "enable", &o->bootmenu);
                (void) xml_prop_int(c, n, "timeout", &o->bootmenu_timeout);
                if (o->bootmenu_timeout > 65535)
                        return xml_fail(c, n, "timeout must be 0..65535");
        }
        n = xml_child(c, os, "bios");
        if (n) {
                (void) xml_prop_int(c, n, "rebootTimeout", &o->reboot_timeout);
                if (o->reboot_timeout < -1 || o->reboot_timeout > 65535)
                        return xml_fail(c, n, "rebootTimeout must be -1..65535");
        }
        n = xml_child(c, os, "kernel");
        if (n)
                (void) xml_text(c, n, &o->kernel);
        n = xml_child(c, os, "initrd");
        if (n)
                (void) xml_text(c, n, &o->initrd);
        n = xml_child(c, os, "cmdline");
        if (n)
                (void) xml_text(c, n, &o->cmdline);
        n = xml_child(c, os, "dtb");
        if (n)
                (void) xml_text(c, n, &o->dtb);
        n = xml_child(c, os, "loader");
        if (n) {
                (void) xml_prop_choice(c, n, "type", loader_types, &o->loader_type);
                (void) xml_prop_yesno(c, n, "readonly", &o->loader_readonly);
                (void) xml_prop_yesno(c, n, "secure", &o->loader_secure);
                (void) xml_prop_yesno(c, n, "stateless", &o->loader_stateless);
                (void) xml_text(c, n, &o->loader);
        }
        n = xml_child(c, os, "nvram");
        if (n) {
                (void) xml_prop(c, n, "template", &o->nvram_template);
                (void) xml_text(c, n, &o->nvram);
        }
        n = xml_child(c, os, "firmware");
        if (n)
                XML_FOREACH_ELEMENT(f, n) {
                        if (!xml_is(f, "feature"))
                                continue;
                        xml_mark(f);
                        char **nm = VM_ARRAY_NEW(c->def, o->firmware_feature_names, o->n_firmware_features);
                        unsigned cnt = o->n_firmware_features - 1;
                        bool *en = VM_ARRAY_NEW(c->def, o->firmware_feature_enabled, cnt);
                        VmTristate t = VM_TRISTATE_ABSENT;
                        if (!nm || !en)
                                return xml_oom(c);
                        if (xml_prop(c, f, "name", nm) <= 0 || !**nm)
                                return xml_fail(c, f, "missing attribute 'name'");
                        if (xml_prop_yesno(c, f, "enabled", &t) <= 0)
                                return xml_fail(c, f, "missing attribute 'enabled' (yes or no)");
                        *en = t == VM_TRISTATE_ON;
                }
        n = xml_child(c, os, "smbios");
        if (n)
                (void) xml_prop_choice(c, n, "mode", smbios_modes, &o->smbios_mode);
        n = xml_child(c, os, "acpi");
        if (n) {
                xmlNode *t = xml_child(c, n, "table");
                char *type = NULL;
                if (!t)
                        return xml_fail(c, n, "missing <table>");
                (void) xml_prop(c, t, "type", &type);
                if (!type || !streq(type, "slic"))
                        return xml_fail(c, t, "unsupported ACPI table type '%s'", strempty(type));
                (void) xml_text(c, t, &o->acpi_table);
        }
        return xml_status(c);
}

static int parse_state(XmlCtx *c, xmlNode *n, VmTristate *ret) {
        if (xml_prop_onoff(c, n, "state", ret) <= 0)
                *ret = VM_TRISTATE_ON;
        return xml_status(c);
}

static int parse_features(XmlCtx *c, xmlNode *f) {
        static const char * const hyperv_modes[] = { "custom", "passthrough", NULL };
        VmFeatures *ft = &c->def->features;

        XML_FOREACH_ELEMENT(n, f) {
                if (n->ns)
                        continue;
                if (xml_is(n, "acpi"))
                        ft->acpi = true;
                else if (xml_is(n, "apic")) {
                        ft->apic = true;
                        (void) xml_prop_onoff(c, n, "eoi", &(VmTristate) { 0 });
                } else if (xml_is(n, "pae"))
                        ft->pae = true;
                else if (xml_is(n, "hap"))
                        ft->hap = true;
                else if (xml_is(n, "vmcoreinfo")) {
                        VmTristate t = VM_TRISTATE_ON;
                        (void) xml_prop_onoff(c, n, "state", &t);
                        ft->vmcoreinfo = t == VM_TRISTATE_ON;
                } else if (xml_is(n, "pmu"))
                        (void) parse_state(c, n, &ft->pmu);
                else if (xml_is(n, "vmport"))
                        (void) parse_state(c, n, &ft->vmport);
                else if (xml_is(n, "pvspinlock"))
                        (void) parse_state(c, n, &ft->pvspinlock);
                else if (xml_is(n, "smm")) {
                        (void) parse_state(c, n, &ft->smm);
                } else if (xml_is(n, "hyperv") || xml_is(n, "kvm")) {
                        bool hv = xml_is(n, "hyperv");
                        if (hv) {
                                ft->hyperv_mode = (char *) "custom";
                                (void) xml_prop_choice(c, n, "mode", hyperv_modes, &ft->hyperv_mode);
                        }
                        XML_FOREACH_ELEMENT(h, n) {
                                VmHypervFeature *e = hv ? VM_ARRAY_NEW(c->def, ft->hyperv, ft->n_hyperv)
                                                        : VM_ARRAY_NEW(c->def, ft->kvm, ft->n_kvm);
                                if (!e)
                                        return xml_oom(c);
                                xml_mark(h);
                                e->name = vm_def_strdup(c->def, (const char *) h->name);
                                (void) parse_state(c, h, &e->state);
                                if (hv && streq(e->name, "spinlocks"))
                                        (void) xml_prop_uint(c, h, "retries", &e->value);
                                else if (hv && streq(e->name, "vendor_id")) {
                                        (void) xml_prop(c, h, "value", &e->string);
                                        /* -cpu has no ",," escape: a comma would start another CPU property */
                                        if (e->state == VM_TRISTATE_ON && !vm_hyperv_vendor_id_valid(e->string))
                                                return xml_fail(c, h, "vendor_id value must be 1-12 printable characters "
                                                                "without ',' or '='");
                                }
                                else if (hv && streq(e->name, "stimer")) {
                                        xmlNode *d = xml_child(c, h, "direct");
                                        VmTristate direct = VM_TRISTATE_ABSENT;
                                        if (d) {
                                                (void) parse_state(c, d, &direct);
                                                e->value = direct == VM_TRISTATE_ON;
                                        }
                                } else if (!hv && streq(e->name, "dirty-ring"))
                                        (void) xml_prop_uint(c, h, "size", &e->value);
                        }
                } else
                        continue;       /* left unconsumed: reported as unsupported */
                xml_mark(n);
        }
        return xml_status(c);
}

static int parse_clock(XmlCtx *c, xmlNode *n) {
        static const char * const offsets[] = { "utc", "localtime", "timezone", "variable", "absolute", NULL };
        static const char * const bases[] = { "utc", "localtime", NULL };
        static const char * const timers[] = { "platform", "pit", "rtc", "hpet", "tsc", "kvmclock",
                                               "hypervclock", "armvtimer", NULL };
        static const char * const policies[] = { "delay", "catchup", "merge", "discard", NULL };
        static const char * const tracks[] = { "boot", "guest", "wall", "realtime", NULL };
        VmClock *k = &c->def->clock;
        char *adj = NULL;

        (void) xml_prop_choice(c, n, "offset", offsets, &k->offset);
        (void) xml_prop(c, n, "timezone", &k->timezone);
        (void) xml_prop_choice(c, n, "basis", bases, &k->basis);
        if (xml_prop(c, n, "adjustment", &adj) > 0) {
                char *end;
                errno = 0;
                k->adjustment = strtoll(adj, &end, 10);
                if (streq(adj, "reset"))
                        k->adjustment = 0;
                else if (errno || *end || !*adj)
                        return xml_fail(c, n, "attribute 'adjustment': invalid number '%s'", adj);
                k->adjustment_set = true;
        }
        if (xml_prop(c, n, "start", &adj) > 0) {
                char *end;
                errno = 0;
                k->start = strtoll(adj, &end, 10);
                if (errno || *end || !*adj)
                        return xml_fail(c, n, "attribute 'start': invalid number '%s'", adj);
        }
        if (k->offset && streq(k->offset, "timezone") && !k->timezone)
                return xml_fail(c, n, "offset='timezone' needs a 'timezone' attribute");
        if (k->timezone && (strchr(k->timezone, '\n') || strchr(k->timezone, '=')))
                return xml_fail(c, n, "invalid timezone '%s'", k->timezone);

        XML_FOREACH_ELEMENT(t, n) {
                VmTimer *tm;
                if (!xml_is(t, "timer"))
                        continue;
                xml_mark(t);
                tm = VM_ARRAY_NEW(c->def, k->timers, k->n_timers);
                if (!tm)
                        return xml_oom(c);
                if (xml_prop_choice(c, t, "name", timers, &tm->name) <= 0)
                        return xml_fail(c, t, "missing attribute 'name'");
                (void) xml_prop_yesno(c, t, "present", &tm->present);
                (void) xml_prop_choice(c, t, "tickpolicy", policies, &tm->tickpolicy);
                (void) xml_prop_choice(c, t, "track", tracks, &tm->track);
                (void) xml_prop_u64(c, t, "frequency", &tm->frequency);
                (void) xml_prop(c, t, "mode", &tm->mode);
                xmlNode *cu = xml_child(c, t, "catchup");
                if (cu) {
                        unsigned v;
                        if (!tm->tickpolicy || !streq(tm->tickpolicy, "catchup"))
                                return xml_fail(c, cu, "<catchup> needs tickpolicy='catchup'");
                        (void) xml_prop_uint(c, cu, "threshold", &v);
                        (void) xml_prop_uint(c, cu, "slew", &v);
                        (void) xml_prop_uint(c, cu, "limit", &v);
                        /* libvirt's QEMU driver ignores them as well: QEMU only knows the policy */
                        xml_warn(c, cu, "QEMU has no setting for catch-up threshold, slew or limit: ignored, the "
                                 "timer catches up at QEMU's pace");
                }
        }
        return xml_status(c);
}

static int parse_lifecycle(XmlCtx *c, xmlNode *n, VmLifecycleAction *ret) {
        char *v = NULL;
        int a;

        (void) xml_text(c, n, &v);
        a = vm_lifecycle_action_from_string(v);
        if (a < 0)
                return xml_fail(c, n, "unsupported action '%s'", strempty(v));
        if (a == VM_LIFECYCLE_RENAME_RESTART)
                return xml_fail(c, n, "action 'rename-restart' is only valid for Xen");
        *ret = a;
        return 0;
}

static int parse_pm(XmlCtx *c, xmlNode *pm) {
        xmlNode *n;

        n = xml_child(c, pm, "suspend-to-mem");
        if (n)
                (void) xml_prop_yesno(c, n, "enabled", &c->def->pm_suspend_to_mem);
        n = xml_child(c, pm, "suspend-to-disk");
        if (n)
                (void) xml_prop_yesno(c, n, "enabled", &c->def->pm_suspend_to_disk);
        return xml_status(c);
}

/* <page size= nodeset=>: without nodeset= the default page size (one such page at most), with it the
 * size for those guest NUMA cells, which must exist (one cell for a guest without <numa>) and belong
 * to no other <page>; as libvirt checks. Needs <cpu> parsed. */
static int parse_hugepage(XmlCtx *c, xmlNode *p, bool *seen_default) {
        VmMemoryBacking *m = &c->def->mem;
        unsigned n_cells = MAX(c->def->cpu.n_cells, 1u);
        char *size = NULL, *nodeset = NULL;
        CpuSet set, other;
        uint64_t kib = 0;
        VmHugepage *hp;

        (void) xml_prop(c, p, "size", &size);
        if (xml_scaled_kib(c, p, size, "unit", "KiB", &kib) < 0)
                return xml_status(c);
        if (xml_prop(c, p, "nodeset", &nodeset) <= 0) {
                if (*seen_default)
                        return xml_fail(c, p, "only one <page> without nodeset= is allowed");
                *seen_default = true;
                m->hugepage_size_kib = kib;
                m->hugepages_line = (unsigned) xmlGetLineNo(p);
                return 0;
        }
        if (cpuset_parse(nodeset, CPUSET_NODES_MAX, &set) < 0)
                return xml_fail(c, p, "invalid nodeset '%s'", nodeset);
        for (unsigned i = n_cells; i < cpuset_size(&set); i++)
                if (cpuset_isset(&set, i))
                        return xml_fail(c, p, "nodeset '%s': guest NUMA node %u does not exist", nodeset, i);
        for (unsigned k = 0; k < m->n_pages; k++) {
                (void) cpuset_parse(m->pages[k].nodeset, CPUSET_NODES_MAX, &other);
                for (unsigned i = 0; i < n_cells; i++)
                        if (cpuset_isset(&set, i) && cpuset_isset(&other, i))
                                return xml_fail(c, p, "guest NUMA node %u already has its pages on line %u", i,
                                                m->pages[k].line);
        }
        hp = VM_ARRAY_NEW(c->def, m->pages, m->n_pages);
        if (!hp)
                return xml_oom(c);
        *hp = (VmHugepage) { .size_kib = kib, .nodeset = nodeset, .line = (unsigned) xmlGetLineNo(p) };
        return 0;
}

static int parse_memory_backing(XmlCtx *c, xmlNode *mb) {
        static const char * const sources[] = { "file", "anonymous", "memfd", NULL };
        static const char * const accesses[] = { "shared", "private", NULL };
        static const char * const allocs[] = { "immediate", "ondemand", NULL };
        VmMemoryBacking *m = &c->def->mem;
        xmlNode *n;

        n = xml_child(c, mb, "hugepages");
        if (n) {
                m->hugepages = true;
                bool seen_default = false;
                m->hugepages_line = (unsigned) xmlGetLineNo(n);
                XML_FOREACH_ELEMENT(p, n) {
                        if (!xml_is(p, "page"))
                                continue;
                        xml_mark(p);
                        if (parse_hugepage(c, p, &seen_default) < 0)
                                return xml_status(c);
                }
        }
        m->nosharepages = !!xml_child(c, mb, "nosharepages");
        m->locked = !!xml_child(c, mb, "locked");
        m->discard = !!xml_child(c, mb, "discard");
        n = xml_child(c, mb, "source");
        if (n)
                (void) xml_prop_choice(c, n, "type", sources, &m->source_type);
        n = xml_child(c, mb, "access");
        if (n)
                (void) xml_prop_choice(c, n, "mode", accesses, &m->access_mode);
        n = xml_child(c, mb, "allocation");
        if (n) {
                (void) xml_prop_choice(c, n, "mode", allocs, &m->allocation_mode);
                (void) xml_prop_uint(c, n, "threads", &m->allocation_threads);
        }
        return xml_status(c);
}

/* One unsigned number as an element's text ("47", "0x0001"). */
static int launch_security_number(XmlCtx *c, xmlNode *ls, const char *name, bool required, unsigned *ret) {
        xmlNode *e = xml_child(c, ls, name);
        char *text = NULL, *end;
        unsigned long v;

        if (!e)
                return required ? xml_fail(c, ls, "missing <%s>", name) : 0;
        if (xml_text(c, e, &text) <= 0)
                return xml_fail(c, e, "empty");
        errno = 0;
        v = strtoul(text, &end, 0);
        if (errno || *end || text[0] == '-' || v > UINT_MAX)
                return xml_fail(c, e, "invalid number '%s'", text);
        *ret = (unsigned) v;
        return 1;
}

static bool base64_text(const char *s) {
        return !s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen(s);
}

/* <launchSecurity type='sev'>: AMD SEV (libvirt's SEV-SNP and s390 PV are refused). */
static int parse_launch_security(XmlCtx *c, xmlNode *n) {
        VmLaunchSecurity *ls = &c->def->launch_security;
        xmlNode *e;

        ls->line = (unsigned) xmlGetLineNo(n);
        if (xml_prop_choice(c, n, "type", (const char * const[]) { "sev", "s390-pv", NULL }, &ls->type) <= 0)
                return xml_fail(c, n, "missing or unsupported attribute 'type' (only 'sev')");
        if (!streq(ls->type, "sev"))
                return xml_fail(c, n, "launch security '%s' is for s390 hosts", ls->type);
        (void) xml_prop_yesno(c, n, "kernelHashes", &ls->kernel_hashes);
        if (launch_security_number(c, n, "cbitpos", true, &ls->cbitpos) < 0 ||
            launch_security_number(c, n, "reducedPhysBits", true, &ls->reduced_phys_bits) < 0 ||
            launch_security_number(c, n, "policy", true, &ls->policy) < 0)
                return -EINVAL;
        e = xml_child(c, n, "dhCert");
        if (e)
                (void) xml_text(c, e, &ls->dh_cert);
        e = xml_child(c, n, "session");
        if (e)
                (void) xml_text(c, e, &ls->session);
        if (!base64_text(ls->dh_cert) || !base64_text(ls->session))
                return xml_fail(c, n, "<%s> is not base64", base64_text(ls->dh_cert) ? "session" : "dhCert");
        return xml_status(c);
}

static int parse_memtune(XmlCtx *c, xmlNode *mt) {
        static const struct { const char *name; size_t off; } limits[] = {
                { "hard_limit", offsetof(VmTune, hard_limit_kib) },
                { "soft_limit", offsetof(VmTune, soft_limit_kib) },
                { "swap_hard_limit", offsetof(VmTune, swap_hard_limit_kib) },
                { "min_guarantee", offsetof(VmTune, min_guarantee_kib) },
        };

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                xmlNode *n = xml_child(c, mt, limits[i].name);
                char *v = NULL;
                if (!n)
                        continue;
                (void) xml_text(c, n, &v);
                (void) xml_scaled_kib(c, n, v, "unit", "KiB",
                                      (uint64_t *) ((char *) &c->def->tune + limits[i].off));
        }
        return xml_status(c);
}

/* A decimal number from an element's text; @allow_minus_one maps "-1" (libvirt's "unlimited") to 0. */
static int text_u64(XmlCtx *c, xmlNode *n, bool allow_minus_one, uint64_t *ret) {
        char *v = NULL, *end;
        unsigned long long u;

        (void) xml_text(c, n, &v);
        if (v && allow_minus_one && streq(v, "-1")) {
                *ret = 0;
                return 0;
        }
        errno = 0;
        u = v && *v != '-' ? strtoull(v, &end, 10) : 0;
        if (!v || *v == '-' || *v == '+' || errno || *end || end == v)
                return xml_fail(c, n, "invalid number '%s'", strempty(v));
        *ret = u;
        return 0;
}

/* <vcpupin vcpu='N' cpuset=> (N below <vcpu>) or <iothreadpin iothread='N' cpuset=> (N from 1 to
 * <iothreads>), each thread at most once. */
static int parse_pin(XmlCtx *c, xmlNode *p) {
        bool vcpu = xml_is(p, "vcpupin");
        const char *attr = vcpu ? "vcpu" : "iothread";
        VmTune *t = &c->def->tune;
        VmCpuPin *pins = vcpu ? t->vcpupins : t->iothreadpins, *pin;
        unsigned n_pins = vcpu ? t->n_vcpupins : t->n_iothreadpins, id;
        CpuSet *set = NULL;

        if (xml_prop_uint(c, p, attr, &id) <= 0 || prop_cpuset(c, p, &set) <= 0)
                return xml_fail(c, p, "needs %s= and cpuset=", attr);
        if (vcpu && id >= c->def->vcpus)
                return xml_fail(c, p, "vCPU %u does not exist (<vcpu> is %u, the first vCPU is 0)", id,
                                c->def->vcpus);
        if (!vcpu && (id == 0 || id > c->def->iothreads))
                return xml_fail(c, p, "iothread %u does not exist (<iothreads> is %u, the first iothread is 1)",
                                id, c->def->iothreads);
        for (unsigned i = 0; i < n_pins; i++)
                if (pins[i].id == id)
                        return xml_fail(c, p, "%s %u is pinned twice (first on line %u)", vcpu ? "vCPU" : "iothread",
                                        id, pins[i].line);
        pin = vcpu ? VM_ARRAY_NEW(c->def, t->vcpupins, t->n_vcpupins) :
                     VM_ARRAY_NEW(c->def, t->iothreadpins, t->n_iothreadpins);
        if (!pin)
                return xml_oom(c);
        *pin = (VmCpuPin) { .id = id, .cpus = set, .line = (unsigned) xmlGetLineNo(p) };
        return 0;
}

static int parse_cputune(XmlCtx *c, xmlNode *ct) {
        VmTune *t = &c->def->tune;
        xmlNode *n;

        n = xml_child(c, ct, "shares");
        if (n)
                (void) text_u64(c, n, false, &t->cpu_shares);
        n = xml_child(c, ct, "period");
        if (n)
                (void) text_u64(c, n, false, &t->cpu_period);
        n = xml_child(c, ct, "quota");
        if (n)
                (void) text_u64(c, n, true, &t->cpu_quota);
        XML_FOREACH_ELEMENT(p, ct)
                if (xml_is(p, "vcpupin") || xml_is(p, "iothreadpin")) {
                        xml_mark(p);
                        if (parse_pin(c, p) < 0)
                                return xml_status(c);
                }
        n = xml_child(c, ct, "emulatorpin");
        if (n) {
                t->emulatorpin_line = (unsigned) xmlGetLineNo(n);
                if (prop_cpuset(c, n, &t->emulatorpin) == 0)
                        return xml_fail(c, n, "needs cpuset=");
        }
        return xml_status(c);
}

static bool valid_nodeset(const char *s) {
        CpuSet nodes;

        return cpuset_parse(s, CPUSET_NODES_MAX, &nodes) >= 0;
}

static int parse_numatune(XmlCtx *c, xmlNode *nt) {
        static const char * const modes[] = { "strict", "preferred", "interleave", "restrictive", NULL };
        VmNumatune *t = &c->def->numatune;
        xmlNode *m;

        t->present = true;
        m = xml_child(c, nt, "memory");
        if (m) {
                t->line = (unsigned) xmlGetLineNo(m);
                (void) xml_prop_choice(c, m, "mode", modes, &t->mode);
                (void) xml_prop(c, m, "nodeset", &t->nodeset);
                (void) xml_prop_choice(c, m, "placement", (const char * const[]) { "static", "auto", NULL },
                                       &t->placement);
                /* without a nodeset, placement follows <vcpu placement>; 'auto' means numad decides at start */
                if (!t->placement && !t->nodeset && c->def->vcpu_placement && streq(c->def->vcpu_placement, "auto"))
                        t->placement = (char *) "auto";
                if (t->placement && streq(t->placement, "auto"))
                        return xml_status(c);
                if (!valid_nodeset(t->nodeset))
                        return xml_fail(c, m, "needs a host nodeset= such as '0-1,3'");
        }
        XML_FOREACH_ELEMENT(n, nt) {
                VmNumaMemnode *mn;
                if (!xml_is(n, "memnode"))
                        continue;
                xml_mark(n);
                mn = VM_ARRAY_NEW(c->def, t->memnodes, t->n_memnodes);
                if (!mn)
                        return xml_oom(c);
                if (xml_prop_uint(c, n, "cellid", &mn->cellid) <= 0)
                        return xml_fail(c, n, "missing attribute 'cellid'");
                (void) xml_prop_choice(c, n, "mode", modes, &mn->mode);
                (void) xml_prop(c, n, "nodeset", &mn->nodeset);
                if (!valid_nodeset(mn->nodeset))
                        return xml_fail(c, n, "needs a host nodeset= such as '0-1,3'");
        }
        return xml_status(c);
}

static int parse_blkiotune(XmlCtx *c, xmlNode *bt) {
        xmlNode *w = xml_child(c, bt, "weight");
        uint64_t v = 0;

        if (w) {
                (void) text_u64(c, w, false, &v);
                if (v < 100 || v > 1000)
                        return xml_fail(c, w, "weight must be 100..1000");
                c->def->tune.blkio_weight = (unsigned) v;
        }
        XML_FOREACH_ELEMENT(d, bt)
                if (xml_is(d, "device"))
                        return xml_fail(c, d, "per-device I/O tuning is not supported yet");
        return xml_status(c);
}

static int parse_seclabel(XmlCtx *c, xmlNode *n) {
        static const char * const types[] = { "dynamic", "static", "none", NULL };
        static const char * const models[] = { "selinux", "apparmor", "dac", "none", NULL };
        VmSeclabel *s = &c->def->seclabel;
        xmlNode *l;

        if (s->present)
                return xml_fail(c, n, "only one <seclabel> per domain is supported");
        s->present = true;
        s->line = (unsigned) xmlGetLineNo(n);
        (void) xml_prop_choice(c, n, "type", types, &s->type);
        (void) xml_prop_choice(c, n, "model", models, &s->model);
        (void) xml_prop_yesno(c, n, "relabel", &s->relabel);
        if (!s->type)
                s->type = (char *) (s->model ? "dynamic" : "none");
        l = xml_child(c, n, "label");
        if (l)
                (void) xml_text(c, l, &s->label);
        l = xml_child(c, n, "imagelabel");
        if (l)
                (void) xml_text(c, l, &s->imagelabel);
        l = xml_child(c, n, "baselabel");
        if (l)
                (void) xml_text(c, l, &s->baselabel);
        if (streq(s->type, "static") && !s->label)
                return xml_fail(c, n, "type='static' needs a <label>");
        if (streq_ptr(s->model, "selinux")) {
                /* refused by define already, not only when the VM starts */
                const char *names[] = { "label", "imagelabel", "baselabel" }, *why;
                const char *vals[] = { s->label, s->imagelabel, s->baselabel };
                for (size_t i = 0; i < ELEMENTSOF(vals); i++)
                        if (vals[i] && security_selinux_context_check(vals[i], &why) < 0)
                                return xml_fail(c, xml_child(c, n, names[i]), "not an SELinux context: %s", why);
        }
        if (streq(s->type, "none") && s->relabel == VM_TRISTATE_ON)
                return xml_fail(c, n, "type='none' cannot relabel");
        return xml_status(c);
}

static int parse_sysinfo_block(XmlCtx *c, xmlNode *blk, VmSysinfoEntry **arr, unsigned *n, bool named) {
        XML_FOREACH_ELEMENT(e, blk) {
                VmSysinfoEntry *en;
                if (!xml_is(e, "entry"))
                        continue;
                xml_mark(e);
                en = VM_ARRAY_NEW(c->def, *arr, *n);
                if (!en)
                        return xml_oom(c);
                if (named && xml_prop(c, e, "name", &en->name) == 0)
                        return xml_fail(c, e, "missing attribute 'name'");
                (void) xml_prop(c, e, "file", &en->file);
                (void) xml_text(c, e, &en->value);
        }
        return xml_status(c);
}

static int parse_sysinfo(XmlCtx *c, xmlNode *si) {
        static const char * const types[] = { "smbios", "fwcfg", NULL };
        VmSysinfo *s = &c->def->sysinfo;
        xmlNode *n;

        char *type = NULL;

        (void) xml_prop_choice(c, si, "type", types, &type);
        if (!type)
                return xml_fail(c, si, "missing attribute 'type'");
        if (streq(type, "fwcfg") ? s->fwcfg : s->smbios)
                return xml_fail(c, si, "only one <sysinfo type='%s'> per domain", type);
        s->present = true;
        if (streq(type, "fwcfg")) {
                s->fwcfg = true;
                return parse_sysinfo_block(c, si, &s->fw_cfg, &s->n_fw_cfg, true);
        }
        s->smbios = true;
        n = xml_child(c, si, "bios");
        if (n)
                (void) parse_sysinfo_block(c, n, &s->bios, &s->n_bios, true);
        n = xml_child(c, si, "system");
        if (n)
                (void) parse_sysinfo_block(c, n, &s->system, &s->n_system, true);
        XML_FOREACH_ELEMENT(b, si)
                if (xml_is(b, "baseBoard")) {
                        if (s->n_base_board > 0)
                                return xml_fail(c, b, "more than one <baseBoard> is not supported");
                        xml_mark(b);
                        (void) parse_sysinfo_block(c, b, &s->base_board, &s->n_base_board, true);
                }
        n = xml_child(c, si, "chassis");
        if (n)
                (void) parse_sysinfo_block(c, n, &s->chassis, &s->n_chassis, true);
        n = xml_child(c, si, "oemStrings");
        if (n)
                (void) parse_sysinfo_block(c, n, &s->oem_strings, &s->n_oem_strings, false);
        return xml_status(c);
}

static int parse_qemu_commandline(XmlCtx *c, xmlNode *cl) {
        VmDef *def = c->def;

        xml_mark(cl);
        XML_FOREACH_ELEMENT(n, cl) {
                if (xml_is_ns(n, QEMU_NS_HREF, "arg")) {
                        char **a;
                        xml_mark(n);
                        a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
                        if (!a)
                                return xml_oom(c);
                        if (xml_prop(c, n, "value", a) <= 0)
                                return xml_fail(c, n, "missing attribute 'value'");
                } else if (xml_is_ns(n, QEMU_NS_HREF, "env")) {
                        VmQemuEnv *e = VM_DEVICE_NEW(def, qemu_env);
                        xml_mark(n);
                        if (!e)
                                return xml_oom(c);
                        if (xml_prop(c, n, "name", &e->name) <= 0)
                                return xml_fail(c, n, "missing attribute 'name'");
                        (void) xml_prop(c, n, "value", &e->value);
                        /* POSIX shell-safe names only: the line is printed for pasting into a shell */
                        if (!*e->name || strspn(e->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                "0123456789_") != strlen(e->name) ||
                            (e->name[0] >= '0' && e->name[0] <= '9'))
                                return xml_fail(c, n, "invalid environment variable name '%s'", e->name);
                }
        }
        /* keep the argument vector NULL-terminated for execv() */
        if (def->n_qemu_args > 0) {
                char **a = VM_ARRAY_NEW(def, def->qemu_args, def->n_qemu_args);
                if (!a)
                        return xml_oom(c);
                def->n_qemu_args--;
        }
        return xml_status(c);
}

static int parse_domain(XmlCtx *c, xmlNode *root) {
        static const char * const virt_types[] = { "qemu", "kvm", NULL };
        VmDef *def = c->def;
        xmlNode *n;
        char *v = NULL;
        int r;

        if (!xml_is(root, "domain"))
                return xml_fail(c, root, "root element must be <domain>");
        xml_mark(root);
        if (xml_prop_choice(c, root, "type", virt_types, &def->virt_type) <= 0)
                return xml_fail(c, root, "missing attribute 'type' (qemu or kvm)");
        (void) xml_prop(c, root, "id", &v);     /* a runtime id from a live dump, meaningless here */

        n = xml_child(c, root, "name");
        if (!n)
                return xml_fail(c, root, "missing <name>");
        (void) xml_text(c, n, &def->name);
        if (vm_name_validate(def->name) < 0)
                return xml_fail(c, n, "invalid domain name '%s' (1-200 characters, no '/', no leading '.', "
                                "no control characters)", strempty(def->name));
        n = xml_child(c, root, "uuid");
        if (n)
                (void) parse_uuid(c, n, &def->uuid);
        n = xml_child(c, root, "title");
        if (n)
                (void) xml_text(c, n, &def->title);
        n = xml_child(c, root, "description");
        if (n)
                (void) xml_text(c, n, &def->description);
        n = xml_child(c, root, "metadata");
        if (n)
                (void) domxml_parse_metadata(c, n);
        n = xml_child(c, root, "genid");
        if (n) {
                def->genid_set = true;
                (void) xml_text(c, n, &def->genid);
        }

        n = xml_child(c, root, "memory");
        if (!n)
                return xml_fail(c, root, "missing <memory>");
        (void) xml_prop(c, n, "dumpCore", &v);
        (void) parse_memory(c, n, &def->memory_kib);
        n = xml_child(c, root, "currentMemory");
        if (n)
                (void) parse_memory(c, n, &def->current_memory_kib);
        n = xml_child(c, root, "maxMemory");
        if (n) {
                (void) xml_prop_uint(c, n, "slots", &def->max_memory_slots);
                (void) parse_memory(c, n, &def->max_memory_kib);
        }
        n = xml_child(c, root, "vcpu");
        if (n)
                (void) parse_vcpu(c, n);
        else
                def->vcpus = 1;
        n = xml_child(c, root, "iothreads");
        if (n && xml_text(c, n, &v) > 0 && (sscanf(v, "%u", &def->iothreads) != 1 || def->iothreads > 1024))
                return xml_fail(c, n, "invalid iothread count '%s'", v);
        n = xml_child(c, root, "cputune");
        if (n)
                (void) parse_cputune(c, n);
        n = xml_child(c, root, "blkiotune");
        if (n)
                (void) parse_blkiotune(c, n);
        n = xml_child(c, root, "memtune");
        if (n)
                (void) parse_memtune(c, n);
        n = xml_child(c, root, "numatune");
        if (n)
                (void) parse_numatune(c, n);
        n = xml_child(c, root, "cpu");
        if (n)
                (void) domxml_parse_cpu(c, n, &def->cpu);
        n = xml_child(c, root, "memoryBacking");
        if (n && xml_status(c) >= 0)
                (void) parse_memory_backing(c, n);      /* after <cpu>: <page nodeset=> names its cells */
        r = xml_status(c);
        if (r < 0)
                return r;

        n = xml_child(c, root, "os");
        if (!n)
                return xml_fail(c, root, "missing <os>");
        r = parse_os(c, n);
        if (r < 0)
                return r;
        n = xml_child(c, root, "features");
        if (n)
                (void) parse_features(c, n);
        n = xml_child(c, root, "clock");
        if (n)
                (void) parse_clock(c, n);
        n = xml_child(c, root, "on_poweroff");
        if (n)
                (void) parse_lifecycle(c, n, &def->on_poweroff);
        n = xml_child(c, root, "on_reboot");
        if (n)
                (void) parse_lifecycle(c, n, &def->on_reboot);
        n = xml_child(c, root, "on_crash");
        if (n)
                (void) parse_lifecycle(c, n, &def->on_crash);
        n = xml_child(c, root, "pm");
        if (n)
                (void) parse_pm(c, n);
        n = xml_child(c, root, "idmap");
        if (n) {
                /* user namespace ID maps are for containers (libvirt's LXC driver); its QEMU driver
                 * ignores them, and so do we, but not silently */
                xml_mark_subtree(n);
                xml_warn(c, n, "user and group ID maps are for containers, a QEMU guest has none: ignored");
        }
        n = xml_child(c, root, "launchSecurity");
        if (n)
                (void) parse_launch_security(c, n);
        XML_FOREACH_ELEMENT(s, root)
                if (xml_is(s, "seclabel")) {
                        xml_mark(s);
                        (void) parse_seclabel(c, s);
                }
        XML_FOREACH_ELEMENT(si, root)
                if (xml_is(si, "sysinfo")) {
                        xml_mark(si);
                        (void) parse_sysinfo(c, si);
                }
        XML_FOREACH_ELEMENT(q, root)
                if (xml_is_ns(q, QEMU_NS_HREF, "commandline"))
                        (void) parse_qemu_commandline(c, q);
        r = xml_status(c);
        if (r < 0)
                return r;

        n = xml_child(c, root, "devices");
        if (n) {
                r = domxml_parse_devices(c, n);
                if (r < 0)
                        return r;
        }
        if (!def->os.arch)
                def->os.arch = (char *) "x86_64";
        return xml_check_unconsumed(c, root);
}

int domxml_parse_memory(const char *buf, size_t len, const char *filename, DomxmlFlags flags,
                        VmDef **ret, char **ret_error, char ***ret_warnings) {
        _cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr pctx = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        XmlCtx c = { .file = filename, .lax = flags & DOMXML_LAX };
        xmlNode *root;
        int r;

        if (len > DOMXML_MAX_SIZE) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: document larger than %u bytes", filename,
                                        DOMXML_MAX_SIZE);
                return -E2BIG;
        }
        if (len > INT_MAX)
                return -E2BIG;

        pctx = xmlNewParserCtxt();
        if (!pctx)
                return -ENOMEM;
        /* untrusted input: no network, no entity substitution, no DTD loading, no error spew; libxml2
         * reports encoding errors through its generic handler even with NOERROR, so that one is
         * silenced for the duration (the error still reaches us through the context) */
        xmlGenericErrorFunc old_handler = xmlGenericError;
        void *old_context = xmlGenericErrorContext;
        xmlSetGenericErrorFunc(NULL, silent_error);
        doc = xmlCtxtReadMemory(pctx, buf, (int) len, filename, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlSetGenericErrorFunc(old_context, old_handler);
        if (!doc) {
                const xmlError *e = xmlCtxtGetLastError(pctx);
                if (ret_error) {
                        char *m = e && e->message ? strdup(e->message) : NULL;
                        size_t l = m ? strlen(m) : 0;
                        if (l > 0 && m[l - 1] == '\n')
                                m[l - 1] = 0;
                        (void) asprintf(ret_error, "%s:%d: malformed XML: %s", filename, e ? e->line : 0,
                                        m ?: "unknown error");
                        free(m);
                }
                return -EINVAL;
        }
        root = xmlDocGetRootElement(doc);
        if (!root) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: empty document", filename);
                return -EINVAL;
        }

        r = vm_def_new(&def);
        if (r < 0)
                return r;
        c.def = def;
        r = parse_domain(&c, root);
        if (r < 0) {
                if (ret_error && c.error)
                        *ret_error = TAKE_PTR(c.error);
                xml_ctx_done(&c);
                return r;
        }
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(c.warnings);
        xml_ctx_done(&c);
        *ret = TAKE_PTR(def);
        return 0;
}

int domxml_parse_file(const char *path, DomxmlFlags flags, VmDef **ret, char **ret_error,
                      char ***ret_warnings) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        bool is_stdin = streq(path, "-");
        int r;

        fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_fd_full(fd, DOMXML_MAX_SIZE, &buf, &len);
        if (r == -EFBIG) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: document larger than %u bytes", is_stdin ? "<stdin>" : path,
                                        DOMXML_MAX_SIZE);
                return -E2BIG;
        }
        if (r < 0)
                return r;
        return domxml_parse_memory(buf ?: "", len, is_stdin ? "<stdin>" : path, flags, ret, ret_error,
                                   ret_warnings);
}
