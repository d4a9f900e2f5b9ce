/*
 * vmunit's own domain metadata: <metadata><vmunit:boot xmlns:vmunit="https://vmunit.org/xmlns/domain/1.0">
 * with <vmunit:after>, <vmunit:wants>, <vmunit:requires> (other VMs, any number of each),
 * <vmunit:start-delay> and <vmunit:shutdown-policy> (at most once each), read into VmDef.boot.
 * One implementation of the schema for every reader: the strict tree parser (domxml.c, through
 * domxml_parse_metadata() in domxml-internal.h), the generator's fast scanner (domxml-scan.c)
 * and the XML writer all go through the element table in domxml-vmunit-meta.c.
 */
#pragma once

#include <stdint.h>

#include "model.h"

#define VMUNIT_NS_HREF "https://vmunit.org/xmlns/domain/1.0"

#define VM_BOOT_START_DELAY_MAX_USEC (3600ULL * 1000000ULL)

/* Bookkeeping while the children of one <vmunit:boot> are read. */
typedef struct VmBootParser {
        VmDef *def;
        unsigned seen;                  /* elements that may appear only once, by table index */
} VmBootParser;

/* One child element of <vmunit:boot>: its local name @element (namespace already checked by the
 * caller) and its text @value (NULL when empty). Returns 0; -EINVAL with the reason in
 * *@ret_error (no file, line or element: the caller knows those); or -ENOMEM. */
int vm_boot_parse_element(VmBootParser *p, const char *element, const char *value, char **ret_error);
/* Checks across the elements, once all are read (a VM cannot depend on itself). Same returns. */
int vm_boot_check(const VmDef *def, char **ret_error);

/* Whether @b asks for anything beyond the defaults (no dependencies, no delay, shutdown). */
bool vm_boot_is_default(const VmBoot *b);
/* "5s", "1500ms": the form the writer uses and the parser reads back. */
void vm_boot_format_delay(uint64_t usec, char buf[static 32]);
