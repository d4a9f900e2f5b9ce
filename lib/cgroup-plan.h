/*
 * What the VM's scope unit should enforce, computed from the domain: the device ACL
 * (DevicePolicy=closed plus DeviceAllow=) and the resource limits from <memtune>, <cputune> and
 * <blkiotune>. Pure: no stat(), no D-Bus; the supervisor turns a CgroupPlan into unit properties.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define CGROUP_LIMIT_UNSET UINT64_MAX

typedef struct CgroupDevice {
        char *path;                     /* /dev/... node, or a systemd class such as "char-pts" */
        char perm[4];                   /* "r", "rw" (sorted "rwm" subset, as DeviceAllow= takes it) */
} CgroupDevice;

typedef struct CgroupPlan {
        CgroupDevice *devices;          /* in first-seen order, one entry per path */
        size_t n_devices;
        uint64_t memory_max;            /* bytes, CGROUP_LIMIT_UNSET if not set: <hard_limit> */
        uint64_t memory_high;           /* bytes: <soft_limit> */
        uint64_t memory_swap_max;       /* bytes of swap alone: <swap_hard_limit> minus <hard_limit> */
        uint64_t cpu_weight;            /* 1..10000, 0 = unset: <cputune><shares> */
        uint64_t cpu_quota_per_sec_usec;/* CGROUP_LIMIT_UNSET = unset: <quota>/<period> */
        uint64_t cpu_quota_period_usec; /* 0 = unset */
        uint64_t io_weight;             /* 1..10000, 0 = unset: <blkiotune><weight> */
        uint64_t tasks_max;             /* CGROUP_LIMIT_UNSET = unset; the caller's (vmunit.conf max_processes) */
} CgroupPlan;

/* The device nodes every QEMU may open (libvirt's cgroup_device_acl default), used when the
 * configuration gives no list of its own. NULL-terminated. */
extern const char * const cgroup_device_acl_default[];

/* Builds the plan for @def. @acl replaces the default seed list when non-NULL (vmunit.conf's
 * cgroup_device_acl=). Adds the pty class, block devices backing disks (and their backing
 * chains; a file= path under /dev/ counts too, read-only for read-only disks), host character
 * devices of serial/parallel/console/channel, the RNG backend, TPM passthrough, and evdev
 * inputs. Returns 0, -EINVAL for a relative device path, or -ENOMEM. */
int cgroup_plan_build(const VmDef *def, const char * const *acl, CgroupPlan *ret);
void cgroup_plan_done(CgroupPlan *p);
