/*
 * QEMU command line -> VmDef: the machine level. -machine/-accel, memory and its backends, -smp
 * topology, -cpu and its features, guest NUMA, -boot, -rtc, -global, SMBIOS/fw_cfg, -overcommit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "qemu-import-internal.h"

static bool machine_is_q35(const char *m) {
        return streq(m, "q35") || startswith(m, "pc-q35-");
}

/* ---- -machine, -accel ---- */

static int set_accel(Import *imp, const char *accel, ImportOpt *o) {
        _cleanup_free_ char *first = strndup(accel, strcspn(accel, ":"));

        if (!first)
                return imp_oom(imp);
        if (streq(first, "kvm"))
                imp->def->virt_type = (char *) "kvm";
        else if (streq(first, "tcg"))
                imp->def->virt_type = (char *) "qemu";
        else
                return imp_passthrough(imp, o, "accelerator '%s' is not supported", first);
        if (strchr(accel, ':'))
                imp_warn(imp, "%s: accelerator list '%s': using the first one, '%s'", o->name, accel, first);
        return 0;
}

int imp_machine(Import *imp, ImportOpt *o) {
        VmDef *def = imp->def;
        const char *type, *v;
        VmTristate t = VM_TRISTATE_ABSENT;
        int r;

        r = imp_parse(imp, o, "type");
        if (r < 0)
                return r;
        type = qemu_opt_get(&o->o, "type");
        if (type) {
                if (!*type || strpbrk(type, ",= \n"))
                        return imp_fail(imp, "%s: invalid machine type '%s'", o->name, type);
                def->os.machine = imp_strdup(imp, type);
                imp->q35 = machine_is_q35(type);
                if (!machine_is_q35(type) && !streq(type, "pc") && !startswith(type, "pc-"))
                        imp_warn(imp, "machine type '%s': vmunit supports the x86 'pc' and 'q35' families only", type);
        }
        v = qemu_opt_get(&o->o, "accel");
        if (v && set_accel(imp, v, o) != 0)
                return 1;
        if (qemu_opt_get_bool(&o->o, "usb", &t) < 0)
                return imp_fail(imp, "%s: invalid usb= value", o->name);
        if (t == VM_TRISTATE_ON)
                imp->usb_requested = true;
        t = VM_TRISTATE_ABSENT;
        v = qemu_opt_get(&o->o, "vmport");
        if (v && !streq(v, "auto") && qemu_opt_get_bool(&o->o, "vmport", &def->features.vmport) < 0)
                return imp_fail(imp, "%s: invalid vmport= value", o->name);
        v = qemu_opt_get(&o->o, "smm");
        if (v && !streq(v, "auto") && qemu_opt_get_bool(&o->o, "smm", &def->features.smm) < 0)
                return imp_fail(imp, "%s: invalid smm= value", o->name);
        v = qemu_opt_get(&o->o, "dump-guest-core");
        if (v && !streq(v, "off")) {
                for (size_t i = 0; i < o->o.n; i++)
                        if (streq(o->o.v[i].key, "dump-guest-core"))
                                o->o.v[i].used = false;         /* vmunit always turns it off */
        }
        if (qemu_opt_get_bool(&o->o, "mem-merge", &t) < 0)
                return imp_fail(imp, "%s: invalid mem-merge= value", o->name);
        if (t == VM_TRISTATE_OFF)
                def->mem.nosharepages = true;
        t = VM_TRISTATE_ABSENT;
        if (qemu_opt_get_bool(&o->o, "acpi", &t) < 0)
                return imp_fail(imp, "%s: invalid acpi= value", o->name);
        if (t != VM_TRISTATE_ABSENT)
                def->features.acpi = t == VM_TRISTATE_ON;
        t = VM_TRISTATE_ABSENT;
        if (qemu_opt_get_bool(&o->o, "hpet", &t) < 0)
                return imp_fail(imp, "%s: invalid hpet= value", o->name);
        if (t == VM_TRISTATE_OFF) {
                VmTimer *tm = VM_ARRAY_NEW(def, def->clock.timers, def->clock.n_timers);
                if (!tm)
                        return imp_oom(imp);
                tm->name = (char *) "hpet";
                tm->present = VM_TRISTATE_OFF;
        }
        v = qemu_opt_get(&o->o, "pcspk-audiodev");
        if (v)
                imp->pcspk_audiodev = (char *) v;
        v = qemu_opt_get(&o->o, "memory-backend");
        if (v)
                imp->ram_backend = (char *) v;
        for (unsigned k = 0; k < 2; k++) {
                v = qemu_opt_get(&o->o, k == 0 ? "pflash0" : "pflash1");
                if (v)
                        imp->pflash_node[k] = (char *) v;
        }
        v = qemu_opt_get(&o->o, "kernel-irqchip");
        if (v && streq(v, "split"))
                imp->irqchip_split = true;
        else if (v)
                for (size_t i = 0; i < o->o.n; i++)
                        if (streq(o->o.v[i].key, "kernel-irqchip"))
                                o->o.v[i].used = false;
        /* QEMU merges -machine options, so what is left can be passed through on its own */
        return imp_keep_unused(imp, o);
}

