/* Strict, consumption-tracking accessors over libxml2 trees (see xml-util.h). */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <strings.h>

#include <libxml/xmlstring.h>

#include "strv.h"
#include "xml-util.h"

#define CONSUMED ((void *) 1)

void xml_mark(xmlNode *n) {
        n->_private = CONSUMED;
}

void xml_mark_subtree(xmlNode *n) {
        xml_mark(n);
        for (xmlAttr *a = n->properties; a; a = a->next)
                a->_private = CONSUMED;
        XML_FOREACH_ELEMENT(ch, n)
                xml_mark_subtree(ch);
}

static void node_label(xmlNode *n, char *buf, size_t size) {
        xmlNode *p = n->parent;

        /* "<disk><driver>" says more than "<driver>"; the domain and devices levels add nothing. */
        if (p && p->type == XML_ELEMENT_NODE && !xml_is(p, "domain") && !xml_is(p, "devices"))
                snprintf(buf, size, "<%s><%s>", (const char *) p->name, (const char *) n->name);
        else
                snprintf(buf, size, "<%s>", (const char *) n->name);
}

static char *vformat(XmlCtx *c, xmlNode *n, const char *fmt, va_list ap) {
        char label[256], *msg = NULL, *full = NULL;

        node_label(n, label, sizeof(label));
        if (vasprintf(&msg, fmt, ap) < 0)
                return NULL;
        if (asprintf(&full, "%s:%ld: %s: %s", c->file ?: "<input>", xmlGetLineNo(n), label, msg) < 0)
                full = NULL;
        free(msg);
        return full;
}

int xml_fail(XmlCtx *c, xmlNode *n, const char *fmt, ...) {
        va_list ap;

        if (c->status < 0)
                return -EINVAL;
        va_start(ap, fmt);
        c->error = vformat(c, n, fmt, ap);
        va_end(ap);
        c->status = c->error ? -EINVAL : -ENOMEM;
        return c->status;
}

int xml_oom(XmlCtx *c) {
        if (c->status == 0)
                c->status = -ENOMEM;
        return -ENOMEM;
}

void xml_warn(XmlCtx *c, xmlNode *n, const char *fmt, ...) {
        va_list ap;
        char *m;

        va_start(ap, fmt);
        m = vformat(c, n, fmt, ap);
        va_end(ap);
        (void) strv_consume(&c->warnings, m);
}

bool xml_is(xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, (const xmlChar *) name);
}

bool xml_is_ns(xmlNode *n, const char *href, const char *name) {
        return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
                xmlStrEqual(n->ns->href, (const xmlChar *) href) &&
                xmlStrEqual(n->name, (const xmlChar *) name);
}

xmlNode *xml_child(XmlCtx *c, xmlNode *n, const char *name) {
        xmlNode *found = NULL;

        XML_FOREACH_ELEMENT(ch, n) {
                if (!xml_is(ch, name))
                        continue;
                if (found) {
                        (void) xml_fail(c, ch, "element may appear only once");
                        continue;
                }
                found = ch;
                xml_mark(ch);
        }
        return found;
}

static xmlAttr *find_attr(xmlNode *n, const char *name) {
        for (xmlAttr *a = n->properties; a; a = a->next)
                if (!a->ns && xmlStrEqual(a->name, (const xmlChar *) name))
                        return a;
        return NULL;
}

int xml_prop(XmlCtx *c, xmlNode *n, const char *name, char **ret) {
        xmlAttr *a = find_attr(n, name);
        xmlChar *v;
        char *s;

        if (!a)
                return 0;
        a->_private = CONSUMED;
        v = xmlNodeListGetString(n->doc, a->children, 1);
        s = vm_def_strdup(c->def, v ? (const char *) v : "");
        xmlFree(v);
        if (!s)
                return xml_oom(c);
        *ret = s;
        return 1;
}

