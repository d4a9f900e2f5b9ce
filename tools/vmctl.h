/*
 * vmctl's shared parts: options, exit codes, the bus plumbing (vmctl-bus.c) and the verbs of each
 * area (vmctl-domain.c: definitions and state; vmctl-import.c: native formats). vmctl.c parses the
 * command line and dispatches.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* Exit codes (vmctl(1)): 0 ok, 1 failure */
#define EXIT_USAGE 2
#define EXIT_NO_SUCH_DOMAIN 3
#define EXIT_ACCESS_DENIED 4

#define VMCTL_DEFAULT_TIMEOUT_USEC (25 * UINT64_C(1000000))
/* How long a service may take to show it is alive (activation included) before vmctl says it hangs. */
#define VMCTL_PING_TIMEOUT_USEC (600 * UINT64_C(1000))

extern bool arg_json, arg_lax, arg_user, arg_quiet, arg_no_pager, arg_all, arg_inactive, arg_security_info,
        arg_disable, arg_no_block, arg_name, arg_hmp;
extern const char *arg_host;
extern uint64_t arg_timeout_usec;

/* ---- vmctl-bus.c ---- */

typedef enum BusTransport {
        BUS_TRANSPORT_SYSTEM,
        BUS_TRANSPORT_USER,
        BUS_TRANSPORT_REMOTE,           /* the system bus of another host, over ssh */
        _BUS_TRANSPORT_MAX,
        _BUS_TRANSPORT_INVALID = -EINVAL,
} BusTransport;

/* -c URI: qemu:///system, qemu:///session, qemu+ssh://[USER@]HOST[:PORT]/system (libvirt's spellings).
 * Returns 0 with the host (malloc'd, REMOTE only) in *@ret_host; -EINVAL for anything else, with
 * what is wrong in *@ret_reason (static). */
int vmctl_parse_uri(const char *uri, BusTransport *ret, char **ret_host, const char **ret_reason);

/* The exit status for a failed call: 3 for an unknown domain, 4 for every kind of "access denied"
 * (ours, the bus's, polkit's, systemd's), else 1. @error_name may be NULL (then @r decides). */
int vmctl_exit_status(const char *error_name, int r) _pure_;

/* The bus of the chosen transport, opened on first use; prints why on failure. Returns 0 or an exit
 * status. */
int vmctl_bus(sd_bus **ret);
/* Prints "vmctl: @what: <reason>" for a failed call, in words for the cases a user meets (no such
 * service, no answer in time, access denied); returns vmctl_exit_status(). @service names what was
 * called, for messages such as "vmunit-managerd did not answer". */
int vmctl_log_bus_error(const char *service, const char *what, const sd_bus_error *e, int r);

/* Calls a method of org.vmunit.Manager1, after making sure once per process that the manager
 * answers at all (VMCTL_PING_TIMEOUT_USEC). Returns 0 with the reply, or the exit status: after
 * printing the error with @what, or, when @ret_error is non-NULL and the call itself failed, with
 * the error there for the caller to word. */
int vmctl_call_manager(const char *member, const char *what, sd_bus_error *ret_error, sd_bus_message **ret_reply,
                       const char *types, ...);

/* Calls @member of org.vmunit.VM1 on VM @name's supervisor (org.vmunit.vm.<escaped name>,
 * /org/vmunit/vm). Same contract as vmctl_call_manager(); a VM without a supervisor on the bus is
 * reported as not running (EXIT_FAILURE). For the verbs served by the per-VM object. */
int vmctl_call_vm(const char *name, const char *member, const char *what, sd_bus_error *ret_error,
                  sd_bus_message **ret_reply, const char *types, ...);

/* Refuses locally what can never be a VM name (and could not even travel as a D-Bus string).
 * Returns 0, or EXIT_USAGE after saying why. */
int vmctl_check_name(const char *name);

/* State words as virsh shows them, from vm@NAME.service's ActiveState/SubState: running, starting,
 * shutting-down, shut off, failed. */
const char *vmctl_state_word(const char *active_state, const char *sub_state) _pure_;

/* systemd: StartUnit(@unit, "replace") and, unless --no-block, wait for the job. Returns 0 or an exit
 * status after printing the error. */
int vmctl_start_unit(const char *unit, const char *what);
/* Properties of @unit on org.freedesktop.systemd1.Unit as strings or numbers ("MainPID" ...). */
int vmctl_unit_property_u32(const char *unit, const char *property, uint32_t *ret);

/* ---- pager (vmctl.c) ---- */
void vmctl_pager_open(void);
