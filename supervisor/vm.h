/*
 * One supervised VM: start (or re-attach to) its QEMU, react to QMP events and signals, and
 * end with an exit status that tells the unit's result the truth.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "cgroup-plan.h"
#include "config.h"
#include "model.h"
#include "qemu-argv.h"
#include "qmp.h"
#include "apparmor-profile.h"
#include "sandbox.h"
#include "security-selinux.h"
#include "security.h"

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
        bool session;                   /* the session instance: user bus, user manager, no privilege */
        const char *domain_dir;         /* /etc/vmunit/domains (lib/instance-paths.h) */
        const char *runtime_root;       /* /run/vmunit */
        const char *state_root;         /* /var/lib/vmunit */
        const VmunitConfig *conf;       /* vmunit.conf, with the command line's overrides applied */
        const char *conf_path;          /* for messages */
        bool start_paused;
} VmConfig;

typedef struct Vm {
        VmConfig cfg;
        char *runtime_dir, *state_dir, *domain_path, *state_file, *qmp_path;
        char *security_journal;         /* RUNTIME_DIR/security: what the security drivers changed */
        VmDef *def;
        QemuBuildOptions build_opts;
        QemuCommand cmd;
        CgroupPlan plan;
        SandboxUser user;
        char *user_name;
        bool selinux, apparmor;         /* the MAC drivers that confine this VM */
        SelinuxLabels selinux_labels;
        char apparmor_profile[APPARMOR_PROFILE_NAME_MAX];

        sd_bus *bus;
        Qmp *qmp;
        int runtime_fd;                 /* open + flock'ed runtime dir: one supervisor per VM */

        pid_t pid;
        int pidfd;
        bool is_child;                  /* we forked it (exit status known) or re-attached */
        uint64_t pid_start;             /* /proc/PID/stat starttime, against pid reuse */
        char *unit;                     /* machine-NAME.scope */
        bool machined;

        bool running;                   /* vCPUs run (cont answered, or re-attached to a running VM) */
        bool guest_shutdown;            /* re-attached to a guest that had shut down */
        char **startup_events;          /* QMP events seen during start-up, "EVENT" or "EVENT:reason" */
        int ports_lock_fd;              /* graphics-ports.lock while an autoport SPICE port is chosen */
        int *pass_fds;                  /* opened for vm->cmd.fds, until QEMU has them */
        unsigned n_pass_fds;
        pid_t *virtiofsd_pids;          /* vm-virtiofs.c: our virtiofsd children (0: reaped), for QEMU's scope */
        int *virtiofsd_pidfds;
        unsigned n_virtiofsd;
} Vm;

int vm_new(const VmConfig *cfg, Vm **ret);
Vm *vm_free(Vm *vm);
DEFINE_CLEANUP_FUNC(Vm *, vm_free);

/* Everything up to READY=1: parse, then re-attach to a running QEMU or start one, then exec
 * vmunit-supervisor-steady (VMUNIT_STEADY_PATH), which sends READY=1 and runs the VM until QEMU is
 * gone. Logs its own errors. Returns only on failure: -errno, after having released everything it
 * took (except a QEMU it re-attached to, which is never killed for our failure). */
int vm_start(Vm *vm);

/* --release: run by vmunit-supervisor-steady (exec'ed in the same process) once QEMU is gone:
 * stops the scope and removes the runtime dir. Returns @exit_status. */
int vm_release_final(Vm *vm, int exit_status);

/* vm-security.c: checks QEMU's access to the domain's files and lets the active drivers prepare
 * them (logs its errors; on failure nothing stays changed); restores whatever the journal says. */
int vm_security_prepare(Vm *vm, const QemuBuildOptions *build);
/* In the child before exec: the SELinux exec context and AppArmor profile of the active drivers. */
int vm_security_exec_labels(const Vm *vm);
/* The argv builder's options for this VM (vmunit.conf's settings): the start's and hotplug's. */
void vm_build_options_init(Vm *vm);

/* vm-graphics.c: picks free ports for autoport VNC and SPICE displays (build_opts.vnc_display,
 * spice_port) under a lock that vm_graphics_ports_release() drops once QEMU has bound them. */
int vm_graphics_pick_ports(Vm *vm);
void vm_graphics_ports_release(Vm *vm);

