/*
 * Domain XML <-> "native" configurations, the one implementation behind `vmctl domxml-to-native`,
 * `vmctl domxml-from-native` and the manager's DomainXMLToNative/DomainXMLFromNative. The only
 * native format is "qemu-argv": a QEMU command line as one shell line (environment assignments,
 * the emulator, its arguments, each quoted for a POSIX shell).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"
#include "qemu-argv.h"

#define NATIVE_FORMAT_QEMU_ARGV "qemu-argv"

/* A random (version 4) UUID in the canonical 36-character form. Returns 0 or -errno. */
int uuid_random(char ret[static 37]);

/* The runtime and state directories of VM @name, as the supervisor of the instance uses them
 * (instance-paths.h): /run/vmunit/NAME and /var/lib/vmunit/NAME, or with @user
 * $XDG_RUNTIME_DIR/vmunit/NAME and $XDG_DATA_HOME/vmunit/NAME (~/.local/share). The strings live in
 * *@ret_buf, which the caller frees. Returns -ENXIO with @user when $XDG_RUNTIME_DIR or $HOME is
 * unset. */
int native_build_options(const char *name, bool user, QemuBuildOptions *ret, char **ret_buf);

/* @cmd as one shell line, without a newline. */
int native_command_line(const QemuCommand *cmd, char **ret);

/* Domain XML (@len bytes, @filename in messages) -> the command vmunit-supervisor would run.
 * Returns 0; -EINVAL with a message in *@ret_error ("FILE:LINE: <element>: ...") for XML that the
 * parser (with @flags) or the builder refuses; -ENXIO as native_build_options(); -ENOMEM.
 * Lax-mode warnings go to *@ret_warnings when non-NULL. */
int native_from_domxml(const char *xml, size_t len, const char *filename, DomxmlFlags flags, bool user,
                       QemuCommand *ret, char **ret_error, char ***ret_warnings);

/* A QEMU command line (@len bytes) -> domain XML that vmunit's strict parser accepts (checked).
 * Without -uuid a random UUID is made. Relative paths on the line are taken relative to @base_dir
 * (NULL: refused). Notes for the user ("warning: ...", "note: ...") go to *@ret_notes when
 * non-NULL. Returns 0, -EINVAL with *@ret_error, -E2BIG, -ENOMEM. */
int native_to_domxml(const char *line, size_t len, const char *base_dir, char **ret_xml, char ***ret_notes,
                     char **ret_error);
