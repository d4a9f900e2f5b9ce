/*
 * QEMU command-line construction, top level: environment, machine, accelerator, CPU, memory,
 * SMP/NUMA, clock, boot, firmware and the fixed housekeeping options; then the device families
 * from qemu-argv-*.c in libvirt's order (which only matters for ISA/USB auto-numbering).
 * Pure: no I/O, no logging. Defaults and addresses come from qemu-prepare.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "qemu-argv-internal.h"
#include "strv.h"

int qb_fail(QemuBuild *b, int r, const char *fmt, ...) {
        va_list ap;

        if (b->status < 0)
                return b->status;
        va_start(ap, fmt);
        if (vasprintf(&b->error, fmt, ap) < 0) {
                b->error = NULL;
                r = -ENOMEM;
        }
        va_end(ap);
        b->status = r;
        return r;
}

void qemu_command_done(QemuCommand *c) {
        c->env = strv_free(c->env);
        c->argv = strv_free(c->argv);
        c->fds = mfree(c->fds);
        c->n_fds = 0;
}

const QemuFd *qemu_command_find_fd(const QemuCommand *c, QemuFdKind kind) {
        for (unsigned i = 0; i < c->n_fds; i++)
                if (c->fds[i].kind == kind)
                        return &c->fds[i];
        return NULL;
}

int qb_pass_fd(QemuBuild *b, QemuFdKind kind, unsigned net) {
        QemuFd *n = reallocarray(b->fds, b->n_fds + 1, sizeof(*n));

        if (!n) {
                b->status = b->status ?: -ENOMEM;
                return -1;
        }
        b->fds = n;
        n[b->n_fds] = (QemuFd) { .kind = kind, .net = net, .number = b->opts->tap_fd_base + (int) b->n_fds };
        return n[b->n_fds++].number;
}

void qemu_build_options_default(QemuBuildOptions *opts, const char *name, char *buf, size_t size) {
        int k;

        *opts = (QemuBuildOptions) { .seccomp_sandbox = true, .tap_fd_base = 3 };
        k = snprintf(buf, size, "/run/vmunit/%s", name);
        if (k < 0 || (size_t) k + 1 >= size)
                return;
        opts->runtime_dir = buf;
        if (snprintf(buf + k + 1, size - (size_t) k - 1, "/var/lib/vmunit/%s", name) < (int) (size - (size_t) k - 1))
                opts->state_dir = buf + k + 1;
}

char *shell_quote(const char *s) {
        size_t n = 3;
        char *out, *p;

        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == strlen(s))
                return strdup(s);
        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        out = malloc(n);
        if (!out)
                return NULL;
        p = out;
        *p++ = '\'';
        for (const char *c = s; *c; c++) {
                if (*c == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else
                        *p++ = *c;
        }
        *p++ = '\'';
        *p = 0;
        return out;
}

static void env_add(QemuBuild *b, const char *name, const char *value) {
        char *s;

        if (asprintf(&s, "%s=%s", name, value) < 0 || strv_consume(&b->env, s) < 0)
                (void) qb_fail(b, -ENOMEM, "out of memory");
}

static void build_env(QemuBuild *b) {
        const VmDef *def = b->def;
        char *v;

        env_add(b, "LC_ALL", "C");
        env_add(b, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env_add(b, "HOME", b->opts->state_dir);
        if (asprintf(&v, "%s/.local/share", b->opts->state_dir) >= 0) {
                env_add(b, "XDG_DATA_HOME", v);
                free(v);
        }
        if (asprintf(&v, "%s/.cache", b->opts->state_dir) >= 0) {
                env_add(b, "XDG_CACHE_HOME", v);
                free(v);
        }
        if (asprintf(&v, "%s/.config", b->opts->state_dir) >= 0) {
                env_add(b, "XDG_CONFIG_HOME", v);
                free(v);
        }
        if (def->clock.offset && streq(def->clock.offset, "timezone"))
                env_add(b, "TZ", def->clock.timezone);
        for (unsigned i = 0; i < def->n_qemu_env; i++)
                env_add(b, def->qemu_env[i].name, strempty(def->qemu_env[i].value));
}

static void build_machine(QemuBuild *b) {
        const VmDef *def = b->def;
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        qemu_opts_add(&o, "type", def->os.machine);
        qemu_opts_add_literal(&o, "usb=off");
        if (def->features.vmport != VM_TRISTATE_ABSENT)
                qemu_opts_add_literal(&o, def->features.vmport == VM_TRISTATE_ON ? "vmport=on" : "vmport=off");
        if (def->features.smm != VM_TRISTATE_ABSENT)
                qemu_opts_add_literal(&o, def->features.smm == VM_TRISTATE_ON ? "smm=on" : "smm=off");
        qemu_opts_add_literal(&o, "dump-guest-core=off");
        if (def->mem.nosharepages)
                qemu_opts_add_literal(&o, "mem-merge=off");
        if (def->cpu.n_cells == 0)
                qemu_opts_add_literal(&o, "memory-backend=pc.ram");
        if (def->os.loader && def->os.loader_type && streq(def->os.loader_type, "pflash")) {
                qemu_opts_add_literal(&o, "pflash0=vmunit-pflash0-format");
                if (def->os.nvram)
                        qemu_opts_add_literal(&o, "pflash1=vmunit-pflash1-format");
        }
        for (unsigned i = 0; i < def->n_memory_devices; i++)
                if (streq(def->memory_devices[i].model, "nvdimm")) {
                        qemu_opts_add_literal(&o, "nvdimm=on");
                        break;
                }
        for (unsigned i = 0, n = 0; i < def->n_memory_devices; i++)
                if (streq(def->memory_devices[i].model, "sgx-epc")) {
                        char t[64];     /* numbers only */
                        snprintf(t, sizeof(t), "sgx-epc.%u.memdev=memepc%u", n, n);
                        qemu_opts_add_literal(&o, t);
                        if (def->memory_devices[i].node >= 0) {
                                snprintf(t, sizeof(t), "sgx-epc.%u.node=%d", n, def->memory_devices[i].node);
                                qemu_opts_add_literal(&o, t);
                        }
                        n++;
                }
        for (unsigned i = 0; i < def->n_sounds; i++)
                if (streq(def->sounds[i].model, "pcspk")) {
                        qemu_opts_add(&o, "pcspk-audiodev", qemu_audiodev_id(b, def->sounds[i].audio_id));
                        break;
                }
        if (def->iommu.present && streq(def->iommu.model, "intel"))
                qemu_opts_add_literal(&o, "kernel-irqchip=split");
        if (def->launch_security.type)
                qemu_opts_add_literal(&o, "confidential-guest-support=lsec0");
        argv_add_opts(b->a, "-machine", &o);
}

