/*
 * The generator's fast path through a domain file: only the root element, <name> and
 * <metadata><vmunit:boot> are read, by a SAX parser that builds no tree (about three times
 * faster than the full parser, which matters for 1,000 domains at boot). The whole document
 * must still be well-formed XML. <vmunit:boot> is read as strictly as the full parser does
 * (domxml-vmunit-meta.c) and errors read the same; everything else is left to the full parser
 * at the VM's start.
 */
#pragma once

#include <stddef.h>

#include "model.h"

/* Fills a VmDef with name and boot only. Returns 0; -EINVAL with "file:line: <element>: message"
 * in *@ret_error (when non-NULL); -E2BIG over DOMXML_MAX_SIZE; -ENOMEM. */
int domxml_scan_memory(const char *buf, size_t len, const char *filename, VmDef **ret, char **ret_error);
/* Same, reading @path relative to @dir_fd (AT_FDCWD or a directory; @filename names it in
 * messages): -EBADFD for anything but a regular file, open()'s errors as they are. */
int domxml_scan_file(int dir_fd, const char *path, const char *filename, VmDef **ret, char **ret_error);
