/*
 * The VM's D-Bus object, org.vmunit.VM1 at /org/vmunit/vm, served by vmunit-supervisor-steady under
 * the VM's well-known name (lib/bus-name.h) on the bus the supervisor runs on. Controls go to QEMU
 * over QMP; the live XML is the one vmunit-supervisor wrote at start (RUNTIME_DIR/NAME/live.xml).
 * Reads are open to everyone; controls need org.vmunit.control and MonitorCommand (which bypasses
 * every guarantee) org.vmunit.monitor-command, both decided by polkit for non-root callers.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bus-name.h"
#include "fs-util.h"
#include "cleanup.h"
#include "log.h"
#include "polkit-check.h"
#include "steady.h"

#define LIVE_XML_MAX (16U * 1024U * 1024U)

static PolkitRegistry *polkit;

static const char *vm_name;

/* polkit rules may look at action.lookup("domain_name"), as with libvirt's. */
static int authorize(sd_bus_message *m, const char *action, sd_bus_error *error) {
        const char * const details[] = { "domain_name", vm_name, NULL };

        return polkit_check_async(polkit, m, action, details, error);
}

static int need_qmp(Steady *s, sd_bus_error *error) {
        if (!s->qmp)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "QEMU's monitor is gone (the VM is ending).");
        return 0;
}

/* Shutdown, Reboot, Reset, Pause, Resume, Destroy: authorize, act, reply at once (the effect shows in
 * State and StateChanged). */
static int method_control(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);
        Steady *s = userdata;
        int r;

        r = authorize(m, VMUNIT_ACTION_CONTROL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (streq(member, "Destroy")) {
                log_info("Destroy requested over D-Bus by %s.", strempty(sd_bus_message_get_sender(m)));
                steady_destroy(s);
                return sd_bus_reply_method_return(m, NULL);
        }
        r = need_qmp(s, error);
        if (r < 0)
                return r;
        if (s->stop_requested)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "The VM is being stopped.");
        log_info("%s requested over D-Bus by %s.", member, strempty(sd_bus_message_get_sender(m)));
        if (streq(member, "Shutdown"))
                steady_send(s, "system_powerdown");
        else if (streq(member, "Reboot")) {
                /* libvirt's way: the power button, and the guest's power-off becomes a reset. */
                s->fake_reboot = true;
                steady_send(s, "system_powerdown");
        } else if (streq(member, "Reset"))
                steady_send(s, "system_reset");
        else if (streq(member, "Pause"))
                steady_send(s, "stop");
        else if (streq(member, "Resume"))
                steady_send(s, "cont");
        else
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_METHOD, "Unknown method.");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        Steady *s = userdata;
        uint64_t flags;
        size_t size;
        int r;

        r = sd_bus_message_read(m, "t", &flags);
        if (r < 0)
                return r;
        if (flags & ~VMUNIT_GET_XML_SECURE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown flags 0x%" PRIx64 ".",
                                         flags & ~VMUNIT_GET_XML_SECURE);
        /* Passwords only for those who may control the VM. */
        if (flags & VMUNIT_GET_XML_SECURE) {
                r = authorize(m, VMUNIT_ACTION_CONTROL, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        if (asprintf(&path, "%s/%s/%s", s->runtime_dir, s->name,
                     flags & VMUNIT_GET_XML_SECURE ? "live-secure.xml" : "live.xml") < 0)
                return -ENOMEM;
        r = read_file_full(path, LIVE_XML_MAX, &xml, &size);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the live XML '%s': %m", path);
        return sd_bus_reply_method_return(m, "s", xml);
}

/* ---- MonitorCommand: a QMP or HMP command, answered when QEMU answers ---- */

static void monitor_reply(Qmp *q, int error, json_object *result, const char *desc, void *userdata) {
        sd_bus_message *m = userdata;
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        const char *text;
        int r;

        if (error < 0) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "desc", json_object_new_string(desc ?: strerror(-error)));
                json_object_object_add(reply, "error", e);
        } else
                json_object_object_add(reply, "return", result ? json_object_get(result) : json_object_new_object());
        text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
        r = sd_bus_reply_method_return(m, "s", text);
        if (r < 0)
                log_warning_errno(r, "Failed to answer MonitorCommand, ignoring: %m");
        sd_bus_message_unref(m);
}

