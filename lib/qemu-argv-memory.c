/*
 * Guest memory: -m, the RAM backends (pc.ram or one per guest NUMA cell) with their backing
 * (anonymous, file, memfd, huge pages), host NUMA policy from <numatune>, -numa, and the
 * memory devices (pc-dimm, nvdimm, virtio-pmem, virtio-mem).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "qemu-argv-internal.h"

/* Where huge pages are mounted unless vmunit.conf's hugetlbfs_mount says otherwise; the supervisor
 * creates NAME's directory below it. */
#define HUGEPAGES_DIR "/dev/hugepages"
#define HUGEPAGE_DEFAULT_KIB 2048

static uint64_t round_mib(uint64_t kib) {
        return (kib + 1023) / 1024;
}

void qemu_hugetlbfs_dir(const QemuBuildOptions *opts, uint64_t size_kib, char *buf, size_t size) {
        const char *mount = opts->hugetlbfs_mount ?: HUGEPAGES_DIR;

        if (size_kib == 0 || size_kib == HUGEPAGE_DEFAULT_KIB)
                snprintf(buf, size, "%s", mount);
        else if (size_kib % (1024 * 1024) == 0)
                snprintf(buf, size, "%s%" PRIu64 "G", mount, size_kib / (1024 * 1024));
        else if (size_kib % 1024 == 0)
                snprintf(buf, size, "%s%" PRIu64 "M", mount, size_kib / 1024);
        else
                snprintf(buf, size, "%s%" PRIu64 "K", mount, size_kib);
}

/* A page "size" of the normal 4 KiB means no huge pages; an unsized one is the default 2 MiB. */
static uint64_t huge_kib(uint64_t size_kib) {
        return size_kib == 4 ? 0 : size_kib ?: HUGEPAGE_DEFAULT_KIB;
}

uint64_t qemu_cell_hugepage_kib(const VmDef *def, int cell) {
        const VmMemoryBacking *m = &def->mem;
        CpuSet set;

        if (!m->hugepages)
                return 0;
        for (unsigned i = 0; i < m->n_pages; i++)
                if (cpuset_parse(m->pages[i].nodeset, CPUSET_NODES_MAX, &set) >= 0 &&
                    cpuset_isset(&set, (unsigned) MAX(cell, 0)))
                        return huge_kib(m->pages[i].size_kib);
        if (m->n_pages > 0 && !m->hugepage_size_kib)
                return 0;       /* only per-node pages, none for this cell */
        return huge_kib(m->hugepage_size_kib);
}

uint64_t qemu_memory_device_hugepage_kib(const VmDef *def, const VmMemoryDevice *m) {
        if (m->source_path || m->access || streq(m->model, "sgx-epc"))
                return 0;
        if (m->source_pagesize_kib)
                return huge_kib(m->source_pagesize_kib);
        /* as libvirt: the huge pages of the guest node it plugs into */
        return qemu_cell_hugepage_kib(def, m->node);
}

static void hugepage_mem_path(QemuBuild *b, Props *p, uint64_t page_kib) {
        char dir[PATH_MAX];

        qemu_hugetlbfs_dir(b->opts, page_kib, dir, sizeof(dir));
        props_strf(p, "mem-path", "%s/vmunit/%s", dir, b->def->name);
}

/* Host NUMA nodes "0-2,^1,5" -> a JSON array; -EINVAL on nonsense. */
static int nodeset_props(Props *p, const char *key, const char *nodeset) {
        CpuSet set;
        json_object *arr;
        int r;

        r = cpuset_parse(nodeset, CPUSET_NODES_MAX, &set);
        if (r < 0)
                return -EINVAL;
        arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        for (unsigned i = 0; i < cpuset_size(&set); i++)
                if (cpuset_isset(&set, i))
                        json_object_array_add(arr, json_object_new_int((int) i));
        props_obj(p, key, &(Props) { .o = arr });
        return 0;
}

static const char *numa_policy(const char *mode) {
        if (!mode || streq(mode, "strict"))
                return "bind";
        if (streq(mode, "preferred"))
                return "preferred";
        if (streq(mode, "interleave"))
                return "interleave";
        return NULL;    /* restrictive: cgroup only */
}

