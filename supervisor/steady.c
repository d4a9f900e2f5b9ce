/*
 * vmunit-supervisor-steady: the supervisor while the VM runs.
 *
 * vmunit-supervisor does the start (XML, argv, scope, spawn, QMP handshake, cont) and then execs
 * this program in the same process, so the pid systemd knows as MainPID= stays, QEMU stays our
 * child, and signals still pending (a SIGTERM during start) are delivered here. The QMP
 * connection, QEMU's pidfd and the lock of the runtime dir are inherited as fds; the rest comes on
 * the command line. It does not link libxml2 (nor ICU and libstdc++ behind it): what stays in
 * memory for the life of the VM is libc, json-c, libsystemd's sd-bus and these files.
 *
 * The VM's D-Bus object (steady-bus.c) is the one part that needs libsystemd (sd-bus).
 *
 * One epoll loop: SIGTERM/SIGINT (systemctl stop) start the shutdown ladder, ACPI powerdown ->
 * shutdown timeout -> QMP quit -> 5 s -> SIGKILL; QMP events are handled per <on_poweroff>,
 * <on_reboot> and <on_crash>; QEMU's exit decides the exit status. Then it execs
 * `vmunit-supervisor --release`, which stops the scope, removes the runtime dir and exits with that
 * status (see vm.h for the statuses).
 *
 * Not for use by hand: the options are the hand-over protocol with vmunit-supervisor (vm.c).
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "qmp.h"
#include "steady.h"
#include "strv.h"
#include "vm.h"

#define QUIT_TIMEOUT_USEC (5ULL * 1000000ULL)


static void notify_status(const char *status) {
        _cleanup_free_ char *s = NULL;

        if (asprintf(&s, "STATUS=%s", status) >= 0)
                (void) notify_send(s);
}

void steady_set_state(Steady *s, const char *state, const char *reason) {
        if (streq_ptr(s->state, state) && streq_ptr(s->state_reason, reason))
                return;
        char *copy = strdup(reason ?: "unknown");
        if (!copy)
                return;
        s->state = state;
        free(s->state_reason);
        s->state_reason = copy;
        steady_bus_state_changed(s);
}

void steady_send(Steady *s, const char *command) {
        int r;

        if (!s->qmp) {
                log_debug("No QMP connection for '%s'", command);
                return;
        }
        r = qmp_execute_async(s->qmp, command, NULL, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to send QMP '%s', ignoring: %m", command);
}

static void arm_timer(Steady *s, uint64_t usec) {
        struct itimerspec its = {
                .it_value.tv_sec = (time_t) (usec / 1000000ULL),
                .it_value.tv_nsec = (long) (usec % 1000000ULL) * 1000L,
        };

        if (usec == 0)
                its.it_value.tv_nsec = 1;       /* 0 would disarm it */
        if (timerfd_settime(s->timerfd, 0, &its, NULL) < 0)
                log_warning_errno(-errno, "Failed to arm the stop timer, ignoring: %m");
}

static void request_quit(Steady *s) {
        if (s->stop_stage >= 2)
                return;
        s->stop_stage = 2;
        steady_send(s, "quit");
        arm_timer(s, QUIT_TIMEOUT_USEC);
}

static void restart_guest(Steady *s, const char *reason) {
        s->resume_reason = reason;
        steady_send(s, "system_reset");
        steady_send(s, "cont");
}

/* ---- QMP events ---- */

