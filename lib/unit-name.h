/*
 * VM name <-> instance of vm@.service. The instance is the VM name with every byte that a unit
 * name cannot hold written as \xHH (systemd's escape), except that '-' stays '-': systemd's %I
 * would turn it into '/', which no VM name contains, so vm@.service passes %i and the supervisor
 * unescapes it with vm_unit_instance_unescape(). So `systemctl start vm@web-01` is VM 'web-01',
 * and VM 'my vm' is vm@my\x20vm.service (what `systemctl start "vm@my vm"` asks for anyway).
 * Each VM has exactly one instance name: a non-canonical spelling (vm@web\x2d01) is refused.
 */
#pragma once

#define VM_UNIT_NAME_MAX 255            /* systemd's UNIT_NAME_MAX minus the NUL */

/* "web-01" -> "web-01", "my vm" -> "my\x20vm". Returns -EINVAL for an invalid VM name
 * (vm_name_validate()), -ENAMETOOLONG when vm@INSTANCE.service would exceed VM_UNIT_NAME_MAX. */
int vm_unit_instance(const char *vm_name, char **ret);
/* Same, as the whole unit name "vm@INSTANCE.service". */
int vm_unit_name(const char *vm_name, char **ret);
/* The inverse of vm_unit_instance(). Returns -EINVAL unless @instance is the canonical instance
 * of a valid VM name. */
int vm_unit_instance_unescape(const char *instance, char **ret);
