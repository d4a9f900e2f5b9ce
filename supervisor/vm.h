/*
 * One supervised VM: start (or re-attach to) its QEMU, react to QMP events and signals, and
 * end with an exit status that tells the unit's result the truth.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgroup-plan.h"
#include "config.h"
#include "model.h"
#include "qemu-argv.h"
#include "qmp.h"
#include "sandbox.h"

/* Exit statuses of vmunit-supervisor (vm@.service lists 1-4 in RestartPreventExitStatus=, so
 * that only a supervisor crash, or on_crash=restart via 75, restarts the unit). */
enum {
        VMUNIT_EXIT_SETUP = 1,          /* configuration or set-up failed; nothing was left running */
        VMUNIT_EXIT_QEMU_KILLED = 2,    /* QEMU died from a signal we did not send (or vanished) */
        VMUNIT_EXIT_QEMU_FAILED = 3,    /* QEMU exited with an error status on its own */
        VMUNIT_EXIT_GUEST_CRASHED = 4,  /* the guest panicked and <on_crash> said destroy */
        VMUNIT_EXIT_RESTART = 75,       /* <on_crash>restart</on_crash>: let systemd start us again */
};

typedef struct VmConfig {
        const char *name;
        const char *domain_dir;         /* /etc/vmunit/domains */
        const char *runtime_root;       /* /run/vmunit */
        const char *state_root;         /* /var/lib/vmunit */
        const VmunitConfig *conf;       /* vmunit.conf, with the command line's overrides applied */
        const char *conf_path;          /* for messages */
        bool start_paused;
} VmConfig;

typedef struct Vm {
        VmConfig cfg;
        char *runtime_dir, *state_dir, *domain_path, *state_file, *qmp_path;
        VmDef *def;
        QemuCommand cmd;
        CgroupPlan plan;
        SandboxUser user;
        char *user_name;

        sd_event *event;
        sd_bus *bus;
        Qmp *qmp;
        sd_event_source *qmp_source, *pidfd_source, *timer;
        int runtime_fd;                 /* open + flock'ed runtime dir: one supervisor per VM */

        pid_t pid;
        int pidfd;
        bool is_child;                  /* we forked it (exit status known) or re-attached */
        uint64_t pid_start;             /* /proc/PID/stat starttime, against pid reuse */
        char *unit;                     /* machine-NAME.scope */
        bool machined;

        bool running;                   /* vCPUs run (RESUME seen or cont answered) */
        bool stop_requested;            /* SIGTERM: systemctl stop */
        int stop_stage;                 /* 0 none, 1 powerdown sent, 2 quit sent, 3 SIGKILL sent */
        bool guest_shutdown;            /* a SHUTDOWN event was seen: a clean end */
        bool guest_poweroff;            /* ... and the guest itself powered off (not our quit) */
        int forced_exit;                /* exit status decided by an event (panic), 0 = none */
        bool ready;
} Vm;

int vm_new(const VmConfig *cfg, Vm **ret);
Vm *vm_free(Vm *vm);
DEFINE_CLEANUP_FUNC(Vm *, vm_free);

/* Everything up to READY=1: parse, then re-attach to a running QEMU or start one. Logs its
 * own errors. Returns 0, or -errno after having released everything it took. */
int vm_start(Vm *vm);

/* Runs the event loop until QEMU is gone; returns the supervisor's exit status. */
int vm_run(Vm *vm);

/* ExecStopPost=: if the unit is being stopped (a stop job) but the supervisor died before it
 * released QEMU (killed after TimeoutStopSec=, say), kill the scope and remove the runtime dir.
 * If the supervisor died on its own, leave QEMU running for the restarted one to adopt. */
int vm_stop_post(Vm *vm);
