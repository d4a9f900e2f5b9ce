/*
 * The supervised VM's life cycle: set-up (parse, argv, runtime dir, spawn into the scope, QMP
 * handshake, cont, READY), re-attach after our own crash, the event loop (QMP events, SIGTERM,
 * the shutdown ladder powerdown -> quit -> SIGKILL), and the release of everything on exit.
 * Spawning is spawn.c, the scope scope.c, the runtime state files state.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "domxml.h"
#include "log.h"
#include "scope.h"
#include "spawn.h"
#include "state.h"
#include "strv.h"
#include "vm.h"

#define QMP_CONNECT_TIMEOUT_USEC (30ULL * 1000000ULL)
#define QMP_COMMAND_TIMEOUT_USEC (10ULL * 1000000ULL)
#define QUIT_TIMEOUT_USEC (5ULL * 1000000ULL)

int vm_new(const VmConfig *cfg, Vm **ret) {
        _cleanup_(vm_freep) Vm *vm = NULL;

        vm = new0(Vm, 1);
        if (!vm)
                return -ENOMEM;
        vm->cfg = *cfg;
        vm->runtime_fd = -EBADF;
        vm->pidfd = -EBADF;
        if (asprintf(&vm->runtime_dir, "%s/%s", cfg->runtime_root, cfg->name) < 0 ||
            asprintf(&vm->state_dir, "%s/%s", cfg->state_root, cfg->name) < 0 ||
            asprintf(&vm->domain_path, "%s/%s.xml", cfg->domain_dir, cfg->name) < 0 ||
            asprintf(&vm->state_file, "%s/%s/" STATE_FILE_NAME, cfg->runtime_root, cfg->name) < 0 ||
            asprintf(&vm->qmp_path, "%s/%s/" QEMU_QMP_SOCKET, cfg->runtime_root, cfg->name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(vm);
        return 0;
}

Vm *vm_free(Vm *vm) {
        if (!vm)
                return NULL;
        sd_event_source_disable_unref(vm->qmp_source);
        sd_event_source_disable_unref(vm->pidfd_source);
        sd_event_source_disable_unref(vm->timer);
        qmp_free(vm->qmp);
        sd_bus_flush_close_unref(vm->bus);
        sd_event_unref(vm->event);
        if (vm->pidfd >= 0)
                close(vm->pidfd);
        if (vm->runtime_fd >= 0)
                close(vm->runtime_fd);
        qemu_command_done(&vm->cmd);
        cgroup_plan_done(&vm->plan);
        vm_def_free(vm->def);
        free(vm->user_name);
        free(vm->unit);
        free(vm->runtime_dir);
        free(vm->state_dir);
        free(vm->domain_path);
        free(vm->state_file);
        free(vm->qmp_path);
        free(vm);
        return NULL;
}

static void notify_status(Vm *vm, const char *status) {
        (void) sd_notifyf(false, "STATUS=%s", status);
}

/* ---- release ---- */

/* Stops what is left of QEMU and its scope and removes the runtime dir. Used on every orderly
 * exit path (not when we die from a signal: that is what re-attach is for). */
static void vm_release(Vm *vm, bool kill_qemu) {
        if (kill_qemu && vm->pidfd >= 0) {
                (void) pidfd_send_signal(vm->pidfd, SIGKILL, NULL, 0);
                if (vm->is_child)
                        (void) waitpid(vm->pid, NULL, 0);
        }
        if (vm->unit && vm->bus) {
                int r = scope_stop(vm->bus, vm->unit, kill_qemu);
                if (r < 0)
                        log_warning_errno(r, "Failed to stop scope '%s', ignoring: %m", vm->unit);
        }
        vm->unit = mfree(vm->unit);
        (void) state_runtime_dir_remove(vm->runtime_dir);
}

/* ---- QMP event handling ---- */