static void handle_event(Steady *s, const char *event, const char *reason) {
        if (streq(event, "STOP")) {
                s->running = false;
                notify_status(s->stop_requested ? "Shutting down (paused)" : "Paused");
                if (s->stop_after_shutdown)
                        s->stop_after_shutdown = false;         /* the state says why already */
                else
                        steady_set_state(s, s->stop_requested ? "shutting-down" : "paused", reason ?: "user");
        } else if (streq(event, "RESUME")) {
                s->running = true;
                notify_status("Running");
                steady_set_state(s, s->stop_requested ? "shutting-down" : "running", s->resume_reason ?: "unpaused");
                s->resume_reason = NULL;
        } else if (streq(event, "SHUTDOWN")) {
                s->guest_shutdown = true;
                if (s->stop_stage >= 2 && streq_ptr(reason, "host-qmp-quit")) {
                        /* The echo of our own quit: not news, and no reason to forget that the
                         * guest had powered off before it. */
                        log_debug("QEMU is quitting (%s).", reason);
                        return;
                }
                if (streq_ptr(reason, "guest-shutdown"))
                        s->guest_poweroff = true;
                s->stop_after_shutdown = true;
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_GUEST_EVENT, "Guest shut down (%s).", strempty(reason));
                if (s->stop_requested) {
                        request_quit(s);
                        return;
                }
                if (s->fake_reboot) {
                        /* Reboot() pressed the power button: the guest's power-off is its reboot. */
                        log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_GUEST_EVENT, "Rebooting the guest (Reboot requested).");
                        s->fake_reboot = false;
                        s->guest_shutdown = s->guest_poweroff = false;
                        restart_guest(s, "rebooted");
                        return;
                }
                switch (s->on_poweroff) {
                case ACTION_RESTART:
                        s->guest_shutdown = s->guest_poweroff = false;
                        restart_guest(s, "restarted");
                        break;
                case ACTION_PRESERVE:
                        notify_status("Powered off (preserved)");
                        steady_set_state(s, "powered-off", reason);
                        break;
                case ACTION_DESTROY:
                        notify_status("Powered off");
                        steady_set_state(s, "shutting-down", reason);
                        request_quit(s);
                        break;
                }
        } else if (streq(event, "RESET")) {
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_GUEST_EVENT, "Guest reset (%s).", strempty(reason));
                /* <on_reboot> is about the guest's own reboots, not a Reset() or our restart_guest(). */
                if (s->stop_requested || (reason && startswith(reason, "host-")))
                        return;
                switch (s->on_reboot) {
                case ACTION_DESTROY:
                        s->guest_shutdown = true;
                        request_quit(s);
                        break;
                case ACTION_PRESERVE:
                        steady_send(s, "stop");
                        break;
                case ACTION_RESTART:
                        break;          /* QEMU resets the machine itself */
                }
        } else if (streq(event, "GUEST_PANICKED")) {
                log_struct(LOG_WARNING, VMUNIT_MESSAGE_VM_FAILED, "Guest panicked.");
                s->stop_after_shutdown = true;  /* QEMU pauses a panicked guest */
                switch (s->on_crash) {
                case ACTION_RESTART:
                        restart_guest(s, "crash-restarted");
                        break;
                case ACTION_PRESERVE:
                        notify_status("Crashed (preserved)");
                        steady_set_state(s, "crashed", "panicked");
                        break;
                case ACTION_DESTROY:
                        s->forced_exit = VMUNIT_EXIT_GUEST_CRASHED;
                        steady_set_state(s, "crashed", "panicked");
                        request_quit(s);
                        break;
                }
        }
}

static void on_qmp_event(Qmp *q, const char *event, json_object *data, void *userdata) {
        json_object *v;

        if (streq(event, "DEVICE_DELETED")) {
                steady_hotplug_device_deleted(userdata, data && json_object_object_get_ex(data, "device", &v) ?
                                                        json_object_get_string(v) : NULL);
                return;
        }

        handle_event(userdata, event,
                     data && json_object_object_get_ex(data, "reason", &v) ? json_object_get_string(v) : NULL);
}

static void on_qmp_io(Steady *s) {
        int r;

        r = qmp_process(s->qmp);
        if (r >= 0)
                return;
        if (r != -ECONNRESET)
                log_warning_errno(r, "QMP connection failed, closing it: %m");
        /* QEMU is exiting (or closed on us): its pidfd tells the rest. */
        (void) epoll_ctl(s->epfd, EPOLL_CTL_DEL, qmp_get_fd(s->qmp), NULL);
        s->qmp = qmp_free(s->qmp);
}

/* ---- stop ladder ---- */

static void on_timer(Steady *s) {
        uint64_t expirations;

        (void) !read(s->timerfd, &expirations, sizeof(expirations));
        switch (s->stop_stage) {
        case 1:
                log_warning("Guest did not power off within %llu s after the ACPI power button, sending quit.",
                            (unsigned long long) (s->shutdown_timeout_usec / 1000000ULL));
                request_quit(s);
                break;
        case 2:
                log_warning("QEMU did not quit within %llu s, killing it.",
                            (unsigned long long) (QUIT_TIMEOUT_USEC / 1000000ULL));
                s->stop_stage = 3;
                (void) pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
                break;
        default:
                break;
        }
}

