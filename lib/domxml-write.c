/*
 * VmDef -> domain XML, the document level: the sticky-error writer primitives and everything
 * outside <devices> (memory, vCPUs, cpu, os, features, clock, lifecycle, tuning, seclabel,
 * sysinfo, qemu:commandline). Devices are written by domxml-write-devices.c.
 * Each block mirrors its parse function in domxml*.c; a field the parser reads and this file
 * does not write is a round-trip bug that tests/unit/test-domxml-write.c is there to catch.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <libxml/xmlstring.h>

#include "domxml-write-internal.h"
#include "domxml-write.h"
#include "xml-util.h"

static void xw_fail(XmlWriter *x, int r, const char *what, const char *name) {
        if (x->error < 0)
                return;
        x->error = r;
        if (r == -EINVAL && asprintf(&x->message, "<%s>%s%s%s: %s", x->element ?: "domain", name ? " attribute '" : "",
                                     strempty(name), name ? "'" : "", what) < 0)
                x->message = NULL;
}

/* XML 1.0 carries tab, newline and carriage return but no other C0 control character, and
 * libxml2's writer would emit them anyway; refuse them (and broken UTF-8) here instead. */
static bool xml_string_ok(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                        return false;
        return xmlCheckUTF8((const xmlChar *) s);
}

/* The entity escaping libvirt's own output uses: attributes are single-quoted, so a double quote
 * (frequent in qemu:arg JSON) stays readable; whitespace other than a space is kept as a character
 * reference because attribute-value normalisation would turn it into a space. */
static char *xml_escape(const char *s, bool attr) {
        size_t n = 1;
        char *out, *p;

        for (const char *c = s; *c; c++)
                n += 6;
        out = malloc(n);
        if (!out)
                return NULL;
        p = out;
        for (const char *c = s; *c; c++) {
                const char *rep = NULL;
                switch (*c) {
                case '&':
                        rep = "&amp;";
                        break;
                case '<':
                        rep = "&lt;";
                        break;
                case '>':
                        rep = "&gt;";
                        break;
                case '\'':
                        rep = attr ? "&apos;" : NULL;
                        break;
                case '\n':
                        rep = attr ? "&#10;" : NULL;
                        break;
                case '\t':
                        rep = attr ? "&#9;" : NULL;
                        break;
                case '\r':
                        rep = "&#13;";         /* the parser would fold CR LF into LF even in text */
                        break;
                default:
                        break;
                }
                if (rep)
                        p = stpcpy(p, rep);
                else
                        *p++ = *c;
        }
        *p = 0;
        return out;
}

void xw_start(XmlWriter *x, const char *element) {
        if (x->error < 0)
                return;
        if (xmlTextWriterStartElement(x->w, (const xmlChar *) element) < 0)
                return xw_fail(x, -ENOMEM, "cannot write element", NULL);
        x->element = (char *) element;
        x->depth++;
}

void xw_start_ns(XmlWriter *x, const char *prefix, const char *element, const char *href) {
        if (x->error < 0)
                return;
        if (xmlTextWriterStartElementNS(x->w, (const xmlChar *) prefix, (const xmlChar *) element,
                                        (const xmlChar *) href) < 0)
                return xw_fail(x, -ENOMEM, "cannot write element", NULL);
        x->element = (char *) element;
        x->depth++;
}

void xw_end(XmlWriter *x) {
        if (x->error < 0)
                return;
        if (xmlTextWriterEndElement(x->w) < 0)
                return xw_fail(x, -ENOMEM, "cannot end element", NULL);
        x->depth--;
}

void xw_attr(XmlWriter *x, const char *name, const char *value) {
        _cleanup_free_ char *e = NULL;

        if (x->error < 0 || !value)
                return;
        if (!xml_string_ok(value))
                return xw_fail(x, -EINVAL, "control character or invalid UTF-8 in value", name);
        e = xml_escape(value, true);
        if (!e)
                return xw_fail(x, -ENOMEM, "out of memory", name);
        if (xmlTextWriterStartAttribute(x->w, (const xmlChar *) name) < 0 ||
            xmlTextWriterWriteRaw(x->w, (const xmlChar *) e) < 0 ||
            xmlTextWriterEndAttribute(x->w) < 0)
                return xw_fail(x, -ENOMEM, "cannot write attribute", name);
}