static void build_cpu(QemuBuild *b) {
        const VmDef *def = b->def;
        const VmCpu *cpu = &def->cpu;
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        if (cpu->mode && (streq(cpu->mode, "host-model") || streq(cpu->mode, "maximum"))) {
                (void) qb_fail(b, -EOPNOTSUPP, "<cpu mode='%s'>: needs host CPU model expansion, which vmunit does "
                               "not do yet; name a model with mode='custom' or use host-passthrough", cpu->mode);
                return;
        }
        if (cpu->mode && streq(cpu->mode, "host-passthrough")) {
                if (!streq(def->virt_type, "kvm")) {
                        (void) qb_fail(b, -EINVAL, "<cpu mode='host-passthrough'>: needs <domain type='kvm'>");
                        return;
                }
                qemu_opts_add_literal(&o, "host");
        }
        else
                qemu_opts_add_positional(&o, cpu->model ?: "qemu64");
        if (cpu->cache_mode) {
                bool host = cpu->mode && streq(cpu->mode, "host-passthrough");
                if (streq(cpu->cache_mode, "passthrough")) {
                        if (!host) {
                                qemu_opts_done(&o);
                                (void) qb_fail(b, -EINVAL, "<cpu><cache mode='passthrough'>: needs host-passthrough");
                                return;
                        }
                        qemu_opts_add_literal(&o, "host-cache-info=on");
                        qemu_opts_add_literal(&o, "l3-cache=off");
                } else if (streq(cpu->cache_mode, "emulate") && cpu->cache_level == 3) {
                        if (host)
                                qemu_opts_add_literal(&o, "host-cache-info=off");
                        qemu_opts_add_literal(&o, "l3-cache=on");
                } else if (streq(cpu->cache_mode, "disable")) {
                        if (host)
                                qemu_opts_add_literal(&o, "host-cache-info=off");
                        qemu_opts_add_literal(&o, "l3-cache=off");
                } else {
                        qemu_opts_done(&o);
                        (void) qb_fail(b, -EINVAL, "<cpu><cache>: only passthrough, disable, or emulate with level='3'");
                        return;
                }
        }
        if (cpu->maxphysaddr_mode) {
                if (streq(cpu->maxphysaddr_mode, "passthrough")) {
                        qemu_opts_add_literal(&o, "host-phys-bits=on");
                        if (cpu->maxphysaddr_bits)
                                qemu_opts_addf(&o, "host-phys-bits-limit", "%u", cpu->maxphysaddr_bits);
                } else if (cpu->maxphysaddr_bits)
                        qemu_opts_addf(&o, "phys-bits", "%u", cpu->maxphysaddr_bits);
                else {
                        qemu_opts_done(&o);
                        (void) qb_fail(b, -EINVAL, "<cpu><maxphysaddr mode='emulate'>: needs bits=");
                        return;
                }
        }
        for (unsigned i = 0; i < cpu->n_features; i++) {
                const VmCpuFeature *f = &cpu->features[i];
                bool on = streq(f->policy, "require") || streq(f->policy, "force");
                if (streq(f->policy, "optional"))
                        continue;       /* QEMU enables what the host offers; nothing to say */
                qemu_opts_addf(&o, f->name, "%s", on ? "on" : "off");
        }
        if (def->features.pmu != VM_TRISTATE_ABSENT)
                qemu_opts_add_literal(&o, def->features.pmu == VM_TRISTATE_ON ? "pmu=on" : "pmu=off");
        if (def->features.hyperv_mode && streq(def->features.hyperv_mode, "passthrough"))
                qemu_opts_add_literal(&o, "hv-passthrough=on");
        for (unsigned i = 0; i < def->features.n_hyperv; i++) {
                const VmHypervFeature *h = &def->features.hyperv[i];
                if (h->state != VM_TRISTATE_ON)
                        continue;
                if (streq(h->name, "spinlocks"))
                        qemu_opts_addf(&o, "hv-spinlocks", "0x%x", h->value ?: 0x1fff);
                else if (streq(h->name, "vendor_id"))
                        qemu_opts_add(&o, "hv-vendor-id", h->string);
                else if (streq(h->name, "stimer") && h->value) {
                        qemu_opts_add_literal(&o, "hv-stimer");
                        qemu_opts_add_literal(&o, "hv-stimer-direct");
                }
                else if (streq(h->name, "vapic") || streq(h->name, "relaxed") || streq(h->name, "vpindex") ||
                         streq(h->name, "runtime") || streq(h->name, "synic") || streq(h->name, "stimer") ||
                         streq(h->name, "reset") || streq(h->name, "frequencies") ||
                         streq(h->name, "reenlightenment") || streq(h->name, "tlbflush") || streq(h->name, "ipi") ||
                         streq(h->name, "evmcs") || streq(h->name, "avic"))
                        qemu_opts_add_literal(&o, streq(h->name, "vapic") ? "hv-vapic" :
                                              streq(h->name, "relaxed") ? "hv-relaxed" :
                                              streq(h->name, "vpindex") ? "hv-vpindex" :
                                              streq(h->name, "runtime") ? "hv-runtime" :
                                              streq(h->name, "synic") ? "hv-synic" :
                                              streq(h->name, "stimer") ? "hv-stimer" :
                                              streq(h->name, "reset") ? "hv-reset" :
                                              streq(h->name, "frequencies") ? "hv-frequencies" :
                                              streq(h->name, "reenlightenment") ? "hv-reenlightenment" :
                                              streq(h->name, "tlbflush") ? "hv-tlbflush" :
                                              streq(h->name, "ipi") ? "hv-ipi" :
                                              streq(h->name, "evmcs") ? "hv-evmcs" : "hv-avic");
                else {
                        (void) qb_fail(b, -EOPNOTSUPP, "<features><hyperv><%s>: not supported", h->name);
                        return;
                }
        }
        for (unsigned i = 0; i < def->features.n_kvm; i++) {
                const VmHypervFeature *k = &def->features.kvm[i];
                if (streq(k->name, "hidden") && k->state == VM_TRISTATE_ON)
                        qemu_opts_add_literal(&o, "kvm=off");
                else if (streq(k->name, "hint-dedicated") && k->state == VM_TRISTATE_ON)
                        qemu_opts_add_literal(&o, "kvm-hint-dedicated=on");
                else if (streq(k->name, "poll-control"))
                        qemu_opts_add_literal(&o, k->state == VM_TRISTATE_ON ? "kvm-poll-control=on"
                                                                              : "kvm-poll-control=off");
                else if (streq(k->name, "pv-ipi"))
                        qemu_opts_add_literal(&o, k->state == VM_TRISTATE_ON ? "kvm-pv-ipi=on" : "kvm-pv-ipi=off");
                else if (!streq(k->name, "hidden") && !streq(k->name, "hint-dedicated") && !streq(k->name, "dirty-ring")) {
                        (void) qb_fail(b, -EOPNOTSUPP, "<features><kvm><%s>: not supported", k->name);
                        return;
                }
        }
        for (unsigned i = 0; i < def->n_panics; i++)
                if (def->panics[i].model && streq(def->panics[i].model, "hyperv"))
                        qemu_opts_add_literal(&o, "hv-crash");
        for (unsigned i = 0; i < def->clock.n_timers; i++)
                if (streq(def->clock.timers[i].name, "hypervclock") && def->clock.timers[i].present == VM_TRISTATE_ON)
                        qemu_opts_add_literal(&o, "hv-time");
                else if (streq(def->clock.timers[i].name, "kvmclock") && def->clock.timers[i].present != VM_TRISTATE_ABSENT)
                        qemu_opts_add_literal(&o, def->clock.timers[i].present == VM_TRISTATE_ON ? "kvmclock=on"
                                                                                                  : "kvmclock=off");
        if (def->features.pvspinlock != VM_TRISTATE_ABSENT)
                qemu_opts_add_literal(&o, def->features.pvspinlock == VM_TRISTATE_ON ? "kvm-pv-unhalt=on"
                                                                                      : "kvm-pv-unhalt=off");
        argv_add_opts(b->a, "-cpu", &o);
}