int imp_accel(Import *imp, ImportOpt *o) {
        const char *n = o->name + (o->name[1] == '-' ? 2 : 1);
        const char *a;
        int r;

        if (streq(n, "enable-kvm"))
                return set_accel(imp, "kvm", o);
        if (streq(n, "no-kvm"))
                return set_accel(imp, "tcg", o);
        r = imp_parse(imp, o, "accel");
        if (r < 0)
                return r;
        a = qemu_opt_get(&o->o, "accel");
        if (!a)
                return imp_fail(imp, "%s: no accelerator named", o->name);
        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *e = &imp->opts[i];
                if (e == o)
                        break;
                if (e->done && streq(e->name + (e->name[1] == '-' ? 2 : 1), "accel")) {
                        imp_warn(imp, "%s %s: a fallback accelerator; vmunit uses the first one", o->name, o->arg);
                        return 0;
                }
        }
        r = set_accel(imp, a, o);
        if (r != 0)
                return r;
        return imp_check_unused(imp, o) ? (o->keep = true, 0) : 0;
}

/* ---- memory, -smp, -cpu, NUMA ---- */

/* A RAM backend object (pc.ram, or guest NUMA @cell's) into the model: its kind, sharing, huge
 * pages, preallocation and host NUMA policy, the inverse of qemu-argv-memory.c. The size goes to
 * *@ret_size. Properties without an equivalent are named in a warning. */
static int import_ram_backend(Import *imp, ImportOpt *b, VmNumaCell *cell, uint64_t *ret_size) {
        VmDef *def = imp->def;
        VmMemoryBacking *m = &def->mem;
        VmTristate share = VM_TRISTATE_ABSENT, prealloc = VM_TRISTATE_ABSENT, discard = VM_TRISTATE_ABSENT,
                   hugetlb = VM_TRISTATE_ABSENT;
        const char *qt = qemu_opt_get(&b->o, "qom-type"), *path, *policy;
        _cleanup_free_ char *nodes = NULL;
        size_t nodes_len = 0;
        FILE *f;

        qemu_opt_ignore(&b->o, "id");
        qemu_opt_ignore(&b->o, "x-use-canonical-path-for-ramblock-id");
        if (qemu_opt_get_size(&b->o, "size", 1, ret_size) < 0 || qemu_opt_get_bool(&b->o, "share", &share) < 0 ||
            qemu_opt_get_bool(&b->o, "prealloc", &prealloc) < 0 ||
            qemu_opt_get_bool(&b->o, "discard-data", &discard) < 0 ||
            qemu_opt_get_bool(&b->o, "hugetlb", &hugetlb) < 0 ||
            qemu_opt_get_uint(&b->o, "prealloc-threads", &m->allocation_threads) < 0)
                return imp_fail(imp, "-object '%s': invalid value", b->arg);
        path = qemu_opt_get(&b->o, "mem-path");
        if (qt && streq(qt, "memory-backend-memfd")) {
                m->source_type = (char *) "memfd";
                if (hugetlb == VM_TRISTATE_ON)
                        m->hugepages = true;
        } else if (qt && streq(qt, "memory-backend-file")) {
                if (path && (strstr(path, "hugepages") || strstr(path, "hugetlbfs")))
                        m->hugepages = true;
                else if (!cell || share == VM_TRISTATE_ABSENT)
                        m->source_type = (char *) "file";
        } else if (!qt || !streq(qt, "memory-backend-ram"))
                imp_warn(imp, "memory backend '%s' (%s) approximated by anonymous memory", strempty(b->id),
                         strempty(qt));
        if (share != VM_TRISTATE_ABSENT && qt && !streq(qt, "memory-backend-ram")) {
                const char *access = share == VM_TRISTATE_ON ? "shared" : "private";
                if (cell)
                        cell->mem_access = (char *) access;
                else
                        m->access_mode = (char *) access;
        }
        if (prealloc == VM_TRISTATE_ON)
                m->allocation_mode = (char *) "immediate";
        if (cell && discard == VM_TRISTATE_ON)
                cell->discard = VM_TRISTATE_ON;

        /* host-nodes (a list: "host-nodes.0", or "host-nodes=0-1") and policy -> <numatune> */
        f = open_memstream(&nodes, &nodes_len);
        if (!f)
                return imp_oom(imp);
        for (size_t i = 0, k = 0; i < b->o.n; i++)
                if (b->o.v[i].value && (streq(b->o.v[i].key, "host-nodes") || startswith(b->o.v[i].key, "host-nodes."))) {
                        b->o.v[i].used = true;
                        fprintf(f, "%s%s", k++ ? "," : "", b->o.v[i].value);
                }
        if (fclose(f) != 0)
                return imp_oom(imp);
        policy = qemu_opt_get(&b->o, "policy");
        if (nodes && *nodes && policy && !streq(policy, "default")) {
                const char *mode = streq(policy, "bind") ? "strict" : streq(policy, "preferred") ? "preferred" :
                                   streq(policy, "interleave") ? "interleave" : NULL;
                if (!mode || strspn(nodes, "0123456789,-") != strlen(nodes))
                        return imp_fail(imp, "-object '%s': invalid host NUMA policy", b->arg);
                def->numatune.present = true;
                if (!cell) {
                        def->numatune.mode = (char *) mode;
                        def->numatune.nodeset = imp_strdup(imp, nodes);
                } else {
                        VmNumaMemnode *mn = VM_ARRAY_NEW(def, def->numatune.memnodes, def->numatune.n_memnodes);
                        if (!mn)
                                return imp_oom(imp);
                        mn->cellid = cell->id;
                        mn->mode = (char *) mode;
                        mn->nodeset = imp_strdup(imp, nodes);
                }
        }
        if (qemu_opt_first_unused(&b->o)) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&b->o);
                imp_warn(imp, "memory backend '%s': properties without a domain XML equivalent dropped: %s",
                         strempty(b->id), strempty(l));
        }
        b->done = true;
        return 0;
}