void xw_attrf(XmlWriter *x, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        if (x->error < 0)
                return;
        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return xw_fail(x, -ENOMEM, "out of memory", name);
        xw_attr(x, name, v);
}

void xw_attr_uint(XmlWriter *x, const char *name, unsigned value) {
        xw_attrf(x, name, "%u", value);
}

void xw_attr_u64(XmlWriter *x, const char *name, uint64_t value) {
        xw_attrf(x, name, "%" PRIu64, value);
}

void xw_attr_int(XmlWriter *x, const char *name, int value) {
        xw_attrf(x, name, "%d", value);
}

void xw_attr_tristate(XmlWriter *x, const char *name, VmTristate t, const char *yes, const char *no) {
        if (t == VM_TRISTATE_ON)
                xw_attr(x, name, yes);
        else if (t == VM_TRISTATE_OFF)
                xw_attr(x, name, no);
}

void xw_text(XmlWriter *x, const char *text) {
        _cleanup_free_ char *e = NULL;

        if (x->error < 0 || !text)
                return;
        if (!xml_string_ok(text))
                return xw_fail(x, -EINVAL, "control character or invalid UTF-8 in text", NULL);
        e = xml_escape(text, false);
        if (!e)
                return xw_fail(x, -ENOMEM, "out of memory", NULL);
        if (xmlTextWriterWriteRaw(x->w, (const xmlChar *) e) < 0)
                return xw_fail(x, -ENOMEM, "cannot write text", NULL);
}

void xw_text_element(XmlWriter *x, const char *element, const char *text) {
        if (!text)
                return;
        xw_start(x, element);
        xw_text(x, text);
        xw_end(x);
}

void xw_u64_element(XmlWriter *x, const char *element, uint64_t value) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, value);
        xw_text_element(x, element, buf);
}

static void write_kib_element(XmlWriter *x, const char *element, uint64_t kib) {
        char buf[32];

        xw_start(x, element);
        xw_attr(x, "unit", "KiB");
        snprintf(buf, sizeof(buf), "%" PRIu64, kib);
        xw_text(x, buf);
        xw_end(x);
}

/* A host CPU set in libvirt's canonical form ("0-1,3"); nothing for NULL. */
static void xw_attr_cpuset(XmlWriter *x, const char *name, const CpuSet *set) {
        _cleanup_free_ char *v = NULL;

        if (x->error < 0 || !set)
                return;
        if (cpuset_format(set, &v) < 0)
                return xw_fail(x, -ENOMEM, "out of memory", name);
        xw_attr(x, name, v);
}

static void write_pins(XmlWriter *x, const char *element, const char *id_attr, const VmCpuPin *pins, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                xw_start(x, element);
                xw_attr_uint(x, id_attr, pins[i].id);
                xw_attr_cpuset(x, "cpuset", pins[i].cpus);
                xw_end(x);
        }
}

static void write_memory(XmlWriter *x, const VmDef *def) {
        write_kib_element(x, "memory", def->memory_kib);
        if (def->current_memory_kib > 0)
                write_kib_element(x, "currentMemory", def->current_memory_kib);
        if (def->max_memory_kib > 0) {
                char buf[32];
                xw_start(x, "maxMemory");
                if (def->max_memory_slots > 0)
                        xw_attr_uint(x, "slots", def->max_memory_slots);
                xw_attr(x, "unit", "KiB");
                snprintf(buf, sizeof(buf), "%" PRIu64, def->max_memory_kib);
                xw_text(x, buf);
                xw_end(x);
        }
        if (def->vcpus > 0) {
                char buf[16];
                xw_start(x, "vcpu");
                xw_attr(x, "placement", def->vcpu_placement);
                xw_attr_cpuset(x, "cpuset", def->vcpu_cpuset);
                if (def->vcpus_current > 0)
                        xw_attr_uint(x, "current", def->vcpus_current);
                snprintf(buf, sizeof(buf), "%u", def->vcpus);
                xw_text(x, buf);
                xw_end(x);
        }
        if (def->iothreads > 0)
                xw_u64_element(x, "iothreads", def->iothreads);
}

