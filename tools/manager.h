/*
 * vmunit-managerd: the bus-activated manager of persistent definitions (org.vmunit.Manager1).
 * manager-dbus.c has the interface, manager-units.c what systemd says about vm@NAME.service and
 * the definitions' UUIDs; vmunit-managerd.c sets up the bus and exits when idle.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-name.h"
#include "domain-store.h"
#include "polkit-check.h"
#include "unit-state.h"

#define MANAGER_GET_XML_SECURE VMUNIT_GET_XML_SECURE

typedef struct DomainInfo {
        char *name;
        char *uuid;                     /* "" when the definition cannot be read */
        /* what the cached uuid was read from */
        uint64_t dev, ino, size;
        int64_t mtime_nsec;
} DomainInfo;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        PolkitRegistry *polkit;
        DomainStore store;
        bool user;                      /* the session instance: the user bus and the user's store */
        DomainInfo *cache;              /* sorted by name */
        size_t n_cache;
        unsigned n_unit_queries;        /* calls to systemd in flight */
} Manager;

extern const sd_bus_vtable manager_vtable[];

/* The UUID of domain @name from its definition, re-read only when the file changed. Returns 0 and
 * a pointer into the cache ("" for a definition that cannot be parsed), -ENOENT, -ENOMEM. */
int manager_domain_uuid(Manager *m, const char *name, const char **ret);
/* Forgets cached definitions that are no longer in @names (sorted). */
void manager_cache_prune(Manager *m, char * const *names);
void manager_cache_free(Manager *m);

/* Asks systemd, asynchronously, for ActiveState and SubState of vm@NAME.service for each of
 * @names; @callback gets the reply of ListUnitsByNames (a(ssssssouso), in the order of @names)
 * or the error, with @userdata. */
int manager_query_units(Manager *m, char * const *names, sd_bus_message_handler_t callback, void *userdata);
/* Asks systemd, asynchronously, for the vm@*.service units it has loaded (ListUnitsByPatterns): a unit
 * not among them is inactive and not even loaded. Asking for each domain's unit by name instead would
 * make systemd load 200 unit files for a listing of 200 domains. */
int manager_query_all_vm_units(Manager *m, sd_bus_message_handler_t callback, void *userdata);
/* Reads one entry of ListUnitsByNames' or ListUnitsByPatterns' reply: the active and sub state (and
 * the unit's name). */
int manager_read_unit_entry(sd_bus_message *reply, const char **ret_active, const char **ret_sub);
int manager_read_unit_entry_full(sd_bus_message *reply, const char **ret_unit, const char **ret_active,
                                 const char **ret_sub);
