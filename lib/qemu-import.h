/*
 * QEMU command line -> VmDef: `vmctl domxml-from-native qemu-argv`. The input is one line as a
 * shell would run it (environment assignments, the QEMU binary, its arguments), in both the old
 * (-hda, -drive, -net nic, -serial) and the current (-blockdev/-device, -netdev/-device, JSON)
 * syntax. Whatever the model cannot represent is never dropped silently: it goes to the
 * definition's qemu:commandline pass-through (unknown environment to qemu:env), with a warning.
 * Options vmunit manages itself (monitors, -S, -daemonize, -pidfile, ...) are dropped with a note.
 * Pure: no I/O, no logging; messages are handed back to the caller.
 */
#pragma once

#include <stddef.h>

#include "model.h"

typedef struct QemuImportOptions {
        const char *default_name;       /* when the line has no -name; NULL = "unnamed" */
        const char *default_uuid;       /* when the line has no -uuid; NULL = none (the caller makes one) */
        const char *base_dir;           /* relative paths on the line are taken relative to this absolute
                                           directory (with a warning); NULL = such paths cannot be imported */
} QemuImportOptions;

/* Imports @len bytes of @line. On success returns 0, the definition in *@ret and, when @ret_notes is
 * non-NULL, a NULL-terminated list of messages for the user ("warning: ..." for pass-through and
 * anything approximated, "note: ..." for options dropped on purpose). Returns -EINVAL with a message
 * in *@ret_error for input that cannot be a QEMU command line (unbalanced quotes, NUL bytes, a
 * missing option value, a malformed value such as "-m lots"), -E2BIG for oversized input, -ENOMEM. */
int qemu_import(const char *line, size_t len, const QemuImportOptions *opts, VmDef **ret, char ***ret_notes,
                char **ret_error);