static void monitor_hmp_reply(Qmp *q, int error, json_object *result, const char *desc, void *userdata) {
        sd_bus_message *m = userdata;
        int r;

        if (error < 0)
                r = sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "QEMU: %s", desc ?: strerror(-error));
        else
                r = sd_bus_reply_method_return(m, "s", json_object_get_string(result) ?: "");
        if (r < 0)
                log_warning_errno(r, "Failed to answer MonitorCommand, ignoring: %m");
        sd_bus_message_unref(m);
}

static int method_monitor_command(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(json_object_putp) json_object *cmd = NULL, *args = NULL;
        Steady *s = userdata;
        const char *command, *execute;
        json_object *v;
        int hmp, r;

        r = sd_bus_message_read(m, "sb", &command, &hmp);
        if (r < 0)
                return r;
        r = authorize(m, VMUNIT_ACTION_MONITOR_COMMAND, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = need_qmp(s, error);
        if (r < 0)
                return r;
        log_notice("Monitor command over D-Bus from %s: %s", strempty(sd_bus_message_get_sender(m)), command);

        if (hmp) {
                args = json_object_new_object();
                if (!args)
                        return -ENOMEM;
                json_object_object_add(args, "command-line", json_object_new_string(command));
                r = qmp_execute_async(s->qmp, "human-monitor-command", args, monitor_hmp_reply, m);
        } else {
                cmd = json_tokener_parse(command);
                if (!cmd || !json_object_is_type(cmd, json_type_object) ||
                    !json_object_object_get_ex(cmd, "execute", &v) || !json_object_is_type(v, json_type_string))
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                "A QMP command is a JSON object {\"execute\": NAME, \"arguments\": {...}}.");
                execute = json_object_get_string(v);
                if (json_object_object_get_ex(cmd, "arguments", &v)) {
                        if (!json_object_is_type(v, json_type_object))
                                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "\"arguments\" must be an object.");
                        args = json_object_get(v);
                }
                json_object_object_foreach(cmd, key, val) {
                        (void) val;
                        if (!streq(key, "execute") && !streq(key, "arguments"))
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Unknown key \"%s\" in the QMP command (the supervisor numbers "
                                                         "its own commands).", key);
                }
                r = qmp_execute_async(s->qmp, execute, args, monitor_reply, m);
        }
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to send the command to QEMU: %m");
        sd_bus_message_ref(m);          /* answered from the QMP reply */
        return 1;
}

/* AttachDevice, DetachDevice: answered when QEMU has done it (steady-hotplug.c). */
static int method_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Steady *s = userdata;
        const char *xml;
        int r;

        r = sd_bus_message_read(m, "s", &xml);
        if (r < 0)
                return r;
        r = authorize(m, VMUNIT_ACTION_CONTROL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = need_qmp(s, error);
        if (r < 0)
                return r;
        if (s->stop_requested)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "The VM is being stopped.");
        return steady_hotplug_start(s, m, streq(sd_bus_message_get_member(m), "AttachDevice"), xml, error);
}

/* ---- properties ---- */

static int property_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Steady *s = userdata;

        return sd_bus_message_append(reply, "s", streq(property, "State") ? s->state : s->state_reason);
}