static void build_smp(QemuBuild *b) {
        const VmDef *def = b->def;
        const VmCpu *cpu = &def->cpu;
        _cleanup_(qemu_opts_done) QemuOpts o = {};
        unsigned cur = def->vcpus_current ?: def->vcpus;

        qemu_opts_addf(&o, "cpus", "%u", cur);
        if (cur != def->vcpus)
                qemu_opts_addf(&o, "maxcpus", "%u", def->vcpus);
        if (cpu->sockets) {
                if ((uint64_t) cpu->sockets * cpu->dies * cpu->cores * cpu->threads != def->vcpus) {
                        qemu_opts_done(&o);
                        (void) qb_fail(b, -EINVAL, "<cpu><topology>: %u sockets x %u dies x %u cores x %u threads "
                                       "does not match %u vCPUs", cpu->sockets, cpu->dies, cpu->cores, cpu->threads,
                                       def->vcpus);
                        return;
                }
                qemu_opts_addf(&o, "sockets", "%u", cpu->sockets);
                qemu_opts_addf(&o, "dies", "%u", cpu->dies);
                qemu_opts_addf(&o, "cores", "%u", cpu->cores);
                qemu_opts_addf(&o, "threads", "%u", cpu->threads);
        } else {
                qemu_opts_addf(&o, "sockets", "%u", def->vcpus);
                qemu_opts_add_literal(&o, "cores=1");
                qemu_opts_add_literal(&o, "threads=1");
        }
        argv_add_opts(b->a, "-smp", &o);
}