/* <numatune>'s host nodes for guest NUMA @cell (-1: none): its <memnode>, else <memory>. */
static void numatune_of_cell(const VmDef *def, int cell, const char **ret_mode, const char **ret_nodeset) {
        *ret_mode = def->numatune.mode;
        *ret_nodeset = def->numatune.nodeset;
        for (unsigned i = 0; cell >= 0 && i < def->numatune.n_memnodes; i++)
                if ((int) def->numatune.memnodes[i].cellid == cell) {
                        *ret_mode = def->numatune.memnodes[i].mode;
                        *ret_nodeset = def->numatune.memnodes[i].nodeset;
                }
}

/* host-nodes and policy of a memory backend; -EINVAL (recorded, @p freed) on a bad nodeset. */
static int numatune_props(QemuBuild *b, Props *p, const char *mode, const char *nodeset) {
        const VmDef *def = b->def;

        if (!nodeset || !numa_policy(mode) || (def->numatune.placement && streq(def->numatune.placement, "auto")))
                return 0;
        if (nodeset_props(p, "host-nodes", nodeset) < 0) {
                props_done(p);
                return qb_fail(b, -EINVAL, "<numatune>: invalid nodeset '%s'", nodeset);
        }
        props_str(p, "policy", numa_policy(mode));
        return 0;
}

/* The memory backend object @id of @size_kib for guest NUMA @cell (-1: the whole RAM). */
static void ram_backend(QemuBuild *b, const char *id, uint64_t size_kib, int cell) {
        const VmDef *def = b->def;
        const VmMemoryBacking *m = &def->mem;
        const VmNumaCell *c = cell >= 0 ? &def->cpu.cells[cell] : NULL;
        const char *access = (c ? c->mem_access : NULL) ?: m->access_mode;
        const char *mode, *nodeset;
        uint64_t page_kib = qemu_cell_hugepage_kib(def, cell);
        bool file = page_kib || (m->source_type && streq(m->source_type, "file")) ||
                    (access && !(m->source_type && streq(m->source_type, "memfd")));
        Props p;

        numatune_of_cell(def, cell, &mode, &nodeset);
        props_init(&p);
        if (m->source_type && streq(m->source_type, "memfd")) {
                props_str(&p, "qom-type", "memory-backend-memfd");
                props_str(&p, "id", id);
                if (page_kib) {
                        props_bool(&p, "hugetlb", true);
                        if (page_kib != HUGEPAGE_DEFAULT_KIB)
                                props_uint(&p, "hugetlbsize", page_kib * 1024);
                }
                if (access)
                        props_bool(&p, "share", streq(access, "shared"));
        } else if (file) {
                props_str(&p, "qom-type", "memory-backend-file");
                props_str(&p, "id", id);
                if (page_kib)
                        hugepage_mem_path(b, &p, page_kib);
                else
                        props_strf(&p, "mem-path", "%s/ram/%s", b->opts->state_dir, id);
                props_bool(&p, "share", access && streq(access, "shared"));
                if (cell < 0)
                        /* keep the RAM block named "pc.ram", as with the default backend (migration) */
                        props_bool(&p, "x-use-canonical-path-for-ramblock-id", false);
                if (c && c->discard == VM_TRISTATE_ON)
                        props_bool(&p, "discard-data", true);
        } else {
                props_str(&p, "qom-type", "memory-backend-ram");
                props_str(&p, "id", id);
        }
        if ((m->allocation_mode && streq(m->allocation_mode, "immediate")) || page_kib)
                props_bool(&p, "prealloc", true);
        if (m->allocation_threads)
                props_uint(&p, "prealloc-threads", m->allocation_threads);
        props_uint(&p, "size", round_mib(size_kib) * 1024 * 1024);
        if (numatune_props(b, &p, mode, nodeset) < 0)
                return;
        argv_add_props(b->a, "-object", &p);
}

void qemu_build_memory(QemuBuild *b) {
        const VmDef *def = b->def;
        uint64_t mib = 0;
        _cleanup_(qemu_opts_done) QemuOpts o = {};

        if (def->cpu.n_cells > 0)
                for (unsigned i = 0; i < def->cpu.n_cells; i++)
                        mib += round_mib(def->cpu.cells[i].memory_kib);
        else
                mib = round_mib(def->memory_kib);

        if (def->max_memory_kib > 0) {
                qemu_opts_addf(&o, "size", "%" PRIu64 "k", mib * 1024);
                qemu_opts_addf(&o, "slots", "%u", def->max_memory_slots);
                qemu_opts_addf(&o, "maxmem", "%" PRIu64 "k", def->max_memory_kib);
                argv_add_opts(b->a, "-m", &o);
        } else {
                argv_add(b->a, "-m");
                argv_addf(b->a, "%" PRIu64, mib);
        }
        if (def->cpu.n_cells == 0)
                ram_backend(b, "pc.ram", mib * 1024, -1);
        argv_add(b->a, "-overcommit");
        argv_add(b->a, def->mem.locked ? "mem-lock=on" : "mem-lock=off");
}