static void write_tuning(XmlWriter *x, const VmDef *def) {
        const VmTune *t = &def->tune;
        const VmMemoryBacking *m = &def->mem;

        if (t->cpu_shares || t->cpu_period || t->cpu_quota || t->emulatorpin || t->n_vcpupins > 0 ||
            t->n_iothreadpins > 0) {
                xw_start(x, "cputune");
                if (t->cpu_shares)
                        xw_u64_element(x, "shares", t->cpu_shares);
                if (t->cpu_period)
                        xw_u64_element(x, "period", t->cpu_period);
                if (t->cpu_quota)
                        xw_u64_element(x, "quota", t->cpu_quota);
                /* libvirt's order: vcpupin, emulatorpin, iothreadpin */
                write_pins(x, "vcpupin", "vcpu", t->vcpupins, t->n_vcpupins);
                if (t->emulatorpin) {
                        xw_start(x, "emulatorpin");
                        xw_attr_cpuset(x, "cpuset", t->emulatorpin);
                        xw_end(x);
                }
                write_pins(x, "iothreadpin", "iothread", t->iothreadpins, t->n_iothreadpins);
                xw_end(x);
        }
        if (t->blkio_weight) {
                xw_start(x, "blkiotune");
                xw_u64_element(x, "weight", t->blkio_weight);
                xw_end(x);
        }
        if (t->hard_limit_kib || t->soft_limit_kib || t->swap_hard_limit_kib || t->min_guarantee_kib) {
                xw_start(x, "memtune");
                if (t->hard_limit_kib)
                        write_kib_element(x, "hard_limit", t->hard_limit_kib);
                if (t->soft_limit_kib)
                        write_kib_element(x, "soft_limit", t->soft_limit_kib);
                if (t->swap_hard_limit_kib)
                        write_kib_element(x, "swap_hard_limit", t->swap_hard_limit_kib);
                if (t->min_guarantee_kib)
                        write_kib_element(x, "min_guarantee", t->min_guarantee_kib);
                xw_end(x);
        }
        if (m->hugepages || m->nosharepages || m->locked || m->discard || m->source_type || m->access_mode ||
            m->allocation_mode || m->allocation_threads) {
                xw_start(x, "memoryBacking");
                if (m->hugepages) {
                        xw_start(x, "hugepages");
                        if (m->hugepage_size_kib) {
                                xw_start(x, "page");
                                xw_attr_u64(x, "size", m->hugepage_size_kib);
                                xw_attr(x, "unit", "KiB");
                                xw_end(x);
                        }
                        for (unsigned i = 0; i < m->n_pages; i++) {
                                xw_start(x, "page");
                                xw_attr_u64(x, "size", m->pages[i].size_kib);
                                xw_attr(x, "unit", "KiB");
                                xw_attr(x, "nodeset", m->pages[i].nodeset);
                                xw_end(x);
                        }
                        xw_end(x);
                }
                if (m->nosharepages)
                        xw_empty(x, "nosharepages");
                if (m->locked)
                        xw_empty(x, "locked");
                if (m->source_type) {
                        xw_start(x, "source");
                        xw_attr(x, "type", m->source_type);
                        xw_end(x);
                }
                if (m->access_mode) {
                        xw_start(x, "access");
                        xw_attr(x, "mode", m->access_mode);
                        xw_end(x);
                }
                if (m->allocation_mode || m->allocation_threads) {
                        xw_start(x, "allocation");
                        xw_attr(x, "mode", m->allocation_mode);
                        if (m->allocation_threads)
                                xw_attr_uint(x, "threads", m->allocation_threads);
                        xw_end(x);
                }
                if (m->discard)
                        xw_empty(x, "discard");
                xw_end(x);
        }
}

