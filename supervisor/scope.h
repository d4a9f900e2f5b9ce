/*
 * The VM's transient scope: created around the (still waiting) QEMU child with systemd's
 * StartTransientUnit, then registered with systemd-machined (RegisterMachine, when machined runs)
 * so that machinectl lists the VM. The registration is a separate step, done while QEMU
 * initialises, because machined's CreateMachine would put a second D-Bus round trip and
 * machined's own work in front of QEMU's start. The scope is machine-NAME.scope in
 * machine.slice (the name machined would give it), carries DevicePolicy=closed, DeviceAllow= and
 * the limits of a CgroupPlan, and has no dependency on vm@NAME.service: it outlives a crashed
 * supervisor (re-attach), and the supervisor itself ends it on every orderly exit path.
 *
 * The session instance asks the user's manager instead (on the user bus), for a scope in the user's
 * own default slice with the plan's limits but without the device ACL: a user's systemd cannot
 * attach the BPF program that DevicePolicy= needs (it would silently ignore it), so QEMU opens
 * whatever device nodes the user can, and we say so rather than pretend. Limits whose cgroup
 * controller the system does not delegate to the user's manager (io, on Debian 12: user@.service has
 * Delegate=pids memory cpu) are ignored by systemd the same silent way. machined is not asked.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "cgroup-plan.h"

/* "machine-" + the name escaped as systemd escapes unit name parts + ".scope". */
int scope_unit_name(const char *vm_name, char **ret);

typedef struct ScopeOptions {
        const CgroupPlan *plan;
        bool session;                   /* @bus is the user's manager: no device ACL, no machine.slice */
        const char *service;            /* the unit we run in (vm@NAME.service), ordered after the scope's
                                         * stop; NULL: none (run by hand) */
        const pid_t *extra_pids;        /* more processes of the VM that go with QEMU (its virtiofsd) */
        unsigned n_extra_pids;
} ScopeOptions;

/* Creates the scope with @pid (and @opts->extra_pids) in it and returns once its start job finished. Returns -EEXIST if a
 * unit of that name is still loaded. */
int scope_create(sd_bus *bus, const char *vm_name, pid_t pid, const ScopeOptions *opts, char **ret_unit);

/* Registers the VM with systemd-machined, @pid being the leader in the scope. Returns 0, -ENOENT
 * when machined is not there, other -errno (a name already registered: -EEXIST) on failure. */
int scope_register_machine(sd_bus *bus, const char *vm_name, const char *uuid, pid_t pid);

/* Kills what is left in @unit with SIGKILL (if @kill) and stops it; a unit that is already gone
 * is not an error. */
int scope_stop(sd_bus *bus, const char *unit, bool kill);
