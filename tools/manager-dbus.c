/*
 * org.vmunit.Manager1 on /org/vmunit/Manager1: the persistent definitions, their state as systemd
 * sees it, host capabilities and the native-format conversions. The API is documented in
 * docs/vmctl.1 (BUS API) and pinned by tests/data/bus/org.vmunit.Manager1.introspect.
 *
 * Every handler reads, validates, authorizes (polkit-check.h: non-root callers only; a handler may
 * run twice for one call) and then acts. Calls that need systemd's view of a unit ask it
 * asynchronously and reply from the callback, so that a slow systemd never blocks other callers.
 */
#include <stdio.h>

#include "bus-name.h"
#include "capabilities.h"
#include "cleanup.h"
#include "config.h"
#include "domxml-write.h"
#include "domxml.h"
#include "manager.h"
#include "native.h"
#include "strv.h"
#include "unit-name.h"

/* Where parse errors of a definition sent over the bus point: "input:LINE: <element>: ...". */
#define INPUT_NAME "input"

/* A method call waiting for systemd's answer. */
typedef struct UnitQuery {
        Manager *manager;
        sd_bus_message *request;
        char **names;
        int (*reply)(struct UnitQuery *q, sd_bus_message *units, sd_bus_error *error);
} UnitQuery;

static UnitQuery *unit_query_free(UnitQuery *q) {
        if (!q)
                return NULL;
        sd_bus_message_unref(q->request);
        strv_free(q->names);
        free(q);
        return NULL;
}
DEFINE_CLEANUP_FUNC(UnitQuery *, unit_query_free);

static int set_invalid_name(sd_bus_error *error, const char *name, int r) {
        if (r == -ENAMETOOLONG)
                return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_NAME,
                                         "Domain name '%s' is too long: vm@NAME.service, NAME escaped, must fit "
                                         "in %d bytes.", name, VM_UNIT_NAME_MAX);
        return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_NAME,
                                 "Invalid domain name '%.200s%s': 1 to 200 bytes of UTF-8, no '/', no leading '.', "
                                 "no control characters.", name, strlen(name) > 200 ? "..." : "");
}

/* A name that can be a domain: valid, and vm@NAME.service fits in a unit name. */
static int check_name(const char *name, sd_bus_error *error) {
        _cleanup_free_ char *unit = NULL;
        int r;

        r = vm_unit_name(name, &unit);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_invalid_name(error, name, r);
        return 0;
}

/* A name that is defined. */
static int check_defined(Manager *m, const char *name, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = check_name(name, error);
        if (r < 0)
                return r;
        r = domain_store_path(&m->store, name, &path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0) {
                if (errno == ENOENT)
                        return sd_bus_error_setf(error, VMUNIT_ERROR_NO_SUCH_DOMAIN, "No domain '%s' is defined.",
                                                 name);
                return sd_bus_error_set_errnof(error, errno, "Cannot access '%s': %m", path);
        }
        return 0;
}

static int authorize(Manager *m, sd_bus_message *msg, const char *action, const char *name, sd_bus_error *error) {
        const char *details[] = { "domain_name", name, NULL };

        return polkit_check_async(m->polkit, msg, action, name ? details : NULL, error);
}

static int on_units(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(unit_query_freep) UnitQuery *q = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const sd_bus_error *e;
        int r;

        q->manager->n_unit_queries--;
        e = sd_bus_message_get_error(reply);
        /* systemd's own error names would read as if the manager were the one missing or denied */
        if (e)
                r = sd_bus_error_setf(&error, sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ? e->name
                                      : SD_BUS_ERROR_FAILED, "Cannot ask systemd about vm@.service: %s", e->message);
        else {
                r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
                if (r >= 0)
                        r = q->reply(q, reply, &error);
        }
        if (r < 0) {
                if (!sd_bus_error_is_set(&error))
                        sd_bus_error_set_errno(&error, r);
                (void) sd_bus_reply_method_error(q->request, &error);
        }
        return 0;
}