static void write_cpu(XmlWriter *x, const VmCpu *cpu) {
        if (!cpu->mode && !cpu->match && !cpu->check && !cpu->model && cpu->migratable == VM_TRISTATE_ABSENT &&
            !cpu->sockets && !cpu->n_features && !cpu->n_cells && !cpu->cache_mode && !cpu->maxphysaddr_mode)
                return;
        xw_start(x, "cpu");
        xw_attr(x, "mode", cpu->mode);
        xw_attr(x, "match", cpu->match);
        xw_attr(x, "check", cpu->check);
        xw_attr_onoff(x, "migratable", cpu->migratable);
        if (cpu->model || cpu->fallback) {
                xw_start(x, "model");
                xw_attr(x, "fallback", cpu->fallback);
                xw_text(x, cpu->model);
                xw_end(x);
        }
        if (cpu->sockets) {
                xw_start(x, "topology");
                xw_attr_uint(x, "sockets", cpu->sockets);
                xw_attr_uint(x, "dies", cpu->dies ?: 1);
                xw_attr_uint(x, "cores", cpu->cores);
                xw_attr_uint(x, "threads", cpu->threads);
                xw_end(x);
        }
        if (cpu->cache_mode || cpu->cache_level >= 0) {
                xw_start(x, "cache");
                if (cpu->cache_level >= 0)
                        xw_attr_int(x, "level", cpu->cache_level);
                xw_attr(x, "mode", cpu->cache_mode);
                xw_end(x);
        }
        if (cpu->maxphysaddr_mode || cpu->maxphysaddr_bits) {
                xw_start(x, "maxphysaddr");
                xw_attr(x, "mode", cpu->maxphysaddr_mode);
                if (cpu->maxphysaddr_bits)
                        xw_attr_uint(x, "bits", cpu->maxphysaddr_bits);
                xw_end(x);
        }
        for (unsigned i = 0; i < cpu->n_features; i++) {
                xw_start(x, "feature");
                xw_attr(x, "policy", cpu->features[i].policy);
                xw_attr(x, "name", cpu->features[i].name);
                xw_end(x);
        }
        if (cpu->n_cells > 0) {
                xw_start(x, "numa");
                for (unsigned i = 0; i < cpu->n_cells; i++) {
                        const VmNumaCell *cell = &cpu->cells[i];
                        xw_start(x, "cell");
                        xw_attr_uint(x, "id", cell->id);
                        xw_attr(x, "cpus", cell->cpus);
                        xw_attr_u64(x, "memory", cell->memory_kib);
                        xw_attr(x, "unit", "KiB");
                        xw_attr(x, "memAccess", cell->mem_access);
                        xw_attr_yesno(x, "discard", cell->discard);
                        if (cell->n_distances > 0) {
                                xw_start(x, "distances");
                                for (unsigned k = 0; k < cell->n_distances; k++) {
                                        xw_start(x, "sibling");
                                        xw_attr_uint(x, "id", cell->distance_ids[k]);
                                        xw_attr_uint(x, "value", cell->distance_values[k]);
                                        xw_end(x);
                                }
                                xw_end(x);
                        }
                        xw_end(x);
                }
                xw_end(x);
        }
        xw_end(x);
}

static void write_os(XmlWriter *x, const VmOs *os) {
        xw_start(x, "os");
        xw_attr(x, "firmware", os->firmware);
        xw_start(x, "type");
        xw_attr(x, "arch", os->arch);
        xw_attr(x, "machine", os->machine);
        xw_text(x, os->type ?: "hvm");
        xw_end(x);
        if (os->loader || os->loader_type || os->loader_readonly || os->loader_secure || os->loader_stateless) {
                xw_start(x, "loader");
                xw_attr_yesno(x, "readonly", os->loader_readonly);
                xw_attr_yesno(x, "secure", os->loader_secure);
                xw_attr_yesno(x, "stateless", os->loader_stateless);
                xw_attr(x, "type", os->loader_type);
                xw_text(x, os->loader);
                xw_end(x);
        }
        if (os->nvram || os->nvram_template) {
                xw_start(x, "nvram");
                xw_attr(x, "template", os->nvram_template);
                xw_text(x, os->nvram);
                xw_end(x);
        }
        if (os->n_firmware_features > 0) {
                xw_start(x, "firmware");
                for (unsigned i = 0; i < os->n_firmware_features; i++) {
                        xw_start(x, "feature");
                        xw_attr(x, "enabled", os->firmware_feature_enabled[i] ? "yes" : "no");
                        xw_attr(x, "name", os->firmware_feature_names[i]);
                        xw_end(x);
                }
                xw_end(x);
        }
        xw_text_element(x, "kernel", os->kernel);
        xw_text_element(x, "initrd", os->initrd);
        xw_text_element(x, "cmdline", os->cmdline);
        xw_text_element(x, "dtb", os->dtb);
        if (os->acpi_table) {
                xw_start(x, "acpi");
                xw_start(x, "table");
                xw_attr(x, "type", "slic");
                xw_text(x, os->acpi_table);
                xw_end(x);
                xw_end(x);
        }
        for (unsigned i = 0; i < os->n_boot; i++) {
                xw_start(x, "boot");
                xw_attr(x, "dev", vm_boot_dev_to_string(os->boot[i]));
                xw_end(x);
        }
        if (os->bootmenu != VM_TRISTATE_ABSENT || os->bootmenu_timeout >= 0) {
                xw_start(x, "bootmenu");
                xw_attr_yesno(x, "enable", os->bootmenu);
                if (os->bootmenu_timeout >= 0)
                        xw_attr_int(x, "timeout", os->bootmenu_timeout);
                xw_end(x);
        }
        if (os->smbios_mode) {
                xw_start(x, "smbios");
                xw_attr(x, "mode", os->smbios_mode);
                xw_end(x);
        }
        if (os->reboot_timeout != -1) {
                xw_start(x, "bios");
                xw_attr_int(x, "rebootTimeout", os->reboot_timeout);
                xw_end(x);
        }
        xw_end(x);
}