static void request_stop(Steady *s) {
        if (s->stop_requested)
                return;
        s->stop_requested = true;
        (void) notify_send("STOPPING=1\nSTATUS=Shutting down");
        steady_set_state(s, "shutting-down", "user");
        if (s->qmp && s->running && s->shutdown_timeout_usec == 0) {
                /* No time for the guest at all (the host-shutdown policy "kill" sets this): the
                 * power button would only race with the quit. */
                log_info("Stop requested, no shutdown timeout: quitting QEMU at once.");
                request_quit(s);
                return;
        }
        log_info("Stop requested, pressing the ACPI power button.");

        if (!s->qmp) {
                /* No monitor: QEMU turns SIGTERM into an orderly quit of its own. */
                s->stop_stage = 2;
                (void) pidfd_send_signal(s->pidfd, SIGTERM, NULL, 0);
                arm_timer(s, QUIT_TIMEOUT_USEC);
                return;
        }
        if (!s->running) {
                /* A paused guest cannot see the button. */
                request_quit(s);
                return;
        }
        s->stop_stage = 1;
        steady_send(s, "system_powerdown");
        arm_timer(s, s->shutdown_timeout_usec);
}

static void on_signal(Steady *s) {
        struct signalfd_siginfo si;

        while (read(s->sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                request_stop(s);
}

void steady_destroy(Steady *s) {
        s->destroy_requested = true;
        steady_set_state(s, "shutting-down", "destroyed");
        (void) pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
}

/* ---- QEMU's exit ---- */

static void on_qemu_exit(Steady *s) {
        siginfo_t si = {};
        bool have_status = false;
        int code;

        /* Events QEMU sent right before exiting (SHUTDOWN) may still be unread. */
        if (s->qmp)
                (void) qmp_process(s->qmp);

        if (s->is_child && waitid(P_PID, (id_t) s->pid, &si, WEXITED | WNOHANG) >= 0 && si.si_pid > 0)
                have_status = true;

        if (s->forced_exit)
                code = s->forced_exit;
        else if (s->destroy_requested) {
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_STOPPED, "VM '%s' destroyed (QEMU killed on request).", s->name);
                code = 0;
        }
        else if (have_status && si.si_code == CLD_EXITED && si.si_status != 0) {
                log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU exited with status %d.", si.si_status);
                code = VMUNIT_EXIT_QEMU_FAILED;
        } else if (have_status && si.si_code != CLD_EXITED) {
                if (s->stop_stage >= 3) {
                        log_struct(LOG_WARNING, VMUNIT_MESSAGE_VM_STOPPED,
                                   "VM stopped: QEMU was killed after the shutdown timeout.");
                        code = 0;
                } else {
                        log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU was killed by signal %s.",
                                   sigabbrev_np(si.si_status) ?: "?");
                        code = VMUNIT_EXIT_QEMU_KILLED;
                }
        } else if (!have_status && !s->guest_shutdown && !s->stop_requested) {
                /* Re-attached: no exit status, and no SHUTDOWN came first. */
                log_struct(LOG_ERR, VMUNIT_MESSAGE_VM_FAILED, "QEMU (pid %d) vanished without a shutdown.",
                           (int) s->pid);
                code = VMUNIT_EXIT_QEMU_KILLED;
        } else {
                log_struct(LOG_INFO, VMUNIT_MESSAGE_VM_STOPPED, "VM '%s' stopped%s.", s->name,
                           s->stop_stage >= 3 ? " (QEMU killed after the shutdown timeout)" :
                           s->guest_poweroff ? ", the guest powered off" : "");
                code = 0;
        }

        if ((code == VMUNIT_EXIT_QEMU_KILLED || code == VMUNIT_EXIT_QEMU_FAILED) && s->on_crash == ACTION_RESTART) {
                log_notice("<on_crash> is restart: exiting with status %d for systemd to start the VM again.",
                           VMUNIT_EXIT_RESTART);
                code = VMUNIT_EXIT_RESTART;
        }
        s->exit_code = code;
        s->done = true;
}

/* ---- set-up and loop ---- */