/* Machine types before 5.1 still take "-numa node,mem=" (QEMU refuses it from 5.1 on); libvirt uses
 * that legacy form there when no cell needs a real memory backend, and so do we, so the guest sees
 * the same memory layout as under libvirt. */
static void build_smbios(QemuBuild *b) {
        const VmSysinfo *s = &b->def->sysinfo;
        static const struct { const char *type; size_t off, n_off; } blocks[] = {
                { "type=0", offsetof(VmSysinfo, bios), offsetof(VmSysinfo, n_bios) },
                { "type=1", offsetof(VmSysinfo, system), offsetof(VmSysinfo, n_system) },
                { "type=2", offsetof(VmSysinfo, base_board), offsetof(VmSysinfo, n_base_board) },
                { "type=3", offsetof(VmSysinfo, chassis), offsetof(VmSysinfo, n_chassis) },
        };
        static const char * const allowed[][8] = {
                { "vendor", "version", "date", "release", NULL },
                { "manufacturer", "product", "version", "serial", "uuid", "sku", "family", NULL },
                { "manufacturer", "product", "version", "serial", "asset", "location", NULL },
                { "manufacturer", "version", "serial", "asset", "sku", NULL },
        };

        if (!s->present)
                return;
        if (s->fwcfg) {
                for (unsigned i = 0; i < s->n_fw_cfg; i++) {
                        _cleanup_(qemu_opts_done) QemuOpts o = {};
                        if (!startswith(s->fw_cfg[i].name, "opt/")) {
                                (void) qb_fail(b, -EINVAL, "<sysinfo type='fwcfg'><entry name='%s'>: names must start "
                                               "with 'opt/'", s->fw_cfg[i].name);
                                return;
                        }
                        qemu_opts_add(&o, "name", s->fw_cfg[i].name);
                        if (s->fw_cfg[i].file)
                                qemu_opts_add(&o, "file", s->fw_cfg[i].file);
                        else
                                qemu_opts_add(&o, "string", s->fw_cfg[i].value ?: "");
                        argv_add_opts(b->a, "-fw_cfg", &o);
                }
        }
        if (!s->smbios)
                return;
        if (!b->def->os.smbios_mode || !streq(b->def->os.smbios_mode, "sysinfo"))
                return;
        for (size_t k = 0; k < ELEMENTSOF(blocks); k++) {
                const VmSysinfoEntry *e = *(VmSysinfoEntry * const *) ((const char *) s + blocks[k].off);
                unsigned n = *(const unsigned *) ((const char *) s + blocks[k].n_off);
                _cleanup_(qemu_opts_done) QemuOpts o = {};

                if (n == 0)
                        continue;
                qemu_opts_add_literal(&o, blocks[k].type);
                for (unsigned i = 0; i < n; i++) {
                        bool ok = false;
                        if (k == 1 && streq(e[i].name, "uuid") && e[i].value && b->def->uuid &&
                            strcasecmp(e[i].value, b->def->uuid) != 0) {
                                qemu_opts_done(&o);
                                (void) qb_fail(b, -EINVAL, "<sysinfo><system><entry name='uuid'>: '%s' differs from the "
                                               "domain's <uuid> '%s'", e[i].value, b->def->uuid);
                                return;
                        }
                        for (const char * const *a = allowed[k]; *a; a++)
                                if (streq(*a, e[i].name)) {
                                        qemu_opts_add(&o, *a, e[i].value);
                                        ok = true;
                                }
                        if (!ok) {
                                qemu_opts_done(&o);
                                (void) qb_fail(b, -EINVAL, "<sysinfo><entry name='%s'>: unknown SMBIOS field",
                                               e[i].name);
                                return;
                        }
                }
                argv_add_opts(b->a, "-smbios", &o);
        }
        if (s->n_oem_strings > 0) {
                _cleanup_(qemu_opts_done) QemuOpts o = {};
                qemu_opts_add_literal(&o, "type=11");
                for (unsigned i = 0; i < s->n_oem_strings; i++)
                        qemu_opts_add(&o, "value", s->oem_strings[i].value ?: "");
                argv_add_opts(b->a, "-smbios", &o);
        }
}