static void send_async(Vm *vm, const char *command) {
        int r;

        if (!vm->qmp) {
                log_debug("No QMP connection for '%s'", command);
                return;
        }
        r = qmp_execute_async(vm->qmp, command, NULL, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to send QMP '%s', ignoring: %m", command);
}

static int on_stop_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_timer(Vm *vm, uint64_t usec) {
        int r;

        vm->timer = sd_event_source_disable_unref(vm->timer);
        r = sd_event_add_time_relative(vm->event, &vm->timer, CLOCK_MONOTONIC, usec, 0, on_stop_timer, vm);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the stop timer, ignoring: %m");
}

static void request_quit(Vm *vm) {
        if (vm->stop_stage >= 2)
                return;
        vm->stop_stage = 2;
        send_async(vm, "quit");
        arm_timer(vm, QUIT_TIMEOUT_USEC);
}

static void restart_guest(Vm *vm) {
        send_async(vm, "system_reset");
        send_async(vm, "cont");
}

static void on_qmp_event(Qmp *q, const char *event, json_object *data, void *userdata) {
        Vm *vm = userdata;
        const char *reason = NULL;
        json_object *v;

        if (data && json_object_object_get_ex(data, "reason", &v))
                reason = json_object_get_string(v);

        if (streq(event, "STOP")) {
                vm->running = false;
                notify_status(vm, vm->stop_requested ? "Shutting down (paused)" : "Paused");
        } else if (streq(event, "RESUME")) {
                vm->running = true;
                notify_status(vm, "Running");
        } else if (streq(event, "SHUTDOWN")) {
                vm->guest_shutdown = true;
                if (vm->stop_stage >= 2 && streq_ptr(reason, "host-qmp-quit")) {
                        /* The echo of our own quit: not news, and no reason to forget that the
                         * guest had powered off before it. */
                        log_debug("QEMU is quitting (%s).", reason);
                        return;
                }
                if (streq_ptr(reason, "guest-shutdown"))
                        vm->guest_poweroff = true;
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_GUEST_EVENT, "Guest shut down (%s).", strempty(reason));
                if (vm->stop_requested) {
                        request_quit(vm);
                        return;
                }
                switch (vm->def->on_poweroff) {
                case VM_LIFECYCLE_RESTART:
                case VM_LIFECYCLE_COREDUMP_RESTART:
                        vm->guest_shutdown = vm->guest_poweroff = false;
                        restart_guest(vm);
                        break;
                case VM_LIFECYCLE_PRESERVE:
                        notify_status(vm, "Powered off (preserved)");
                        break;
                case VM_LIFECYCLE_DESTROY:
                case VM_LIFECYCLE_RENAME_RESTART:
                case VM_LIFECYCLE_COREDUMP_DESTROY:
                case _VM_LIFECYCLE_ACTION_MAX:
                case _VM_LIFECYCLE_ACTION_INVALID:
                default:
                        notify_status(vm, "Powered off");
                        request_quit(vm);
                        break;
                }
        } else if (streq(event, "RESET")) {
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_GUEST_EVENT, "Guest reset (%s).", strempty(reason));
                if (vm->stop_requested)
                        return;
                if (vm->def->on_reboot == VM_LIFECYCLE_DESTROY) {
                        vm->guest_shutdown = true;
                        request_quit(vm);
                } else if (vm->def->on_reboot == VM_LIFECYCLE_PRESERVE)
                        send_async(vm, "stop");
        } else if (streq(event, "GUEST_PANICKED")) {
                log_struct(LOG_WARNING, VMUNIT_MESSAGE_VM_FAILED, "Guest panicked.");
                switch (vm->def->on_crash) {
                case VM_LIFECYCLE_RESTART:
                case VM_LIFECYCLE_COREDUMP_RESTART:
                        restart_guest(vm);
                        break;
                case VM_LIFECYCLE_PRESERVE:
                        notify_status(vm, "Crashed (preserved)");
                        break;
                case VM_LIFECYCLE_DESTROY:
                case VM_LIFECYCLE_RENAME_RESTART:
                case VM_LIFECYCLE_COREDUMP_DESTROY:
                case _VM_LIFECYCLE_ACTION_MAX:
                case _VM_LIFECYCLE_ACTION_INVALID:
                default:
                        vm->forced_exit = VMUNIT_EXIT_GUEST_CRASHED;
                        request_quit(vm);
                        break;
                }
        }
}

