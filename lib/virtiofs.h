/*
 * virtiofs: a <filesystem> with <driver type='virtiofs'> is a vhost-user-fs-pci device whose file
 * server is virtiofsd, a daemon outside QEMU, talking to it over a unix socket. These are the pure
 * parts: which filesystems are virtiofs, where their socket is, which virtiofsd binary serves them
 * (QEMU's vhost-user descriptors, as libvirt finds it) and its command line, as libvirt 9.0 builds
 * it. The supervisor (supervisor/vm-virtiofs.c) runs the daemons.
 */
#pragma once

#include <stdbool.h>

#include "model.h"

/* Where QEMU's vhost-user descriptors are, in libvirt's order: the admin's before the packages'. */
#define VIRTIOFS_DESCRIPTOR_DIRS "/etc/qemu/vhost-user:/usr/share/qemu/vhost-user"

bool virtiofs_is(const VmFilesystem *f);

/* The device's alias: its <alias name=>, else "fs" + its index among the filesystems. */
int virtiofs_alias(const VmFilesystem *f, unsigned index, char **ret);

/* The vhost-user socket QEMU connects to: <source socket=> for a daemon started elsewhere, else
 * RUNTIME_DIR/ALIAS-fs.sock, made by the daemon the supervisor starts (libvirt's name for it). */
int virtiofs_socket_path(const VmFilesystem *f, unsigned index, const char *runtime_dir, char **ret);

/* The "binary" of the first vhost-user descriptor with "type": "fs" (lib/firmware.h's lookup over
 * the ':'-separated @dirs; Debian 12's qemu-system-common ships /usr/lib/qemu/virtiofsd so). A file
 * that is not a JSON object is skipped, as libvirt does. -ENOENT if there is none. */
int virtiofs_find_binary(const char *dirs, char **ret);

/* virtiofsd's argv for @f (which has a source dir): listening on @socket_path, exporting the
 * source dir with the <binary> settings (-o cache=, sandbox=, xattr/no_xattr, flock/no_flock,
 * posix_lock/no_posix_lock, --thread-pool-size=). A ',' or '\' in the source dir is escaped with
 * '\' for virtiofsd's option parser. */
int virtiofs_daemon_argv(const VmFilesystem *f, const char *binary, const char *socket_path, char ***ret);
