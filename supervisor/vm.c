/*
 * The supervised VM's start and end: set-up (parse, argv, runtime dir, spawn into the scope, QMP
 * handshake, cont), re-attach after our own crash, the hand-over to vmunit-supervisor-steady
 * (steady.c: READY=1, QMP events, SIGTERM and the shutdown ladder, in a process image without
 * libxml2 or libsystemd), and the release of everything once QEMU is gone (--release).
 * Spawning is spawn.c, the scope scope.c, the runtime state files state.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "domxml.h"
#include "log.h"
#include "memory-host.h"
#include "scope.h"
#include "spawn.h"
#include "state.h"
#include "strv.h"
#include "user-lookup.h"
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
        vm->ports_lock_fd = -EBADF;
        if (asprintf(&vm->runtime_dir, "%s/%s", cfg->runtime_root, cfg->name) < 0 ||
            asprintf(&vm->state_dir, "%s/%s", cfg->state_root, cfg->name) < 0 ||
            asprintf(&vm->domain_path, "%s/%s.xml", cfg->domain_dir, cfg->name) < 0 ||
            asprintf(&vm->state_file, "%s/%s/" STATE_FILE_NAME, cfg->runtime_root, cfg->name) < 0 ||
            asprintf(&vm->security_journal, "%s/%s/security", cfg->runtime_root, cfg->name) < 0 ||
            asprintf(&vm->qmp_path, "%s/%s/" QEMU_QMP_SOCKET, cfg->runtime_root, cfg->name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(vm);
        return 0;
}

Vm *vm_free(Vm *vm) {
        if (!vm)
                return NULL;
        qmp_free(vm->qmp);
        sd_bus_flush_close_unref(vm->bus);
        strv_free(vm->startup_events);
        vm_net_close(vm);
        vm_graphics_ports_release(vm);
        if (vm->pidfd >= 0)
                close(vm->pidfd);
        if (vm->runtime_fd >= 0)
                close(vm->runtime_fd);
        qemu_command_done(&vm->cmd);
        cgroup_plan_done(&vm->plan);
        security_selinux_labels_done(&vm->selinux_labels);
        vm_def_free(vm->def);
        free(vm->user_name);
        free(vm->unit);
        free(vm->runtime_dir);
        free(vm->state_dir);
        free(vm->domain_path);
        free(vm->state_file);
        free(vm->security_journal);
        free(vm->qmp_path);
        free(vm);
        return NULL;
}

/* ---- release ---- */

/* Stops what is left of QEMU and its scope and removes the runtime dir. Used on every orderly
 * exit path (not when we die from a signal: that is what re-attach is for). */
static void vm_release(Vm *vm, bool kill_qemu) {
        vm_virtiofs_stop(vm);           /* those the scope did not take yet */
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
        vm_security_restore(vm);
        vm_downscripts_run(vm);
        vm_memory_release(vm);
        (void) state_runtime_dir_remove(vm->runtime_dir);
}

/* ---- events during start-up ---- */

/* QMP events that arrive while we wait for replies (RESUME after cont, typically) are recorded and
 * handed to vmunit-supervisor-steady, which acts on them in order. */
static void on_qmp_event(Qmp *q, const char *event, json_object *data, void *userdata) {
        Vm *vm = userdata;
        json_object *v;
        char *e;

        if (data && json_object_object_get_ex(data, "reason", &v)) {
                if (asprintf(&e, "%s:%s", event, json_object_get_string(v)) < 0)
                        e = NULL;
        } else
                e = strdup(event);
        if (!e || strv_consume(&vm->startup_events, e) < 0)
                log_warning("Out of memory recording QMP event %s, ignoring.", event);
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
        STRV_FOREACH(w, warnings)
                log_warning("%s", *w);
        return 0;
}

