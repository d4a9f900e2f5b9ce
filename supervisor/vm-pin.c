/*
 * Host CPU pinning of QEMU's threads (<vcpupin>, <emulatorpin>, <iothreadpin>, <vcpu cpuset>):
 * checked against the host's CPUs before QEMU is spawned, applied with sched_setaffinity() while
 * the vCPUs are still paused. What goes where is lib/cpu-pin.c; this file reads /proc and /sys
 * and makes the calls. The supervisor needs CAP_SYS_NICE for it (QEMU runs as another user).
 *
 * Per-thread affinity rather than the scope's AllowedCPUs=: vCPUs and iothreads must each get
 * their own set, which a cgroup of the whole process cannot express, and the cgroup of a VM
 * stays a limit that the sets are checked against.
 */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>

#include "cpu-pin.h"
#include "fs-util.h"
#include "log.h"
#include "vm.h"

#define QMP_PIN_TIMEOUT_USEC (10ULL * 1000000ULL)
/* Rounds of /proc/PID/task listing: threads that appear while we pin are pinned in the next. */
#define TASK_ROUNDS_MAX 8

/* Our own cgroup (v2) as /proc/self/cgroup names it, "/machine.slice/vm@x.service"; NULL if unknown. */
static char *own_cgroup(void) {
        _cleanup_free_ char *text = NULL;
        const char *p;
        size_t len;

        if (read_file_full("/proc/self/cgroup", 64 * 1024, &text, &len) < 0)
                return NULL;
        p = startswith(text, "0::") ?: strstr(text, "\n0::");
        if (!p)
                return NULL;
        p = strchr(p, ':') + 2;
        return strndup(p, strcspn(p, "\n"));
}

static int host_allowed(CpuSet *ret) {
        _cleanup_free_ char *cg = own_cgroup();
        int r;

        r = cpu_pin_host_allowed("/sys", cg, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's online CPUs: %m");
        return 0;
}

int vm_pin_check(Vm *vm) {
        _cleanup_free_ char *outside = NULL, *have = NULL;
        CpuPinProblem problem;
        CpuSet allowed;
        int r;

        if (!cpu_pin_wanted(vm->def))
                return 0;
        r = host_allowed(&allowed);
        if (r < 0)
                return r;
        r = cpu_pin_check(vm->def, &allowed, &problem);
        if (r >= 0)
                return 0;
        if (cpuset_format(&problem.outside, &outside) < 0 || cpuset_format(&allowed, &have) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG,
                              "%s:%u: %s: host CPU %s is not online or not available to VMs; this host has "
                              "CPUs %s.", vm->domain_path, problem.line, problem.element, outside, have);
}

static int set_affinity(pid_t tid, const CpuSet *set) {
        size_t size = CPU_ALLOC_SIZE(CPUSET_BITS);
        cpu_set_t *mask;
        int r = 0;

        mask = CPU_ALLOC(CPUSET_BITS);
        if (!mask)
                return -ENOMEM;
        CPU_ZERO_S(size, mask);
        for (unsigned i = 0; i < cpuset_size(set); i++)
                if (cpuset_isset(set, i))
                        CPU_SET_S(i, size, mask);
        if (sched_setaffinity(tid, size, mask) < 0)
                r = -errno;
        CPU_FREE(mask);
        return r;
}

static int pin_one(Vm *vm, pid_t tid, CpuPinKind kind, unsigned id, const CpuSet *set) {
        _cleanup_free_ char *list = NULL;
        int r;

        r = set_affinity(tid, set);
        if (r == -ESRCH)
                return 0;               /* a thread that ended meanwhile */
        if (r < 0)
                return log_error_errno(r, "Failed to pin QEMU's %s %u thread %d: %m", cpu_pin_kind_to_string(kind),
                                       id, (int) tid);
        if (cpuset_format(set, &list) >= 0)
                log_debug("Pinned %s %u (thread %d) to host CPUs %s.", cpu_pin_kind_to_string(kind), id, (int) tid,
                          list);
        return 0;
}

static bool tid_known(const CpuPinThread *threads, size_t n, pid_t tid) {
        for (size_t i = 0; i < n; i++)
                if (threads[i].tid == tid)
                        return true;
        return false;
}

/* Every thread of QEMU that is neither a vCPU nor an iothread gets @set, until a listing of
 * /proc/PID/task shows no thread we have not pinned yet. */
static int pin_emulator_threads(Vm *vm, CpuPinThread **threads, size_t *n, const CpuSet *set) {
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) vm->pid);
        for (unsigned round = 0; round < TASK_ROUNDS_MAX; round++) {
                _cleanup_(closedirp) DIR *d = opendir(path);
                bool found = false;

                if (!d)
                        return log_error_errno(-errno, "Failed to list QEMU's threads in '%s': %m", path);
                for (struct dirent *de; (de = readdir(d)); ) {
                        pid_t tid = (pid_t) strtol(de->d_name, NULL, 10);
                        CpuPinThread *t;

                        if (tid <= 0 || tid_known(*threads, *n, tid))
                                continue;
                        r = pin_one(vm, tid, CPU_PIN_EMULATOR, 0, set);
                        if (r < 0)
                                return r;
                        t = realloc(*threads, sizeof(CpuPinThread) * (*n + 1));
                        if (!t)
                                return log_error_errno(-ENOMEM, "Out of memory.");
                        *threads = t;
                        t[(*n)++] = (CpuPinThread) { .tid = tid, .kind = CPU_PIN_EMULATOR, .cpus = set };
                        found = true;
                }
                if (!found)
                        return 0;
        }
        log_warning("QEMU keeps starting threads; some may run on any host CPU.");
        return 0;
}

int vm_pin_apply(Vm *vm) {
        _cleanup_(json_object_putp) json_object *cpus = NULL, *iothreads = NULL;
        _cleanup_free_ CpuPinThread *threads = NULL;
        _cleanup_free_ char *desc = NULL;
        const CpuSet *emulator;
        CpuSet all;
        size_t n;
        int r;

        if (!cpu_pin_wanted(vm->def))
                return 0;
        r = host_allowed(&all);
        if (r < 0)
                return r;
        r = qmp_execute(vm->qmp, "query-cpus-fast", NULL, QMP_PIN_TIMEOUT_USEC, &cpus, &desc);
        if (r < 0)
                return log_error_errno(r, "QMP 'query-cpus-fast' failed: %s", desc ?: "%m");
        if (vm->def->iothreads > 0) {
                r = qmp_execute(vm->qmp, "query-iothreads", NULL, QMP_PIN_TIMEOUT_USEC, &iothreads, &desc);
                if (r < 0)
                        return log_error_errno(r, "QMP 'query-iothreads' failed: %s", desc ?: "%m");
        }
        r = cpu_pin_threads(vm->def, cpus, iothreads, &all, &threads);
        if (r < 0)
                return log_error_errno(r, "QEMU's thread ids in the QMP replies are unusable: %m");
        n = (size_t) r;

        /* The main thread first: threads QEMU starts from now on inherit its set. */
        emulator = cpu_pin_emulator(vm->def) ?: &all;
        if (!tid_known(threads, n, vm->pid)) {
                r = pin_one(vm, vm->pid, CPU_PIN_EMULATOR, 0, emulator);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                r = pin_one(vm, threads[i].tid, threads[i].kind, threads[i].id, threads[i].cpus);
                if (r < 0)
                        return r;
        }
        r = pin_emulator_threads(vm, &threads, &n, emulator);
        if (r < 0)
                return r;
        log_info("Pinned QEMU's %zu threads to host CPUs as <cputune> and <vcpu cpuset> say.", n);
        return 0;
}
