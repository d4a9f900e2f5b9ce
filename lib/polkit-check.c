/*
 * Asynchronous polkit checks for sd-bus services: see polkit-check.h.
 *
 * A query remembers the method call it was made for. polkit's answer is stored in it and the call
 * is put back into the bus's incoming queue; when its handler asks again, the answer is found by
 * the message's identity, handed out and the query dropped.
 */
#include <stdio.h>
#include <unistd.h>

#include "bus-name.h"
#include "cleanup.h"
#include "polkit-check.h"
#include "strv.h"

typedef struct PolkitQuery {
        struct PolkitQuery *next;
        PolkitRegistry *registry;
        sd_bus_message *request;        /* the method call, referenced */
        char *action;
        sd_bus_slot *slot;              /* the CheckAuthorization call while pending */
        bool done;
        bool authorized, challenge;
        sd_bus_error error;             /* set when asking polkit failed */
} PolkitQuery;

struct PolkitRegistry {
        PolkitQuery *queries;
        size_t n_pending;
};

static PolkitQuery *query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->slot) {
                q->registry->n_pending--;
                sd_bus_slot_unref(q->slot);
        }
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q);
        return NULL;
}

static void query_unlink(PolkitQuery *q) {
        for (PolkitQuery **p = &q->registry->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        return;
                }
}

int polkit_registry_new(PolkitRegistry **ret) {
        *ret = new0(PolkitRegistry, 1);
        return *ret ? 0 : -ENOMEM;
}

PolkitRegistry *polkit_registry_free(PolkitRegistry *reg) {
        if (!reg)
                return NULL;
        while (reg->queries) {
                PolkitQuery *q = reg->queries;
                reg->queries = q->next;
                query_free(q);
        }
        free(reg);
        return NULL;
}

size_t polkit_registry_pending(const PolkitRegistry *reg) {
        return reg ? reg->n_pending : 0;
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->registry->n_pending--;
        q->done = true;

        e = sd_bus_message_get_error(reply);
        if (e)
                (void) sd_bus_error_copy(&q->error, e);
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        (void) sd_bus_error_set_errnof(&q->error, r, "Cannot read polkit's answer: %m");
                q->authorized = authorized;
                q->challenge = challenge;
        }

        /* The handler runs again for the request and picks up the answer. */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                /* nobody will ask for this answer: the caller gets no reply, which its timeout reports */
                query_unlink(q);
                query_free(q);
        }
        return 0;
}

static int ask_polkit(PolkitRegistry *reg, sd_bus_message *m, const char *action, const char * const *details) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        PolkitQuery *q;
        int r;

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(m), &c, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(c, "(sa{sv})s", "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(m),
                                  action);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(c, 'a', "{ss}");
        if (r < 0)
                return r;
        for (const char * const *d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(c, "{ss}", d[0], d[1]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(c);
        if (r < 0)
                return r;
        /* flag 1: AllowUserInteraction, when the caller said it can wait for an agent */
        r = sd_bus_message_append(c, "us", (uint32_t) (sd_bus_message_get_allow_interactive_authorization(m) > 0),
                                  "");
        if (r < 0)
                return r;

        q = new0(PolkitQuery, 1);
        if (!q)
                return -ENOMEM;
        q->registry = reg;
        q->request = sd_bus_message_ref(m);
        q->action = strdup(action);
        if (!q->action) {
                query_free(q);
                return -ENOMEM;
        }
        /* polkit may wait for an authentication agent: no short timeout here */
        r = sd_bus_call_async(sd_bus_message_get_bus(m), &q->slot, c, on_polkit_reply, q, UINT64_C(300000000));
        if (r < 0) {
                query_free(q);
                return r;
        }
        reg->n_pending++;
        q->next = reg->queries;
        reg->queries = q;
        return 0;
}

int polkit_check_async(PolkitRegistry *reg, sd_bus_message *m, const char *action, const char * const *details,
                       sd_bus_error *error) {
        int r;

        assert(reg);
        assert(m);
        assert(action);

        r = sd_bus_query_sender_privilege(m, -1);
        if (r < 0)
                return r;
        if (r > 0)
                return 1;

        for (PolkitQuery *q = reg->queries; q; q = q->next) {
                if (q->request != m)
                        continue;
                if (!streq(q->action, action) || !q->done)
                        /* a second check for the same call, or the same call again while waiting:
                         * a handler bug, as each call is checked once */
                        return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
                                                 "Authorization for '%s' already pending.", q->action);
                query_unlink(q);
                if (sd_bus_error_is_set(&q->error))
                        r = sd_bus_error_setf(error, VMUNIT_ERROR_ACCESS_DENIED,
                                              "Access denied to '%s': polkit could not be asked (%s).", action,
                                              q->error.message ?: q->error.name);
                else if (q->authorized)
                        r = 1;
                else if (q->challenge)
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                              "Interactive authentication required for '%s'.", action);
                else
                        r = sd_bus_error_setf(error, VMUNIT_ERROR_ACCESS_DENIED,
                                              "Access denied to '%s' by polkit.", action);
                query_free(q);
                return r > 0 ? 1 : -EACCES;
        }

        r = ask_polkit(reg, m, action, details);
        return r < 0 ? r : 0;
}
