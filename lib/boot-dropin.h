/*
 * <vmunit:boot> -> the drop-in vmunit-generator writes as vm@NAME.service.d/50-vmunit-boot.conf.
 * vm@.service.d/50-vmunit-boot.conf (units/) holds the defaults for every VM: PartOf=machines.target.
 * A VM's own drop-in of the same name replaces that file (systemd lets a drop-in of an instance
 * mask the template's drop-in of the same name), so the policy "leave" can drop PartOf=, which
 * a dependency setting could not reset. Pure: text in, text out.
 */
#pragma once

#include <stdint.h>

#include "model.h"

#define VM_BOOT_DROPIN_NAME "50-vmunit-boot.conf"

/* The drop-in for @def (name and boot read), generated from @source_path (the domain file).
 * @timeout_start_usec is vm@.service's TimeoutStartSec=, which a start delay is added to.
 * Returns 0 and the text in *@ret, or NULL there when the defaults apply (no drop-in needed);
 * -EINVAL when a VM name has no unit name (vm_unit_instance()), -ENOMEM. */
int vm_boot_dropin(const VmDef *def, const char *source_path, uint64_t timeout_start_usec, char **ret);
