/*
 * What a domain's memory needs from the host, checked when the supervisor starts it (the converter
 * does not look at the host): hugetlbfs mounts of the right page sizes, /dev/sgx_vepc for SGX EPC,
 * and <numatune mode='restrictive'>, which vmunit cannot apply yet.
 */
#pragma once

#include "model.h"
#include "qemu-argv.h"

/* Where a domain's memory takes huge pages from: the page size, and the element (and its line) that
 * asks for it, for each guest NUMA cell (or the whole guest) and each <memory> device: an array of
 * *@ret_n in *@ret (free() it). Returns 0 or -ENOMEM. */
typedef struct MemoryHugepageUse {
        uint64_t kib;
        unsigned line;
        const char *element;
} MemoryHugepageUse;
int memory_host_hugepage_uses(const VmDef *def, MemoryHugepageUse **ret, unsigned *ret_n);

/* Returns 0 when the host has it all; otherwise -errno with "LINE: <element>: what is missing" in
 * *@ret_error (-ENOMEM without). */
int memory_host_check(const VmDef *def, const QemuBuildOptions *opts, char **ret_error);
