/*
 * The host side of guest memory, checked at start: a huge page backend on a hugetlbfs of another page
 * size would give the guest other pages without a word, and a missing mount or /dev/sgx_vepc would only
 * show up as a QEMU error.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "macro.h"
#include "cpuset.h"
#include "memory-host.h"

static int check_hugetlbfs(const QemuBuildOptions *opts, uint64_t page_kib, unsigned line, const char *element,
                           char **ret_error) {
        char dir[PATH_MAX];
        struct statfs sf;

        qemu_hugetlbfs_dir(opts, page_kib, dir, sizeof(dir));
        if (statfs(dir, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC && (uint64_t) sf.f_bsize == page_kib * 1024)
                return 0;
        if (asprintf(ret_error, "%u: %s: %" PRIu64 " KiB huge pages need a hugetlbfs mounted with that page "
                     "size at '%s' (vmunit.conf's hugetlbfs_mount holds the 2 MiB pages; another size, that path "
                     "with the size appended, such as 1G)", line, element, page_kib, dir) < 0)
                return -ENOMEM;
        return -ENOENT;
}

/* The line of the <page> that gives guest NUMA @cell its pages. */
static unsigned page_line(const VmDef *def, int cell) {
        CpuSet set;

        for (unsigned i = 0; i < def->mem.n_pages; i++)
                if (cpuset_parse(def->mem.pages[i].nodeset, CPUSET_NODES_MAX, &set) >= 0 &&
                    cpuset_isset(&set, (unsigned) MAX(cell, 0)))
                        return def->mem.pages[i].line;
        return def->mem.hugepages_line;
}

int memory_host_hugepage_uses(const VmDef *def, MemoryHugepageUse **ret, unsigned *ret_n) {
        unsigned n = 0, max = def->cpu.n_cells + 1 + def->n_memory_devices;
        MemoryHugepageUse *u = calloc(max, sizeof(*u));

        if (!u)
                return -ENOMEM;
        for (int cell = def->cpu.n_cells > 0 ? 0 : -1; cell < (int) def->cpu.n_cells || cell < 0; cell++) {
                uint64_t page = qemu_cell_hugepage_kib(def, cell);
                if (page && !streq_ptr(def->mem.source_type, "memfd"))
                        u[n++] = (MemoryHugepageUse) { page, page_line(def, cell), "<memoryBacking><hugepages>" };
                if (cell < 0)
                        break;
        }
        for (unsigned i = 0; i < def->n_memory_devices; i++) {
                const VmMemoryDevice *m = &def->memory_devices[i];
                uint64_t page = qemu_memory_device_hugepage_kib(def, m);
                if (page)
                        u[n++] = (MemoryHugepageUse) { page, m->line, "<memory>" };
        }
        *ret = u;
        *ret_n = n;
        return 0;
}

int memory_host_check(const VmDef *def, const QemuBuildOptions *opts, char **ret_error) {
        _cleanup_free_ MemoryHugepageUse *uses = NULL;
        unsigned n;
        int r;

        r = memory_host_hugepage_uses(def, &uses, &n);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                r = check_hugetlbfs(opts, uses[i].kib, uses[i].line, uses[i].element, ret_error);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < def->n_memory_devices; i++) {
                const VmMemoryDevice *m = &def->memory_devices[i];
                if (streq(m->model, "sgx-epc") && access("/dev/sgx_vepc", R_OK | W_OK) < 0) {
                        r = -errno;
                        if (asprintf(ret_error, "%u: <memory model='sgx-epc'>: the host gives no SGX EPC to guests "
                                     "(/dev/sgx_vepc: %s)", m->line, strerror(-r)) < 0)
                                return -ENOMEM;
                        return r;
                }
        }
        /* restrictive leaves QEMU's memory policy alone and restricts the VM's cgroup, which the
         * supervisor does not do yet: refused rather than ignored */
        if (streq_ptr(def->numatune.mode, "restrictive")) {
                if (asprintf(ret_error, "%u: <numatune><memory mode='restrictive'>: vmunit cannot restrict the VM's "
                             "cgroup to host nodes '%s' yet; use mode='strict'", def->numatune.line,
                             strempty(def->numatune.nodeset)) < 0)
                        return -ENOMEM;
                return -EOPNOTSUPP;
        }
        return 0;
}