static int consume_ram_backend(Import *imp, uint64_t size) {
        const char *id = imp->ram_backend ?: "pc.ram";
        ImportOpt *b = imp_find_backend(imp, "object", "id", id);
        uint64_t bsize = 0;
        int r;

        if (!b)
                return 0;
        r = import_ram_backend(imp, b, NULL, &bsize);
        if (r < 0)
                return r;
        if (bsize != size)
                imp_warn(imp, "the guest RAM backend '%s' has %" PRIu64 " bytes, not the %" PRIu64 " of -m", id,
                         bsize, size);
        return 0;
}

int imp_memory(Import *imp, ImportOpt *o) {
        VmDef *def = imp->def;
        uint64_t size = 0, maxmem = 0;
        unsigned slots = 0;
        int r;

        r = imp_parse(imp, o, "size");
        if (r < 0)
                return r;
        if (qemu_opt_get_size(&o->o, "size", 1024 * 1024, &size) < 0 || size < 1024 * 1024)
                return imp_fail(imp, "%s '%s': invalid memory size", o->name, o->arg);
        if (qemu_opt_get_uint(&o->o, "slots", &slots) < 0)
                return imp_fail(imp, "%s '%s': invalid slots", o->name, o->arg);
        if (qemu_opt_get_size(&o->o, "maxmem", 1024 * 1024, &maxmem) < 0)
                return imp_fail(imp, "%s '%s': invalid maxmem", o->name, o->arg);
        def->memory_kib = size / 1024;
        if (maxmem) {
                def->max_memory_kib = maxmem / 1024;
                def->max_memory_slots = slots;
        }
        r = consume_ram_backend(imp, size);
        if (r < 0)
                return r;
        return imp_check_unused(imp, o);
}

/* QEMU 6.2 changed which topology member a bare "-smp N" fills: cores from then on, sockets before. */
static bool prefer_sockets(const char *machine) {
        const char *v = machine ? startswith(machine, "pc-i440fx-") ?: startswith(machine, "pc-q35-") : NULL;
        unsigned major = 0, minor = 0;

        if (!machine || streq(machine, "pc") || streq(machine, "q35"))
                return false;
        if (startswith(machine, "pc-0.") || startswith(machine, "pc-1."))
                return true;
        if (!v || sscanf(v, "%u.%u", &major, &minor) != 2)
                return false;
        return major < 6 || (major == 6 && minor < 2);
}

