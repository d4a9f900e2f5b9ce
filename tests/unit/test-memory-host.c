/*
 * Per-node huge pages, the <idmap> warning and the start-up checks of what guest memory needs from the
 * host (lib/memory-host.c): a hugetlbfs of each page size, /dev/sgx_vepc, restrictive numatune.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domxml-write.h"
#include "domxml.h"
#include "memory-host.h"
#include "strv.h"
#include "test-util.h"

static const char per_node_xml[] =
        "<domain type='qemu'>\n"
        "  <name>pages</name>\n"
        "  <uuid>5b1f7c2e-8d3a-4e6b-a1c9-27f4e0d3b816</uuid>\n"
        "  <memory unit='MiB'>3072</memory>\n"
        "  <memoryBacking>\n"
        "    <hugepages>\n"
        "      <page size='1' unit='GiB' nodeset='0,2'/>\n"
        "      <page size='4' unit='KiB'/>\n"
        "    </hugepages>\n"
        "  </memoryBacking>\n"
        "  <vcpu>3</vcpu>\n"
        "  <idmap>\n"
        "    <uid start='0' target='1000' count='10'/>\n"
        "  </idmap>\n"
        "  <cpu><numa>\n"
        "    <cell id='0' cpus='0' memory='1' unit='GiB'/>\n"
        "    <cell id='1' cpus='1' memory='1' unit='GiB'/>\n"
        "    <cell id='2' cpus='2' memory='1' unit='GiB'/>\n"
        "  </numa></cpu>\n"
        "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
        "</domain>\n";

static VmDef *parse(const char *xml, char ***ret_warnings) {
        VmDef *def = NULL;
        char *error = NULL, **warnings = NULL;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "mem.xml", 0, &def, &error, &warnings), 0, "%s",
                     strempty(error));
        if (ret_warnings)
                *ret_warnings = warnings;
        else
                strv_free(warnings);
        return def;
}

/* Each cell gets its <page nodeset=>'s size, the others the unsized default; 4 KiB pages are none. */
Test(memory_host, per_node_pages_and_idmap_warning) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
        _cleanup_free_ char *xml = NULL, *error = NULL;
        char **warnings = NULL;

        def = parse(per_node_xml, &warnings);
        cr_assert_eq(strv_length(warnings), 1);
        cr_assert(strstr(warnings[0], "mem.xml:12: <idmap>: user and group ID maps are for containers"), "%s",
                  warnings[0]);
        strv_free(warnings);
        cr_assert_eq(qemu_cell_hugepage_kib(def, 0), 1024 * 1024);
        cr_assert_eq(qemu_cell_hugepage_kib(def, 1), 0);
        cr_assert_eq(qemu_cell_hugepage_kib(def, 2), 1024 * 1024);

        /* written back as read */
        cr_assert_eq(domxml_write(def, &xml, &error), 0, "%s", strempty(error));
        back = parse(xml, NULL);
        cr_assert_eq(back->mem.n_pages, 1);
        cr_assert_str_eq(back->mem.pages[0].nodeset, "0,2");
        cr_assert_eq(back->mem.pages[0].size_kib, 1024 * 1024);
        cr_assert_eq(back->mem.hugepage_size_kib, 4);
        test_assert_no_leaks();
}

Test(memory_host, hugetlbfs_paths) {
        QemuBuildOptions o = { .hugetlbfs_mount = "/mnt/huge" };
        char buf[64];

        qemu_hugetlbfs_dir(&o, 2048, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/mnt/huge");
        qemu_hugetlbfs_dir(&o, 0, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/mnt/huge");
        qemu_hugetlbfs_dir(&o, 1024 * 1024, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/mnt/huge1G");
        qemu_hugetlbfs_dir(&o, 16 * 1024, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/mnt/huge16M");
        o.hugetlbfs_mount = NULL;
        qemu_hugetlbfs_dir(&o, 64, buf, sizeof(buf));
        cr_assert_str_eq(buf, "/dev/hugepages64K");
}

/* A directory that is no hugetlbfs (or none of that page size) is refused, naming the line and path. */
Test(memory_host, missing_hugetlbfs_refused) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL, *want = NULL;
        char dir[] = "/tmp/vmunit-test-memhost-XXXXXX";

        int r;

        def = parse(per_node_xml, NULL);
        cr_assert(mkdtemp(dir));
        r = memory_host_check(def, &(QemuBuildOptions) { .hugetlbfs_mount = dir }, &error);
        cr_assert_eq(rmdir(dir), 0);            /* first: a failed assertion ends the test */
        cr_assert_eq(r, -ENOENT);
        cr_assert(asprintf(&want, "7: <memoryBacking><hugepages>: 1048576 KiB huge pages need a hugetlbfs mounted "
                           "with that page size at '%s1G'", dir) >= 0);
        cr_assert(strstr(error, want), "%s", error);
        test_assert_no_leaks();
}

/* Restrictive numatune converts (no QEMU memory policy), but the supervisor cannot restrict the cgroup
 * yet and says so at start. */
Test(memory_host, restrictive_refused_at_start) {
        static const char xml[] =
                "<domain type='qemu'>\n"
                "  <name>r</name>\n"
                "  <memory unit='MiB'>512</memory>\n"
                "  <numatune>\n"
                "    <memory mode='restrictive' nodeset='0-1'/>\n"
                "  </numatune>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "</domain>\n";
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;

        def = parse(xml, NULL);
        cr_assert_eq(memory_host_check(def, &(QemuBuildOptions) {}, &error), -EOPNOTSUPP);
        cr_assert(strstr(error, "5: <numatune><memory mode='restrictive'>: vmunit cannot restrict the VM's cgroup "
                             "to host nodes '0-1' yet"), "%s", error);
        test_assert_no_leaks();
}