static int on_qmp_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Vm *vm = userdata;
        int r;

        r = qmp_process(vm->qmp);
        if (r >= 0)
                return 0;
        if (r != -ECONNRESET)
                log_warning_errno(r, "QMP connection failed, closing it: %m");
        /* QEMU is exiting (or closed on us): its pidfd tells the rest. */
        vm->qmp_source = sd_event_source_disable_unref(vm->qmp_source);
        vm->qmp = qmp_free(vm->qmp);
        return 0;
}

/* ---- stop ladder ---- */

static int on_stop_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Vm *vm = userdata;

        switch (vm->stop_stage) {
        case 1:
                log_warning("Guest did not power off within %llu s after the ACPI power button, sending quit.",
                            (unsigned long long) (vm->cfg.conf->shutdown_timeout_usec / 1000000ULL));
                request_quit(vm);
                break;
        case 2:
                log_warning("QEMU did not quit within %llu s, killing it.",
                            (unsigned long long) (QUIT_TIMEOUT_USEC / 1000000ULL));
                vm->stop_stage = 3;
                if (vm->pidfd >= 0)
                        (void) pidfd_send_signal(vm->pidfd, SIGKILL, NULL, 0);
                break;
        default:
                break;
        }
        return 0;
}

static void vm_request_stop(Vm *vm) {
        if (vm->stop_requested)
                return;
        vm->stop_requested = true;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        log_info("Stop requested, pressing the ACPI power button.");

        if (!vm->qmp) {
                /* No monitor: QEMU turns SIGTERM into an orderly quit of its own. */
                vm->stop_stage = 2;
                if (vm->pidfd >= 0)
                        (void) pidfd_send_signal(vm->pidfd, SIGTERM, NULL, 0);
                arm_timer(vm, QUIT_TIMEOUT_USEC);
                return;
        }
        if (!vm->running) {
                /* A paused guest cannot see the button. */
                request_quit(vm);
                return;
        }
        vm->stop_stage = 1;
        send_async(vm, "system_powerdown");
        arm_timer(vm, vm->cfg.conf->shutdown_timeout_usec);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        vm_request_stop(userdata);
        return 0;
}

/* ---- QEMU exit ---- */

static int on_qemu_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Vm *vm = userdata;
        siginfo_t si = {};
        bool have_status = false;
        int code;

        /* Events QEMU sent right before exiting (SHUTDOWN) may still be unread. */
        if (vm->qmp)
                (void) qmp_process(vm->qmp);

        if (vm->is_child && waitid(P_PID, (id_t) vm->pid, &si, WEXITED | WNOHANG) >= 0 && si.si_pid > 0)
                have_status = true;

        if (vm->forced_exit)
                code = vm->forced_exit;
        else if (have_status && si.si_code == CLD_EXITED && si.si_status != 0) {
                log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU exited with status %d.", si.si_status);
                code = VMUNIT_EXIT_QEMU_FAILED;
        } else if (have_status && si.si_code != CLD_EXITED) {
                if (vm->stop_stage >= 3) {
                        log_struct(LOG_WARNING, VMUNIT_MESSAGE_VM_STOPPED,
                                   "VM stopped: QEMU was killed after the shutdown timeout.");
                        code = 0;
                } else {
                        log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU was killed by signal %s.",
                                   sigabbrev_np(si.si_status) ?: "?");
                        code = VMUNIT_EXIT_QEMU_KILLED;
                }
        } else if (!have_status && !vm->guest_shutdown && !vm->stop_requested) {
                /* Re-attached: no exit status, and no SHUTDOWN came first. */
                log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU (pid %d) vanished without a shutdown.",
                           (int) vm->pid);
                code = VMUNIT_EXIT_QEMU_KILLED;
        } else {
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_STOPPED, "VM '%s' stopped%s.", vm->cfg.name,
                           vm->stop_stage >= 3 ? " (QEMU killed after the shutdown timeout)" :
                           vm->guest_poweroff ? ", the guest powered off" : "");
                code = 0;
        }

        if ((code == VMUNIT_EXIT_QEMU_KILLED || code == VMUNIT_EXIT_QEMU_FAILED) &&
            (vm->def->on_crash == VM_LIFECYCLE_RESTART || vm->def->on_crash == VM_LIFECYCLE_COREDUMP_RESTART)) {
                log_notice("<on_crash> is restart: exiting with status %d for systemd to start the VM again.",
                           VMUNIT_EXIT_RESTART);
                code = VMUNIT_EXIT_RESTART;
        }

        vm->pidfd_source = sd_event_source_disable_unref(vm->pidfd_source);
        if (vm->pidfd >= 0)
                (void) close(vm->pidfd);
        vm->pidfd = -EBADF;
        vm_release(vm, false);
        return sd_event_exit(vm->event, code);
}