int imp_smp(Import *imp, ImportOpt *o) {
        VmDef *def = imp->def;
        unsigned cpus = 0, maxcpus = 0, sockets = 0, dies = 0, clusters = 0, cores = 0, threads = 0;
        int r;

        r = imp_parse(imp, o, "cpus");
        if (r < 0)
                return r;
        if (qemu_opt_get_uint(&o->o, "cpus", &cpus) < 0 || qemu_opt_get_uint(&o->o, "maxcpus", &maxcpus) < 0 ||
            qemu_opt_get_uint(&o->o, "sockets", &sockets) < 0 || qemu_opt_get_uint(&o->o, "dies", &dies) < 0 ||
            qemu_opt_get_uint(&o->o, "clusters", &clusters) < 0 || qemu_opt_get_uint(&o->o, "cores", &cores) < 0 ||
            qemu_opt_get_uint(&o->o, "threads", &threads) < 0)
                return imp_fail(imp, "%s '%s': invalid number", o->name, o->arg);
        if (cpus > 4096 || maxcpus > 4096 || sockets > 4096 || dies > 4096 || cores > 4096 || threads > 4096)
                return imp_fail(imp, "%s '%s': too many CPUs", o->name, o->arg);
        if (clusters > 1)
                return imp_passthrough(imp, o, "CPU clusters are not supported");
        dies = dies ?: 1;
        /* the missing values, as QEMU 7.2 computes them (hw/core/machine-smp.c) */
        if (cpus == 0 && maxcpus == 0) {
                sockets = sockets ?: 1;
                cores = cores ?: 1;
                threads = threads ?: 1;
        } else {
                maxcpus = maxcpus ?: cpus;
                if (prefer_sockets(def->os.machine)) {
                        if (sockets == 0) {
                                cores = cores ?: 1;
                                threads = threads ?: 1;
                                sockets = maxcpus / (dies * cores * threads);
                        } else if (cores == 0) {
                                threads = threads ?: 1;
                                cores = maxcpus / (sockets * dies * threads);
                        }
                } else {
                        if (cores == 0) {
                                sockets = sockets ?: 1;
                                threads = threads ?: 1;
                                cores = maxcpus / (sockets * dies * threads);
                        } else if (sockets == 0) {
                                threads = threads ?: 1;
                                sockets = maxcpus / (dies * cores * threads);
                        }
                }
                threads = threads ?: maxcpus / (sockets * dies * cores ?: 1);
        }
        maxcpus = maxcpus ?: sockets * dies * cores * threads;
        cpus = cpus ?: maxcpus;
        if (sockets == 0 || cores == 0 || threads == 0 || (uint64_t) sockets * dies * cores * threads != maxcpus ||
            cpus > maxcpus)
                return imp_fail(imp, "%s '%s': the topology does not add up to %u CPUs", o->name, o->arg, maxcpus);
        def->vcpus = maxcpus;
        def->vcpus_current = cpus != maxcpus ? cpus : 0;
        if (!(sockets == maxcpus && dies == 1 && cores == 1 && threads == 1)) {
                /* vmunit's default is one core per socket, as libvirt's; anything else needs <topology> */
                def->cpu.sockets = sockets;
                def->cpu.dies = dies;
                def->cpu.cores = cores;
                def->cpu.threads = threads;
        }
        return imp_check_unused(imp, o);
}

static const char * const hyperv_names[] = {
        "relaxed", "vapic", "vpindex", "runtime", "synic", "stimer", "reset", "frequencies", "reenlightenment",
        "tlbflush", "ipi", "evmcs", "avic", NULL,
};

static int add_hyperv(Import *imp, const char *name, const char *string, unsigned value) {
        VmFeatures *f = &imp->def->features;
        VmHypervFeature *h = VM_ARRAY_NEW(imp->def, f->hyperv, f->n_hyperv);

        if (!h)
                return imp_oom(imp);
        h->name = imp_strdup(imp, name);
        h->state = VM_TRISTATE_ON;
        h->string = imp_strdup(imp, string);
        h->value = value;
        if (!f->hyperv_mode)
                f->hyperv_mode = (char *) "custom";
        return 0;
}

static int add_kvm_feature(Import *imp, const char *name, VmTristate state) {
        VmFeatures *f = &imp->def->features;
        VmHypervFeature *k = VM_ARRAY_NEW(imp->def, f->kvm, f->n_kvm);

        if (!k)
                return imp_oom(imp);
        k->name = (char *) name;
        k->state = state;
        return 0;
}

static int add_timer(Import *imp, const char *name, VmTristate present, const char *tickpolicy) {
        VmClock *k = &imp->def->clock;
        VmTimer *t = NULL;

        for (unsigned i = 0; i < k->n_timers; i++)
                if (streq(k->timers[i].name, name))
                        t = &k->timers[i];
        if (!t) {
                t = VM_ARRAY_NEW(imp->def, k->timers, k->n_timers);
                if (!t)
                        return imp_oom(imp);
                t->name = (char *) name;
        }
        if (present != VM_TRISTATE_ABSENT)
                t->present = present;
        if (tickpolicy)
                t->tickpolicy = (char *) tickpolicy;
        return 0;
}

