/*
 * vmctl's bus plumbing: which bus (--user, -H, -c URI), calls with a timeout and a liveness check
 * so that a dead or hung service is reported in words within a second instead of hanging, the
 * mapping of D-Bus errors to exit codes, and the few systemd calls the verbs need.
 */
#include <stdarg.h>
#include <stdio.h>

#include "bus-name.h"
#include "cleanup.h"
#include "model.h"
#include "unit-name.h"
#include "utf8.h"
#include "vmctl.h"

static sd_bus *bus = NULL;

static void bus_closep(void) {
        bus = sd_bus_flush_close_unref(bus);
}

int vmctl_parse_uri(const char *uri, BusTransport *ret, char **ret_host, const char **ret_reason) {
        const char *rest, *slash;
        char *host;

        if (streq(uri, "qemu:///system")) {
                *ret = BUS_TRANSPORT_SYSTEM;
                *ret_host = NULL;
                return 0;
        }
        if (streq(uri, "qemu:///session")) {
                *ret = BUS_TRANSPORT_USER;
                *ret_host = NULL;
                return 0;
        }
        rest = startswith(uri, "qemu+ssh://");
        if (!rest) {
                *ret_reason = "only qemu:///system, qemu:///session and qemu+ssh://[USER@]HOST/system are supported";
                return -EINVAL;
        }
        slash = strchr(rest, '/');
        if (!slash || slash == rest) {
                *ret_reason = "no host in qemu+ssh:// URI";
                return -EINVAL;
        }
        if (!streq(slash, "/system")) {
                *ret_reason = streq(slash, "/session") ? "a remote session instance is not supported (only /system)"
                                                       : "a qemu+ssh:// URI must end in /system (no parameters)";
                return -EINVAL;
        }
        /* [USER@]HOST[:PORT]: what ssh (and sd-bus's remote transport) takes, nothing else */
        for (const char *p = rest; p < slash; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("-._@:[]", *p))) {
                        *ret_reason = "invalid character in the host part";
                        return -EINVAL;
                }
        if (rest[0] == '-' || rest[0] == '@') {
                *ret_reason = "invalid host";
                return -EINVAL;
        }
        host = strndup(rest, (size_t) (slash - rest));
        if (!host)
                return -ENOMEM;
        *ret = BUS_TRANSPORT_REMOTE;
        *ret_host = host;
        return 0;
}

int vmctl_exit_status(const char *error_name, int r) {
        static const char * const denied[] = {
                VMUNIT_ERROR_ACCESS_DENIED,
                SD_BUS_ERROR_ACCESS_DENIED,
                SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                "org.freedesktop.PolicyKit1.Error.NotAuthorized",
                "org.freedesktop.systemd1.AccessDenied",
        };

        if (error_name) {
                if (streq(error_name, VMUNIT_ERROR_NO_SUCH_DOMAIN))
                        return EXIT_NO_SUCH_DOMAIN;
                for (size_t i = 0; i < ELEMENTSOF(denied); i++)
                        if (streq(error_name, denied[i]))
                                return EXIT_ACCESS_DENIED;
                return EXIT_FAILURE;
        }
        return r == -EACCES || r == -EPERM ? EXIT_ACCESS_DENIED : EXIT_FAILURE;
}

int vmctl_bus(sd_bus **ret) {
        static bool registered = false;
        int r;

        if (bus) {
                *ret = bus;
                return 0;
        }
        if (arg_host)
                r = sd_bus_open_system_remote(&bus, arg_host);
        else if (arg_user)
                r = sd_bus_open_user(&bus);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "vmctl: cannot connect to the %s bus%s%s: %s\n",
                        arg_host ? "remote system" : arg_user ? "user" : "system", arg_host ? " of " : "",
                        strempty(arg_host), strerror(-r));
                return vmctl_exit_status(NULL, r);
        }
        (void) sd_bus_set_method_call_timeout(bus, arg_timeout_usec);
        if (!registered) {
                atexit(bus_closep);
                registered = true;
        }
        *ret = bus;
        return 0;
}

