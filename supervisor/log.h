/*
 * Supervisor logging: one line per event, to the journal with VM_NAME=/VM_UUID= (and a
 * MESSAGE_ID= for lifecycle events) when running under systemd, to stderr otherwise.
 * Only supervisor/ logs; lib/ returns errors and this side reports them once.
 */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Lifecycle message IDs (journalctl MESSAGE_ID=...), stable across releases. */
#define VMUNIT_MESSAGE_VM_STARTED     "5b6b0c7a0e2c4d1b9d3c6e2f8a417c01"
#define VMUNIT_MESSAGE_VM_STOPPED     "5b6b0c7a0e2c4d1b9d3c6e2f8a417c02"
#define VMUNIT_MESSAGE_VM_FAILED      "5b6b0c7a0e2c4d1b9d3c6e2f8a417c03"
#define VMUNIT_MESSAGE_VM_REATTACHED  "5b6b0c7a0e2c4d1b9d3c6e2f8a417c04"
#define VMUNIT_MESSAGE_VM_CONFIG      "5b6b0c7a0e2c4d1b9d3c6e2f8a417c05"
#define VMUNIT_MESSAGE_VM_GUEST_EVENT "5b6b0c7a0e2c4d1b9d3c6e2f8a417c06"

/* Sets the fields every later message carries; either may be NULL. Copies nothing: the strings
 * must outlive the logging. */
void log_set_vm(const char *name, const char *uuid);

/* Logs at @level; with @error != 0, errno is set to -@error first so that %m works. Returns
 * @error if it is negative, else -EIO, so that callers can `return log_error_errno(r, ...)`. */
int log_full_errno(int level, int error, const char *message_id, const char *fmt, ...) _printf_(4, 5);

#define log_debug(...)  (void) log_full_errno(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...)   (void) log_full_errno(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)  (void) log_full_errno(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), NULL, __VA_ARGS__)
#define log_error_errno(r, ...)   log_full_errno(LOG_ERR, (r), NULL, __VA_ARGS__)
#define log_struct(level, id, ...) (void) log_full_errno((level), 0, (id), __VA_ARGS__)