static void build_clock(QemuBuild *b) {
        const VmClock *k = &b->def->clock;
        const char *offset = k->offset ?: "utc";
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        if (streq(offset, "utc"))
                qemu_opts_add_literal(&o, "base=utc");
        else if (streq(offset, "localtime") || streq(offset, "timezone"))
                qemu_opts_add_literal(&o, "base=localtime");
        else {
                time_t t;
                struct tm tm;
                char buf[64];

                if (streq(offset, "absolute"))
                        t = (time_t) k->start;
                else {
                        struct tm local;
                        t = (b->opts->now ? (time_t) b->opts->now : time(NULL)) + (time_t) k->adjustment;
                        /* basis='localtime': the adjustment is relative to the host's local time, and QEMU's
                         * base is read as UTC, so shift by the host's UTC offset (as libvirt does) */
                        if (k->basis && streq(k->basis, "localtime") && localtime_r(&t, &local))
                                t += local.tm_gmtoff;
                }
                if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                        (void) qb_fail(b, -EINVAL, "<clock>: time out of range");
                        return;
                }
                qemu_opts_add(&o, "base", buf);
        }
        for (unsigned i = 0; i < k->n_timers; i++) {
                const VmTimer *t = &k->timers[i];
                if (streq(t->name, "rtc")) {
                        if (t->tickpolicy && streq(t->tickpolicy, "catchup"))
                                qemu_opts_add_literal(&o, "driftfix=slew");
                        else if (t->tickpolicy && !streq(t->tickpolicy, "delay")) {
                                qemu_opts_done(&o);
                                (void) qb_fail(b, -EOPNOTSUPP, "<timer name='rtc' tickpolicy='%s'>: not supported",
                                               t->tickpolicy);
                                return;
                        }
                        if (t->track && streq(t->track, "guest"))
                                qemu_opts_add_literal(&o, "clock=vm");
                        else if (t->track && streq(t->track, "realtime"))
                                qemu_opts_add_literal(&o, "clock=rt");
                }
        }
        argv_add_opts(b->a, "-rtc", &o);

        for (unsigned i = 0; i < k->n_timers; i++) {
                const VmTimer *t = &k->timers[i];
                if (streq(t->name, "pit") && t->tickpolicy) {
                        if (streq(t->tickpolicy, "delay")) {
                                argv_add(b->a, "-global");
                                argv_add(b->a, "kvm-pit.lost_tick_policy=delay");
                        } else if (streq(t->tickpolicy, "discard")) {
                                argv_add(b->a, "-global");
                                argv_add(b->a, "kvm-pit.lost_tick_policy=discard");
                        } else if (!streq(t->tickpolicy, "catchup")) {
                                (void) qb_fail(b, -EOPNOTSUPP, "<timer name='pit' tickpolicy='%s'>: not supported",
                                               t->tickpolicy);
                                return;
                        }
                } else if (streq(t->name, "hpet") && t->present == VM_TRISTATE_OFF)
                        argv_add(b->a, "-no-hpet");
                else if (streq(t->name, "kvmclock") || streq(t->name, "hypervclock"))
                        ;       /* CPU features, see build_cpu() */
                else if (streq(t->name, "tsc") || streq(t->name, "platform") ||
                           streq(t->name, "armvtimer"))
                        (void) qb_fail(b, -EOPNOTSUPP, "<timer name='%s'>: not supported", t->name);
        }
}

