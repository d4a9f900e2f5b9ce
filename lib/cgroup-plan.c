/*
 * Device ACL and resource limits for the VM's scope: see cgroup-plan.h.
 */
#include <string.h>

#include "cgroup-plan.h"

const char * const cgroup_device_acl_default[] = {
        "/dev/null", "/dev/full", "/dev/zero",
        "/dev/random", "/dev/urandom",
        "/dev/ptmx", "/dev/kvm",
        "/dev/rtc", "/dev/hpet",
        "/dev/net/tun",
        NULL,
};

void cgroup_plan_done(CgroupPlan *p) {
        for (size_t i = 0; i < p->n_devices; i++)
                free(p->devices[i].path);
        free(p->devices);
        *p = (CgroupPlan) {};
}

static void perm_merge(char perm[static 4], const char *add) {
        bool r = strchr(perm, 'r') || strchr(add, 'r');
        bool w = strchr(perm, 'w') || strchr(add, 'w');
        bool m = strchr(perm, 'm') || strchr(add, 'm');
        char *p = perm;

        if (r)
                *p++ = 'r';
        if (w)
                *p++ = 'w';
        if (m)
                *p++ = 'm';
        *p = 0;
}

static int plan_add(CgroupPlan *p, const char *path, const char *perm) {
        CgroupDevice *d;

        if (!path || !*path)
                return 0;
        /* DeviceAllow= takes an absolute node path or a "char-"/"block-" class name. */
        if (path[0] != '/' && !startswith(path, "char-") && !startswith(path, "block-"))
                return -EINVAL;
        if (strstr(path, "/../") || strstr(path, "/./"))
                return -EINVAL;

        for (size_t i = 0; i < p->n_devices; i++)
                if (streq(p->devices[i].path, path)) {
                        perm_merge(p->devices[i].perm, perm);
                        return 0;
                }

        d = realloc(p->devices, sizeof(CgroupDevice) * (p->n_devices + 1));
        if (!d)
                return -ENOMEM;
        p->devices = d;
        d = &p->devices[p->n_devices];
        *d = (CgroupDevice) {};
        d->path = strdup(path);
        if (!d->path)
                return -ENOMEM;
        perm_merge(d->perm, perm);
        p->n_devices++;
        return 0;
}

static bool disk_source_is_device(const VmDiskSource *s) {
        if (!s->path)
                return false;
        if (s->type == VM_DISK_TYPE_BLOCK)
                return true;
        /* <disk type='file'> naming a node: QEMU opens it all the same. */
        return s->type == VM_DISK_TYPE_FILE && startswith(s->path, "/dev/");
}

static int plan_add_disks(CgroupPlan *p, const VmDef *def) {
        int r;

        for (unsigned i = 0; i < def->n_disks; i++) {
                const VmDisk *d = &def->disks[i];
                bool top = true;

                for (const VmDiskSource *s = &d->src; s; s = s->backing, top = false) {
                        if (!disk_source_is_device(s))
                                continue;
                        /* Backing images are only ever read. */
                        r = plan_add(p, s->path, top && !d->readonly ? "rw" : "r");
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int plan_add_chardevs(CgroupPlan *p, const VmDef *def) {
        int r;

        for (unsigned i = 0; i < def->n_chars; i++) {
                const VmCharSource *s = &def->chars[i].src;

                if (!s->type || !streq(s->type, "dev"))
                        continue;
                r = plan_add(p, s->path, "rw");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_add_misc(CgroupPlan *p, const VmDef *def) {
        int r;

        for (unsigned i = 0; i < def->n_rngs; i++) {
                const VmRng *rng = &def->rngs[i];
                if (!rng->backend_model || !streq(rng->backend_model, "random"))
                        continue;
                r = plan_add(p, rng->backend_path ?: "/dev/urandom", "rw");
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_tpms; i++) {
                const VmTpm *t = &def->tpms[i];
                if (!t->backend_type || !streq(t->backend_type, "passthrough"))
                        continue;
                r = plan_add(p, t->backend_path ?: "/dev/tpm0", "rw");
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_inputs; i++) {
                const VmInput *in = &def->inputs[i];
                if (!in->source_evdev)
                        continue;
                r = plan_add(p, in->source_evdev, "rw");
                if (r < 0)
                        return r;
        }
        /* NEEDSWORK: <hostdev> (VFIO group nodes, USB and SCSI generic nodes) needs sysfs
         * lookups; it belongs to the host-device code, which then hands us the node paths. */
        return 0;
}

static void plan_limits(CgroupPlan *p, const VmDef *def) {
        const VmTune *t = &def->tune;

        p->memory_max = t->hard_limit_kib ? t->hard_limit_kib * 1024U : CGROUP_LIMIT_UNSET;
        p->memory_high = t->soft_limit_kib ? t->soft_limit_kib * 1024U : CGROUP_LIMIT_UNSET;
        /* cgroup v1's memsw limit counted memory plus swap; v2's memory.swap.max is swap alone. */
        p->memory_swap_max = CGROUP_LIMIT_UNSET;
        if (t->swap_hard_limit_kib) {
                uint64_t mem = t->hard_limit_kib;
                p->memory_swap_max = t->swap_hard_limit_kib > mem ? (t->swap_hard_limit_kib - mem) * 1024U : 0;
        }

        /* As libvirt does on cgroup v2: <shares> is used as the weight, clamped to its range. */
        p->cpu_weight = t->cpu_shares ? MIN(MAX(t->cpu_shares, (uint64_t) 1), (uint64_t) 10000) : 0;
        p->cpu_quota_per_sec_usec = CGROUP_LIMIT_UNSET;
        p->cpu_quota_period_usec = 0;
        if (t->cpu_quota > 0 && t->cpu_quota < (uint64_t) INT64_MAX) {
                uint64_t period = t->cpu_period ?: 100000U;
                p->cpu_quota_per_sec_usec = t->cpu_quota * 1000000U / period;
                if (t->cpu_period)
                        p->cpu_quota_period_usec = t->cpu_period;
        }
        p->io_weight = t->blkio_weight ? MIN(MAX((uint64_t) t->blkio_weight, (uint64_t) 1), (uint64_t) 10000) : 0;
        p->tasks_max = CGROUP_LIMIT_UNSET;
}

int cgroup_plan_build(const VmDef *def, const char * const *acl, CgroupPlan *ret) {
        CgroupPlan p = {};
        int r;

        for (const char * const *a = acl ?: cgroup_device_acl_default; *a; a++) {
                r = plan_add(&p, *a, "rw");
                if (r < 0)
                        goto fail;
        }
        /* pty masters come from /dev/ptmx, the slaves are char-pts (major 136+). */
        r = plan_add(&p, "char-pts", "rw");
        if (r < 0)
                goto fail;
        r = plan_add_disks(&p, def);
        if (r < 0)
                goto fail;
        r = plan_add_chardevs(&p, def);
        if (r < 0)
                goto fail;
        r = plan_add_misc(&p, def);
        if (r < 0)
                goto fail;

        plan_limits(&p, def);
        *ret = p;
        return 0;

fail:
        cgroup_plan_done(&p);
        return r;
}
