/*
 * VmDef -> domain XML: the inverse of domxml.h. Writes everything the model holds that the
 * strict parser reads, so that domxml_parse_memory(domxml_write(def)) gives back the same
 * definition. Used by `vmctl domxml-from-native` and meant for `vmctl dumpxml`.
 * Pure: no I/O, no logging.
 */
#pragma once

#include "model.h"

/* Returns 0 and a NUL-terminated document (UTF-8, two-space indented, ending in a newline) in
 * *@ret. Returns -EINVAL when a string of @def cannot be carried by XML 1.0 (control characters,
 * invalid UTF-8), with a message naming the element and attribute in *@ret_error when non-NULL;
 * -ENOMEM on allocation failure. */
int domxml_write(const VmDef *def, char **ret, char **ret_error);