static int parse_u64(const char *s, int base, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!*s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int xml_prop_u64(XmlCtx *c, xmlNode *n, const char *name, uint64_t *ret) {
        char *s = NULL;
        int r;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        if (parse_u64(s, 10, ret) < 0)
                return xml_fail(c, n, "attribute '%s': invalid number '%s'", name, s);
        return 1;
}

int xml_prop_uint(XmlCtx *c, xmlNode *n, const char *name, unsigned *ret) {
        uint64_t v;
        int r;

        r = xml_prop_u64(c, n, name, &v);
        if (r <= 0)
                return r;
        if (v > UINT_MAX)
                return xml_fail(c, n, "attribute '%s': number out of range", name);
        *ret = (unsigned) v;
        return 1;
}

int xml_prop_hex(XmlCtx *c, xmlNode *n, const char *name, unsigned *ret) {
        char *s = NULL;
        uint64_t v;
        int r;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        if (parse_u64(s, 0, &v) < 0 || v > UINT_MAX)
                return xml_fail(c, n, "attribute '%s': invalid number '%s'", name, s);
        *ret = (unsigned) v;
        return 1;
}

int xml_prop_int(XmlCtx *c, xmlNode *n, const char *name, int *ret) {
        char *s = NULL, *end;
        long v;
        int r;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        errno = 0;
        v = strtol(s, &end, 10);
        if (!*s || *end || errno != 0 || v < INT_MIN || v > INT_MAX)
                return xml_fail(c, n, "attribute '%s': invalid number '%s'", name, s);
        *ret = (int) v;
        return 1;
}

static int prop_bool(XmlCtx *c, xmlNode *n, const char *name, const char *on, const char *off,
                     VmTristate *ret) {
        char *s = NULL;
        int r;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        if (streq(s, on))
                *ret = VM_TRISTATE_ON;
        else if (streq(s, off))
                *ret = VM_TRISTATE_OFF;
        else
                return xml_fail(c, n, "attribute '%s': expected '%s' or '%s', got '%s'", name, on, off, s);
        return 1;
}

int xml_prop_yesno(XmlCtx *c, xmlNode *n, const char *name, VmTristate *ret) {
        return prop_bool(c, n, name, "yes", "no", ret);
}

int xml_prop_onoff(XmlCtx *c, xmlNode *n, const char *name, VmTristate *ret) {
        return prop_bool(c, n, name, "on", "off", ret);
}

int xml_prop_choice(XmlCtx *c, xmlNode *n, const char *name, const char * const *allowed, char **ret) {
        char *s = NULL;
        int r;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        for (const char * const *a = allowed; *a; a++)
                if (streq(*a, s)) {
                        *ret = s;
                        return 1;
                }
        return xml_fail(c, n, "attribute '%s': unsupported value '%s'", name, s);
}

int xml_prop_enum(XmlCtx *c, xmlNode *n, const char *name, int (*from_string)(const char *), int *ret) {
        char *s = NULL;
        int r, v;

        r = xml_prop(c, n, name, &s);
        if (r <= 0)
                return r;
        v = from_string(s);
        if (v < 0)
                return xml_fail(c, n, "attribute '%s': unsupported value '%s'", name, s);
        *ret = v;
        return 1;
}

int xml_text(XmlCtx *c, xmlNode *n, char **ret) {
        xmlChar *v;
        char *s;

        xml_mark(n);
        v = xmlNodeGetContent(n);
        if (!v || !*v) {
                xmlFree(v);
                *ret = NULL;
                return 0;
        }
        s = vm_def_strdup(c->def, (const char *) v);
        xmlFree(v);
        if (!s)
                return xml_oom(c);
        *ret = s;
        return 1;
}

/* libvirt's scaled-integer units, case-insensitive: b/byte/bytes; k, KiB = 1024; KB = 1000; and so on
 * up to E. Returns 0 for an unknown unit. */
static uint64_t unit_scale(const char *u) {
        static const char prefixes[] = "kmgtpe";
        const char *p;
        uint64_t scale = 1, base;

        if (strcasecmp(u, "b") == 0 || strcasecmp(u, "byte") == 0 || strcasecmp(u, "bytes") == 0)
                return 1;
        p = strchr(prefixes, (char) tolower((unsigned char) u[0]));
        if (!u[0] || !p)
                return 0;
        if (u[1] == 0 || strcasecmp(u + 1, "ib") == 0)
                base = 1024;
        else if (strcasecmp(u + 1, "b") == 0)
                base = 1000;
        else
                return 0;
        for (const char *q = prefixes; q <= p; q++)
                scale *= base;
        return scale;
}

int xml_scaled_kib(XmlCtx *c, xmlNode *n, const char *value, const char *unit_attr,
                   const char *default_unit, uint64_t *ret) {
        char *unit = NULL;
        uint64_t v, scale = 0;
        int r;

        r = xml_prop(c, n, unit_attr, &unit);
        if (r < 0)
                return r;
        if (!unit)
                unit = (char *) default_unit;
        scale = unit_scale(unit);
        if (scale == 0)
                return xml_fail(c, n, "unknown unit '%s'", unit);
        if (!value || parse_u64(value, 10, &v) < 0)
                return xml_fail(c, n, "invalid size '%s'", strempty(value));
        if (v > UINT64_MAX / scale)
                return xml_fail(c, n, "size '%s %s' out of range", value, unit);
        v *= scale;
        /* libvirt rounds scaled sizes up to whole KiB */
        *ret = v / 1024 + (v % 1024 ? 1 : 0);
        return 1;
}

int xml_check_unconsumed(XmlCtx *c, xmlNode *root) {
        if (root->_private != CONSUMED) {
                if (!c->lax)
                        return xml_fail(c, root, "unsupported element");
                xml_warn(c, root, "unsupported element, ignoring");
                xml_mark_subtree(root);  /* warn once, not again from an enclosing check */
                return 0;
        }
        for (xmlAttr *a = root->properties; a; a = a->next) {
                if (a->_private == CONSUMED)
                        continue;
                /* namespace declarations are not attributes in libxml2; namespaced attributes are foreign */
                if (!c->lax)
                        return xml_fail(c, root, "unsupported attribute '%s'", (const char *) a->name);
                xml_warn(c, root, "unsupported attribute '%s', ignoring", (const char *) a->name);
                a->_private = CONSUMED;
        }
        XML_FOREACH_ELEMENT(ch, root) {
                int r = xml_check_unconsumed(c, ch);
                if (r < 0)
                        return r;
        }
        return 0;
}

void xml_ctx_done(XmlCtx *c) {
        c->error = mfree(c->error);
        c->warnings = strv_free(c->warnings);
}
