/*
 * vmunit-supervisor-steady's state (steady.c: the VM while it runs) shared with its D-Bus object
 * (steady-bus.c: org.vmunit.VM1).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "qmp.h"

typedef enum Action {
        ACTION_DESTROY,
        ACTION_RESTART,
        ACTION_PRESERVE,
} Action;

typedef struct Steady {
        const char *name;
        const char *uuid;
        pid_t pid;
        int pidfd;
        bool is_child;                  /* we forked QEMU: its exit status is ours to read */
        Qmp *qmp;
        int epfd, sigfd, timerfd;
        Action on_poweroff, on_reboot, on_crash;
        uint64_t shutdown_timeout_usec;
        const char *runtime_dir;        /* /run/vmunit: the VM's is runtime_dir/NAME */
        const char *supervisor_path;    /* vmunit-supervisor (--release=): also plans hotplug */
        int hotplug_timerfd;            /* DetachDevice: how long the guest may take to let go */
        bool session;                   /* the session instance: the user bus */
        unsigned vcpus;
        uint64_t memory_kib;

        bool running;                   /* vCPUs run */
        bool stop_requested;            /* SIGTERM: systemctl stop */
        int stop_stage;                 /* 0 none, 1 powerdown sent, 2 quit sent, 3 SIGKILL sent */
        bool guest_shutdown;            /* a SHUTDOWN event was seen: a clean end */
        bool guest_poweroff;            /* ... and the guest itself powered off (not our quit) */
        bool fake_reboot;               /* Reboot(): the next guest power-off is a reset instead */
        bool destroy_requested;         /* Destroy(): QEMU killed on purpose, a clean end */
        int forced_exit;                /* exit status decided by an event (panic), 0 = none */
        bool done;
        int exit_code;

        /* The VM's state as the bus object shows it: running, paused, shutting-down, powered-off,
         * crashed; the reason is QMP's (guest-shutdown, host-qmp-stop ...) or "user". */
        const char *state;
        char *state_reason;
        bool stop_after_shutdown;       /* QEMU pauses after a guest power-off (-no-shutdown): not a Pause */
        const char *resume_reason;      /* why the next RESUME happens (restart_guest()), NULL: unpaused */

        sd_bus *bus;                    /* NULL when there is no bus (the VM runs all the same) */
        char *bus_name;
        uint64_t started_usec;          /* CLOCK_REALTIME of QEMU's start */
} Steady;

/* steady.c: the VM's controls, for the bus object. */
void steady_send(Steady *s, const char *command);
void steady_set_state(Steady *s, const char *state, const char *reason);
void steady_destroy(Steady *s);

/* steady-hotplug.c: AttachDevice/DetachDevice of @xml, answering @m when QEMU is done (returns 1) or
 * an error at once. */
int steady_hotplug_start(Steady *s, sd_bus_message *m, bool attach, const char *xml, sd_bus_error *error);
/* QMP's DEVICE_DELETED for qdev id @device, and the detach timer's expiry. */
void steady_hotplug_device_deleted(Steady *s, const char *device);
void steady_hotplug_timeout(Steady *s);
/* Answers a change still in progress (the VM is ending). */
void steady_hotplug_done(Steady *s);

/* steady-bus.c. Connects to the bus the supervisor runs on (the system bus for vm@.service, the
 * user's for systemctl --user), serves /org/vmunit/vm and asks for the VM's well-known name
 * (lib/bus-name.h). Failing to is logged and the VM runs on without its bus object. */
int steady_bus_open(Steady *s);
/* The fd and epoll events to wait for, and the timeout (CLOCK_MONOTONIC usec, UINT64_MAX = none). */
int steady_bus_fd(Steady *s, uint32_t *ret_events, uint64_t *ret_timeout_usec);
/* Processes whatever the bus has. */
void steady_bus_process(Steady *s);
/* Emits PropertiesChanged for State/StateReason and the StateChanged signal. */
void steady_bus_state_changed(Steady *s);
void steady_bus_close(Steady *s);
