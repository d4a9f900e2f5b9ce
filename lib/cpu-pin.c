/*
 * Host CPU pinning decisions: see cpu-pin.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cpu-pin.h"
#include "fs-util.h"

static const char * const cpu_pin_kind_table[_CPU_PIN_KIND_MAX] = {
        [CPU_PIN_VCPU]     = "vcpu",
        [CPU_PIN_IOTHREAD] = "iothread",
        [CPU_PIN_EMULATOR] = "emulator",
};
DEFINE_STRING_TABLE_LOOKUP(cpu_pin_kind, CpuPinKind);

bool cpu_pin_wanted(const VmDef *def) {
        return def->vcpu_cpuset || def->tune.emulatorpin || def->tune.n_vcpupins > 0 ||
               def->tune.n_iothreadpins > 0;
}

static const CpuSet *pin_lookup(const VmCpuPin *pins, unsigned n, unsigned id) {
        for (unsigned i = 0; i < n; i++)
                if (pins[i].id == id)
                        return pins[i].cpus;
        return NULL;
}

const CpuSet *cpu_pin_vcpu(const VmDef *def, unsigned vcpu) {
        return pin_lookup(def->tune.vcpupins, def->tune.n_vcpupins, vcpu) ?: def->vcpu_cpuset;
}

const CpuSet *cpu_pin_iothread(const VmDef *def, unsigned iothread) {
        return pin_lookup(def->tune.iothreadpins, def->tune.n_iothreadpins, iothread) ?: def->vcpu_cpuset;
}

const CpuSet *cpu_pin_emulator(const VmDef *def) {
        return def->tune.emulatorpin ?: def->vcpu_cpuset;
}

/* A kernel CPU list file ("0-3,8\n"); -ENODATA when it is empty (a cgroup without CPUs of its own). */
static int read_cpu_list(const char *path, CpuSet *ret) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_file_full(path, 64 * 1024, &text, &len);
        if (r < 0)
                return r;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = 0;
        if (len == 0)
                return -ENODATA;
        r = cpuset_parse(text, CPUSET_BITS, ret);
        return r < 0 ? -EBADMSG : 0;
}

int cpu_pin_host_allowed(const char *sys_root, const char *own_cgroup, CpuSet *ret) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        CpuSet online, cg;
        int r;

        if (asprintf(&path, "%s/devices/system/cpu/online", sys_root) < 0)
                return -ENOMEM;
        r = read_cpu_list(path, &online);
        if (r < 0)
                return r;

        /* The scope is a sibling of our own unit: start at the parent, walk up to the root. */
        if (own_cgroup && asprintf(&dir, "%s", own_cgroup) < 0)
                return -ENOMEM;
        while (dir) {
                char *slash = strrchr(dir, '/');
                if (!slash)
                        break;
                *slash = 0;
                path = mfree(path);
                if (asprintf(&path, "%s/fs/cgroup%s/cpuset.cpus.effective", sys_root, dir) < 0)
                        return -ENOMEM;
                r = read_cpu_list(path, &cg);
                if (r >= 0) {
                        cpuset_and(&online, &cg);
                        break;
                }
                if (r != -ENOENT && r != -ENODATA)
                        return r;
        }
        *ret = online;
        return 0;
}

static int check_one(const CpuSet *set, const CpuSet *allowed, unsigned line, CpuPinProblem *ret,
                     const char *fmt, ...) _printf_(5, 6);
static int check_one(const CpuSet *set, const CpuSet *allowed, unsigned line, CpuPinProblem *ret,
                     const char *fmt, ...) {
        va_list ap;

        if (!set || cpuset_is_subset(set, allowed, &ret->outside))
                return 0;
        ret->line = line;
        va_start(ap, fmt);
        (void) vsnprintf(ret->element, sizeof(ret->element), fmt, ap);
        va_end(ap);
        return -ENXIO;
}