int vmctl_log_bus_error(const char *service, const char *what, const sd_bus_error *e, int r) {
        const char *name = e && sd_bus_error_is_set(e) ? e->name : NULL;
        const char *msg = name && e->message ? e->message : strerror(r < 0 ? -r : EIO);

        if ((r == -ETIMEDOUT || (name && streq(name, SD_BUS_ERROR_TIMEOUT))) && !strstr(msg, "disconnected"))
                fprintf(stderr, "vmctl: %s: %s did not answer within %.1f s (hung? see 'systemctl status')\n", what,
                        service, (double) arg_timeout_usec / 1e6);
        else if (name && streq(name, SD_BUS_ERROR_NO_REPLY))
                fprintf(stderr, "vmctl: %s: %s exited without answering (%s)\n", what, service, msg);
        else if (name && (streq(name, SD_BUS_ERROR_SERVICE_UNKNOWN) || streq(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
                          startswith(name, "org.freedesktop.DBus.Error.Spawn.") ||
                          startswith(name, "org.freedesktop.systemd1.")))
                fprintf(stderr, "vmctl: %s: %s is not available: %s\n", what, service, msg);
        else if (vmctl_exit_status(name, r) == EXIT_ACCESS_DENIED)
                fprintf(stderr, "vmctl: %s: access denied: %s\n", what, msg);
        else
                fprintf(stderr, "vmctl: %s: %s\n", what, msg);
        return vmctl_exit_status(name, r);
}

/* Is @destination there and answering a Peer.Ping within VMCTL_PING_TIMEOUT_USEC (activation
 * included)? A hung service is reported as such instead of holding vmctl for the whole call timeout.
 * Returns 0, or an exit status after saying why (@ret_error, when given, gets a bus error instead of
 * the message, for the caller to word). */
static int peer_alive(sd_bus *b, const char *destination, const char *path, const char *service, const char *hint,
                      const char *what, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        uint64_t timeout = MIN(arg_timeout_usec, VMCTL_PING_TIMEOUT_USEC);
        int r;

        r = sd_bus_message_new_method_call(b, &m, destination, path, "org.freedesktop.DBus.Peer", "Ping");
        if (r < 0)
                return vmctl_log_bus_error(service, what, NULL, r);
        r = sd_bus_call(b, m, timeout, &e, &reply);
        if (r >= 0)
                return 0;
        if (r == -ETIMEDOUT && !strstr(strempty(e.message), "disconnected")) {
                fprintf(stderr, "vmctl: %s: %s did not answer within %.1f s (hung? see '%s')\n", what, service,
                        (double) timeout / 1e6, hint);
                return EXIT_FAILURE;
        }
        if (ret_error) {
                int k = vmctl_exit_status(sd_bus_error_is_set(&e) ? e.name : NULL, r);
                sd_bus_error_move(ret_error, &e);
                return k;
        }
        return vmctl_log_bus_error(service, what, &e, r);
}

/* Is the manager there and answering? Once per process. */
static int manager_alive(sd_bus *b, const char *what) {
        static bool alive = false;
        int r;

        if (alive)
                return 0;
        r = peer_alive(b, VMUNIT_MANAGER_BUS_NAME, VMUNIT_MANAGER_OBJECT_PATH, "vmunit-managerd",
                       "systemctl status vmunit-managerd", what, NULL);
        if (r == 0)
                alive = true;
        return r;
}

static int callv(sd_bus *b, const char *service, const char *destination, const char *path, const char *interface,
                 const char *member, const char *what, sd_bus_error *ret_error, sd_bus_message **ret_reply,
                 const char *types, va_list ap) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(b, &m, destination, path, interface, member);
        if (r >= 0 && types)
                r = sd_bus_message_appendv(m, types, ap);
        if (r < 0)
                return vmctl_log_bus_error(service, what, NULL, r);
        r = sd_bus_call(b, m, 0, &e, ret_reply);
        if (r < 0) {
                if (ret_error) {
                        int k = vmctl_exit_status(sd_bus_error_is_set(&e) ? e.name : NULL, r);
                        sd_bus_error_move(ret_error, &e);
                        return k;
                }
                return vmctl_log_bus_error(service, what, &e, r);
        }
        return 0;
}

int vmctl_call_manager(const char *member, const char *what, sd_bus_error *ret_error, sd_bus_message **ret_reply,
                       const char *types, ...) {
        sd_bus *b;
        va_list ap;
        int r;

        r = vmctl_bus(&b);
        if (r != 0)
                return r;
        r = manager_alive(b, what);
        if (r != 0)
                return r;
        va_start(ap, types);
        r = callv(b, "vmunit-managerd", VMUNIT_MANAGER_BUS_NAME, VMUNIT_MANAGER_OBJECT_PATH, VMUNIT_MANAGER_INTERFACE,
                  member, what, ret_error, ret_reply, types, ap);
        va_end(ap);
        return r;
}

