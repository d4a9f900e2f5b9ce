/*
 * <metadata><vmunit:boot>: the element table and its setters (shared by every reader), the tree
 * walker of the strict parser, and the writer. See domxml-vmunit-meta.h for the schema.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "domxml-internal.h"
#include "domxml-vmunit-meta.h"
#include "domxml-write-internal.h"

static const char * const vm_shutdown_policy_table[_VM_SHUTDOWN_POLICY_MAX] = {
        [VM_SHUTDOWN_POLICY_SHUTDOWN] = "shutdown",
        [VM_SHUTDOWN_POLICY_KILL] = "kill",
        [VM_SHUTDOWN_POLICY_LEAVE] = "leave",
};
DEFINE_STRING_TABLE_LOOKUP(vm_shutdown_policy, VmShutdownPolicy);

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        return k < 0 ? -ENOMEM : -EINVAL;
}

/* ---- setters, one per kind of element ---- */

static int add_vm(VmDef *def, char ***list, unsigned *n, const char *value, char **ret_error) {
        char **e;

        if (vm_name_validate(value) < 0)
                return fail(ret_error, "invalid VM name '%s' (1-200 characters, no '/', no leading '.', "
                            "no control characters)", strempty(value));
        e = VM_ARRAY_NEW(def, *list, *n);
        if (!e)
                return -ENOMEM;
        *e = vm_def_strdup(def, value);
        return *e ? 0 : -ENOMEM;
}

static int set_after(VmDef *def, const char *value, char **ret_error) {
        return add_vm(def, &def->boot.after, &def->boot.n_after, value, ret_error);
}

static int set_wants(VmDef *def, const char *value, char **ret_error) {
        return add_vm(def, &def->boot.wants, &def->boot.n_wants, value, ret_error);
}

static int set_requires(VmDef *def, const char *value, char **ret_error) {
        return add_vm(def, &def->boot.requires, &def->boot.n_requires, value, ret_error);
}

/* A whole number with an optional unit: "5" and "5s" are seconds, "500ms", "2min". */
static int set_start_delay(VmDef *def, const char *value, char **ret_error) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "",    1000000ULL },
                { "s",   1000000ULL },
                { "ms",  1000ULL },
                { "min", 60000000ULL },
        };
        const char *v = strempty(value);
        size_t digits = strspn(v, "0123456789");
        uint64_t n;

        for (size_t i = 0; digits > 0 && digits <= 10 && i < ELEMENTSOF(units); i++) {
                if (!streq(v + digits, units[i].suffix))
                        continue;
                if (sscanf(v, "%" SCNu64, &n) != 1 || n > VM_BOOT_START_DELAY_MAX_USEC / units[i].usec)
                        break;
                def->boot.start_delay_usec = n * units[i].usec;
                return 0;
        }
        return fail(ret_error, "invalid delay '%s' (a whole number of s, ms or min, at most 3600 s)", v);
}

static int set_shutdown_policy(VmDef *def, const char *value, char **ret_error) {
        VmShutdownPolicy p = vm_shutdown_policy_from_string(value);

        if (p < 0)
                return fail(ret_error, "unknown policy '%s' (shutdown, kill or leave)", strempty(value));
        def->boot.shutdown_policy = p;
        return 0;
}

static const struct {
        const char *element;
        int (*set)(VmDef *def, const char *value, char **ret_error);
        bool once;
} boot_elements[] = {
        { "after",           set_after,           false },
        { "wants",           set_wants,           false },
        { "requires",        set_requires,        false },
        { "start-delay",     set_start_delay,     true  },
        { "shutdown-policy", set_shutdown_policy, true  },
};

int vm_boot_parse_element(VmBootParser *p, const char *element, const char *value, char **ret_error) {
        for (size_t i = 0; i < ELEMENTSOF(boot_elements); i++) {
                if (!streq(boot_elements[i].element, element))
                        continue;
                if (boot_elements[i].once && (p->seen & (1U << i)))
                        return fail(ret_error, "element may appear only once");
                p->seen |= 1U << i;
                return boot_elements[i].set(p->def, value, ret_error);
        }
        return fail(ret_error, "unsupported element (vmunit:boot has after, wants, requires, start-delay "
                    "and shutdown-policy)");
}