/* ---- set-up ---- */

static int vm_load(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        int r;

        r = domxml_parse_file(vm->domain_path, 0, &vm->def, &error, &warnings);
        if (r == -ENOENT)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "No domain definition '%s': %m",
                                      vm->domain_path);
        if (r < 0 && error)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s", error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "Failed to parse '%s': %m",
                                      vm->domain_path);
        if (!streq_ptr(vm->def->name, vm->cfg.name))
                return log_full_errno(LOG_ERR, -EINVAL, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: <name> is '%s', but the file is for VM '%s'.", vm->domain_path,
                                      strempty(vm->def->name), vm->cfg.name);
        log_set_vm(vm->cfg.name, vm->def->uuid);
        return 0;
}

static int vm_check_files(Vm *vm) {
        if (!vm->def->emulator || access(vm->def->emulator, X_OK) < 0)
                return log_full_errno(LOG_ERR, vm->def->emulator ? -errno : -ENOENT, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: emulator '%s' is not executable: %m", vm->domain_path,
                                      strempty(vm->def->emulator));
        for (unsigned i = 0; i < vm->def->n_disks; i++) {
                const VmDisk *d = &vm->def->disks[i];
                if (!d->src.path || d->src.type == VM_DISK_TYPE_NETWORK)
                        continue;
                if (d->src.startup_policy && !streq(d->src.startup_policy, "mandatory"))
                        continue;
                if (access(d->src.path, F_OK) < 0)
                        return log_full_errno(LOG_ERR, -errno, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s: source '%s' of disk '%s' is missing: %m", vm->domain_path,
                                              d->src.path, strempty(d->dst));
        }
        for (const char *f = vm->def->os.kernel; f; f = f == vm->def->os.kernel ? vm->def->os.initrd : NULL)
                if (access(f, R_OK) < 0)
                        return log_full_errno(LOG_ERR, -errno, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s: '%s' is not readable: %m", vm->domain_path, f);
        return 0;
}

/* vmunit.conf settings this version does not implement are refused, not silently ignored. */
static int vm_check_conf(Vm *vm) {
        STRV_FOREACH(d, vm->cfg.conf->security_driver)
                if (streq(*d, "selinux") || streq(*d, "apparmor"))
                        return log_full_errno(LOG_ERR, -EOPNOTSUPP, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s: security_driver '%s' is not supported by this version of vmunit "
                                              "(use dac or none, or leave the key out).", vm->cfg.conf_path, *d);
        return 0;
}

static int vm_build(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        const VmunitConfig *conf = vm->cfg.conf;
        QemuBuildOptions opts = {
                .runtime_dir = vm->runtime_dir,
                .state_dir = vm->state_dir,
                .seccomp_sandbox = conf->seccomp_sandbox,
                .tap_fd_base = 3,
                .hugetlbfs_mount = conf->hugetlbfs_mount,
                .spice_tls_x509_dir = conf->spice_tls_x509_cert_dir,
        };
        int r;

        r = qemu_argv_build(vm->def, &opts, &vm->cmd, &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s: %s", vm->domain_path,
                                      error ?: "cannot build the QEMU command line");
        if (vm->cmd.n_tap_fds > 0)
                return log_full_errno(LOG_ERR, -EOPNOTSUPP, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: tap network interfaces are not supported by the supervisor yet.",
                                      vm->domain_path);
        if (vm->cmd.vhost_vsock_fd >= 0)
                return log_full_errno(LOG_ERR, -EOPNOTSUPP, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: <vsock> is not supported by the supervisor yet.", vm->domain_path);
        /* vmunit.conf's cgroup_device_acl replaces the seed list; the domain's own devices come on top. */
        r = cgroup_plan_build(vm->def, (const char * const *) conf->cgroup_device_acl, &vm->plan);
        if (r < 0)
                return log_error_errno(r, "Failed to compute the device ACL: %m");
        if (conf->max_processes > 0)
                vm->plan.tasks_max = conf->max_processes;
        return 0;
}

static int vm_open_bus(Vm *vm) {
        int r;

        r = sd_bus_default_system(&vm->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        return 0;
}

static int vm_connect_qmp(Vm *vm, uint64_t timeout_usec) {
        uint64_t waited = 0;
        int r;

        /* Short tries, so that a QEMU that dies during start-up is noticed at once. */
        for (;;) {
                r = qmp_connect_unix(vm->qmp_path, 100000, &vm->qmp);
                if (r != -ETIMEDOUT)
                        break;
                if (vm->is_child && waitpid(vm->pid, NULL, WNOHANG) == vm->pid) {
                        vm->pid = 0;
                        return log_full_errno(LOG_ERR, -ESRCH, VMUNIT_MESSAGE_VM_FAILED,
                                              "QEMU exited during start-up (its messages are above, "
                                              "SYSLOG_IDENTIFIER=qemu).");
                }
                waited += 100000;
                if (waited >= timeout_usec)
                        break;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to connect to QMP at '%s': %m", vm->qmp_path);

        qmp_set_event_handler(vm->qmp, on_qmp_event, vm);
        r = qmp_handshake(vm->qmp, QMP_COMMAND_TIMEOUT_USEC);
        if (r < 0)
                return log_error_errno(r, "QMP handshake on '%s' failed: %m", vm->qmp_path);
        return 0;
}

static int vm_query_status(Vm *vm, char **ret) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *v;
        int r;

        r = qmp_execute(vm->qmp, "query-status", NULL, QMP_COMMAND_TIMEOUT_USEC, &result, NULL);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(result, "status", &v))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int vm_cont(Vm *vm) {
        _cleanup_free_ char *desc = NULL;
        int r;

        if (vm->cfg.start_paused) {
                vm->running = false;
                return 0;
        }
        r = qmp_execute(vm->qmp, "cont", NULL, QMP_COMMAND_TIMEOUT_USEC, NULL, &desc);
        if (r < 0)
                return log_error_errno(r, "QMP 'cont' failed: %s", desc ?: "%m");
        vm->running = true;
        return 0;
}

static int vm_watch(Vm *vm) {
        int r;

        r = sd_event_add_io(vm->event, &vm->pidfd_source, vm->pidfd, EPOLLIN, on_qemu_exit, vm);
        if (r < 0)
                return log_error_errno(r, "Failed to watch QEMU's pidfd: %m");
        r = sd_event_add_io(vm->event, &vm->qmp_source, qmp_get_fd(vm->qmp), EPOLLIN, on_qmp_io, vm);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the QMP socket: %m");
        /* Events that came with the replies above are already buffered. */
        r = qmp_process(vm->qmp);
        if (r < 0 && r != -ECONNRESET)
                return log_error_errno(r, "QMP failed: %m");
        return 0;
}

/* Returns 1 if re-attached, 0 if there was nothing (alive) to re-attach to, < 0 on failure. */
static int vm_try_reattach(Vm *vm) {
        _cleanup_free_ char *status = NULL;
        StateInfo st = {};
        int r;

        r = state_read(vm->state_file, &st);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_warning_errno(r, "Ignoring unreadable state file '%s': %m", vm->state_file);
                return 0;
        }
        vm->unit = TAKE_PTR(st.unit);
        if (!state_pid_matches(st.pid, st.pid_start, vm->unit)) {
                log_notice("QEMU of a previous run (pid %d) is gone, cleaning up after it.", (int) st.pid);
                if (vm->bus && vm->unit)
                        (void) scope_stop(vm->bus, vm->unit, true);
                vm->unit = mfree(vm->unit);
                return 0;
        }

        vm->pid = st.pid;
        vm->pid_start = st.pid_start;
        vm->is_child = false;
        vm->pidfd = pidfd_open(vm->pid, 0);
        if (vm->pidfd < 0)
                return log_error_errno(-errno, "Failed to open a pidfd for QEMU pid %d: %m", (int) vm->pid);

        r = vm_connect_qmp(vm, QMP_CONNECT_TIMEOUT_USEC);
        if (r < 0)
                return r;
        r = vm_query_status(vm, &status);
        if (r < 0)
                return log_error_errno(r, "QMP 'query-status' failed: %m");

        if (streq(status, "prelaunch")) {
                /* We died between spawning and cont. */
                r = vm_cont(vm);
                if (r < 0)
                        return r;
        } else if (streq(status, "shutdown")) {
                vm->guest_shutdown = true;
                vm->running = false;
        } else
                vm->running = streq(status, "running");

        log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_REATTACHED, "Re-attached to QEMU pid %d in %s (%s).",
                   (int) vm->pid, vm->unit, status);
        return 1;
}

static int vm_spawn(Vm *vm) {
        _cleanup_close_ int sync_fd = -EBADF, err_fd = -EBADF;
        int r;

        r = state_runtime_dir_prepare(vm->runtime_dir, vm->state_dir, &vm->user);
        if (r < 0)
                return log_error_errno(r, "Failed to prepare '%s' and '%s': %m", vm->runtime_dir, vm->state_dir);

        r = spawn_qemu(&vm->cmd, &vm->user, vm->cfg.name, &vm->pid, &vm->pidfd, &sync_fd, &err_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to fork QEMU: %m");
        vm->is_child = true;
        log_debug("Forked QEMU child %d, creating its scope.", (int) vm->pid);

        r = scope_create(vm->bus, vm->cfg.name, vm->def->uuid, vm->pid, &vm->plan, &vm->unit, &vm->machined);
        if (r == -EEXIST)
                return log_error_errno(r, "A scope for VM '%s' exists already (another QEMU?): %m", vm->cfg.name);
        if (r < 0)
                return log_error_errno(r, "Failed to create the scope for QEMU: %m");

        log_debug("Scope %s is running.", vm->unit);
        r = state_read_pid_start(vm->pid, &vm->pid_start);
        if (r < 0)
                return log_error_errno(r, "Failed to read QEMU's start time: %m");
        r = state_write(vm->state_file, vm->pid, vm->pid_start, vm->unit);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s': %m", vm->state_file);

        r = spawn_release(TAKE_FD(sync_fd), TAKE_FD(err_fd));
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_FAILED, "Failed to start QEMU '%s': %m",
                                      vm->cmd.argv[0]);
        return 0;
}

int vm_start(Vm *vm) {
        _cleanup_free_ char *status = NULL;
        int r;

        r = vm_name_validate(vm->cfg.name);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "Invalid VM name '%s'.", vm->cfg.name);

        r = vm_load(vm);
        if (r < 0)
                return r;

        r = state_runtime_dir_lock(vm->cfg.runtime_root, vm->runtime_dir, &vm->runtime_fd);
        if (r == -EBUSY)
                return log_error_errno(r, "Another supervisor runs VM '%s' already.", vm->cfg.name);
        if (r < 0)
                return log_error_errno(r, "Failed to create and lock '%s': %m", vm->runtime_dir);

        r = sd_event_default(&vm->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(vm->event, NULL, SIGTERM, on_signal, vm);
        if (r >= 0)
                r = sd_event_add_signal(vm->event, NULL, SIGINT, on_signal, vm);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        log_debug("Domain parsed, runtime dir locked.");
        r = vm_open_bus(vm);
        if (r < 0)
                goto fail;

        r = vm_try_reattach(vm);
        if (r < 0)
                goto fail_keep;         /* QEMU is alive: never kill a VM we merely failed to adopt */
        if (r > 0) {
                r = vm_watch(vm);
                if (r < 0)
                        goto fail_keep;
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s (re-attached)", vm->running ? "Running" : "Paused");
                vm->ready = true;
                if (vm->guest_shutdown && !vm->stop_requested)
                        request_quit(vm);       /* it had powered off while we were gone */
                return 0;
        }

        (void) state_runtime_dir_clean(vm->runtime_dir);
        r = vm_check_files(vm);
        if (r < 0)
                goto fail;
        r = vm_check_conf(vm);
        if (r < 0)
                goto fail;
        r = sandbox_user_lookup(vm->cfg.conf->user, vm->cfg.conf->group, &vm->user, &vm->user_name);
        if (r == -ESRCH || r == -ENXIO) {
                r = log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s: unknown QEMU %s '%s'.",
                                   vm->cfg.conf_path, r == -ESRCH ? "user" : "group",
                                   r == -ESRCH ? vm->cfg.conf->user : vm->cfg.conf->group);
                goto fail;
        }
        if (r < 0) {
                r = log_error_errno(r, "Failed to look up QEMU's user '%s': %m", vm->cfg.conf->user);
                goto fail;
        }
        r = vm_build(vm);
        if (r < 0)
                goto fail;

        log_debug("Command line built, spawning QEMU.");
        r = vm_spawn(vm);
        if (r < 0)
                goto fail;
        log_debug("QEMU exec'ed in %s.", vm->unit);
        r = vm_connect_qmp(vm, QMP_CONNECT_TIMEOUT_USEC);
        if (r < 0)
                goto fail;
        log_debug("QMP connected.");
        r = vm_cont(vm);
        if (r < 0)
                goto fail;
        r = vm_watch(vm);
        if (r < 0)
                goto fail;

        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", vm->running ? "Running" : "Paused (started paused)");
        vm->ready = true;
        log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_STARTED, "VM '%s' started (QEMU pid %d in %s%s, user %s).",
                   vm->cfg.name, (int) vm->pid, vm->unit, vm->machined ? ", registered with machined" : "",
                   vm->user_name);
        return 0;