/* Machine types before 5.1 still take "-numa node,mem=" (QEMU refuses it from 5.1 on); libvirt uses
 * that legacy form there when no cell needs a real memory backend, and so do we, so the guest sees
 * the same memory layout as under libvirt. */
static bool numa_legacy_mem(const VmDef *def) {
        const char *m = def->os.machine, *v;
        unsigned major = 0, minor = 0;

        v = startswith(m, "pc-i440fx-") ?: startswith(m, "pc-q35-");
        if (!v || sscanf(v, "%u.%u", &major, &minor) != 2)
                return false;           /* "pc", "q35": the newest type */
        if (major > 5 || (major == 5 && minor >= 1))
                return false;
        if (def->mem.hugepages || def->mem.source_type || def->mem.access_mode || def->numatune.present)
                return false;
        for (unsigned i = 0; i < def->cpu.n_cells; i++)
                if (def->cpu.cells[i].mem_access)
                        return false;
        return true;
}

void qemu_build_numa(QemuBuild *b) {
        const VmDef *def = b->def;
        const VmCpu *cpu = &def->cpu;
        bool legacy = numa_legacy_mem(def);

        if (legacy && cpu->n_cells > 0 && def->mem.allocation_mode && streq(def->mem.allocation_mode, "immediate"))
                argv_add(b->a, "-mem-prealloc");
        for (unsigned i = 0; i < cpu->n_cells; i++) {
                const VmNumaCell *cell = &cpu->cells[i];
                _cleanup_(qemu_opts_done) QemuOpts o = {};
                char id[32];

                snprintf(id, sizeof(id), "ram-node%u", i);
                if (!legacy)
                        ram_backend(b, id, cell->memory_kib, (int) i);
                qemu_opts_add_literal(&o, "node");
                qemu_opts_addf(&o, "nodeid", "%u", i);
                if (cell->cpus) {
                        /* "0,11" must become cpus=0,cpus=11: QEMU's list syntax, not an escaped comma */
                        char *dup = strdup(cell->cpus), *save = NULL;
                        if (!dup) {
                                (void) qb_fail(b, -ENOMEM, "out of memory");
                                return;
                        }
                        for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                                if (strspn(t, "0123456789-") != strlen(t)) {
                                        free(dup);
                                        qemu_opts_done(&o);
                                        (void) qb_fail(b, -EINVAL, "<cpu><numa><cell id='%u'>: invalid cpus '%s'",
                                                       i, cell->cpus);
                                        return;
                                }
                                qemu_opts_add(&o, "cpus", t);
                        }
                        free(dup);
                }
                if (legacy)
                        qemu_opts_addf(&o, "mem", "%" PRIu64, round_mib(cell->memory_kib));
                else
                        qemu_opts_add(&o, "memdev", id);
                argv_add_opts(b->a, "-numa", &o);
        }
        for (unsigned i = 0; i < cpu->n_cells; i++)
                for (unsigned k = 0; k < cpu->cells[i].n_distances; k++) {
                        argv_add(b->a, "-numa");
                        argv_addf(b->a, "dist,src=%u,dst=%u,val=%u", i, cpu->cells[i].distance_ids[k],
                                  cpu->cells[i].distance_values[k]);
                }
}