enum { SOURCE_PIDFD = 1, SOURCE_QMP, SOURCE_SIGNAL, SOURCE_TIMER, SOURCE_BUS, SOURCE_HOTPLUG_TIMER };

static int watch(Steady *s, int fd, uint64_t source) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = source };

        return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The bus fd's events change with what sd-bus has to send; its timeout is an absolute CLOCK_MONOTONIC
 * time (method calls we made, polkit's answer). Returns the epoll_wait() timeout in ms. */
static int bus_rearm(Steady *s, bool *added) {
        struct epoll_event ev = { .data.u64 = SOURCE_BUS };
        uint64_t timeout, now;
        struct timespec ts;
        uint32_t events;
        int fd;

        fd = steady_bus_fd(s, &events, &timeout);
        ev.events = events;
        if (fd < 0) {
                *added = false;         /* closing the fd (sd_bus_flush_close_unref) left epoll */
                return -1;
        }
        if (epoll_ctl(s->epfd, *added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
                log_warning_errno(-errno, "Failed to watch the bus, ignoring: %m");
        else
                *added = true;
        if (timeout == UINT64_MAX)
                return -1;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
        return timeout <= now ? 0 : (int) MIN((timeout - now + 999) / 1000, (uint64_t) INT32_MAX);
}

static int run_loop(Steady *s) {
        bool bus_added = false;

        while (!s->done) {
                struct epoll_event ev[5];
                int timeout_ms = bus_rearm(s, &bus_added);
                int n = epoll_wait(s->epfd, ev, (int) ELEMENTSOF(ev), timeout_ms);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        steady_bus_process(s);          /* a bus timeout */
                for (int i = 0; i < n && !s->done; i++)
                        switch (ev[i].data.u64) {
                        case SOURCE_PIDFD:
                                on_qemu_exit(s);
                                break;
                        case SOURCE_QMP:
                                if (s->qmp)
                                        on_qmp_io(s);
                                break;
                        case SOURCE_SIGNAL:
                                on_signal(s);
                                break;
                        case SOURCE_TIMER:
                                on_timer(s);
                                break;
                        case SOURCE_BUS:
                                steady_bus_process(s);
                                break;
                        case SOURCE_HOTPLUG_TIMER:
                                steady_hotplug_timeout(s);
                                break;
                        }
        }
        return 0;
}

static int parse_action(const char *v, Action *ret) {
        if (streq(v, "destroy"))
                *ret = ACTION_DESTROY;
        else if (streq(v, "restart"))
                *ret = ACTION_RESTART;
        else if (streq(v, "preserve"))
                *ret = ACTION_PRESERVE;
        else
                return -EINVAL;
        return 0;
}

static int parse_int(const char *v, int *ret) {
        char *end;
        long l;

        errno = 0;
        l = strtol(v, &end, 10);
        if (errno || end == v || *end || l < 0 || l > INT32_MAX)
                return -EINVAL;
        *ret = (int) l;
        return 0;
}

static int unhex(const char *h, char **ret, size_t *ret_size) {
        size_t n = strlen(h);
        char *b;

        if (n % 2)
                return -EINVAL;
        b = malloc(n / 2 + 1);
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(h + 2 * i, "%2x", &v) != 1) {
                        free(b);
                        return -EINVAL;
                }
                b[i] = (char) v;
        }
        *ret = b;
        *ret_size = n / 2;
        return 0;
}

int main(int argc, char *argv[]) {
        enum { ARG_NAME = 0x100, ARG_UUID, ARG_PID, ARG_CHILD, ARG_PIDFD, ARG_QMP_FD, ARG_LOCK_FD, ARG_QMP_INPUT,
               ARG_EVENT, ARG_RUNNING, ARG_ON_POWEROFF, ARG_ON_REBOOT, ARG_ON_CRASH, ARG_SHUTDOWN_TIMEOUT,
               ARG_READY, ARG_RELEASE, ARG_RUNTIME_DIR, ARG_VCPUS, ARG_MEMORY_KIB, ARG_SESSION };
        static const struct option options[] = {
                { "name",                  required_argument, NULL, ARG_NAME             },
                { "uuid",                  required_argument, NULL, ARG_UUID             },
                { "pid",                   required_argument, NULL, ARG_PID              },
                { "child",                 no_argument,       NULL, ARG_CHILD            },
                { "pidfd",                 required_argument, NULL, ARG_PIDFD            },
                { "qmp-fd",                required_argument, NULL, ARG_QMP_FD           },
                { "lock-fd",               required_argument, NULL, ARG_LOCK_FD          },
                { "qmp-input",             required_argument, NULL, ARG_QMP_INPUT        },
                { "event",                 required_argument, NULL, ARG_EVENT            },
                { "running",               no_argument,       NULL, ARG_RUNNING          },
                { "on-poweroff",           required_argument, NULL, ARG_ON_POWEROFF      },
                { "on-reboot",             required_argument, NULL, ARG_ON_REBOOT        },
                { "on-crash",              required_argument, NULL, ARG_ON_CRASH         },
                { "shutdown-timeout-usec", required_argument, NULL, ARG_SHUTDOWN_TIMEOUT },
                { "ready",                 required_argument, NULL, ARG_READY            },
                { "release",               required_argument, NULL, ARG_RELEASE          },
                { "runtime-dir",           required_argument, NULL, ARG_RUNTIME_DIR      },
                { "vcpus",                 required_argument, NULL, ARG_VCPUS            },
                { "memory-kib",            required_argument, NULL, ARG_MEMORY_KIB       },
                { "session",               no_argument,       NULL, ARG_SESSION          },
                {}
        };
        Steady s = { .pidfd = -EBADF, .epfd = -EBADF, .sigfd = -EBADF, .timerfd = -EBADF, .hotplug_timerfd = -EBADF };
        _cleanup_strv_free_ char **events = NULL;
        _cleanup_free_ char *input = NULL, *ready = NULL;
        const char *uuid = NULL, *release = NULL, *ready_status = NULL, *runtime_dir = "/run/vmunit";
        size_t input_size = 0;
        int c, pid = 0, qmp_fd = -EBADF, lock_fd = -EBADF, vcpus = 0, r;
        sigset_t mask;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case ARG_NAME:              s.name = optarg; break;
                case ARG_UUID:              uuid = optarg; break;
                case ARG_PID:               r = parse_int(optarg, &pid); break;
                case ARG_CHILD:             s.is_child = true; break;
                case ARG_PIDFD:             r = parse_int(optarg, &s.pidfd); break;
                case ARG_QMP_FD:            r = parse_int(optarg, &qmp_fd); break;
                case ARG_LOCK_FD:           r = parse_int(optarg, &lock_fd); break;
                case ARG_QMP_INPUT:         r = unhex(optarg, &input, &input_size); break;
                case ARG_EVENT:             r = strv_extend(&events, optarg); break;
                case ARG_RUNNING:           s.running = true; break;
                case ARG_ON_POWEROFF:       r = parse_action(optarg, &s.on_poweroff); break;
                case ARG_ON_REBOOT:         r = parse_action(optarg, &s.on_reboot); break;
                case ARG_ON_CRASH:          r = parse_action(optarg, &s.on_crash); break;
                case ARG_SHUTDOWN_TIMEOUT: {
                        char *end;
                        errno = 0;
                        s.shutdown_timeout_usec = strtoull(optarg, &end, 10);
                        r = errno || end == optarg || *end ? -EINVAL : 0;
                        break;
                }
                case ARG_READY:             ready_status = optarg; break;
                case ARG_RELEASE:           release = optarg; break;
                case ARG_RUNTIME_DIR:       runtime_dir = optarg; break;
                case ARG_VCPUS:             r = parse_int(optarg, &vcpus); break;
                case ARG_SESSION:           s.session = true; break;
                case ARG_MEMORY_KIB: {
                        char *end;
                        errno = 0;
                        s.memory_kib = strtoull(optarg, &end, 10);
                        r = errno || end == optarg || *end ? -EINVAL : 0;
                        break;
                }
                default:                    r = -EINVAL; break;
                }
                if (r < 0) {
                        log_error_errno(r, "vmunit-supervisor-steady: bad option '%s'.", argv[optind - 1]);
                        return VMUNIT_EXIT_SETUP;
                }
        }
        if (!s.name || pid <= 0 || s.pidfd < 0 || !release || optind != argc) {
                log_error("vmunit-supervisor-steady is started by vmunit-supervisor, not by hand.");
                return VMUNIT_EXIT_SETUP;
        }
        s.pid = pid;
        s.uuid = uuid ?: "";
        s.runtime_dir = runtime_dir;
        s.supervisor_path = release;
        s.vcpus = (unsigned) vcpus;
        s.state = s.running ? "running" : "paused";
        s.state_reason = strdup(s.running ? "booted" : "start-paused");
        log_set_vm(s.name, uuid);
        (void) lock_fd;                 /* held open, never used: the runtime dir stays ours */

        /* Blocked since before the exec: a SIGTERM sent meanwhile is still pending. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        s.epfd = epoll_create1(EPOLL_CLOEXEC);
        s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        s.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        s.hotplug_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s.epfd < 0 || s.sigfd < 0 || s.timerfd < 0 || s.hotplug_timerfd < 0) {
                r = log_error_errno(-errno, "Failed to set up the event loop: %m");
                goto kill;
        }
        (void) fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);
        if (lock_fd >= 0)
                (void) fcntl(lock_fd, F_SETFD, 0);      /* kept across the exec of --release */
        if (qmp_fd >= 0) {
                (void) fcntl(qmp_fd, F_SETFD, FD_CLOEXEC);
                r = qmp_new(qmp_fd, &s.qmp);
                if (r < 0) {
                        log_error_errno(r, "Failed to take over the QMP connection: %m");
                        goto kill;
                }
                qmp_set_event_handler(s.qmp, on_qmp_event, &s);
                if (input_size > 0 && (r = qmp_put_input(s.qmp, input, input_size)) < 0) {
                        log_error_errno(r, "Failed to take over the QMP connection: %m");
                        goto kill;
                }
        }
        if ((r = watch(&s, s.pidfd, SOURCE_PIDFD)) < 0 || (r = watch(&s, s.sigfd, SOURCE_SIGNAL)) < 0 ||
            (r = watch(&s, s.timerfd, SOURCE_TIMER)) < 0 || (r = watch(&s, s.hotplug_timerfd, SOURCE_HOTPLUG_TIMER)) < 0 || (s.qmp && (r = watch(&s, qmp_get_fd(s.qmp), SOURCE_QMP)) < 0)) {
                log_error_errno(r, "Failed to set up the event loop: %m");
                goto kill;
        }

        /* Before READY=1: whoever waited for the start can talk to the VM at once. */
        (void) steady_bus_open(&s);

        if (ready_status) {
                if (asprintf(&ready, "READY=1\nSTATUS=%s", ready_status) < 0) {
                        r = log_error_errno(-ENOMEM, "Out of memory.");
                        goto kill;
                }
                (void) notify_send(ready);
        }

        /* Events the start-up saw come first, in their order, then whatever QMP has buffered. */
        STRV_FOREACH(e, events) {
                char *colon = strchr(*e, ':');
                if (colon)
                        *colon = 0;
                handle_event(&s, *e, colon ? colon + 1 : NULL);
        }
        if (s.qmp)
                on_qmp_io(&s);

        r = run_loop(&s);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                goto kill;
        }
        goto release;

kill:
        /* Never leave a QEMU nobody supervises. */
        (void) pidfd_send_signal(s.pidfd, SIGKILL, NULL, 0);
        if (s.is_child)
                (void) waitpid(s.pid, NULL, 0);
        s.exit_code = VMUNIT_EXIT_SETUP;

release: {
        _cleanup_free_ char *rt = NULL;
        char status[32];
        snprintf(status, sizeof(status), "--exit-status=%d", s.exit_code);
        /* QMP first: whoever waits for a reply (MonitorCommand, a device change) is answered on the bus. */
        s.qmp = qmp_free(s.qmp);
        steady_bus_close(&s);
        free(s.state_reason);
        if (asprintf(&rt, "--runtime-dir=%s", runtime_dir) < 0)
                return s.exit_code;
        char *args[7], **a = args;
        *a++ = (char *) "vmunit-supervisor";
        *a++ = (char *) "--release";
        *a++ = status;
        *a++ = rt;
        if (s.session)
                *a++ = (char *) "--session";
        *a++ = (char *) s.name;
        *a = NULL;
        execv(release, args);
        log_error_errno(-errno, "Failed to execute '%s' to release the VM's scope: %m", release);
        return s.exit_code;
}
}