static void build_pm(QemuBuild *b) {
        const char *dev = b->q35 ? "ICH9-LPC" : "PIIX4_PM";

        if (b->def->pm_suspend_to_mem != VM_TRISTATE_ABSENT) {
                argv_add(b->a, "-global");
                argv_addf(b->a, "%s.disable_s3=%d", dev, b->def->pm_suspend_to_mem == VM_TRISTATE_OFF);
        }
        if (b->def->pm_suspend_to_disk != VM_TRISTATE_ABSENT) {
                argv_add(b->a, "-global");
                argv_addf(b->a, "%s.disable_s4=%d", dev, b->def->pm_suspend_to_disk == VM_TRISTATE_OFF);
        }
}

static void build_boot(QemuBuild *b) {
        const VmOs *os = &b->def->os;
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        if (os->bootmenu == VM_TRISTATE_ON) {
                qemu_opts_add_literal(&o, "menu=on");
                if (os->bootmenu_timeout >= 0)
                        qemu_opts_addf(&o, "splash-time", "%d", os->bootmenu_timeout);
        } else if (os->bootmenu == VM_TRISTATE_OFF)
                qemu_opts_add_literal(&o, "menu=off");
        if (os->reboot_timeout >= 0 || os->reboot_timeout == -1) {
                if (os->reboot_timeout >= 0)
                        qemu_opts_addf(&o, "reboot-timeout", "%d", os->reboot_timeout);
        }
        qemu_opts_add_literal(&o, "strict=on");
        argv_add_opts(b->a, "-boot", &o);
}

