/*
 * vmunit's D-Bus names: the manager's name, path and interface, the per-VM object's path and
 * interface, the error names every service and vmctl share, and the ONE rule that turns a VM
 * name into the well-known bus name its supervisor owns (documented in vmctl(1), "BUS NAMES").
 *
 * The rule: "org.vmunit.vm." followed by the VM name with every byte other than [A-Za-z0-9-]
 * written as '_' and two lower-case hex digits, a leading digit escaped too (a name element may
 * not start with one): "web-01" -> org.vmunit.vm.web-01, "my vm" -> org.vmunit.vm.my_20vm,
 * "1st" -> org.vmunit.vm._31st, "a_b" -> org.vmunit.vm.a_5fb. When that exceeds the 255 bytes a
 * bus name may have, the name is org.vmunit.vm.__ followed by the SHA-256 of the VM name in
 * lower-case hex: no escaped name contains "__", so the two forms never meet. Distinct VM names
 * get distinct bus names (the escaped form can be read back; the hashed one only collides if
 * SHA-256 does).
 * Pure: no I/O.
 */
#pragma once

#include <stdint.h>

#define VMUNIT_MANAGER_BUS_NAME "org.vmunit.Manager1"
#define VMUNIT_MANAGER_OBJECT_PATH "/org/vmunit/Manager1"
#define VMUNIT_MANAGER_INTERFACE "org.vmunit.Manager1"

#define VMUNIT_VM_BUS_NAME_PREFIX "org.vmunit.vm."
#define VMUNIT_VM_OBJECT_PATH "/org/vmunit/vm"
#define VMUNIT_VM_INTERFACE "org.vmunit.VM1"

/* Errors of org.vmunit.Manager1 and org.vmunit.VM1; vmctl maps them to its exit codes. */
#define VMUNIT_ERROR_NO_SUCH_DOMAIN "org.vmunit.Error.NoSuchDomain"     /* no definition of that name */
#define VMUNIT_ERROR_INVALID_NAME "org.vmunit.Error.InvalidName"        /* cannot be a VM name at all */
#define VMUNIT_ERROR_INVALID_XML "org.vmunit.Error.InvalidXML"          /* the strict parser refused it */
#define VMUNIT_ERROR_DOMAIN_EXISTS "org.vmunit.Error.DomainExists"      /* UUID clash with another domain */
#define VMUNIT_ERROR_DOMAIN_ACTIVE "org.vmunit.Error.DomainActive"      /* refused while vm@NAME runs */
#define VMUNIT_ERROR_ACCESS_DENIED "org.vmunit.Error.AccessDenied"      /* polkit said no */
#define VMUNIT_ERROR_NOT_SUPPORTED "org.vmunit.Error.NotSupported"      /* e.g. an unknown native format */
#define VMUNIT_ERROR_DEVICE_BUSY "org.vmunit.Error.DeviceBusy"          /* the guest did not release a device */

/* GetXML flags (Manager1 and VM1) */
#define VMUNIT_GET_XML_SECURE UINT64_C(1)       /* include passwords (<graphics passwd=...>) */

#define VM_BUS_NAME_MAX 255             /* the D-Bus specification's limit */

/* The well-known bus name of VM @vm_name's supervisor. Returns -EINVAL if @vm_name is not a
 * valid VM name (vm_name_validate()) or not valid UTF-8 (a D-Bus string could not carry it),
 * -ENOMEM. */
int vm_bus_name(const char *vm_name, char **ret);

/* The inverse, for names of the escaped form. Returns -EINVAL unless @bus_name is exactly what
 * vm_bus_name() gives for some VM name, -ENODATA for the hashed form (which keeps no name),
 * -ENOMEM. */
int vm_bus_name_to_vm_name(const char *bus_name, char **ret);