static const sd_bus_vtable vm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Steady, name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", NULL, offsetof(Steady, uuid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateReason", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("QEMUPid", "u", NULL, offsetof(Steady, pid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Started", "t", NULL, offsetof(Steady, started_usec), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VCPUs", "u", NULL, offsetof(Steady, vcpus), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MemoryKiB", "t", NULL, offsetof(Steady, memory_kib), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD("Shutdown", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reboot", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reset", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pause", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Resume", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Destroy", "", "", method_control, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetXML", SD_BUS_ARGS("t", flags), SD_BUS_RESULT("s", xml), method_get_xml,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("MonitorCommand", SD_BUS_ARGS("s", command, "b", hmp), SD_BUS_RESULT("s", reply),
                                method_monitor_command, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AttachDevice", SD_BUS_ARGS("s", xml), SD_BUS_NO_RESULT, method_device,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DetachDevice", SD_BUS_ARGS("s", xml), SD_BUS_NO_RESULT, method_device,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("StateChanged", SD_BUS_ARGS("s", state, "s", reason), 0),
        SD_BUS_VTABLE_END
};

/* QEMU's start as CLOCK_REALTIME: its start time in ticks after boot, plus the boot time. */
static uint64_t qemu_started_usec(pid_t pid) {
        unsigned long long ticks = 0, btime = 0;
        _cleanup_fclose_ FILE *f = NULL;
        char stat[1024], line[256], path[64], *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f || !fgets(stat, sizeof(stat), f))
                return 0;
        fclose(f);
        p = strrchr(stat, ')');
        /* after the command: state is field 3, starttime field 22 */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &ticks) != 1)
                return 0;
        f = fopen("/proc/stat", "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %llu", &btime) == 1)
                        break;
        if (btime == 0)
                return 0;
        return btime * 1000000ULL + ticks * 1000000ULL / (unsigned long long) sysconf(_SC_CLK_TCK);
}

int steady_bus_open(Steady *s) {
        int r;

        s->started_usec = qemu_started_usec(s->pid);
        vm_name = s->name;
        r = polkit_registry_new(&polkit);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        r = vm_bus_name(s->name, &s->bus_name);
        if (r < 0)
                return log_warning_errno(r, "VM name '%s' has no bus name, no D-Bus object: %m", s->name);
        /* The system bus for vm@.service, the user's bus for the session instance's. */
        r = s->session ? sd_bus_default_user(&s->bus) : sd_bus_default_system(&s->bus);
        if (r < 0)
                return log_warning_errno(r, "Failed to connect to the bus, the VM runs without its D-Bus object: %m");
        r = sd_bus_add_object_vtable(s->bus, NULL, VMUNIT_VM_OBJECT_PATH, VMUNIT_VM_INTERFACE, vm_vtable, s);
        if (r >= 0)
                r = sd_bus_request_name_async(s->bus, NULL, s->bus_name, 0, NULL, NULL);
        if (r < 0) {
                log_warning_errno(r, "Failed to publish the D-Bus object as %s, ignoring: %m", s->bus_name);
                s->bus = sd_bus_flush_close_unref(s->bus);
                return r;
        }
        log_debug("D-Bus object %s at %s.", s->bus_name, VMUNIT_VM_OBJECT_PATH);
        return 0;
}

int steady_bus_fd(Steady *s, uint32_t *ret_events, uint64_t *ret_timeout_usec) {
        int fd, events;

        if (!s->bus)
                return -ENOTCONN;
        fd = sd_bus_get_fd(s->bus);
        events = sd_bus_get_events(s->bus);
        if (fd < 0 || events < 0)
                return fd < 0 ? fd : events;
        *ret_events = (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0);
        if (sd_bus_get_timeout(s->bus, ret_timeout_usec) < 0)
                *ret_timeout_usec = UINT64_MAX;
        return fd;
}

void steady_bus_process(Steady *s) {
        int r;

        if (!s->bus)
                return;
        do
                r = sd_bus_process(s->bus, NULL);
        while (r > 0);
        if (r < 0) {
                log_warning_errno(r, "D-Bus connection failed, the VM runs on without its object: %m");
                s->bus = sd_bus_flush_close_unref(s->bus);
        }
}

void steady_bus_state_changed(Steady *s) {
        if (!s->bus)
                return;
        (void) sd_bus_emit_properties_changed(s->bus, VMUNIT_VM_OBJECT_PATH, VMUNIT_VM_INTERFACE, "State",
                                              "StateReason", NULL);
        (void) sd_bus_emit_signal(s->bus, VMUNIT_VM_OBJECT_PATH, VMUNIT_VM_INTERFACE, "StateChanged", "ss",
                                  s->state, s->state_reason);
}

void steady_bus_close(Steady *s) {
        steady_hotplug_done(s);
        s->bus = sd_bus_flush_close_unref(s->bus);
        s->bus_name = mfree(s->bus_name);
        polkit = polkit_registry_free(polkit);
}
