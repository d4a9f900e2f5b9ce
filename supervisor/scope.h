/*
 * The VM's transient scope: created around the (still waiting) QEMU child through
 * systemd-machined's CreateMachine when machined is reachable, so that machinectl lists the VM,
 * else through systemd's StartTransientUnit directly. Either way the scope is
 * machine-NAME.scope in machine.slice, carries DevicePolicy=closed, DeviceAllow= and the limits
 * of a CgroupPlan, and has no dependency on vm@NAME.service: it outlives a crashed supervisor
 * (re-attach), and the supervisor itself ends it on every orderly exit path.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "cgroup-plan.h"

/* "machine-" + the name escaped as systemd escapes unit name parts + ".scope". */
int scope_unit_name(const char *vm_name, char **ret);

/* Creates the scope with @pid in it and returns once its start job finished. *@ret_machined
 * tells which way was taken. Returns -EEXIST if a unit of that name is still loaded. */
int scope_create(sd_bus *bus, const char *vm_name, const char *uuid, pid_t pid, const CgroupPlan *plan,
                 char **ret_unit, bool *ret_machined);

/* Kills what is left in @unit with SIGKILL (if @kill) and stops it; a unit that is already gone
 * is not an error. */
int scope_stop(sd_bus *bus, const char *unit, bool kill);
