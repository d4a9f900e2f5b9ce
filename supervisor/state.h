/*
 * The VM's runtime directory (/run/vmunit/NAME): created and flock()ed by the one supervisor
 * of the VM, shared with QEMU (group-writable, sticky: QEMU can create its sockets but cannot
 * touch our files), and the state file in it that lets a restarted supervisor find its QEMU:
 *   PID=1234  PID_START=<starttime in ticks>  UNIT=machine-NAME.scope
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

#define STATE_FILE_NAME "vmunit-state"

typedef struct StateInfo {
        pid_t pid;
        uint64_t pid_start;
        char *unit;
} StateInfo;

/* Creates @root and @dir as needed, opens @dir and locks it; -EBUSY if another process holds it. */
int state_runtime_dir_lock(const char *root, const char *dir, int *ret_fd);
/* Hands @runtime_dir to QEMU's group (01770) and creates @state_dir for QEMU's user (0750). */
int state_runtime_dir_prepare(const char *runtime_dir, const char *state_dir, const SandboxUser *user);
/* Removes the files in @dir (one level: QEMU makes sockets, no directories). */
int state_runtime_dir_clean(const char *dir);
int state_runtime_dir_remove(const char *dir);

int state_write(const char *path, pid_t pid, uint64_t pid_start, const char *unit);
/* -ENOENT if there is none, -EBADMSG if it is malformed. */
int state_read(const char *path, StateInfo *ret);

int state_read_pid_start(pid_t pid, uint64_t *ret);
/* Is @pid still the process we recorded (same start time), and inside @unit? */
bool state_pid_matches(pid_t pid, uint64_t pid_start, const char *unit);
