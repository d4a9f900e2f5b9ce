/*
 * VM name <-> vm@.service instance: see unit-name.h.
 */
#include <stdio.h>

#include "cleanup.h"
#include "model.h"
#include "unit-name.h"

/* The bytes a unit instance holds as they are: systemd's unit name characters, minus '\'
 * (the escape itself). '@' is allowed in an instance (vm@a@b.service is instance 'a@b'). */
static bool instance_plain(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || c == '.' || c == '-' || c == '@';
}

int vm_unit_instance(const char *vm_name, char **ret) {
        _cleanup_free_ char *e = NULL;
        size_t n = 0;

        if (vm_name_validate(vm_name) < 0)
                return -EINVAL;
        e = malloc(strlen(vm_name) * 4 + 1);
        if (!e)
                return -ENOMEM;
        for (const unsigned char *p = (const unsigned char *) vm_name; *p; p++)
                if (instance_plain(*p))
                        e[n++] = (char) *p;
                else
                        n += (size_t) sprintf(e + n, "\\x%02x", *p);
        e[n] = 0;
        if (n + strlen("vm@.service") > VM_UNIT_NAME_MAX)
                return -ENAMETOOLONG;
        *ret = TAKE_PTR(e);
        return 0;
}

int vm_unit_name(const char *vm_name, char **ret) {
        _cleanup_free_ char *i = NULL;
        int r;

        r = vm_unit_instance(vm_name, &i);
        if (r < 0)
                return r;
        return asprintf(ret, "vm@%s.service", i) < 0 ? -ENOMEM : 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -EINVAL;         /* systemd writes lower case only: anything else is not canonical */
}

int vm_unit_instance_unescape(const char *instance, char **ret) {
        _cleanup_free_ char *name = NULL, *back = NULL;
        size_t n = 0;
        int r;

        name = malloc(strlen(instance) + 1);
        if (!name)
                return -ENOMEM;
        for (const char *p = instance; *p; p++) {
                int hi, lo;

                if (*p != '\\') {
                        name[n++] = *p;
                        continue;
                }
                if (p[1] != 'x' || (hi = unhex(p[2])) < 0 || (lo = unhex(p[3])) < 0 || (hi == 0 && lo == 0))
                        return -EINVAL;
                name[n++] = (char) (hi << 4 | lo);
                p += 3;
        }
        name[n] = 0;

        /* One spelling per VM: whatever vm_unit_instance() would not have written is refused. */
        r = vm_unit_instance(name, &back);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !streq(back, instance))
                return -EINVAL;
        *ret = TAKE_PTR(name);
        return 0;
}