static void write_state_element(XmlWriter *x, const char *element, VmTristate t) {
        if (t == VM_TRISTATE_ABSENT)
                return;
        xw_start(x, element);
        xw_attr_onoff(x, "state", t);
        xw_end(x);
}

static void write_features(XmlWriter *x, const VmFeatures *f) {
        if (!f->acpi && !f->apic && !f->pae && !f->hap && !f->vmcoreinfo && !f->pmu && !f->smm && !f->vmport &&
            !f->pvspinlock && !f->hyperv_mode && !f->n_hyperv && !f->n_kvm)
                return;
        xw_start(x, "features");
        if (f->acpi)
                xw_empty(x, "acpi");
        if (f->apic)
                xw_empty(x, "apic");
        if (f->pae)
                xw_empty(x, "pae");
        if (f->hap)
                xw_empty(x, "hap");
        if (f->hyperv_mode || f->n_hyperv > 0) {
                xw_start(x, "hyperv");
                xw_attr(x, "mode", f->hyperv_mode);
                for (unsigned i = 0; i < f->n_hyperv; i++) {
                        const VmHypervFeature *h = &f->hyperv[i];
                        xw_start(x, h->name);
                        xw_attr_onoff(x, "state", h->state);
                        if (streq(h->name, "spinlocks") && h->value)
                                xw_attr_uint(x, "retries", h->value);
                        else if (streq(h->name, "vendor_id"))
                                xw_attr(x, "value", h->string);
                        else if (streq(h->name, "stimer") && h->value) {
                                xw_start(x, "direct");
                                xw_attr(x, "state", "on");
                                xw_end(x);
                        }
                        xw_end(x);
                }
                xw_end(x);
        }
        if (f->n_kvm > 0) {
                xw_start(x, "kvm");
                for (unsigned i = 0; i < f->n_kvm; i++) {
                        const VmHypervFeature *k = &f->kvm[i];
                        xw_start(x, k->name);
                        xw_attr_onoff(x, "state", k->state);
                        if (streq(k->name, "dirty-ring") && k->value)
                                xw_attr_uint(x, "size", k->value);
                        xw_end(x);
                }
                xw_end(x);
        }
        write_state_element(x, "pvspinlock", f->pvspinlock);
        write_state_element(x, "pmu", f->pmu);
        write_state_element(x, "vmport", f->vmport);
        write_state_element(x, "smm", f->smm);
        if (f->vmcoreinfo)
                xw_empty(x, "vmcoreinfo");
        xw_end(x);
}

static void write_clock(XmlWriter *x, const VmClock *k) {
        if (!k->offset && !k->timezone && !k->basis && !k->adjustment_set && !k->start && k->n_timers == 0)
                return;
        xw_start(x, "clock");
        xw_attr(x, "offset", k->offset);
        xw_attr(x, "timezone", k->timezone);
        xw_attr(x, "basis", k->basis);
        if (k->adjustment_set)
                xw_attrf(x, "adjustment", "%" PRId64, k->adjustment);
        if (k->start)
                xw_attrf(x, "start", "%" PRId64, k->start);
        for (unsigned i = 0; i < k->n_timers; i++) {
                const VmTimer *t = &k->timers[i];
                xw_start(x, "timer");
                xw_attr(x, "name", t->name);
                xw_attr(x, "tickpolicy", t->tickpolicy);
                xw_attr(x, "track", t->track);
                if (t->frequency)
                        xw_attr_u64(x, "frequency", t->frequency);
                xw_attr(x, "mode", t->mode);
                xw_attr_yesno(x, "present", t->present);
                xw_end(x);
        }
        xw_end(x);
}