/* vm-net.c: opens what the command line's fds stand for (vm->cmd.fds): a tap for each type='bridge',
 * 'network' and 'ethernet' interface (created or, managed='no', opened; MAC, MTU, plugged into its
 * bridge, up; an ethernet <script> run), /dev/vhost-net. Logs its errors naming the domain file and
 * line; on failure nothing stays open or created. vm_net_close() closes our copies: a tap goes away
 * with the last fd, i.e. with QEMU. */
int vm_net_open(Vm *vm);
void vm_net_close(Vm *vm);

/* vm-memory.c: the directories QEMU's memory files go into (MOUNT/vmunit/NAME on each hugetlbfs the
 * guest uses, STATE_DIR/ram for file-backed memory), made for QEMU's user and recorded in the
 * runtime dir; vm_memory_release() removes what the record names, with the files inside. */
int vm_memory_prepare(Vm *vm);
void vm_memory_release(Vm *vm);

/* vm-downscript.c: an ethernet interface's <downscript> is recorded in the runtime dir with its tap's
 * name once the tap exists, and run (once, with that name) when the VM is released, by whichever
 * process releases it. Recording logs its errors; running logs a failed script as a warning. */
int vm_downscript_record(Vm *vm, const VmNet *n, const char *tap);
void vm_downscripts_run(Vm *vm);

/* vm-host-check.c: refuses, before anything is created, what the host lacks for the domain's host
 * devices (a SCSI device, /dev/vhost-scsi, /dev/sev ...) and what the supervisor cannot set up yet
 * (OpenGL displays, mediated devices, vhost-user GPUs, SEV), naming file, line and element; opens
 * the SCSI generic and vhost-scsi fds of the command line. Both log their errors. */
int vm_host_check(Vm *vm);
int vm_host_open_fd(Vm *vm, const QemuFd *f);

/* vm-hotplug.c: --hotplug=attach|detach NAME, run by vmunit-supervisor-steady for AttachDevice and
 * DetachDevice: reads the device XML on stdin, plans it against the live XML, hands a new disk's
 * image to QEMU's user (journal RUNTIME_DIR/NAME/security.hotplug.TARGET) and prints the plan as
 * JSON; --hotplug=restore NAME undoes such a journal (its name on stdin). Errors go to stderr, one
 * line. Returns 0 or -errno. */
int vm_hotplug(Vm *vm, const char *action);
#define VM_HOTPLUG_JOURNAL_PREFIX "security.hotplug."
/* vm-security.c: the access check and DAC for a hotplugged disk's @res, recorded in @journal (undone
 * there on failure). -EOPNOTSUPP under SELinux or AppArmor confinement. Logs its errors. */
int vm_security_prepare_hotplug(Vm *vm, const SecurityResources *res, const char *journal);
/* Undoes one hotplug journal (under the security lock). */
int vm_security_restore_journal(Vm *vm, const char *journal);

/* vm-pin.c: host CPU pinning. vm_pin_check() refuses, before anything is spawned, a cpuset naming
 * host CPUs that are not online or not left to VMs by the cgroup (file:line and the host's CPUs in
 * the message); vm_pin_apply() pins the paused QEMU's vCPU, iothread and emulator threads. Both do
 * nothing for a domain without pinning, and log their errors. */
int vm_pin_check(Vm *vm);
int vm_pin_apply(Vm *vm);

/* vm-transient.c: while QEMU is paused, puts each <transient/> disk on a qcow2 overlay in the runtime
 * dir (plugging the shareBacking ones in over it), see lib/qemu-transient.h. Logs its errors. */
int vm_transient_setup(Vm *vm);

/* vm-virtiofs.c: starts a virtiofsd (as root) for each virtiofs <filesystem> with a <source dir>,
 * waits for its socket and hands that to QEMU's user; vm_spawn() puts them into QEMU's scope. Logs
 * its errors naming the domain file and line; on failure none is left running. vm_virtiofs_stop()
 * kills those still ours (a start that failed before the scope took them). */
int vm_virtiofs_start(Vm *vm);
void vm_virtiofs_stop(Vm *vm);

/* vm-live.c: asks the paused QEMU for its runtime facts and writes RUNTIME_DIR/live.xml. */
int vm_live_xml_write(Vm *vm);
void vm_security_restore(Vm *vm);

/* ExecStopPost=: if the unit is being stopped (a stop job) but the supervisor died before it
 * released QEMU (killed after TimeoutStopSec=, say), kill the scope and remove the runtime dir.
 * If the supervisor died on its own, leave QEMU running for the restarted one to adopt. */
int vm_stop_post(Vm *vm);
