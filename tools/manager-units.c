/*
 * vmunit-managerd: what systemd says about vm@NAME.service, and the UUIDs of the definitions
 * (parsed once per change of the file: a listing of 200 domains reads 200 stat()s, not 200 XML
 * documents).
 */
#include <stdio.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "domxml.h"
#include "manager.h"
#include "strv.h"
#include "unit-name.h"

static int cmp_info(const void *key, const void *e) {
        return strcmp(key, ((const DomainInfo *) e)->name);
}

static void info_done(DomainInfo *i) {
        free(i->name);
        free(i->uuid);
}

void manager_cache_free(Manager *m) {
        for (size_t i = 0; i < m->n_cache; i++)
                info_done(&m->cache[i]);
        m->cache = mfree(m->cache);
        m->n_cache = 0;
}

void manager_cache_prune(Manager *m, char * const *names) {
        size_t k = 0;

        for (size_t i = 0; i < m->n_cache; i++)
                if (strv_contains(names, m->cache[i].name))
                        m->cache[k++] = m->cache[i];
                else
                        info_done(&m->cache[i]);
        m->n_cache = k;
}

static char *read_uuid(Manager *m, const char *name) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        size_t len;

        if (domain_store_read(&m->store, name, &text, &len) < 0 ||
            domxml_parse_memory(text, len, name, 0, &def, NULL, NULL) < 0 || !def->uuid)
                return strdup("");
        return strdup(def->uuid);
}

int manager_domain_uuid(Manager *m, const char *name, const char **ret) {
        _cleanup_free_ char *path = NULL;
        DomainInfo *i;
        struct stat st;
        char *uuid;
        int r;

        r = domain_store_path(&m->store, name, &path);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return -errno;

        i = bsearch(name, m->cache, m->n_cache, sizeof(DomainInfo), cmp_info);
        if (i && i->dev == st.st_dev && i->ino == st.st_ino && i->size == (uint64_t) st.st_size &&
            i->mtime_nsec == (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec) {
                *ret = i->uuid;
                return 0;
        }
        uuid = read_uuid(m, name);
        if (!uuid)
                return -ENOMEM;
        if (!i) {
                DomainInfo *c = realloc(m->cache, (m->n_cache + 1) * sizeof(DomainInfo));
                size_t at = 0;

                if (!c) {
                        free(uuid);
                        return -ENOMEM;
                }
                m->cache = c;
                while (at < m->n_cache && strcmp(m->cache[at].name, name) < 0)
                        at++;
                memmove(m->cache + at + 1, m->cache + at, (m->n_cache - at) * sizeof(DomainInfo));
                i = m->cache + at;
                *i = (DomainInfo) { .name = strdup(name) };
                m->n_cache++;
                if (!i->name) {
                        free(uuid);
                        memmove(i, i + 1, (m->n_cache - at - 1) * sizeof(DomainInfo));
                        m->n_cache--;
                        return -ENOMEM;
                }
        }
        free(i->uuid);
        i->uuid = uuid;
        i->dev = st.st_dev;
        i->ino = st.st_ino;
        i->size = (uint64_t) st.st_size;
        i->mtime_nsec = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        *ret = i->uuid;
        return 0;
}

/* Sends @c to systemd; the idle exit waits for the answer. */
static int send_query(Manager *m, sd_bus_message *c, sd_bus_message_handler_t callback, void *userdata) {
        int r;

        r = sd_bus_call_async(m->bus, NULL, c, callback, userdata, 0);
        if (r < 0)
                return r;
        m->n_unit_queries++;
        return 0;
}

int manager_query_units(Manager *m, char * const *names, sd_bus_message_handler_t callback, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &c, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "ListUnitsByNames");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(c, 'a', "s");
        if (r < 0)
                return r;
        for (char * const *n = names; *n; n++) {
                _cleanup_free_ char *unit = NULL;

                r = vm_unit_name(*n, &unit);
                if (r == -ENOMEM)
                        return r;
                /* a hand-made file whose name cannot be a unit: it cannot run either */
                r = sd_bus_message_append(c, "s", r < 0 ? "vmunit-no-such-vm.service" : unit);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(c);
        if (r < 0)
                return r;
        return send_query(m, c, callback, userdata);
}

int manager_query_all_vm_units(Manager *m, sd_bus_message_handler_t callback, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &c, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append(c, "asas", 0, 1, "vm@*.service");
        if (r < 0)
                return r;
        return send_query(m, c, callback, userdata);
}

int manager_read_unit_entry(sd_bus_message *reply, const char **ret_active, const char **ret_sub) {
        return manager_read_unit_entry_full(reply, NULL, ret_active, ret_sub);
}

int manager_read_unit_entry_full(sd_bus_message *reply, const char **ret_unit, const char **ret_active,
                                 const char **ret_sub) {
        return sd_bus_message_read(reply, "(ssssssouso)", ret_unit, NULL, NULL, ret_active, ret_sub, NULL, NULL, NULL,
                                   NULL, NULL);
}