/* One "-cpu" property: true when it maps onto the model. */
static bool cpu_property(Import *imp, const char *key, const char *value, VmTristate on) {
        VmDef *def = imp->def;
        const char *hv = startswith(key, "hv-") ?: startswith(key, "hv_");

        if (streq(key, "pmu") && on)
                def->features.pmu = on;
        else if (streq(key, "kvm") && on)
                return on == VM_TRISTATE_ON || add_kvm_feature(imp, "hidden", VM_TRISTATE_ON) == 0;
        else if (streq(key, "kvmclock") && on)
                return add_timer(imp, "kvmclock", on, NULL) == 0;
        else if (streq(key, "kvm-pv-unhalt") && on)
                def->features.pvspinlock = on;
        else if (streq(key, "kvm-hint-dedicated") && on)
                return on == VM_TRISTATE_OFF || add_kvm_feature(imp, "hint-dedicated", on) == 0;
        else if (streq(key, "kvm-poll-control") && on)
                return add_kvm_feature(imp, "poll-control", on) == 0;
        else if (streq(key, "kvm-pv-ipi") && on)
                return add_kvm_feature(imp, "pv-ipi", on) == 0;
        else if (hv && streq(hv, "passthrough") && on == VM_TRISTATE_ON)
                def->features.hyperv_mode = (char *) "passthrough";
        else if (hv && streq(hv, "crash") && on) {
                if (on == VM_TRISTATE_ON) {
                        VmPanic *p = VM_DEVICE_NEW(def, panics);
                        if (!p)
                                return imp_oom(imp) == 0;
                        p->model = (char *) "hyperv";
                }
        } else if (hv && streq(hv, "spinlocks")) {
                uint64_t n;
                char *end;
                errno = 0;
                n = strtoull(value, &end, 0);
                if (errno || *end || n > UINT32_MAX)
                        return false;
                return add_hyperv(imp, "spinlocks", NULL, (unsigned) n) == 0;
        } else if (hv && (streq(hv, "vendor-id") || streq(hv, "vendor_id")))
                /* what <vendor_id> cannot say stays a pass-through option */
                return vm_hyperv_vendor_id_valid(value) && add_hyperv(imp, "vendor_id", value, 0) == 0;
        else if (hv && on) {
                _cleanup_free_ char *n = strdup(hv);
                if (!n)
                        return imp_oom(imp) == 0;
                for (char *c = n; *c; c++)
                        if (*c == '_')
                                *c = '-';
                for (const char * const *h = hyperv_names; *h; h++)
                        if (streq(*h, n))
                                return on == VM_TRISTATE_OFF || add_hyperv(imp, *h, NULL, 0) == 0;
                return false;
        } else if (on) {
                VmCpuFeature *f;
                /* the parser's rule for <feature name=> (domxml-cpu.c): anything else is passed through */
                if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(key) ||
                    !strchr("abcdefghijklmnopqrstuvwxyz0123456789", key[0]) ||
                    streq(key, "check") || streq(key, "enforce"))
                        return false;
                f = VM_ARRAY_NEW(def, def->cpu.features, def->cpu.n_features);
                if (!f)
                        return imp_oom(imp) == 0;
                f->name = imp_strdup(imp, key);
                f->policy = (char *) (on == VM_TRISTATE_ON ? "require" : "disable");
        } else
                return false;
        return true;
}