int vm_boot_check(const VmDef *def, char **ret_error) {
        const VmBoot *b = &def->boot;
        char * const *lists[] = { b->after, b->wants, b->requires };
        const unsigned counts[] = { b->n_after, b->n_wants, b->n_requires };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (unsigned i = 0; i < counts[l]; i++)
                        if (def->name && streq(lists[l][i], def->name))
                                return fail(ret_error, "VM '%s' cannot be ordered after or depend on itself",
                                            def->name);
        return 0;
}

bool vm_boot_is_default(const VmBoot *b) {
        return b->n_after == 0 && b->n_wants == 0 && b->n_requires == 0 && b->start_delay_usec == 0 &&
               b->shutdown_policy == VM_SHUTDOWN_POLICY_SHUTDOWN;
}

void vm_boot_format_delay(uint64_t usec, char buf[static 32]) {
        if (usec % 1000000ULL == 0)
                snprintf(buf, 32, "%" PRIu64 "s", usec / 1000000);
        else
                snprintf(buf, 32, "%" PRIu64 "ms", usec / 1000);
}

/* ---- the strict tree parser ---- */

static int parse_boot(XmlCtx *c, xmlNode *boot) {
        VmBootParser p = { .def = c->def };
        _cleanup_free_ char *error = NULL;
        int r;

        xml_mark(boot);                 /* its attributes stay unconsumed: none is defined */
        XML_FOREACH_ELEMENT(n, boot) {
                char *v = NULL;

                if (!n->ns || !streq_ptr((const char *) n->ns->href, VMUNIT_NS_HREF))
                        return xml_fail(c, n, "unsupported element (only vmunit: elements belong here)");
                XML_FOREACH_ELEMENT(sub, n)
                        return xml_fail(c, sub, "unsupported element");
                (void) xml_text(c, n, &v);
                r = vm_boot_parse_element(&p, (const char *) n->name, v, &error);
                if (r == -ENOMEM)
                        return xml_oom(c);
                if (r < 0)
                        return xml_fail(c, n, "%s", error);
        }
        r = vm_boot_check(c->def, &error);
        if (r == -ENOMEM)
                return xml_oom(c);
        if (r < 0)
                return xml_fail(c, boot, "%s", error);
        return 0;
}

int domxml_parse_metadata(XmlCtx *c, xmlNode *metadata) {
        xmlNode *boot = NULL;

        xml_mark(metadata);
        XML_FOREACH_ELEMENT(n, metadata) {
                if (!n->ns || !streq_ptr((const char *) n->ns->href, VMUNIT_NS_HREF)) {
                        xml_mark_subtree(n);    /* another application's metadata: not ours to read */
                        continue;
                }
                if (!streq((const char *) n->name, "boot"))
                        return xml_fail(c, n, "unsupported element (vmunit metadata is <vmunit:boot>)");
                if (boot)
                        return xml_fail(c, n, "element may appear only once");
                boot = n;
        }
        return boot ? parse_boot(c, boot) : 0;
}

/* ---- the writer ---- */

static void write_text(XmlWriter *x, const char *element, const char *text) {
        xw_start_ns(x, "vmunit", element, NULL);
        xw_text(x, text);
        xw_end(x);
}

void xw_vmunit_metadata(XmlWriter *x, const VmBoot *b) {
        char delay[32];

        if (vm_boot_is_default(b))
                return;
        xw_start(x, "metadata");
        xw_start_ns(x, "vmunit", "boot", VMUNIT_NS_HREF);
        for (unsigned i = 0; i < b->n_after; i++)
                write_text(x, "after", b->after[i]);
        for (unsigned i = 0; i < b->n_wants; i++)
                write_text(x, "wants", b->wants[i]);
        for (unsigned i = 0; i < b->n_requires; i++)
                write_text(x, "requires", b->requires[i]);
        if (b->start_delay_usec > 0) {
                vm_boot_format_delay(b->start_delay_usec, delay);
                write_text(x, "start-delay", delay);
        }
        if (b->shutdown_policy != VM_SHUTDOWN_POLICY_SHUTDOWN)
                write_text(x, "shutdown-policy", vm_shutdown_policy_to_string(b->shutdown_policy));
        xw_end(x);
        xw_end(x);
}