static void build_kernel(QemuBuild *b) {
        const VmOs *os = &b->def->os;

        if (os->kernel) {
                argv_add(b->a, "-kernel");
                argv_add(b->a, os->kernel);
        }
        if (os->initrd) {
                argv_add(b->a, "-initrd");
                argv_add(b->a, os->initrd);
        }
        if (os->cmdline) {
                argv_add(b->a, "-append");
                argv_add(b->a, os->cmdline);
        }
        if (os->dtb)
                (void) qb_fail(b, -EOPNOTSUPP, "<os><dtb>: device trees are not used on x86");
        if (os->acpi_table) {
                _cleanup_(qemu_opts_done) QemuOpts o = {};
                qemu_opts_add_literal(&o, "sig=SLIC");
                qemu_opts_add(&o, "file", os->acpi_table);
                argv_add_opts(b->a, "-acpitable", &o);
        }
}

/* AMD SEV: QEMU's sev-guest object, with the owner's certificate and session blob in files of the
 * state dir (the supervisor writes them from the XML's base64, as libvirt does). */
static void build_launch_security(QemuBuild *b) {
        const VmLaunchSecurity *ls = &b->def->launch_security;
        Props p;

        if (!ls->type)
                return;
        props_init(&p);
        props_str(&p, "qom-type", "sev-guest");
        props_str(&p, "id", "lsec0");
        props_uint(&p, "cbitpos", ls->cbitpos);
        props_uint(&p, "reduced-phys-bits", ls->reduced_phys_bits);
        props_uint(&p, "policy", ls->policy);
        if (ls->dh_cert)
                props_strf(&p, "dh-cert-file", "%s/" QEMU_SEV_DH_CERT_FILE, b->opts->state_dir);
        if (ls->session)
                props_strf(&p, "session-file", "%s/" QEMU_SEV_SESSION_FILE, b->opts->state_dir);
        if (ls->kernel_hashes != VM_TRISTATE_ABSENT)
                props_bool(&p, "kernel-hashes", ls->kernel_hashes == VM_TRISTATE_ON);
        argv_add_props(b->a, "-object", &p);
}

static void build_monitor(QemuBuild *b) {
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        qemu_opts_add_literal(&o, "socket");
        qemu_opts_add_literal(&o, "id=charmonitor");
        qemu_opts_addf(&o, "path", "%s/" QEMU_QMP_SOCKET, b->opts->runtime_dir);
        qemu_opts_add_literal(&o, "server=on");
        qemu_opts_add_literal(&o, "wait=off");
        argv_add_opts(b->a, "-chardev", &o);
        argv_add(b->a, "-mon");
        argv_add(b->a, "chardev=charmonitor,id=monitor,mode=control");
}