int cpu_pin_check(const VmDef *def, const CpuSet *allowed, CpuPinProblem *ret) {
        const VmTune *t = &def->tune;
        int r;

        r = check_one(def->vcpu_cpuset, allowed, def->vcpu_line, ret, "<vcpu cpuset>");
        for (unsigned i = 0; r >= 0 && i < t->n_vcpupins; i++)
                r = check_one(t->vcpupins[i].cpus, allowed, t->vcpupins[i].line, ret,
                              "<cputune><vcpupin vcpu='%u'>", t->vcpupins[i].id);
        if (r >= 0)
                r = check_one(t->emulatorpin, allowed, t->emulatorpin_line, ret, "<cputune><emulatorpin>");
        for (unsigned i = 0; r >= 0 && i < t->n_iothreadpins; i++)
                r = check_one(t->iothreadpins[i].cpus, allowed, t->iothreadpins[i].line, ret,
                              "<cputune><iothreadpin iothread='%u'>", t->iothreadpins[i].id);
        return r;
}

/* The members @a and @b of every object of the array @list, as non-negative ints. */
static int list_pairs(json_object *list, const char *a, const char *b, size_t i, int *ret_a, int *ret_b) {
        json_object *o = json_object_array_get_idx(list, i), *va, *vb;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, a, &va) ||
            !json_object_object_get_ex(o, b, &vb) || !json_object_is_type(vb, json_type_int))
                return -EBADMSG;
        if (json_object_is_type(va, json_type_int))
                *ret_a = json_object_get_int(va);
        else if (json_object_is_type(va, json_type_string)) {
                /* vmunit's iothreads are the objects "iothread1".."iothreadN" (qemu-argv-devices.c) */
                const char *s = startswith(json_object_get_string(va), "iothread");
                char *end;
                unsigned long v = s && *s >= '1' && *s <= '9' ? strtoul(s, &end, 10) : 0;
                *ret_a = v > 0 && v <= INT32_MAX && !*end ? (int) v : -1;
        } else
                return -EBADMSG;
        *ret_b = json_object_get_int(vb);
        return *ret_b > 0 ? 0 : -EBADMSG;
}

int cpu_pin_threads(const VmDef *def, json_object *cpus, json_object *iothreads, const CpuSet *all,
                    CpuPinThread **ret) {
        _cleanup_free_ CpuPinThread *threads = NULL;
        size_t n_cpus, n_io, n = 0;
        int r;

        if (!json_object_is_type(cpus, json_type_array) ||
            (iothreads && !json_object_is_type(iothreads, json_type_array)))
                return -EBADMSG;
        n_cpus = json_object_array_length(cpus);
        n_io = iothreads ? json_object_array_length(iothreads) : 0;
        threads = new0(CpuPinThread, n_cpus + n_io);
        if (!threads)
                return -ENOMEM;

        for (size_t i = 0; i < n_cpus; i++) {
                int index, tid;
                const CpuSet *s;

                r = list_pairs(cpus, "cpu-index", "thread-id", i, &index, &tid);
                if (r < 0 || index < 0)
                        return -EBADMSG;
                s = cpu_pin_vcpu(def, (unsigned) index);
                threads[n++] = (CpuPinThread) { .tid = tid, .kind = CPU_PIN_VCPU, .id = (unsigned) index,
                                                .cpus = s ?: all };
        }
        for (size_t i = 0; i < n_io; i++) {
                int id, tid;
                const CpuSet *s;

                r = list_pairs(iothreads, "id", "thread-id", i, &id, &tid);
                if (r < 0)
                        return r;
                if (id < 0)
                        continue;       /* not ours: it stays with the emulator */
                s = cpu_pin_iothread(def, (unsigned) id);
                threads[n++] = (CpuPinThread) { .tid = tid, .kind = CPU_PIN_IOTHREAD, .id = (unsigned) id,
                                                .cpus = s ?: all };
        }
        *ret = TAKE_PTR(threads);
        return (int) n;
}