/* Asks systemd about @names (taken) and replies to @msg through @reply. */
static int query_units(Manager *m, sd_bus_message *msg, char **names,
                       int (*reply)(UnitQuery *q, sd_bus_message *units, sd_bus_error *error)) {
        _cleanup_(unit_query_freep) UnitQuery *q = NULL;
        int r;

        q = new0(UnitQuery, 1);
        if (!q) {
                strv_free(names);
                return -ENOMEM;
        }
        *q = (UnitQuery) { .manager = m, .request = sd_bus_message_ref(msg), .names = names, .reply = reply };
        r = manager_query_units(m, names, on_units, q);
        if (r < 0)
                return r;
        TAKE_PTR(q);
        return 1;
}

/* GetDomain and Undefine: one defined domain, authorized for @action, then systemd's view of its unit. */
static int query_one(sd_bus_message *msg, Manager *m, const char *action,
                     int (*reply)(UnitQuery *q, sd_bus_message *units, sd_bus_error *error), sd_bus_error *error) {
        char **names = NULL;
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = check_defined(m, name, error);
        if (r < 0)
                return r;
        r = authorize(m, msg, action, name, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = strv_extend(&names, name);
        if (r < 0)
                return r;
        return query_units(m, msg, names, reply);
}

/* ---- ListDomains() -> a(ssssb) name, uuid, active state, sub state, autostart ---- */

typedef struct UnitState {
        const char *unit, *active, *sub;        /* point into the reply */
} UnitState;

static int cmp_unit_state(const void *a, const void *b) {
        return strcmp(((const UnitState *) a)->unit, ((const UnitState *) b)->unit);
}

static int reply_list(UnitQuery *q, sd_bus_message *units, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ UnitState *loaded = NULL;
        Manager *m = q->manager;
        size_t n_loaded = 0;
        int r;

        for (;;) {
                UnitState u, *g;

                r = manager_read_unit_entry_full(units, &u.unit, &u.active, &u.sub);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                g = realloc(loaded, (n_loaded + 1) * sizeof(UnitState));
                if (!g)
                        return -ENOMEM;
                loaded = g;
                loaded[n_loaded++] = u;
        }
        if (n_loaded > 0)
                qsort(loaded, n_loaded, sizeof(UnitState), cmp_unit_state);

        r = sd_bus_message_new_method_return(q->request, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssb)");
        if (r < 0)
                return r;
        STRV_FOREACH(n, q->names) {
                _cleanup_free_ char *unit = NULL;
                const char *uuid, *active = "inactive", *sub = "dead";
                UnitState *u = NULL;

                r = manager_domain_uuid(m, *n, &uuid);
                if (r == -ENOENT)
                        continue;               /* undefined meanwhile */
                if (r < 0)
                        return r;
                r = vm_unit_name(*n, &unit);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && n_loaded > 0)
                        u = bsearch(&(UnitState) { .unit = unit }, loaded, n_loaded, sizeof(UnitState),
                                    cmp_unit_state);
                if (u) {
                        active = u->active;
                        sub = u->sub;
                }
                r = sd_bus_message_append(reply, "(ssssb)", *n, uuid, active, sub,
                                          domain_store_get_autostart(&m->store, *n) > 0);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_domains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(unit_query_freep) UnitQuery *q = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = authorize(m, msg, VMUNIT_ACTION_READ, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = domain_store_list(&m->store, &names);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read '%s': %m", m->store.domain_dir);
        manager_cache_prune(m, names);
        if (!names[0])
                return sd_bus_reply_method_return(msg, "a(ssssb)", 0);

        q = new0(UnitQuery, 1);
        if (!q)
                return -ENOMEM;
        *q = (UnitQuery) { .manager = m, .request = sd_bus_message_ref(msg), .names = TAKE_PTR(names),
                           .reply = reply_list };
        r = manager_query_all_vm_units(m, on_units, q);
        if (r < 0)
                return r;
        TAKE_PTR(q);
        return 1;
}

/* ---- GetDomain(s name) -> (s uuid, s active_state, s sub_state, b autostart) ---- */

static int reply_domain(UnitQuery *q, sd_bus_message *units, sd_bus_error *error) {
        const char *active, *sub, *uuid;
        int r;

        r = manager_read_unit_entry(units, &active, &sub);
        if (r < 0)
                return r;
        r = manager_domain_uuid(q->manager, q->names[0], &uuid);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, VMUNIT_ERROR_NO_SUCH_DOMAIN, "No domain '%s' is defined.",
                                         q->names[0]);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(q->request, "sssb", uuid, active, sub,
                                          domain_store_get_autostart(&q->manager->store, q->names[0]) > 0);
}

static int method_get_domain(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return query_one(msg, userdata, VMUNIT_ACTION_READ, reply_domain, error);
}

/* ---- DefineXML(s xml) -> s name ---- */

/* Is @uuid (of domain @name) already another domain's? Sets @error then. */
static int check_uuid_unique(Manager *m, const char *name, const char *uuid, sd_bus_error *error) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = domain_store_list(&m->store, &names);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read '%s': %m", m->store.domain_dir);
        STRV_FOREACH(n, names) {
                const char *other;

                if (manager_domain_uuid(m, *n, &other) < 0 || !other[0])
                        continue;
                if (streq(*n, name)) {
                        /* libvirt's rule: a domain keeps its UUID for life */
                        if (strcasecmp(other, uuid) != 0)
                                return sd_bus_error_setf(error, VMUNIT_ERROR_DOMAIN_EXISTS,
                                                         "Domain '%s' is already defined with UUID %s, not %s.",
                                                         name, other, uuid);
                } else if (strcasecmp(other, uuid) == 0)
                        return sd_bus_error_setf(error, VMUNIT_ERROR_DOMAIN_EXISTS,
                                                 "Domain '%s' already has UUID %s.", *n, uuid);
        }
        return 0;
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(vm_def_freep) VmDef *def = NULL, *check = NULL;
        _cleanup_free_ char *perror = NULL, *text = NULL;
        const char *xml;
        char uuid[37];
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r < 0)
                return r;
        r = domxml_parse_memory(xml, strlen(xml), INPUT_NAME, 0, &def, &perror, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_XML, "%s",
                                         perror ?: r == -E2BIG ? "The domain XML is larger than 8 MiB."
                                                               : "The domain XML is invalid.");
        r = check_name(def->name, error);
        if (r < 0)
                return r;
        r = authorize(m, msg, VMUNIT_ACTION_DEFINE, def->name, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        if (!def->uuid) {
                r = uuid_random(uuid);
                if (r < 0)
                        return r;
                def->uuid = vm_def_strdup(def, uuid);
                if (!def->uuid)
                        return -ENOMEM;
        }
        r = check_uuid_unique(m, def->name, def->uuid, error);
        if (r < 0)
                return r;

        /* Stored as the writer puts it (what GetXML shows), checked to read back as it was meant. */
        r = domxml_write(def, &text, &perror);
        if (r < 0)
                return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_XML, "%s",
                                         perror ?: "The domain cannot be written as XML.");
        r = domxml_parse_memory(text, strlen(text), def->name, 0, &check, &perror, NULL);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
                                         "Internal error: the normalized definition does not read back: %s",
                                         perror ?: strerror(-r));

        r = domain_store_write(&m->store, def->name, text, strlen(text));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot write the definition of '%s' to '%s': %m",
                                               def->name, m->store.domain_dir);
        return sd_bus_reply_method_return(msg, "s", def->name);
}