fail:
        vm_release(vm, true);
        return r;
fail_keep:
        return r;
}

int vm_run(Vm *vm) {
        int r;

        r = sd_event_loop(vm->event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                vm_release(vm, true);
                return VMUNIT_EXIT_SETUP;
        }
        return r;
}

/* ---- ExecStopPost= safety net ---- */

/* Is a stop job of @unit running (systemctl stop), as opposed to the unit dying on its own? */
static int unit_stop_job_pending(sd_bus *bus, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *job_type = NULL;
        const char *path, *job_path;
        uint32_t job_id;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *job = NULL;
        r = sd_bus_get_property(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit", "Job",
                                &error, &job, "(uo)");
        if (r < 0)
                return r;
        r = sd_bus_message_read(job, "(uo)", &job_id, &job_path);
        if (r < 0)
                return r;
        if (job_id == 0)
                return 0;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", job_path, "org.freedesktop.systemd1.Job",
                                       "JobType", &error, &job_type);
        if (r < 0)
                return r;
        return streq(job_type, "stop");
}

int vm_stop_post(Vm *vm) {
        _cleanup_free_ char *unit = NULL;
        StateInfo st = {};
        int r;

        r = vm_name_validate(vm->cfg.name);
        if (r < 0)
                return 0;               /* nothing can have been started under such a name */
        r = state_read(vm->state_file, &st);
        if (r < 0)
                return 0;               /* the supervisor released everything itself */
        vm->unit = TAKE_PTR(st.unit);

        r = sd_pid_get_unit(0, &unit);
        if (r < 0)
                return log_error_errno(r, "Failed to find our own unit: %m");
        r = vm_open_bus(vm);
        if (r < 0)
                return r;
        r = unit_stop_job_pending(vm->bus, unit);
        if (r < 0)
                return log_error_errno(r, "Failed to look up the job of '%s': %m", unit);
        if (r == 0) {
                /* The supervisor died on its own: Restart= brings it back to re-attach. */
                log_notice("Supervisor ended without releasing QEMU (pid %d); leaving it for re-attach.", (int) st.pid);
                vm->unit = mfree(vm->unit);
                return 0;
        }

        log_struct(LOG_WARNING, VMUNIT_MESSAGE_VM_STOPPED,
                   "Supervisor did not finish stopping the VM, killing QEMU (pid %d) and %s.", (int) st.pid, vm->unit);
        vm_release(vm, false);
        return 0;
}