static int vm_check_files(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        int r;

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
                struct stat st;
                if (stat(d->src.path, &st) < 0)
                        return log_full_errno(LOG_ERR, -errno, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s:%u: <disk> '%s': source '%s' is missing: %m", vm->domain_path,
                                              d->line, strempty(d->dst), d->src.path);
                if (d->src.type == VM_DISK_TYPE_BLOCK && !S_ISBLK(st.st_mode))
                        return log_full_errno(LOG_ERR, -ENOTBLK, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s:%u: <disk type='block'> '%s': '%s' is not a block device",
                                              vm->domain_path, d->line, strempty(d->dst), d->src.path);
        }
        for (const char *f = vm->def->os.kernel; f; f = f == vm->def->os.kernel ? vm->def->os.initrd : NULL)
                if (access(f, R_OK) < 0)
                        return log_full_errno(LOG_ERR, -errno, VMUNIT_MESSAGE_VM_CONFIG,
                                              "%s: '%s' is not readable: %m", vm->domain_path, f);
        r = memory_host_check(vm->def, &(QemuBuildOptions) { .hugetlbfs_mount = vm->cfg.conf->hugetlbfs_mount },
                              &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s:%s", vm->domain_path,
                                      error ?: "out of memory");
        return 0;
}

void vm_build_options_init(Vm *vm) {
        const VmunitConfig *conf = vm->cfg.conf;

        vm->build_opts = (QemuBuildOptions) {
                .runtime_dir = vm->runtime_dir,
                .state_dir = vm->state_dir,
                .seccomp_sandbox = conf->seccomp_sandbox,
                .tap_fd_base = 3,
                .hugetlbfs_mount = conf->hugetlbfs_mount,
                .spice_tls_x509_dir = conf->spice_tls_x509_cert_dir,
                .vnc_autoport_search = true,    /* several VMs with autoport: each its own display */
                /* as libvirt: virtio NICs on taps get vhost-net where the host has it */
                .vhost_net = !vm->cfg.session && access("/dev/vhost-net", R_OK | W_OK) == 0,
        };
}

static int vm_build(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        const VmunitConfig *conf = vm->cfg.conf;
        int r;

        vm_build_options_init(vm);
        r = vm_graphics_pick_ports(vm);
        if (r < 0)
                return r;
        r = qemu_argv_build(vm->def, &vm->build_opts, &vm->cmd, &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s: %s", vm->domain_path,
                                      error ?: "cannot build the QEMU command line");
        r = vm_pin_check(vm);
        if (r < 0)
                return r;
        r = vm_host_check(vm);
        if (r < 0)
                return r;
        if ((vm->def->vcpu_placement && streq(vm->def->vcpu_placement, "auto")) ||
            (vm->def->numatune.placement && streq(vm->def->numatune.placement, "auto")))
                return log_full_errno(LOG_ERR, -EOPNOTSUPP, VMUNIT_MESSAGE_VM_CONFIG,
                                      "%s: placement='auto' needs numad's advice, which vmunit does not ask for yet; "
                                      "give a static placement.", vm->domain_path);
        /* vmunit.conf's cgroup_device_acl replaces the seed list; the domain's own devices come on top. */
        r = cgroup_plan_build(vm->def, (const char * const *) conf->cgroup_device_acl, &vm->plan);
        if (r < 0)
                return log_error_errno(r, "Failed to compute the device ACL: %m");
        if (conf->max_processes > 0)
                vm->plan.tasks_max = conf->max_processes;
        return 0;
}