/* ---- Undefine(s name) ---- */

static int reply_undefine(UnitQuery *q, sd_bus_message *units, sd_bus_error *error) {
        const char *active, *sub;
        int r;

        r = manager_read_unit_entry(units, &active, &sub);
        if (r < 0)
                return r;
        if (unit_state_is_active(active))
                return sd_bus_error_setf(error, VMUNIT_ERROR_DOMAIN_ACTIVE,
                                         "Domain '%s' is %s (vm@.service %s/%s): stop it first.", q->names[0],
                                         streq(active, "active") ? "running" : active, active, sub);
        r = domain_store_remove(&q->manager->store, q->names[0]);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, VMUNIT_ERROR_NO_SUCH_DOMAIN, "No domain '%s' is defined.",
                                         q->names[0]);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot remove the definition of '%s': %m", q->names[0]);
        return sd_bus_reply_method_return(q->request, NULL);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return query_one(msg, userdata, VMUNIT_ACTION_DEFINE, reply_undefine, error);
}

/* ---- GetXML(s name, t flags) -> s xml ---- */

static int method_get_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL, *perror = NULL, *xml = NULL;
        const char *name;
        uint64_t flags;
        size_t len;
        int r;

        r = sd_bus_message_read(msg, "st", &name, &flags);
        if (r < 0)
                return r;
        if (flags & ~MANAGER_GET_XML_SECURE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown flags 0x%" PRIx64 ".",
                                         flags & ~MANAGER_GET_XML_SECURE);
        r = check_defined(m, name, error);
        if (r < 0)
                return r;
        /* passwords only for those who could have set them */
        r = authorize(m, msg, flags & MANAGER_GET_XML_SECURE ? VMUNIT_ACTION_DEFINE : VMUNIT_ACTION_READ, name,
                      error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = domain_store_path(&m->store, name, &path);
        if (r < 0)
                return r;
        r = domain_store_read(&m->store, name, &text, &len);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, VMUNIT_ERROR_NO_SUCH_DOMAIN, "No domain '%s' is defined.", name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read '%s': %m", path);
        r = domxml_parse_memory(text, len, path, 0, &def, &perror, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_XML, "The definition on disk is invalid: %s",
                                         perror ?: strerror(-r));
        if (!(flags & MANAGER_GET_XML_SECURE))
                for (unsigned i = 0; i < def->n_graphics; i++)
                        def->graphics[i].passwd = NULL;         /* arena memory: freed with @def */
        r = domxml_write(def, &xml, &perror);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Cannot write the domain XML of '%s': %s", name,
                                         perror ?: strerror(-r));
        return sd_bus_reply_method_return(msg, "s", xml);
}

