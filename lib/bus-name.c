/*
 * VM name <-> per-VM well-known bus name: see bus-name.h for the rule.
 */
#include <stdio.h>

#include "bus-name.h"
#include "cleanup.h"
#include "model.h"
#include "sha256.h"
#include "utf8.h"

#define PREFIX_LEN (sizeof(VMUNIT_VM_BUS_NAME_PREFIX) - 1)

static bool plain(unsigned char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || (!first && c >= '0' && c <= '9');
}

static int hashed(const char *vm_name, char **ret) {
        uint8_t d[SHA256_DIGEST_SIZE];
        char *s, *p;

        sha256(vm_name, strlen(vm_name), d);
        s = malloc(PREFIX_LEN + 2 + 2 * SHA256_DIGEST_SIZE + 1);
        if (!s)
                return -ENOMEM;
        p = stpcpy(stpcpy(s, VMUNIT_VM_BUS_NAME_PREFIX), "__");
        for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
                p += sprintf(p, "%02x", d[i]);
        *ret = s;
        return 0;
}

int vm_bus_name(const char *vm_name, char **ret) {
        _cleanup_free_ char *s = NULL;
        char *p;

        if (vm_name_validate(vm_name) < 0 || !utf8_is_valid(vm_name))
                return -EINVAL;
        s = malloc(PREFIX_LEN + 3 * strlen(vm_name) + 1);
        if (!s)
                return -ENOMEM;
        p = stpcpy(s, VMUNIT_VM_BUS_NAME_PREFIX);
        for (const unsigned char *c = (const unsigned char *) vm_name; *c; c++)
                if (plain(*c, c == (const unsigned char *) vm_name))
                        *p++ = (char) *c;
                else
                        p += sprintf(p, "_%02x", *c);
        *p = 0;
        if ((size_t) (p - s) > VM_BUS_NAME_MAX)
                return hashed(vm_name, ret);
        *ret = TAKE_PTR(s);
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -EINVAL;         /* only lower case is written: anything else is not canonical */
}

int vm_bus_name_to_vm_name(const char *bus_name, char **ret) {
        _cleanup_free_ char *name = NULL, *back = NULL;
        const char *e;
        size_t n = 0;
        int r;

        e = startswith(bus_name, VMUNIT_VM_BUS_NAME_PREFIX);
        if (!e)
                return -EINVAL;
        if (startswith(e, "__")) {
                /* the right length and hex digits only: otherwise it is no name of ours */
                if (strlen(e) != 2 + 2 * SHA256_DIGEST_SIZE)
                        return -EINVAL;
                for (const char *c = e + 2; *c; c++)
                        if (unhex(*c) < 0)
                                return -EINVAL;
                return -ENODATA;
        }
        name = malloc(strlen(e) + 1);
        if (!name)
                return -ENOMEM;
        for (; *e; e++) {
                int hi, lo;

                if (*e != '_') {
                        name[n++] = *e;
                        continue;
                }
                if ((hi = unhex(e[1])) < 0 || (lo = unhex(e[2])) < 0 || (hi == 0 && lo == 0))
                        return -EINVAL;
                name[n++] = (char) (hi << 4 | lo);
                e += 2;
        }
        name[n] = 0;

        /* One spelling per VM: whatever vm_bus_name() would not have written is refused. */
        r = vm_bus_name(name, &back);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !streq(back, bus_name))
                return -EINVAL;
        *ret = TAKE_PTR(name);
        return 0;
}