int vmctl_call_vm(const char *name, const char *member, const char *what, sd_bus_error *ret_error,
                  sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *dest = NULL, *service = NULL, *hint = NULL, *unit = NULL;
        sd_bus *b;
        va_list ap;
        int r;

        r = vm_bus_name(name, &dest);
        if (r < 0)
                return r == -ENOMEM ? EXIT_FAILURE : vmctl_check_name(name) ?: EXIT_USAGE;
        if (asprintf(&service, "the supervisor of '%s'", name) < 0)
                return EXIT_FAILURE;
        r = vmctl_bus(&b);
        if (r != 0)
                return r;
        /* A stopped or hung supervisor: a clear answer in under a second, not after the call timeout. */
        if (vm_unit_name(name, &unit) < 0 ||
            asprintf(&hint, "systemctl%s status %s", arg_user ? " --user" : "", unit) < 0)
                return EXIT_FAILURE;
        r = peer_alive(b, dest, VMUNIT_VM_OBJECT_PATH, service, hint, what, &e);
        if (r == 0) {
                va_start(ap, types);
                r = callv(b, service, dest, VMUNIT_VM_OBJECT_PATH, VMUNIT_VM_INTERFACE, member, what, &e, ret_reply,
                          types, ap);
                va_end(ap);
                if (r == 0)
                        return 0;
        } else if (!sd_bus_error_is_set(&e))
                return r;               /* said why already */
        /* no supervisor owns the name: the VM is not running (per-VM names are never activated) */
        if (sd_bus_error_has_names(&e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                if (ret_error) {
                        sd_bus_error_move(ret_error, &e);
                        return EXIT_FAILURE;
                }
                fprintf(stderr, "vmctl: %s: domain '%s' is not running\n", what, name);
                return EXIT_FAILURE;
        }
        if (ret_error) {
                sd_bus_error_move(ret_error, &e);
                return r;
        }
        return vmctl_log_bus_error(service, what, &e, -EIO);
}

int vmctl_check_name(const char *name) {
        size_t l = strlen(name);

        if (!utf8_is_valid(name)) {
                fprintf(stderr, "vmctl: invalid domain name: not valid UTF-8\n");
                return EXIT_USAGE;
        }
        if (vm_name_validate(name) < 0) {
                fprintf(stderr, "vmctl: invalid domain name '%.60s%s': %s\n", name, l > 60 ? "..." : "",
                        l == 0 ? "empty" : l > 200 ? "longer than 200 bytes" : strchr(name, '/') ? "contains '/'"
                        : name[0] == '.' ? "starts with '.'" : "contains control characters");
                return EXIT_USAGE;
        }
        return 0;
}

const char *vmctl_state_word(const char *active, const char *sub) {
        if (streq(active, "active") || streq(active, "reloading"))
                return "running";
        if (streq(active, "activating"))
                return "starting";
        if (streq(active, "deactivating"))
                return "shutting-down";
        if (streq(active, "failed"))
                return "failed";
        return "shut off";
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        char **job_result = userdata;   /* [0]: our job path, [1]: its result once seen */
        const char *path, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, NULL, &result) < 0)
                return 0;
        if (job_result[0] && streq(path, job_result[0]) && !job_result[1])
                job_result[1] = strdup(result);
        return 0;
}

int vmctl_start_unit(const char *unit, const char *what) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        char *job_result[2] = {};
        const char *path;
        sd_bus *b;
        int r;

        r = vmctl_bus(&b);
        if (r != 0)
                return r;
        if (!arg_no_block) {
                /* before the call: the job may be over before its reply is read */
                r = sd_bus_match_signal(b, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed,
                                        job_result);
                if (r < 0)
                        return vmctl_log_bus_error("systemd", what, NULL, r);
        }
        r = sd_bus_call_method(b, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StartUnit", &e, &reply, "ss", unit, "replace");
        if (r < 0)
                return vmctl_log_bus_error("systemd", what, &e, r);
        if (arg_no_block)
                return 0;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return vmctl_log_bus_error("systemd", what, NULL, r);
        job_result[0] = (char *) path;
        while (!job_result[1]) {
                r = sd_bus_process(b, NULL);
                if (r < 0)
                        return vmctl_log_bus_error("systemd", what, NULL, r);
                if (r > 0)
                        continue;
                r = sd_bus_wait(b, UINT64_MAX);
                if (r < 0)
                        return vmctl_log_bus_error("systemd", what, NULL, r);
        }
        r = streq(job_result[1], "done") ? 0 : EXIT_FAILURE;
        if (r != 0)
                fprintf(stderr, "vmctl: %s: the start job %s (%s); see 'journalctl -u %s'\n", what,
                        streq(job_result[1], "timeout") ? "timed out" : "failed", job_result[1], unit);
        free(job_result[1]);
        return r;
}

int vmctl_unit_property_u32(const char *unit, const char *property, uint32_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        sd_bus *b;
        int r;

        r = vmctl_bus(&b);
        if (r != 0)
                return r;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return vmctl_log_bus_error("systemd", unit, NULL, r);
        r = sd_bus_get_property_trivial(b, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service",
                                        property, &e, 'u', ret);
        if (r < 0)
                return vmctl_log_bus_error("systemd", unit, &e, r);
        return 0;
}