/* ---- SetAutostart(s name, b enable) ---- */

static int method_set_autostart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        int enable, r;

        r = sd_bus_message_read(msg, "sb", &name, &enable);
        if (r < 0)
                return r;
        r = check_defined(m, name, error);
        if (r < 0)
                return r;
        r = authorize(m, msg, VMUNIT_ACTION_AUTOSTART, name, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = domain_store_set_autostart(&m->store, name, enable);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, VMUNIT_ERROR_NO_SUCH_DOMAIN, "No domain '%s' is defined.", name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot %s the autostart entry of '%s' in '%s': %m",
                                               enable ? "create" : "remove", name, m->store.autostart_dir);
        return sd_bus_reply_method_return(msg, NULL);
}

/* ---- GetCapabilities() -> s xml ---- */

static int method_get_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *xml = NULL, *cerror = NULL;
        VmunitConfig config;
        HostCaps caps;
        int r;

        r = authorize(m, msg, VMUNIT_ACTION_READ, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = config_init(&config);
        if (r < 0)
                return r;
        /* the session instance's QEMU runs as the user: the host's settings are not its own */
        if (m->user) {
                free(config.user);
                config.user = NULL;
                if (asprintf(&config.user, "+%u", (unsigned) getuid()) < 0 ||
                    asprintf(&config.group, "+%u", (unsigned) getgid()) < 0) {
                        config_done(&config);
                        return -ENOMEM;
                }
        } else {
                r = config_load(&config, VMUNIT_CONFIG_PATH, &cerror);
                if (r < 0 && r != -ENOENT) {
                        config_done(&config);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "%s",
                                                 cerror ?: "Cannot read " VMUNIT_CONFIG_PATH ".");
                }
        }
        r = host_caps_probe(NULL, &config, &caps);
        config_done(&config);
        if (r < 0)
                return r;
        r = host_caps_format_xml(&caps, &xml, &cerror);
        host_caps_done(&caps);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Cannot write the capabilities: %s",
                                         cerror ?: strerror(-r));
        return sd_bus_reply_method_return(msg, "s", xml);
}

