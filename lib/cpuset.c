/*
 * CPU and node sets: see cpuset.h.
 */
#include <stdio.h>

#include "cpuset.h"
#include "macro.h"

static const char *skip_spaces(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        return p;
}

/* A decimal number below @max at *@p (digits only: no sign, no spaces); advances *@p. */
static int parse_number(const char **p, unsigned max, unsigned *ret) {
        const char *s = *p;
        unsigned long v = 0;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned long) (*s - '0');
                if (v >= max)
                        return -ERANGE;
        }
        *p = s;
        *ret = (unsigned) v;
        return 0;
}

int cpuset_parse(const char *s, unsigned max, CpuSet *ret) {
        CpuSet set = {};
        const char *p;
        int r;

        assert(max <= CPUSET_BITS);
        if (!s)
                return -EINVAL;
        p = skip_spaces(s);
        if (!*p)
                return -EINVAL;
        while (*p) {
                bool exclude = *p == '^';
                unsigned a, z;

                if (exclude)
                        p++;
                r = parse_number(&p, max, &a);
                if (r < 0)
                        return r;
                z = a;
                p = skip_spaces(p);
                if (*p == '-') {
                        if (exclude)
                                return -EINVAL;         /* "^2-3": libvirt has no excluded ranges */
                        p = skip_spaces(p + 1);
                        r = parse_number(&p, max, &z);
                        if (r < 0)
                                return r;
                        if (z < a)
                                return -EINVAL;
                        p = skip_spaces(p);
                }
                for (unsigned i = a; i <= z; i++)
                        if (exclude)
                                set.bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
                        else
                                cpuset_set(&set, i);
                if (*p == ',')
                        p = skip_spaces(p + 1);         /* one trailing comma is fine, as in libvirt */
                else if (*p)
                        return -EINVAL;
        }
        if (cpuset_count(&set) == 0)
                return -EINVAL;
        *ret = set;
        return 0;
}

int cpuset_format(const CpuSet *s, char **ret) {
        unsigned n = cpuset_size(s);
        char *buf = NULL;
        size_t len = 0;
        bool first = true;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                unsigned z = i;

                if (!cpuset_isset(s, i))
                        continue;
                while (z + 1 < n && cpuset_isset(s, z + 1))
                        z++;
                fprintf(f, "%s%u", first ? "" : ",", i);
                first = false;
                if (z > i)
                        fprintf(f, "-%u", z);
                i = z;
        }
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

unsigned cpuset_count(const CpuSet *s) {
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(s->bits); i++)
                n += (unsigned) __builtin_popcountll(s->bits[i]);
        return n;
}

unsigned cpuset_size(const CpuSet *s) {
        for (size_t i = ELEMENTSOF(s->bits); i > 0; i--)
                if (s->bits[i - 1])
                        return (unsigned) ((i - 1) * 64 + 64 - (size_t) __builtin_clzll(s->bits[i - 1]));
        return 0;
}

bool cpuset_equal(const CpuSet *a, const CpuSet *b) {
        return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

void cpuset_and(CpuSet *a, const CpuSet *b) {
        for (size_t i = 0; i < ELEMENTSOF(a->bits); i++)
                a->bits[i] &= b->bits[i];
}

bool cpuset_is_subset(const CpuSet *a, const CpuSet *b, CpuSet *ret_outside) {
        CpuSet outside = {};
        bool subset = true;

        for (size_t i = 0; i < ELEMENTSOF(a->bits); i++) {
                outside.bits[i] = a->bits[i] & ~b->bits[i];
                if (outside.bits[i])
                        subset = false;
        }
        if (!subset && ret_outside)
                *ret_outside = outside;
        return subset;
}
