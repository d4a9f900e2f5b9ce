/*
 * Domain XML -> VmDef. Strict by default: whatever vmunit does not understand is an error
 * naming the file, line and element; DOMXML_LAX turns those into warnings.
 * libxml2 input is untrusted: no network, no entity expansion, no DTD loading, size capped.
 */
#pragma once

#include <stddef.h>

#include "model.h"

typedef enum DomxmlFlags {
        DOMXML_LAX = 1 << 0,
} DomxmlFlags;

#define DOMXML_MAX_SIZE (8U * 1024U * 1024U)

/* Parses @len bytes of @buf; @filename is used in messages only. On failure returns -EINVAL
 * (or -ENOMEM, -E2BIG) and, when @ret_error is non-NULL, a message in *@ret_error.
 * Warnings (lax mode) are handed out in *@ret_warnings when non-NULL. */
int domxml_parse_memory(const char *buf, size_t len, const char *filename, DomxmlFlags flags,
                        VmDef **ret, char **ret_error, char ***ret_warnings);
/* Same, reading @path ("-" = stdin). -ENOENT etc. from open() are returned as is. */
int domxml_parse_file(const char *path, DomxmlFlags flags, VmDef **ret, char **ret_error,
                      char ***ret_warnings);