/* ---- DomainXMLToNative(s format, s xml) -> s native; DomainXMLFromNative(s format, s native) -> (s, as) ---- */

static int check_format(const char *format, sd_bus_error *error) {
        if (!streq(format, NATIVE_FORMAT_QEMU_ARGV))
                return sd_bus_error_setf(error, VMUNIT_ERROR_NOT_SUPPORTED,
                                         "Unsupported native format '%s' (only '" NATIVE_FORMAT_QEMU_ARGV "').",
                                         format);
        return 0;
}

static int method_domain_xml_to_native(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *perror = NULL, *line = NULL;
        const char *format, *xml;
        QemuCommand cmd = {};
        int r;

        r = sd_bus_message_read(msg, "ss", &format, &xml);
        if (r < 0)
                return r;
        r = check_format(format, error);
        if (r < 0)
                return r;
        r = authorize(m, msg, VMUNIT_ACTION_READ, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = native_from_domxml(xml, strlen(xml), INPUT_NAME, 0, m->user, &cmd, &perror, NULL);
        if (r >= 0)
                r = native_command_line(&cmd, &line);
        qemu_command_done(&cmd);
        if (r == -ENOMEM)
                return r;
        if (r == -ENXIO)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED,
                                        "The session instance's paths need XDG_RUNTIME_DIR and HOME.");
        if (r < 0)
                return sd_bus_error_setf(error, VMUNIT_ERROR_INVALID_XML, "%s", perror ?: strerror(-r));
        return sd_bus_reply_method_return(msg, "s", line);
}

static int method_domain_xml_from_native(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *perror = NULL, *xml = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        const char *format, *native;
        int r;

        r = sd_bus_message_read(msg, "ss", &format, &native);
        if (r < 0)
                return r;
        r = check_format(format, error);
        if (r < 0)
                return r;
        r = authorize(m, msg, VMUNIT_ACTION_READ, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* the caller's working directory is unknown here: relative paths are refused */
        r = native_to_domxml(native, strlen(native), NULL, &xml, &notes, &perror);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s", perror ?: strerror(-r));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", xml);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, notes);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListDomains",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssssb)", domains),
                                method_list_domains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDomain",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("s", uuid, "s", active_state, "s", sub_state, "b", autostart),
                                method_get_domain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DefineXML",
                                SD_BUS_ARGS("s", xml),
                                SD_BUS_RESULT("s", name),
                                method_define_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Undefine",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_NO_RESULT,
                                method_undefine, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetXML",
                                SD_BUS_ARGS("s", name, "t", flags),
                                SD_BUS_RESULT("s", xml),
                                method_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetAutostart",
                                SD_BUS_ARGS("s", name, "b", enable),
                                SD_BUS_NO_RESULT,
                                method_set_autostart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapabilities",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", xml),
                                method_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainXMLToNative",
                                SD_BUS_ARGS("s", format, "s", xml),
                                SD_BUS_RESULT("s", native),
                                method_domain_xml_to_native, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainXMLFromNative",
                                SD_BUS_ARGS("s", format, "s", native),
                                SD_BUS_RESULT("s", xml, "as", notes),
                                method_domain_xml_from_native, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
