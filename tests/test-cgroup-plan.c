/*
 * Device ACL and resource limits computed for a VM's scope (lib/cgroup-plan.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cgroup-plan.h"
#include "domxml.h"

static VmDef *parse(const char *devices, const char *extra) {
        char *xml = NULL, *err = NULL;
        VmDef *def = NULL;

        cr_assert_gt(asprintf(&xml,
                "<domain type='qemu'><name>t</name><memory unit='MiB'>128</memory>%s"
                "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices></domain>",
                extra, devices), 0);
        int r = domxml_parse_memory(xml, strlen(xml), "test.xml", 0, &def, &err, NULL);
        cr_assert_eq(r, 0, "parse failed: %s", err ?: "?");
        free(xml);
        return def;
}

static const char *perm_of(const CgroupPlan *p, const char *path) {
        for (size_t i = 0; i < p->n_devices; i++)
                if (streq(p->devices[i].path, path))
                        return p->devices[i].perm;
        return NULL;
}

Test(cgroup_plan, seed_list) {
        _cleanup_(vm_def_freep) VmDef *def = parse("", "");
        CgroupPlan p;

        cr_assert_eq(cgroup_plan_build(def, NULL, &p), 0);
        for (const char * const *d = cgroup_device_acl_default; *d; d++)
                cr_assert_str_eq(strempty(perm_of(&p, *d)), "rw", "%s missing", *d);
        cr_assert_str_eq(strempty(perm_of(&p, "char-pts")), "rw");
        cr_assert_eq(p.n_devices, 11);  /* 10 seed nodes + char-pts, nothing else */
        cr_assert_eq(p.memory_max, CGROUP_LIMIT_UNSET);
        cr_assert_eq(p.cpu_weight, 0);
        cr_assert_eq(p.cpu_quota_per_sec_usec, CGROUP_LIMIT_UNSET);
        cgroup_plan_done(&p);
}

Test(cgroup_plan, block_disks) {
        _cleanup_(vm_def_freep) VmDef *def = parse(
                "<disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vda' bus='virtio'/></disk>"
                "<disk type='block' device='disk'><source dev='/dev/mapper/ro'/><target dev='vdb' bus='virtio'/>"
                "<readonly/></disk>"
                "<disk type='file' device='disk'><source file='/var/lib/img.raw'/><target dev='vdc' bus='virtio'/></disk>"
                "<disk type='file' device='disk'><source file='/dev/loop9'/><target dev='vdd' bus='virtio'/></disk>"
                "<disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vde' bus='virtio'/>"
                "<readonly/></disk>", "");
        CgroupPlan p;

        cr_assert_eq(cgroup_plan_build(def, NULL, &p), 0);
        cr_assert_str_eq(strempty(perm_of(&p, "/dev/sdz")), "rw");      /* rw wins over the r of vde */
        cr_assert_str_eq(strempty(perm_of(&p, "/dev/mapper/ro")), "r");
        cr_assert_str_eq(strempty(perm_of(&p, "/dev/loop9")), "rw");
        cr_assert_null(perm_of(&p, "/var/lib/img.raw"));
        cr_assert_eq(p.n_devices, 14);
        cgroup_plan_done(&p);
}

Test(cgroup_plan, chardev_rng) {
        _cleanup_(vm_def_freep) VmDef *def = parse(
                "<serial type='dev'><source path='/dev/ttyS1'/><target port='0'/></serial>"
                "<serial type='pty'><target port='1'/></serial>"
                "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>", "");
        CgroupPlan p;

        cr_assert_eq(cgroup_plan_build(def, NULL, &p), 0);
        cr_assert_str_eq(strempty(perm_of(&p, "/dev/ttyS1")), "rw");
        cr_assert_str_eq(strempty(perm_of(&p, "/dev/hwrng")), "rw");
        cgroup_plan_done(&p);
}

Test(cgroup_plan, custom_acl_replaces_seed) {
        _cleanup_(vm_def_freep) VmDef *def = parse("", "");
        static const char * const acl[] = { "/dev/null", "/dev/kvm", NULL };
        static const char * const bad[] = { "dev/null", NULL };
        static const char * const dots[] = { "/dev/../etc/shadow", NULL };
        CgroupPlan p;

        cr_assert_eq(cgroup_plan_build(def, acl, &p), 0);
        cr_assert_eq(p.n_devices, 3);
        cr_assert_null(perm_of(&p, "/dev/hpet"));
        cgroup_plan_done(&p);

        cr_assert_eq(cgroup_plan_build(def, bad, &p), -EINVAL);
        cr_assert_eq(cgroup_plan_build(def, dots, &p), -EINVAL);
}

Test(cgroup_plan, limits) {
        _cleanup_(vm_def_freep) VmDef *def = parse("",
                "<memtune><hard_limit unit='MiB'>1024</hard_limit><soft_limit unit='MiB'>512</soft_limit>"
                "<swap_hard_limit unit='MiB'>1536</swap_hard_limit></memtune>"
                "<cputune><shares>2048</shares><period>50000</period><quota>25000</quota></cputune>");
        CgroupPlan p;

        def->tune.blkio_weight = 500;   /* the parser does not take <blkiotune> yet */

        cr_assert_eq(cgroup_plan_build(def, NULL, &p), 0);
        cr_assert_eq(p.memory_max, 1024ULL << 20);
        cr_assert_eq(p.memory_high, 512ULL << 20);
        cr_assert_eq(p.memory_swap_max, 512ULL << 20);
        cr_assert_eq(p.cpu_weight, 2048);
        cr_assert_eq(p.cpu_quota_per_sec_usec, 500000);   /* half a CPU */
        cr_assert_eq(p.cpu_quota_period_usec, 50000);
        cr_assert_eq(p.io_weight, 500);
        cgroup_plan_done(&p);
}
