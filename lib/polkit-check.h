/*
 * polkit for sd-bus method handlers, shared by vmunit-managerd and the supervisor's per-VM object:
 * the actions of polkit/org.vmunit.policy and an asynchronous CheckAuthorization that never blocks
 * the caller's event loop (polkit may wait minutes for an authentication agent).
 *
 * Use, in a handler shaped "read, validate, authorize, act, reply":
 *
 *         r = polkit_check_async(m->polkit, msg, VMUNIT_ACTION_DEFINE, details, error);
 *         if (r < 0)
 *                 return r;               // denied: @error says why; sd-bus replies with it
 *         if (r == 0)
 *                 return 1;               // asked polkit: @msg is dispatched again once it answered
 *         ... act ...
 *
 * The handler runs a second time for the same message, from the start; it must not have changed
 * anything before the check.
 */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#define VMUNIT_ACTION_READ "org.vmunit.read"                    /* allow_any */
#define VMUNIT_ACTION_CONTROL "org.vmunit.control"              /* auth_admin_keep */
#define VMUNIT_ACTION_DEFINE "org.vmunit.define"                /* auth_admin_keep */
#define VMUNIT_ACTION_AUTOSTART "org.vmunit.autostart"          /* auth_admin_keep */
#define VMUNIT_ACTION_MONITOR_COMMAND "org.vmunit.monitor-command" /* auth_admin */

typedef struct PolkitRegistry PolkitRegistry;

int polkit_registry_new(PolkitRegistry **ret);
PolkitRegistry *polkit_registry_free(PolkitRegistry *reg);
static inline void polkit_registry_freep(PolkitRegistry **reg) {
        *reg = polkit_registry_free(*reg);
}
/* Queries sent to polkit and not yet answered: a service that exits when idle waits for them. */
size_t polkit_registry_pending(const PolkitRegistry *reg);

/* May the sender of @m do @action? A peer with our own uid, or root, may do anything without
 * polkit (the manager runs as root; on a user bus the owner is its only caller). Otherwise polkit
 * decides, with the subject system-bus-name of the sender, and @details (NULL, or a
 * NULL-terminated list of key, value, ... pairs that rules read with action.lookup(key)).
 * Returns 1 if allowed; 0 if polkit was asked (the handler returns 1 and is called again with @m
 * once polkit answered); -EACCES with @error set to org.vmunit.Error.AccessDenied, or to
 * org.freedesktop.DBus.Error.InteractiveAuthorizationRequired when polkit would have asked for a
 * password but the caller did not allow interaction; other -errno on failure. */
int polkit_check_async(PolkitRegistry *reg, sd_bus_message *m, const char *action, const char * const *details,
                       sd_bus_error *error);
