/*
 * systemd's ActiveState of vm@NAME.service, as vmunit reads it: one rule for the manager (Undefine
 * refuses an active domain) and vmctl (list shows the active ones).
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

/* Running, or on its way up or down: everything but "inactive" and "failed". */
static inline bool unit_state_is_active(const char *active_state) {
        return !streq(active_state, "inactive") && !streq(active_state, "failed");
}
