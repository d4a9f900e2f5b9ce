/*
 * Host CPU and NUMA node sets in libvirt's list syntax ("0-3,^2,8"): the one parser and formatter
 * for <vcpu cpuset>, <vcpupin>, <emulatorpin>, <iothreadpin>, <numatune> nodesets and the kernel's
 * own lists (/sys/devices/system/cpu/online, cpuset.cpus.effective). A plain fixed-size bitmap:
 * no allocation, so it can sit in the VmDef arena or on the stack. Pure, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Bits a set holds: the largest NR_CPUS the kernel can be built with (x86 MAXSMP). */
#define CPUSET_BITS 8192U
/* NUMA nodes: the kernel's MAX_NUMNODES at its largest (NODES_SHIFT 10). */
#define CPUSET_NODES_MAX 1024U

typedef struct CpuSet {
        uint64_t bits[CPUSET_BITS / 64];
} CpuSet;

/* Parses @s: comma-separated items "N", "N-M" (N <= M) and "^N" (removes N from what the items
 * before it set), spaces around items allowed, as libvirt's virBitmapParse. Every number must be
 * below @max (<= CPUSET_BITS). Returns 0, -EINVAL for malformed input or an empty result ("0,^0",
 * ""), -ERANGE for a number >= @max. *@ret is written on success only. */
int cpuset_parse(const char *s, unsigned max, CpuSet *ret);

/* libvirt's canonical form: ascending, runs as "N-M" ("0-1,3,8-11"); "" for an empty set.
 * Returns 0 or -ENOMEM. */
int cpuset_format(const CpuSet *s, char **ret);

static inline bool cpuset_isset(const CpuSet *s, unsigned bit) {
        return bit < CPUSET_BITS && (s->bits[bit / 64] >> (bit % 64)) & 1;
}
static inline void cpuset_set(CpuSet *s, unsigned bit) {
        if (bit < CPUSET_BITS)
                s->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
}
unsigned cpuset_count(const CpuSet *s);
/* The highest bit set plus one (0 for an empty set): how far a consumer has to look. */
unsigned cpuset_size(const CpuSet *s);
bool cpuset_equal(const CpuSet *a, const CpuSet *b);
/* @a &= @b */
void cpuset_and(CpuSet *a, const CpuSet *b);
/* Whether every bit of @a is in @b; if not and @ret_outside is given, the bits of @a that are not. */
bool cpuset_is_subset(const CpuSet *a, const CpuSet *b, CpuSet *ret_outside);
