/*
 * Supervisor logging: see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>

#include "cleanup.h"
#include "log.h"

static const char *log_vm_name, *log_vm_uuid;
static int log_max_level = -1;
static char *log_unit;
static bool log_unit_looked_up;

/* journald finds _SYSTEMD_UNIT= through the sender's cgroup, which fails when the sender has
 * exited by the time the message is read (a failed start, ExecStopPost=). OBJECT_SYSTEMD_UNIT=
 * from a root sender is matched by `journalctl -u` too, so the line is never lost from there. */
static const char *own_unit(void) {
        if (!log_unit_looked_up) {
                log_unit_looked_up = true;
                if (geteuid() != 0 || sd_pid_get_unit(0, &log_unit) < 0)
                        log_unit = NULL;
        }
        return log_unit;
}

void log_set_vm(const char *name, const char *uuid) {
        log_vm_name = name;
        log_vm_uuid = uuid;
}

static int max_level(void) {
        if (log_max_level < 0) {
                const char *e = getenv("VMUNIT_LOG_LEVEL");
                log_max_level = e && streq(e, "debug") ? LOG_DEBUG : LOG_INFO;
        }
        return log_max_level;
}

int log_full_errno(int level, int error, const char *message_id, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        int saved = errno;
        va_list ap;

        if (level > max_level())
                return error < 0 ? error : -EIO;

        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        /* JOURNAL_STREAM: systemd connected our stderr to the journal, so native entries with
         * fields are better than plain lines there. */
        if (msg && getenv("JOURNAL_STREAM")) {
                _cleanup_free_ char *f_msg = NULL, *f_prio = NULL, *f_name = NULL, *f_uuid = NULL,
                        *f_id = NULL, *f_unit = NULL;
                const char *unit = own_unit();
                struct iovec iov[6];
                size_t n = 0;
                int r;

#define FIELD(var, cond, ...)                                                                   \
                if ((cond) && asprintf(&var, __VA_ARGS__) < 0)                                  \
                        var = NULL;                                                             \
                if (var)                                                                        \
                        iov[n++] = (struct iovec) { .iov_base = var, .iov_len = strlen(var) }
                FIELD(f_msg, true, "MESSAGE=%s", msg);
                FIELD(f_prio, true, "PRIORITY=%i", level);
                FIELD(f_name, log_vm_name, "VM_NAME=%s", log_vm_name);
                FIELD(f_uuid, log_vm_uuid, "VM_UUID=%s", log_vm_uuid);
                FIELD(f_id, message_id, "MESSAGE_ID=%s", message_id);
                FIELD(f_unit, unit, "OBJECT_SYSTEMD_UNIT=%s", unit);
#undef FIELD
                r = f_msg ? sd_journal_sendv(iov, (int) n) : -ENOMEM;
                if (r >= 0)
                        goto done;
        }
        fprintf(stderr, "%s%s%s\n", log_vm_name ? log_vm_name : "", log_vm_name ? ": " : "",
                msg ?: "(out of memory formatting a log message)");
done:
        errno = saved;
        return error < 0 ? error : -EIO;
}