static void write_lifecycle(XmlWriter *x, const VmDef *def) {
        xw_text_element(x, "on_poweroff", vm_lifecycle_action_to_string(def->on_poweroff));
        xw_text_element(x, "on_reboot", vm_lifecycle_action_to_string(def->on_reboot));
        xw_text_element(x, "on_crash", vm_lifecycle_action_to_string(def->on_crash));
        if (def->pm_suspend_to_mem != VM_TRISTATE_ABSENT || def->pm_suspend_to_disk != VM_TRISTATE_ABSENT) {
                xw_start(x, "pm");
                if (def->pm_suspend_to_mem != VM_TRISTATE_ABSENT) {
                        xw_start(x, "suspend-to-mem");
                        xw_attr_yesno(x, "enabled", def->pm_suspend_to_mem);
                        xw_end(x);
                }
                if (def->pm_suspend_to_disk != VM_TRISTATE_ABSENT) {
                        xw_start(x, "suspend-to-disk");
                        xw_attr_yesno(x, "enabled", def->pm_suspend_to_disk);
                        xw_end(x);
                }
                xw_end(x);
        }
}

static void write_sysinfo_entries(XmlWriter *x, const char *block, const VmSysinfoEntry *e, unsigned n, bool named) {
        if (n == 0)
                return;
        if (block)
                xw_start(x, block);
        for (unsigned i = 0; i < n; i++) {
                xw_start(x, "entry");
                if (named)
                        xw_attr(x, "name", e[i].name);
                xw_attr(x, "file", e[i].file);
                xw_text(x, e[i].value);
                xw_end(x);
        }
        if (block)
                xw_end(x);
}

static void write_sysinfo(XmlWriter *x, const VmSysinfo *s) {
        if (s->smbios) {
                xw_start(x, "sysinfo");
                xw_attr(x, "type", "smbios");
                write_sysinfo_entries(x, "bios", s->bios, s->n_bios, true);
                write_sysinfo_entries(x, "system", s->system, s->n_system, true);
                write_sysinfo_entries(x, "baseBoard", s->base_board, s->n_base_board, true);
                write_sysinfo_entries(x, "chassis", s->chassis, s->n_chassis, true);
                write_sysinfo_entries(x, "oemStrings", s->oem_strings, s->n_oem_strings, false);
                xw_end(x);
        }
        if (s->fwcfg) {
                xw_start(x, "sysinfo");
                xw_attr(x, "type", "fwcfg");
                write_sysinfo_entries(x, NULL, s->fw_cfg, s->n_fw_cfg, true);
                xw_end(x);
        }
}

static void write_launch_security(XmlWriter *x, const VmLaunchSecurity *ls) {
        if (!ls->type)
                return;
        xw_start(x, "launchSecurity");
        xw_attr(x, "type", ls->type);
        xw_attr_yesno(x, "kernelHashes", ls->kernel_hashes);
        xw_u64_element(x, "cbitpos", ls->cbitpos);
        xw_u64_element(x, "reducedPhysBits", ls->reduced_phys_bits);
        {
                char policy[16];
                snprintf(policy, sizeof(policy), "0x%04x", ls->policy);
                xw_text_element(x, "policy", policy);
        }
        xw_text_element(x, "dhCert", ls->dh_cert);
        xw_text_element(x, "session", ls->session);
        xw_end(x);
}

static void write_seclabel(XmlWriter *x, const VmSeclabel *s) {
        if (!s->present)
                return;
        xw_start(x, "seclabel");
        xw_attr(x, "type", s->type);
        xw_attr(x, "model", s->model);
        xw_attr_yesno(x, "relabel", s->relabel);
        xw_text_element(x, "label", s->label);
        xw_text_element(x, "imagelabel", s->imagelabel);
        xw_text_element(x, "baselabel", s->baselabel);
        xw_end(x);
}

