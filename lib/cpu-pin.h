/*
 * Host CPU pinning of a VM's threads, as libvirt's QEMU driver does it: which host CPUs each
 * vCPU, iothread and emulator thread may run on (<vcpupin>, <iothreadpin>, <emulatorpin>, with
 * <vcpu cpuset> as the default of all three), checked against the host before QEMU starts and
 * matched to QEMU's thread ids from QMP afterwards. The supervisor (supervisor/vm-pin.c) does
 * the reading of /proc and the sched_setaffinity() calls; this file decides.
 */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "model.h"

/* Whether @def asks for any pinning. Without it QEMU keeps the affinity it inherits. */
bool cpu_pin_wanted(const VmDef *def) _pure_;

/* The CPUs of one kind of thread: its own pin, else <vcpu cpuset>, else NULL (all that are allowed). */
const CpuSet *cpu_pin_vcpu(const VmDef *def, unsigned vcpu) _pure_;
const CpuSet *cpu_pin_iothread(const VmDef *def, unsigned iothread) _pure_;
const CpuSet *cpu_pin_emulator(const VmDef *def) _pure_;

/* The host CPUs a VM may be pinned to: the online ones (@sys_root/devices/system/cpu/online,
 * @sys_root normally "/sys") that the cgroup cpuset controller leaves to the parent of
 * @own_cgroup (the slice QEMU's scope is created in; the path as /proc/self/cgroup has it after
 * "0::"). The nearest cgroup up the tree with a cpuset.cpus.effective counts; none at all means
 * no cgroup limit. Returns 0, or -errno if the online list cannot be read or parsed. */
int cpu_pin_host_allowed(const char *sys_root, const char *own_cgroup, CpuSet *ret);

/* A set of @def naming host CPUs outside @allowed. */
typedef struct CpuPinProblem {
        unsigned line;                  /* of the element in the domain XML */
        char element[64];               /* "<cputune><vcpupin vcpu='1'>", "<vcpu cpuset>", ... */
        CpuSet outside;                 /* the CPUs it names that are not allowed */
} CpuPinProblem;

/* Checks every cpuset of @def against @allowed. Returns 0 if all are within it, -ENXIO with the
 * first offender in *@ret otherwise. */
int cpu_pin_check(const VmDef *def, const CpuSet *allowed, CpuPinProblem *ret);

typedef enum CpuPinKind {
        CPU_PIN_VCPU,
        CPU_PIN_IOTHREAD,
        CPU_PIN_EMULATOR,
        _CPU_PIN_KIND_MAX,
        _CPU_PIN_KIND_INVALID = -EINVAL,
} CpuPinKind;

typedef struct CpuPinThread {
        pid_t tid;
        CpuPinKind kind;
        unsigned id;                    /* vCPU index or iothread id; 0 for the emulator */
        const CpuSet *cpus;             /* points into the VmDef or at the caller's "all allowed" set */
} CpuPinThread;

/* The vCPU and iothread threads with their sets, from the results ("return" members) of QMP's
 * query-cpus-fast and query-iothreads (@iothreads may be NULL when the VM has none). A thread
 * without a set of its own gets @all. Iothreads are vmunit's "iothreadN" objects; others (none
 * are created by vmunit) count as the emulator's. Returns the number of threads (and the array in
 * *@ret, to free()), -EBADMSG for a reply without the expected members, -ENOMEM. */
int cpu_pin_threads(const VmDef *def, json_object *cpus, json_object *iothreads, const CpuSet *all,
                    CpuPinThread **ret);

DECLARE_STRING_TABLE_LOOKUP(cpu_pin_kind, CpuPinKind);