int qemu_argv_build(VmDef *def, const QemuBuildOptions *opts, QemuCommand *ret, char **ret_error) {
        Argv a = {};
        QemuBuild b = { .def = def, .opts = opts, .a = &a };
        _cleanup_(qemu_opts_done) QemuOpts o = {};
        char **argv = NULL;
        int r;

        assert(opts->runtime_dir && opts->state_dir);

        r = qemu_prepare(&b);
        if (r < 0)
                goto fail;

        build_env(&b);
        argv_add(&a, def->emulator);
        qemu_opts_add(&o, "guest", def->name);
        qemu_opts_add_literal(&o, "debug-threads=on");
        argv_add_opts(&a, "-name", &o);
        argv_add(&a, "-S");
        qemu_build_pflash(&b);
        build_machine(&b);
        argv_add(&a, "-accel");
        {
                unsigned ring = 0;
                for (unsigned i = 0; i < def->features.n_kvm; i++)
                        if (streq(def->features.kvm[i].name, "dirty-ring") &&
                            def->features.kvm[i].state == VM_TRISTATE_ON)
                                ring = def->features.kvm[i].value ?: 4096;
                if (ring && streq(def->virt_type, "kvm"))
                        argv_addf(&a, "kvm,dirty-ring-size=%u", ring);
                else
                        argv_add(&a, streq(def->virt_type, "kvm") ? "kvm" : "tcg");
        }
        build_cpu(&b);
        if (def->os.loader_secure == VM_TRISTATE_ON) {
                argv_add(&a, "-global");
                argv_add(&a, "driver=cfi.pflash01,property=secure,value=on");
        }
        if (def->os.loader && (!def->os.loader_type || streq(def->os.loader_type, "rom"))) {
                argv_add(&a, "-bios");
                argv_add(&a, def->os.loader);
        }
        qemu_build_memory(&b);
        build_smp(&b);
        qemu_build_numa(&b);
        if (def->uuid) {
                argv_add(&a, "-uuid");
                argv_add(&a, def->uuid);
        }
        build_smbios(&b);
        if (def->n_graphics == 0) {
                argv_add(&a, "-display");
                argv_add(&a, "none");
        }
        argv_add(&a, "-no-user-config");
        argv_add(&a, "-nodefaults");
        build_monitor(&b);
        build_clock(&b);
        argv_add(&a, "-no-shutdown");
        build_pm(&b);
        if (!def->features.acpi)
                argv_add(&a, "-no-acpi");
        build_boot(&b);
        build_kernel(&b);

        qemu_build_controllers(&b);
        qemu_build_disks(&b);
        qemu_build_filesystems(&b);
        qemu_build_nets(&b);
        qemu_build_chardevs(&b);
        qemu_build_inputs(&b);
        qemu_build_audio(&b);
        qemu_build_graphics(&b);
        qemu_build_videos(&b);
        qemu_build_sounds(&b);
        qemu_build_hostdevs(&b);
        qemu_build_misc_devices(&b);
        qemu_build_shmems(&b);
        qemu_build_memory_devices(&b);
        qemu_build_sgx_epc(&b);
        qemu_build_vsock(&b);
        build_launch_security(&b);

        if (opts->seccomp_sandbox) {
                argv_add(&a, "-sandbox");
                argv_add(&a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        }
        argv_add(&a, "-msg");
        argv_add(&a, "timestamp=on");
        for (unsigned i = 0; i < def->n_qemu_args; i++)
                argv_add(&a, def->qemu_args[i]);

        if (b.status < 0) {
                r = b.status;
                goto fail;
        }
        {
                const char *option = a.error_option, *key = a.error_key;
                r = argv_steal(&a, &argv);
                if (r == -EINVAL && option)
                        (void) qb_fail(&b, r, "the value for '%s%s%s' of QEMU option '%s' cannot be expressed on the "
                                       "command line (empty, or containing a newline)", strempty(key), key ? "=" : "",
                                       key ? "..." : "", option);
                else if (r == -EINVAL)
                        (void) qb_fail(&b, r, "a value cannot be expressed on the QEMU command line (empty, or "
                                       "containing a newline)");
                if (r < 0)
                        goto fail;
        }
        *ret = (QemuCommand) { .env = TAKE_PTR(b.env), .argv = argv, .fds = TAKE_PTR(b.fds), .n_fds = b.n_fds };
        return 0;

fail:
        argv_done(&a);
        b.fds = mfree(b.fds);
        b.env = strv_free(b.env);
        if (ret_error)
                *ret_error = TAKE_PTR(b.error);
        free(b.error);
        return r;
}