int imp_cpu(Import *imp, ImportOpt *o) {
        _cleanup_free_ char *copy = strdup(o->arg);
        VmCpu *cpu = &imp->def->cpu;
        char *model, *rest, *save = NULL;
        bool lossy = false;

        if (!copy)
                return imp_oom(imp);
        /* QEMU splits -cpu on every comma (no ",," escaping there) */
        rest = strchr(copy, ',');
        if (rest)
                *rest++ = 0;
        model = copy;
        if (!*model || strspn(model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                       strlen(model))
                return imp_fail(imp, "%s '%s': invalid CPU model", o->name, o->arg);
        if (streq(model, "host"))
                cpu->mode = (char *) "host-passthrough";
        else {
                cpu->mode = (char *) "custom";
                cpu->model = imp_strdup(imp, model);
        }
        for (char *t = rest ? strtok_r(rest, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
                VmTristate on = VM_TRISTATE_ABSENT;
                const char *key = t, *value = "on";
                char *eq = strchr(t, '=');

                if (t[0] == '+' || t[0] == '-') {
                        on = t[0] == '+' ? VM_TRISTATE_ON : VM_TRISTATE_OFF;
                        key = t + 1;
                } else if (eq) {
                        *eq = 0;
                        value = eq + 1;
                }
                if (on == VM_TRISTATE_ABSENT) {
                        if (streq(value, "on") || streq(value, "true") || streq(value, "yes"))
                                on = VM_TRISTATE_ON;
                        else if (streq(value, "off") || streq(value, "false") || streq(value, "no"))
                                on = VM_TRISTATE_OFF;
                }
                if (!cpu_property(imp, key, value, on))
                        lossy = true;
                if (imp->status < 0)
                        return imp->status;
        }
        if (cpu->model && streq(cpu->model, "qemu64") && cpu->n_features == 0) {
                cpu->mode = NULL;       /* vmunit's default model: no <cpu> needed */
                cpu->model = NULL;
        }
        if (lossy) {
                /* QEMU uses the last -cpu: the original, passed through after vmunit's own, wins */
                o->keep = true;
                return imp_passthrough(imp, o, "some CPU properties have no domain XML equivalent; QEMU uses the "
                                       "last -cpu, so this one applies");
        }
        return 0;
}

static int add_cpus(Import *imp, VmNumaCell *cell, const char *cpus) {
        if (strspn(cpus, "0123456789-") != strlen(cpus) || !*cpus)
                return -EINVAL;
        cell->cpus = cell->cpus ? imp_strdupf(imp, "%s,%s", cell->cpus, cpus) : imp_strdup(imp, cpus);
        return 0;
}

int imp_numa(Import *imp, ImportOpt *o) {
        VmCpu *cpu = &imp->def->cpu;
        const char *type;
        int r;

        r = imp_parse(imp, o, "type");
        if (r < 0)
                return r;
        type = qemu_opt_get(&o->o, "type");
        if (type && streq(type, "node")) {
                VmNumaCell *cell;
                unsigned id = cpu->n_cells;
                uint64_t mem = 0;
                const char *memdev;

                if (qemu_opt_get_uint(&o->o, "nodeid", &id) < 0)
                        return imp_fail(imp, "%s '%s': invalid nodeid", o->name, o->arg);
                if (id != cpu->n_cells)
                        return imp_passthrough(imp, o, "NUMA nodes must be given in order, 0, 1, 2 ...");
                memdev = qemu_opt_get(&o->o, "memdev");
                if (qemu_opt_get_size(&o->o, "mem", 1024 * 1024, &mem) < 0)
                        return imp_fail(imp, "%s '%s': invalid mem", o->name, o->arg);
                if (qemu_opt_has(&o->o, "initiator"))
                        return imp_passthrough(imp, o, "NUMA initiators are not supported");
                cell = VM_ARRAY_NEW(imp->def, cpu->cells, cpu->n_cells);
                if (!cell)
                        return imp_oom(imp);
                cell->id = id;
                for (size_t i = 0; i < o->o.n; i++)
                        if (streq(o->o.v[i].key, "cpus")) {
                                o->o.v[i].used = true;
                                if (add_cpus(imp, cell, o->o.v[i].value) < 0)
                                        return imp_fail(imp, "%s '%s': invalid cpus", o->name, o->arg);
                        }
                if (memdev) {
                        ImportOpt *b = imp_find_backend(imp, "object", "id", memdev);
                        if (!b)
                                return imp_fail(imp, "%s '%s': no -object with id '%s'", o->name, o->arg, memdev);
                        r = import_ram_backend(imp, b, cell, &mem);
                        if (r < 0)
                                return r;
                }
                cell->memory_kib = mem / 1024;
                return imp_check_unused(imp, o) ? (o->keep = true, 0) : 0;
        }
        if (type && streq(type, "dist")) {
                unsigned src = 0, dst = 0, val = 0, *ids, *vals, k;
                VmNumaCell *cell;
                if (qemu_opt_get_uint(&o->o, "src", &src) <= 0 || qemu_opt_get_uint(&o->o, "dst", &dst) <= 0 ||
                    qemu_opt_get_uint(&o->o, "val", &val) <= 0 || val < 10 || val > 255)
                        return imp_fail(imp, "%s '%s': needs src, dst and val (10..255)", o->name, o->arg);
                if (src >= cpu->n_cells || dst >= cpu->n_cells || imp_check_unused(imp, o))
                        return imp_passthrough(imp, o, "distances need both nodes defined before them");
                cell = &cpu->cells[src];
                k = cell->n_distances;
                ids = VM_ARRAY_NEW(imp->def, cell->distance_ids, k);
                k = cell->n_distances;
                vals = VM_ARRAY_NEW(imp->def, cell->distance_values, cell->n_distances);
                if (!ids || !vals)
                        return imp_oom(imp);
                *ids = dst;
                *vals = val;
                return 0;
        }
        return imp_passthrough(imp, o, "-numa %s is not supported", strempty(type));
}

/* ---- -boot, -rtc, -global, -overcommit, SMBIOS, fw_cfg ---- */

int imp_boot(Import *imp, ImportOpt *o) {
        VmOs *os = &imp->def->os;
        const char *order, *once, *v;
        VmTristate t = VM_TRISTATE_ABSENT;
        unsigned n;
        int r;

        r = imp_parse(imp, o, "order");
        if (r < 0)
                return r;
        order = qemu_opt_get(&o->o, "order");
        once = qemu_opt_get(&o->o, "once");
        if (once && !order) {
                imp_warn(imp, "%s once=%s: vmunit boots from these devices every time, not only once", o->name, once);
                order = once;
        }
        if (order) {
                os->n_boot = 0;
                for (const char *c = order; *c; c++) {
                        VmBootDev d;
                        bool dup = false;
                        if (*c == 'a' || *c == 'b')
                                d = VM_BOOT_FD;
                        else if (*c == 'c')
                                d = VM_BOOT_HD;
                        else if (*c == 'd')
                                d = VM_BOOT_CDROM;
                        else if (*c >= 'n' && *c <= 'p')
                                d = VM_BOOT_NETWORK;
                        else
                                return imp_fail(imp, "%s '%s': invalid boot device '%c'", o->name, o->arg, *c);
                        for (unsigned i = 0; i < os->n_boot; i++)
                                if (os->boot[i] == d)
                                        dup = true;
                        if (!dup && os->n_boot < _VM_BOOT_DEV_MAX)
                                os->boot[os->n_boot++] = d;
                }
        }
        if (qemu_opt_get_bool(&o->o, "menu", &t) < 0)
                return imp_fail(imp, "%s '%s': invalid menu=", o->name, o->arg);
        if (t != VM_TRISTATE_ABSENT)
                os->bootmenu = t;
        if (qemu_opt_get_uint(&o->o, "splash-time", &n) > 0 && n <= 65535)
                os->bootmenu_timeout = (int) n;
        v = qemu_opt_get(&o->o, "reboot-timeout");
        if (v) {
                long l;
                char *end;
                errno = 0;
                l = strtol(v, &end, 10);
                if (errno || *end || l < -1 || l > 65535)
                        return imp_fail(imp, "%s '%s': invalid reboot-timeout", o->name, o->arg);
                os->reboot_timeout = (int) l;
        }
        t = VM_TRISTATE_ABSENT;
        if (qemu_opt_get_bool(&o->o, "strict", &t) < 0)
                return imp_fail(imp, "%s '%s': invalid strict=", o->name, o->arg);
        if (t == VM_TRISTATE_OFF)
                imp_note(imp, "%s strict=off: vmunit always boots strictly from the listed devices", o->name);
        return imp_keep_unused(imp, o);
}

static int parse_date(const char *s, int64_t *ret) {
        struct tm tm = {};
        const char *end;

        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || *end) {
                memset(&tm, 0, sizeof(tm));
                end = strptime(s, "%Y-%m-%d", &tm);
                if (!end || *end)
                        return -EINVAL;
        }
        *ret = (int64_t) timegm(&tm);
        return 0;
}

int imp_rtc(Import *imp, ImportOpt *o) {
        VmClock *k = &imp->def->clock;
        const char *base, *clock, *drift;
        int r;

        if (!o->arg) {                  /* -localtime */
                k->offset = (char *) "localtime";
                return 0;
        }
        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        base = qemu_opt_get(&o->o, "base");
        clock = qemu_opt_get(&o->o, "clock");
        drift = qemu_opt_get(&o->o, "driftfix");
        if (base && streq(base, "utc"))
                k->offset = (char *) "utc";
        else if (base && streq(base, "localtime"))
                k->offset = (char *) "localtime";
        else if (base) {
                if (parse_date(base, &k->start) < 0)
                        return imp_fail(imp, "%s '%s': invalid base", o->name, o->arg);
                k->offset = (char *) "absolute";
                imp_note(imp, "%s base=%s: the guest clock starts at that fixed date on every boot", o->name, base);
        }
        if (drift && streq(drift, "slew")) {
                if (add_timer(imp, "rtc", VM_TRISTATE_ABSENT, "catchup") < 0)
                        return imp->status;
        } else if (drift && !streq(drift, "none"))
                return imp_fail(imp, "%s '%s': invalid driftfix", o->name, o->arg);
        if (clock && (streq(clock, "vm") || streq(clock, "rt"))) {
                VmTimer *t;
                if (add_timer(imp, "rtc", VM_TRISTATE_ABSENT, NULL) < 0)
                        return imp->status;
                for (unsigned i = 0; i < k->n_timers; i++)
                        if (streq(k->timers[i].name, "rtc"))
                                t = &k->timers[i], t->track = (char *) (streq(clock, "vm") ? "guest" : "realtime");
        } else if (clock && !streq(clock, "host"))
                return imp_fail(imp, "%s '%s': invalid clock", o->name, o->arg);
        return imp_check_unused(imp, o);
}

int imp_global(Import *imp, ImportOpt *o) {
        _cleanup_free_ char *driver = NULL, *prop = NULL;
        const char *value;
        VmDef *def = imp->def;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        if (qemu_opt_has(&o->o, "driver")) {
                driver = strdup(strempty(qemu_opt_get(&o->o, "driver")));
                prop = strdup(strempty(qemu_opt_get(&o->o, "property")));
                value = qemu_opt_get(&o->o, "value");
        } else if (o->o.n == 1 && strchr(o->o.v[0].key, '.')) {
                const char *dot = strchr(o->o.v[0].key, '.');
                driver = strndup(o->o.v[0].key, (size_t) (dot - o->o.v[0].key));
                prop = strdup(dot + 1);
                value = o->o.v[0].value;
                o->o.v[0].used = true;
        } else
                return imp_fail(imp, "%s '%s': expected driver.property=value", o->name, o->arg);
        if (!driver || !prop)
                return imp_oom(imp);
        if (!value || qemu_opt_first_unused(&o->o))
                return imp_passthrough(imp, o, "not a global vmunit knows");

        if ((streq(driver, "kvm-pit") || streq(driver, "PIT")) && streq(prop, "lost_tick_policy") &&
            (streq(value, "delay") || streq(value, "discard")))
                return add_timer(imp, "pit", VM_TRISTATE_ABSENT, streq(value, "delay") ? "delay" : "discard") < 0 ?
                       imp->status : 0;
        if ((streq(driver, "PIIX4_PM") || streq(driver, "ICH9-LPC")) &&
            (streq(prop, "disable_s3") || streq(prop, "disable_s4")) && (streq(value, "0") || streq(value, "1"))) {
                VmTristate t = streq(value, "1") ? VM_TRISTATE_OFF : VM_TRISTATE_ON;
                if (streq(prop, "disable_s3"))
                        def->pm_suspend_to_mem = t;
                else
                        def->pm_suspend_to_disk = t;
                return 0;
        }
        if (streq(driver, "cfi.pflash01") && streq(prop, "secure") && streq(value, "on")) {
                def->os.loader_secure = VM_TRISTATE_ON;
                return 0;
        }
        if (streq(driver, "isa-fdc") && (streq(prop, "bootindexA") || streq(prop, "bootindexB"))) {
                /* applied to the floppy disk once the disks are known (imp_machine_pflash() runs then) */
                return 1;
        }
        return imp_passthrough(imp, o, "not a global vmunit knows");
}

int imp_overcommit(Import *imp, ImportOpt *o) {
        VmTristate t = VM_TRISTATE_ABSENT;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        if (qemu_opt_get_bool(&o->o, "mem-lock", &t) < 0)
                return imp_fail(imp, "%s '%s': invalid mem-lock", o->name, o->arg);
        imp->def->mem.locked = t == VM_TRISTATE_ON;
        return imp_keep_unused(imp, o);
}

int imp_smbios(Import *imp, ImportOpt *o) {
        static const char * const allowed[][8] = {
                { "vendor", "version", "date", "release", NULL },
                { "manufacturer", "product", "version", "serial", "uuid", "sku", "family", NULL },
                { "manufacturer", "product", "version", "serial", "asset", "location", NULL },
                { "manufacturer", "version", "serial", "asset", "sku", NULL },
        };
        VmSysinfo *s = &imp->def->sysinfo;
        unsigned type;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        if (qemu_opt_get_uint(&o->o, "type", &type) <= 0 || (type > 3 && type != 11))
                return imp_passthrough(imp, o, "only SMBIOS types 0-3 and 11 are supported");
        for (size_t i = 0; i < o->o.n; i++) {
                const QemuOptPair *p = &o->o.v[i];
                bool ok = streq(p->key, "type") || (type == 11 && streq(p->key, "value"));
                for (const char * const *a = type <= 3 ? allowed[type] : (const char * const[]) { NULL }; *a; a++)
                        if (streq(*a, p->key))
                                ok = true;
                if (!ok || !p->value)
                        return imp_passthrough(imp, o, "SMBIOS field '%s' is not supported", p->key);
        }
        for (size_t i = 0; i < o->o.n; i++) {
                const QemuOptPair *p = &o->o.v[i];
                VmSysinfoEntry *e;
                if (streq(p->key, "type"))
                        continue;
                e = type == 0 ? VM_ARRAY_NEW(imp->def, s->bios, s->n_bios) :
                    type == 1 ? VM_ARRAY_NEW(imp->def, s->system, s->n_system) :
                    type == 2 ? VM_ARRAY_NEW(imp->def, s->base_board, s->n_base_board) :
                    type == 3 ? VM_ARRAY_NEW(imp->def, s->chassis, s->n_chassis) :
                                VM_ARRAY_NEW(imp->def, s->oem_strings, s->n_oem_strings);
                if (!e)
                        return imp_oom(imp);
                e->name = type == 11 ? NULL : imp_strdup(imp, p->key);
                e->value = imp_strdup(imp, p->value);
                o->o.v[i].used = true;
        }
        s->present = s->smbios = true;
        imp->def->os.smbios_mode = (char *) "sysinfo";
        return 0;
}

int imp_fw_cfg(Import *imp, ImportOpt *o) {
        VmSysinfo *s = &imp->def->sysinfo;
        const char *name, *string, *file;
        VmSysinfoEntry *e;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        name = qemu_opt_get(&o->o, "name");
        string = qemu_opt_get(&o->o, "string");
        file = qemu_opt_get(&o->o, "file");
        if (!name || !startswith(name, "opt/") || (!string == !file) || qemu_opt_first_unused(&o->o))
                return imp_passthrough(imp, o, "only name=opt/... with string= or file= is supported");
        e = VM_ARRAY_NEW(imp->def, s->fw_cfg, s->n_fw_cfg);
        if (!e)
                return imp_oom(imp);
        e->name = imp_strdup(imp, name);
        e->value = imp_strdup(imp, string);
        e->file = imp_strdup(imp, file);
        s->present = s->fwcfg = true;
        return 0;
}