static void write_qemu_commandline(XmlWriter *x, const VmDef *def) {
        if (x->error < 0 || (def->n_qemu_args == 0 && def->n_qemu_env == 0))
                return;
        if (xmlTextWriterStartElementNS(x->w, (const xmlChar *) "qemu", (const xmlChar *) "commandline", NULL) < 0)
                return xw_fail(x, -ENOMEM, "cannot write element", NULL);
        x->element = (char *) "qemu:commandline";
        x->depth++;
        for (unsigned i = 0; i < def->n_qemu_args; i++) {
                if (xmlTextWriterStartElementNS(x->w, (const xmlChar *) "qemu", (const xmlChar *) "arg", NULL) < 0)
                        return xw_fail(x, -ENOMEM, "cannot write element", NULL);
                x->element = (char *) "qemu:arg";
                x->depth++;
                xw_attr(x, "value", def->qemu_args[i]);
                xw_end(x);
        }
        for (unsigned i = 0; i < def->n_qemu_env; i++) {
                if (xmlTextWriterStartElementNS(x->w, (const xmlChar *) "qemu", (const xmlChar *) "env", NULL) < 0)
                        return xw_fail(x, -ENOMEM, "cannot write element", NULL);
                x->element = (char *) "qemu:env";
                x->depth++;
                xw_attr(x, "name", def->qemu_env[i].name);
                xw_attr(x, "value", def->qemu_env[i].value);
                xw_end(x);
        }
        xw_end(x);
}

static void write_domain(XmlWriter *x, const VmDef *def) {
        xw_start(x, "domain");
        xw_attr(x, "type", def->virt_type ?: "qemu");
        if (def->live_id > 0)
                xw_attr_int(x, "id", def->live_id);
        if (def->n_qemu_args > 0 || def->n_qemu_env > 0)
                xw_attr(x, "xmlns:qemu", QEMU_NS_HREF);
        xw_text_element(x, "name", def->name);
        xw_text_element(x, "uuid", def->uuid);
        xw_text_element(x, "title", def->title);
        xw_text_element(x, "description", def->description);
        xw_vmunit_metadata(x, &def->boot);
        if (def->genid_set) {
                xw_start(x, "genid");
                if (def->genid && *def->genid)
                        xw_text(x, def->genid);
                xw_end(x);
        }
        write_memory(x, def);
        write_tuning(x, def);
        xw_numatune(x, &def->numatune);
        write_os(x, &def->os);
        write_features(x, &def->features);
        write_cpu(x, &def->cpu);
        write_clock(x, &def->clock);
        write_lifecycle(x, def);
        xw_devices(x, def);
        write_launch_security(x, &def->launch_security);
        write_seclabel(x, &def->seclabel);
        write_sysinfo(x, &def->sysinfo);
        write_qemu_commandline(x, def);
        xw_end(x);
}

DEFINE_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree);
DEFINE_CLEANUP_FUNC(xmlTextWriterPtr, xmlFreeTextWriter);

int xw_document(void (*write)(XmlWriter *x, const void *userdata), const void *userdata, char **ret,
                char **ret_error) {
        _cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
        _cleanup_(xmlFreeTextWriterp) xmlTextWriterPtr w = NULL;
        XmlWriter x = {};

        buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        w = xmlNewTextWriterMemory(buf, 0);
        if (!w)
                return -ENOMEM;
        x.w = w;
        if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, (const xmlChar *) "  ") < 0 ||
            xmlTextWriterSetQuoteChar(w, '\'') < 0)    /* libvirt's style */
                return -ENOMEM;

        write(&x, userdata);
        if (x.error == 0 && xmlTextWriterEndDocument(w) < 0)
                x.error = -ENOMEM;
        if (x.error < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(x.message);
                free(x.message);
                return x.error;
        }
        /* flush before reading the buffer: the writer keeps its own output buffer */
        xmlFreeTextWriter(TAKE_PTR(w));
        *ret = strdup((const char *) xmlBufferContent(buf));
        return *ret ? 0 : -ENOMEM;
}

static void write_domain_document(XmlWriter *x, const void *userdata) {
        write_domain(x, userdata);
}

int domxml_write(const VmDef *def, char **ret, char **ret_error) {
        _cleanup_free_ char *doc = NULL;
        int r;

        assert(def);
        assert(ret);

        r = xw_document(write_domain_document, def, &doc, ret_error);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s\n", doc) < 0)
                return -ENOMEM;
        return 0;
}
