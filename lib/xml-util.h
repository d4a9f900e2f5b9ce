/*
 * Strict reading of libxml2 trees. Every accessor here marks what it read as consumed
 * (in the node's _private field); after parsing, xml_check_unconsumed() reports the first
 * element or attribute nobody read as "unsupported", naming file, line and element. That
 * way strictness cannot be forgotten by a new parser function: what is not read is refused.
 * Values are copied into the VmDef arena, so no xmlChar* escapes.
 */
#pragma once

#include <libxml/tree.h>
#include <stdint.h>

#include "model.h"

#define QEMU_NS_HREF "http://libvirt.org/schemas/domain/qemu/1.0"

typedef struct XmlCtx {
        const char *file;               /* name used in messages */
        VmDef *def;                     /* arena for copied strings */
        bool lax;                       /* unconsumed input is a warning, not an error */
        int status;                     /* first failure (-EINVAL, -ENOMEM), sticky; 0 if none */
        char *error;                    /* message of the first -EINVAL, "file:line: <elem>: message" */
        char **warnings;                /* lax mode */
} XmlCtx;

/* Accessors record their failure in @c and leave outputs untouched, so a parse function may
 * call several and check xml_status() once at its end (the sticky-error idea of Argv). */
static inline int xml_status(const XmlCtx *c) {
        return c->status;
}

/* Records "file:line: <elem>: message" as the context's error (first one wins), returns -EINVAL. */
int xml_fail(XmlCtx *c, xmlNode *n, const char *fmt, ...) _printf_(3, 4);
/* Same but for out of memory: returns -ENOMEM. */
int xml_oom(XmlCtx *c);
/* A warning "file:line: <elem>: message", handed out with the parse result (strict and lax mode). */
void xml_warn(XmlCtx *c, xmlNode *n, const char *fmt, ...) _printf_(3, 4);

/* Attribute accessors: return 0 when absent (output untouched), 1 when present and valid,
 * -EINVAL (recorded in @c) when present but malformed. */
int xml_prop(XmlCtx *c, xmlNode *n, const char *name, char **ret);
int xml_prop_uint(XmlCtx *c, xmlNode *n, const char *name, unsigned *ret);
int xml_prop_int(XmlCtx *c, xmlNode *n, const char *name, int *ret);
int xml_prop_u64(XmlCtx *c, xmlNode *n, const char *name, uint64_t *ret);
int xml_prop_yesno(XmlCtx *c, xmlNode *n, const char *name, VmTristate *ret);
int xml_prop_onoff(XmlCtx *c, xmlNode *n, const char *name, VmTristate *ret);
/* A string restricted to the NULL-terminated list @allowed. */
int xml_prop_choice(XmlCtx *c, xmlNode *n, const char *name, const char * const *allowed, char **ret);
int xml_prop_enum(XmlCtx *c, xmlNode *n, const char *name, int (*from_string)(const char *), int *ret);
/* Hex or decimal unsigned, as in PCI addresses ("0x1f", "3"). */
int xml_prop_hex(XmlCtx *c, xmlNode *n, const char *name, unsigned *ret);

/* The text content of @n (consumes @n); NULL when empty. */
int xml_text(XmlCtx *c, xmlNode *n, char **ret);
/* A number with a unit in @unit_attr (libvirt's scaled integers), converted to KiB.
 * @default_unit is the unit when the attribute is absent ("KiB" for <memory>). */
int xml_scaled_kib(XmlCtx *c, xmlNode *n, const char *value, const char *unit_attr,
                   const char *default_unit, uint64_t *ret);

/* First element child named @name in no namespace; marks it consumed. A second one is an error
 * (returns -EINVAL through @ret_err). */
xmlNode *xml_child(XmlCtx *c, xmlNode *n, const char *name);
bool xml_is(xmlNode *n, const char *name);
bool xml_is_ns(xmlNode *n, const char *href, const char *name);
void xml_mark(xmlNode *n);
void xml_mark_subtree(xmlNode *n);     /* for free-form content such as <metadata> */

#define XML_FOREACH_ELEMENT(child, parent) \
        for (xmlNode *child = (parent)->children; child; child = child->next) \
                if (child->type == XML_ELEMENT_NODE)

/* Walks @root for unconsumed elements/attributes: the first is an error (strict) or each a
 * warning (lax). Returns 0 or -EINVAL. */
int xml_check_unconsumed(XmlCtx *c, xmlNode *root);

void xml_ctx_done(XmlCtx *c);