void qemu_build_memory_devices(QemuBuild *b) {
        VmDef *def = b->def;
        unsigned counts[4] = {};

        for (unsigned i = 0; i < def->n_memory_devices; i++) {
                const VmMemoryDevice *m = &def->memory_devices[i];
                const char *model = m->model;
                unsigned k = streq(model, "dimm") ? 0 : streq(model, "nvdimm") ? 1 : streq(model, "virtio-pmem") ? 2 : 3;
                const char *prefix = k == 0 ? "dimm" : k == 1 ? "nvdimm" : k == 2 ? "virtiopmem" : "virtiomem";
                uint64_t page_kib = qemu_memory_device_hugepage_kib(def, m);
                char id[48], mem[56];
                Props o, p;

                if (streq(model, "sgx-epc"))
                        continue;       /* qemu_build_sgx_epc(): on -machine */
                snprintf(id, sizeof(id), "%s%u", prefix, counts[k]++);
                snprintf(mem, sizeof(mem), "mem%s", id);
                props_init(&o);
                if (m->source_path || m->access) {
                        props_str(&o, "qom-type", "memory-backend-file");
                        props_str(&o, "id", mem);
                        if (m->source_path)
                                props_str(&o, "mem-path", m->source_path);
                        else
                                props_strf(&o, "mem-path", "%s/ram/%s", b->opts->state_dir, mem);
                        if (m->access)
                                props_bool(&o, "share", streq(m->access, "shared"));
                        if (k == 1 && !m->access)
                                props_bool(&o, "prealloc", true);
                        if (m->source_pmem)
                                props_bool(&o, "pmem", true);
                        if (m->source_alignsize_kib)
                                props_uint(&o, "align", m->source_alignsize_kib * 1024);
                        if (m->discard == VM_TRISTATE_ON)
                                props_bool(&o, "discard-data", true);
                } else if (page_kib) {
                        props_str(&o, "qom-type", "memory-backend-file");
                        props_str(&o, "id", mem);
                        hugepage_mem_path(b, &o, page_kib);
                        props_bool(&o, "prealloc", true);
                } else {
                        props_str(&o, "qom-type", "memory-backend-ram");
                        props_str(&o, "id", mem);
                }
                props_uint(&o, "size", m->size_kib * 1024);
                if (m->source_nodemask) {
                        if (nodeset_props(&o, "host-nodes", m->source_nodemask) >= 0)
                                props_str(&o, "policy", "bind");
                } else {
                        /* as libvirt: the host nodes of the guest node it plugs into */
                        const char *mode, *nodeset;
                        numatune_of_cell(def, m->node, &mode, &nodeset);
                        if (numatune_props(b, &o, mode, nodeset) < 0)
                                return;
                }
                argv_add_props(b->a, "-object", &o);

                props_init(&p);
                switch (k) {
                case 0:
                case 1:
                        props_str(&p, "driver", k == 0 ? "pc-dimm" : "nvdimm");
                        if (m->node >= 0)
                                props_int(&p, "node", m->node);
                        if (m->label_size_kib)
                                props_uint(&p, "label-size", m->label_size_kib * 1024);
                        if (m->readonly)
                                props_bool(&p, "unarmed", true);
                        props_str(&p, "memdev", mem);
                        props_str(&p, "id", m->alias ?: id);
                        props_uint(&p, "slot", m->addr.slot);
                        if (m->dimm_base)
                                props_uint(&p, "addr", m->dimm_base);
                        break;
                case 2:
                        props_str(&p, "driver", "virtio-pmem-pci");
                        props_str(&p, "memdev", mem);
                        props_str(&p, "id", m->alias ?: id);
                        qb_pci_props(b, &p, &m->addr);
                        break;
                default:
                        props_str(&p, "driver", "virtio-mem-pci");
                        if (m->node >= 0)
                                props_int(&p, "node", m->node);
                        props_uint(&p, "block-size", m->block_kib * 1024);
                        props_uint(&p, "requested-size", m->requested_kib * 1024);
                        props_str(&p, "memdev", mem);
                        props_str(&p, "id", m->alias ?: id);
                        qb_pci_props(b, &p, &m->addr);
                        break;
                }
                argv_add_props(b->a, "-device", &p);
        }
}

/* The SGX EPC sections: a memory-backend-epc each (QEMU opens /dev/sgx_vepc for it, which the supervisor
 * checks for at start), placed on -machine by build_machine(), as libvirt does. */
void qemu_build_sgx_epc(QemuBuild *b) {
        const VmDef *def = b->def;
        unsigned n = 0;

        for (unsigned i = 0; i < def->n_memory_devices; i++) {
                const VmMemoryDevice *m = &def->memory_devices[i];
                Props o;

                if (!streq(m->model, "sgx-epc"))
                        continue;
                props_init(&o);
                props_str(&o, "qom-type", "memory-backend-epc");
                props_strf(&o, "id", "memepc%u", n++);
                props_bool(&o, "prealloc", true);
                props_uint(&o, "size", m->size_kib * 1024);
                if (m->source_nodemask) {
                        if (nodeset_props(&o, "host-nodes", m->source_nodemask) < 0) {
                                props_done(&o);
                                (void) qb_fail(b, -EINVAL, "<memory model='sgx-epc'> (line %u): invalid nodemask '%s'",
                                               m->line, m->source_nodemask);
                                return;
                        }
                        props_str(&o, "policy", "bind");
                }
                argv_add_props(b->a, "-object", &o);
        }
}