/* The bus of our systemd manager: the system's, or the user's for the session instance. */
static int vm_open_bus(Vm *vm) {
        int r;

        r = vm->cfg.session ? sd_bus_default_user(&vm->bus) : sd_bus_default_system(&vm->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", vm->cfg.session ? "user" : "system");
        return 0;
}

/* Our own unit, vm@NAME.service, as our manager knows it. */
static int vm_own_unit(const Vm *vm, char **ret) {
        return vm->cfg.session ? sd_pid_get_user_unit(0, ret) : sd_pid_get_unit(0, ret);
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

/* Settings QEMU takes only at run time (disk <iotune>), applied while the vCPUs are still paused. */
static int vm_startup_commands(Vm *vm) {
        json_object *list = NULL;
        int r;

        r = qemu_startup_commands(vm->def, &list);
        if (r < 0)
                return log_error_errno(r, "Failed to prepare the start-up QMP commands: %m");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *c = json_object_array_get_idx(list, i), *cmd = NULL, *args = NULL;
                _cleanup_free_ char *desc = NULL;

                (void) json_object_object_get_ex(c, "execute", &cmd);
                (void) json_object_object_get_ex(c, "arguments", &args);
                r = qmp_execute(vm->qmp, json_object_get_string(cmd), args,
                                QMP_COMMAND_TIMEOUT_USEC, NULL, &desc);
                if (r < 0) {
                        r = log_error_errno(r, "%s: QMP '%s' failed: %s", vm->domain_path,
                                            json_object_get_string(cmd), desc ?: "%m");
                        break;
                }
        }
        json_object_put(list);
        return r < 0 ? r : 0;
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
                r = vm_pin_apply(vm);
                if (r >= 0)
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

static int exec_labels(const void *userdata) {
        return vm_security_exec_labels(userdata);
}

static int vm_spawn(Vm *vm) {
        _cleanup_close_ int sync_fd = -EBADF, err_fd = -EBADF;
        _cleanup_free_ char *service = NULL;
        int r;

        r = state_runtime_dir_prepare(vm->runtime_dir, vm->state_dir, &vm->user);
        if (r < 0)
                return log_error_errno(r, "Failed to prepare '%s' and '%s': %m", vm->runtime_dir, vm->state_dir);
        r = vm_memory_prepare(vm);
        if (r < 0)
                return r;

        r = spawn_qemu(&vm->cmd, &(SpawnConfine) {
                                .user = &vm->user,
                                .no_new_privs = !vm->selinux && !vm->apparmor,
                                .exec_labels = vm->selinux || vm->apparmor ? exec_labels : NULL,
                                .userdata = vm,
                                .pass_fds = vm->pass_fds,
                                .n_pass_fds = vm->n_pass_fds,
                       }, vm->cfg.name, &vm->pid, &vm->pidfd, &sync_fd, &err_fd);
        vm_net_close(vm);       /* the child has them: the taps live as long as QEMU */
        if (r < 0)
                return log_error_errno(r, "Failed to fork QEMU: %m");
        vm->is_child = true;
        log_debug("Forked QEMU child %d, creating its scope.", (int) vm->pid);

        r = vm_own_unit(vm, &service);
        if (r < 0)
                (void) log_full_errno(LOG_DEBUG, r, NULL, "Not run as a unit (%m): the scope is ordered before none.");
        if (vm->cfg.session)
                log_notice("Session instance: QEMU's device access is not confined by the scope (a user's systemd "
                           "cannot apply DevicePolicy=); it opens the device nodes that user %s can.", vm->user_name);
        r = scope_create(vm->bus, vm->cfg.name, vm->pid, &(ScopeOptions) {
                                 .plan = &vm->plan,
                                 .session = vm->cfg.session,
                                 .service = service,
                                 .extra_pids = vm->virtiofsd_pids,
                                 .n_extra_pids = vm->n_virtiofsd,
                         }, &vm->unit);
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

        /* While QEMU initialises: machinectl list shows the VM from here on. A VM that machined
         * will not list still runs. machined keeps the system's machines only: a user's VMs, in scopes
         * of the user's manager, are not for it (and registering needs privileges). */
        if (vm->cfg.session)
                return 0;
        r = scope_register_machine(vm->bus, vm->cfg.name, vm->def->uuid, vm->pid);
        if (r == -ENOENT)
                log_debug("systemd-machined is not running, the VM is not registered with it.");
        else if (r < 0)
                log_warning_errno(r, "Failed to register VM '%s' with systemd-machined, ignoring: %m", vm->cfg.name);
        vm->machined = r >= 0;
        return 0;
}

static const char *action_word(VmLifecycleAction a) {
        switch (a) {
        case VM_LIFECYCLE_RESTART:
        case VM_LIFECYCLE_COREDUMP_RESTART:
                return "restart";
        case VM_LIFECYCLE_PRESERVE:
                return "preserve";
        case VM_LIFECYCLE_DESTROY:
        case VM_LIFECYCLE_RENAME_RESTART:
        case VM_LIFECYCLE_COREDUMP_DESTROY:
        case _VM_LIFECYCLE_ACTION_MAX:
        case _VM_LIFECYCLE_ACTION_INVALID:
        default:
                return "destroy";
        }
}

static int fd_inherit(int fd) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

/* Sends READY=1 through vmunit-supervisor-steady, exec'ed in this process with the QMP connection,
 * QEMU's pidfd and the runtime dir lock inherited. Returns only on failure. */
static int vm_exec_steady(Vm *vm, const char *ready_status) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *input = NULL, *self = NULL;
        size_t input_size = 0;
        int r;

        /* Whatever QMP sent with the replies: dispatch complete lines, hand over a partial one. */
        r = qmp_process(vm->qmp);
        if (r < 0 && r != -ECONNRESET)
                return log_error_errno(r, "QMP failed: %m");
        r = qmp_take_input(vm->qmp, &input, &input_size);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        r = fd_inherit(vm->pidfd);
        if (r >= 0)
                r = fd_inherit(qmp_get_fd(vm->qmp));
        if (r >= 0)
                r = fd_inherit(vm->runtime_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to hand over the VM's file descriptors: %m");
        self = realpath("/proc/self/exe", NULL);
        if (!self)
                return log_error_errno(-errno, "Failed to find our own executable: %m");

#define ARG(...) do {                                                           \
                char *_a;                                                       \
                if (asprintf(&_a, __VA_ARGS__) < 0 || strv_consume(&args, _a) < 0) \
                        return log_error_errno(-ENOMEM, "Out of memory.");      \
        } while (false)
        ARG("vmunit-supervisor-steady");
        ARG("--name=%s", vm->cfg.name);
        if (vm->def->uuid)
                ARG("--uuid=%s", vm->def->uuid);
        ARG("--pid=%d", (int) vm->pid);
        if (vm->is_child)
                ARG("--child");
        ARG("--pidfd=%d", vm->pidfd);
        ARG("--qmp-fd=%d", qmp_get_fd(vm->qmp));
        ARG("--lock-fd=%d", vm->runtime_fd);
        if (vm->running)
                ARG("--running");
        if (vm->cfg.session)
                ARG("--session");
        ARG("--on-poweroff=%s", action_word(vm->def->on_poweroff));
        ARG("--on-reboot=%s", action_word(vm->def->on_reboot));
        ARG("--on-crash=%s", action_word(vm->def->on_crash));
        ARG("--shutdown-timeout-usec=%llu", (unsigned long long) vm->cfg.conf->shutdown_timeout_usec);
        ARG("--ready=%s", ready_status);
        ARG("--release=%s", self);
        ARG("--runtime-dir=%s", vm->cfg.runtime_root);
        ARG("--vcpus=%u", vm->def->vcpus_current ?: vm->def->vcpus);
        ARG("--memory-kib=%llu", (unsigned long long) (vm->def->current_memory_kib ?: vm->def->memory_kib));
        STRV_FOREACH(e, vm->startup_events)
                ARG("--event=%s", *e);
        if (input_size > 0) {
                _cleanup_free_ char *hex = malloc(input_size * 2 + 1);
                if (!hex)
                        return log_error_errno(-ENOMEM, "Out of memory.");
                for (size_t i = 0; i < input_size; i++)
                        sprintf(hex + 2 * i, "%02x", (unsigned char) input[i]);
                ARG("--qmp-input=%s", hex);
        }
#undef ARG

        log_debug("Handing over to %s.", VMUNIT_STEADY_PATH);
        execv(VMUNIT_STEADY_PATH, args);
        return log_error_errno(-errno, "Failed to execute '%s': %m", VMUNIT_STEADY_PATH);
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

        /* systemctl stop during start-up: SIGTERM stays pending, across the exec into
         * vmunit-supervisor-steady, which then shuts the VM down. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);

        log_debug("Domain parsed, runtime dir locked.");
        r = vm_open_bus(vm);
        if (r < 0)
                goto fail;

        r = vm_try_reattach(vm);
        if (r < 0)
                goto fail_keep;         /* QEMU is alive: never kill a VM we merely failed to adopt */
        if (r > 0) {
                if (vm->guest_shutdown) {
                        /* It had powered off while we were gone: the steady binary ends it. */
                        r = strv_extend(&vm->startup_events, "SHUTDOWN:guest-shutdown");
                        if (r < 0)
                                goto fail_keep;
                }
                r = vm_exec_steady(vm, vm->running ? "Running (re-attached)" : "Paused (re-attached)");
                goto fail_keep;         /* only returns on failure */
        }

        /* A previous run whose QEMU is gone: give back what it took before anything else. */
        vm_security_restore(vm);
        vm_downscripts_run(vm);
        vm_memory_release(vm);
        (void) state_runtime_dir_clean(vm->runtime_dir);
        r = vm_check_files(vm);
        if (r < 0)
                goto fail;
        r = user_lookup(vm->cfg.conf->user, vm->cfg.conf->group, &vm->user.uid, &vm->user.gid, &vm->user_name);
        vm->user.name = vm->user_name;
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
        if (vm->cfg.session && (vm->user.uid != getuid() || vm->user.gid != getgid())) {
                r = log_full_errno(LOG_ERR, -EPERM, VMUNIT_MESSAGE_VM_CONFIG,
                                   "%s: user '%s', group '%s': the session instance runs QEMU as its own user and "
                                   "group (%u:%u) and cannot switch to others.", vm->cfg.conf_path,
                                   vm->cfg.conf->user, vm->cfg.conf->group ?: "(the user's primary)", (unsigned) getuid(),
                                   (unsigned) getgid());
                goto fail;
        }
        r = vm_build(vm);
        if (r < 0)
                goto fail;
        r = vm_security_prepare(vm, &vm->build_opts);
        if (r < 0)
                goto fail;
        r = vm_net_open(vm);
        if (r < 0)
                goto fail;
        r = vm_virtiofs_start(vm);
        if (r < 0)
                goto fail;

        log_debug("Command line built, files prepared, spawning QEMU.");
        r = vm_spawn(vm);
        if (r < 0)
                goto fail;
        log_debug("QEMU exec'ed in %s.", vm->unit);
        r = vm_connect_qmp(vm, QMP_CONNECT_TIMEOUT_USEC);
        if (r < 0)
                goto fail;
        log_debug("QMP connected.");
        vm_graphics_ports_release(vm);         /* QEMU has bound its display ports by now */
        r = vm_live_xml_write(vm);
        if (r < 0)
                goto fail;
        r = vm_pin_apply(vm);
        if (r < 0)
                goto fail;
        r = vm_transient_setup(vm);     /* before <iotune>: a shareBacking disk is plugged in there */
        if (r < 0)
                goto fail;
        r = vm_startup_commands(vm);
        if (r < 0)
                goto fail;
        r = vm_cont(vm);
        if (r < 0)
                goto fail;

        log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_STARTED, "VM '%s' started (QEMU pid %d in %s%s, user %s).",
                   vm->cfg.name, (int) vm->pid, vm->unit, vm->machined ? ", registered with machined" : "",
                   vm->user_name);
        r = vm_exec_steady(vm, vm->running ? "Running" : "Paused (started paused)");
        /* Only returns on failure: the VM would run unsupervised, so it goes. */

fail:
        vm_release(vm, true);
        return r;
fail_keep:
        return r;
}

int vm_release_final(Vm *vm, int exit_status) {
        StateInfo st = {};
        int r;

        r = vm_name_validate(vm->cfg.name);
        if (r < 0)
                return log_error_errno(r, "Invalid VM name '%s'.", vm->cfg.name);
        r = state_read(vm->state_file, &st);
        if (r >= 0) {
                vm->unit = TAKE_PTR(st.unit);
                (void) vm_open_bus(vm);         /* logs; the runtime dir goes all the same */
        }
        /* QEMU is gone (the steady binary waited for it): stopping the scope only makes sure that
         * it is gone before systemd sees us exit. */
        vm_release(vm, false);
        return exit_status;
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

        r = vm_own_unit(vm, &unit);
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
