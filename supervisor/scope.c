/*
 * The VM's transient scope: see scope.h.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "cleanup.h"
#include "scope.h"


int scope_unit_name(const char *vm_name, char **ret) {
        _cleanup_free_ char *e = NULL;
        size_t n = 0;
        char *out;

        e = malloc(strlen(vm_name) * 4 + 1);
        if (!e)
                return -ENOMEM;
        for (const char *p = vm_name; *p; p++) {
                unsigned char c = (unsigned char) *p;
                bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == ':' || c == '_' || (c == '.' && p != vm_name);
                if (plain)
                        e[n++] = (char) c;
                else
                        n += (size_t) sprintf(e + n, "\\x%02x", c);
        }
        e[n] = 0;
        if (asprintf(&out, "machine-%s.scope", e) < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}

static int append_u64(sd_bus_message *m, const char *name, uint64_t v) {
        return sd_bus_message_append(m, "(sv)", name, "t", v);
}

static int append_device_acl(sd_bus_message *m, const CgroupPlan *plan) {
        int r;

        r = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", "closed");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", "DeviceAllow");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "a(ss)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan->n_devices; i++) {
                r = sd_bus_message_append(m, "(ss)", plan->devices[i].path, plan->devices[i].perm);
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < 3; i++) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_plan(sd_bus_message *m, const CgroupPlan *plan, bool device_acl) {
        int r;

        if (device_acl && (r = append_device_acl(m, plan)) < 0)
                return r;
        if (plan->memory_max != CGROUP_LIMIT_UNSET && (r = append_u64(m, "MemoryMax", plan->memory_max)) < 0)
                return r;
        if (plan->memory_high != CGROUP_LIMIT_UNSET && (r = append_u64(m, "MemoryHigh", plan->memory_high)) < 0)
                return r;
        if (plan->memory_swap_max != CGROUP_LIMIT_UNSET &&
            (r = append_u64(m, "MemorySwapMax", plan->memory_swap_max)) < 0)
                return r;
        if (plan->cpu_weight && (r = append_u64(m, "CPUWeight", plan->cpu_weight)) < 0)
                return r;
        if (plan->cpu_quota_per_sec_usec != CGROUP_LIMIT_UNSET &&
            (r = append_u64(m, "CPUQuotaPerSecUSec", plan->cpu_quota_per_sec_usec)) < 0)
                return r;
        if (plan->cpu_quota_period_usec && (r = append_u64(m, "CPUQuotaPeriodUSec", plan->cpu_quota_period_usec)) < 0)
                return r;
        if (plan->io_weight && (r = append_u64(m, "IOWeight", plan->io_weight)) < 0)
                return r;
        if (plan->tasks_max != CGROUP_LIMIT_UNSET && (r = append_u64(m, "TasksMax", plan->tasks_max)) < 0)
                return r;
        /* A failed scope must not linger and block the next start under the same name. */
        return sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
}

/* Before= the service we run in (vm@NAME.service): when both are stopped at once, as at the host's
 * poweroff, where systemd stops every unit, the service goes first and shuts the guest down by the
 * power button, instead of the scope's stop ending QEMU with SIGTERM at the same time. Ordering
 * only: the scope still outlives a crashed supervisor. libvirt orders its machine scopes before
 * libvirt-guests.service for the same reason. */
static int append_stop_order(sd_bus_message *m, const char *service) {
        size_t l;

        if (!service || (l = strlen(service)) < strlen(".service") ||
            !streq(service + l - strlen(".service"), ".service"))
                return 0;               /* not run as a service (by hand): nothing to order */
        return sd_bus_message_append(m, "(sv)", "Before", "as", 1, service);
}

static int append_pids(sd_bus_message *m, pid_t pid, const pid_t *extra, unsigned n_extra) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "PIDs");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "au");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "u");
        if (r >= 0)
                r = sd_bus_message_append(m, "u", (uint32_t) pid);
        for (unsigned i = 0; r >= 0 && i < n_extra; i++)
                r = sd_bus_message_append(m, "u", (uint32_t) extra[i]);
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

static bool bus_error_is_no_service(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_UNKNOWN_METHOD,
                                      SD_BUS_ERROR_UNKNOWN_OBJECT);
}

int scope_register_machine(sd_bus *bus, const char *vm_name, const char *uuid, pid_t pid) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_id128_t id = SD_ID128_NULL;
        int r;

        if (uuid)
                (void) sd_id128_from_string(uuid, &id);

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                                           "org.freedesktop.machine1.Manager", "RegisterMachine");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", vm_name);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', id.bytes, sizeof(id.bytes));
        if (r < 0)
                return r;
        /* machined takes the unit from the leader's cgroup: the scope made above. */
        r = sd_bus_message_append(m, "ssus", "vmunit", "vm", (uint32_t) pid, "");
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 30 * 1000000ULL, &error, NULL);
        if (r < 0 && bus_error_is_no_service(&error))
                return -ENOENT;
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.MachineExists"))
                return -EEXIST;
        return r;
}

typedef struct JobWait {
        const char *job;
        char *result;
        bool done;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && streq(path, w->job)) {
                w->result = strdup(result);
                w->done = true;
        }
        return 0;
}

static int create_with_systemd(sd_bus *bus, const char *unit, pid_t pid, const ScopeOptions *opts,
                               sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *job = NULL;
        JobWait w = {};
        const char *j;
        int r;

        r = sd_bus_match_signal(bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "Description", "s", "vmunit virtual machine");
        if (r < 0)
                return r;
        r = append_pids(m, pid, opts->extra_pids, opts->n_extra_pids);
        if (r < 0)
                return r;
        /* A user's manager has no machine.slice: its own default slice (app.slice) it is. */
        if (!opts->session && (r = sd_bus_message_append(m, "(sv)", "Slice", "s", "machine.slice")) < 0)
                return r;
        r = append_plan(m, opts->plan, /* device_acl= */ !opts->session);
        if (r < 0)
                return r;
        r = append_stop_order(m, opts->service);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, m, 30 * 1000000ULL, error, &reply);
        if (r < 0)
                return sd_bus_error_has_name(error, "org.freedesktop.systemd1.UnitExists") ? -EEXIST : r;
        r = sd_bus_message_read(reply, "o", &j);
        if (r < 0)
                return r;
        job = strdup(j);
        if (!job)
                return -ENOMEM;
        w.job = job;

        while (!w.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, 30 * 1000000ULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ETIMEDOUT;
        }
        r = streq_ptr(w.result, "done") ? 0 : -EIO;
        if (r < 0)
                sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "start job of %s finished with '%s'", unit,
                                  strempty(w.result));
        free(w.result);
        return r;
}

int scope_create(sd_bus *bus, const char *vm_name, pid_t pid, const ScopeOptions *opts, char **ret_unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *unit = NULL;
        int r;

        r = scope_unit_name(vm_name, &unit);
        if (r < 0)
                return r;
        r = create_with_systemd(bus, unit, pid, opts, &error);
        if (r < 0)
                return r;
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

int scope_stop(sd_bus *bus, const char *unit, bool kill) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (kill) {
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "KillUnit", &error, NULL,
                                       "ssi", unit, "all", SIGKILL);
                sd_bus_error_free(&error);
                (void) r;               /* the stop below is what counts */
        }
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StopUnit", &error, NULL,
                               "ss", unit, "replace");
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                return 0;
        return r;
}
