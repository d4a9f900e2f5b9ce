/*
 * Firmware auto-selection for <os firmware='efi'|'bios'>, from QEMU's firmware descriptors
 * (docs/interop/firmware.json; /etc/qemu/firmware overrides /usr/share/qemu/firmware by file name,
 * and files are tried in name order), as libvirt does. Reads those files; nothing else.
 */
#pragma once

#include "model.h"

#define FIRMWARE_DIRS_DEFAULT "/etc/qemu/firmware:/usr/share/qemu/firmware"

/* Fills def->os.loader/loader_type/loader_readonly/loader_secure/nvram_template (and turns SMM on
 * when the firmware requires it) for a domain with os.firmware set and no <loader>. @machine_full is
 * the resolved machine type ("pc-q35-7.2"). @dirs is a ':'-separated list. Returns 0, or -ENOENT with
 * a message in *@ret_error when no descriptor matches; firmware='bios' with no BIOS descriptor keeps
 * QEMU's built-in SeaBIOS and returns 0. */
int firmware_autoselect(VmDef *def, const char *machine_full, const char *dirs, char **ret_error);

/* QEMU's descriptor files (*.json) in the ':'-separated @dirs, a file in an earlier directory hiding
 * later ones of the same name, sorted by file name: the lookup of firmware and vhost-user
 * descriptors alike. A missing directory is skipped. */
int qemu_descriptors_list(const char *dirs, char ***ret);
