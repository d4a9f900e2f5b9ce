/*
 * Supervisor logging: see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-journal.h>

#include "cleanup.h"
#include "log.h"

static const char *log_vm_name, *log_vm_uuid;
static int log_max_level = -1;

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
                int r;

                if (message_id)
                        r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level,
                                            "VM_NAME=%s", strempty(log_vm_name),
                                            "VM_UUID=%s", strempty(log_vm_uuid),
                                            "MESSAGE_ID=%s", message_id, NULL);
                else
                        r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level,
                                            "VM_NAME=%s", strempty(log_vm_name),
                                            "VM_UUID=%s", strempty(log_vm_uuid), NULL);
                if (r >= 0)
                        goto done;
        }
        fprintf(stderr, "%s%s%s\n", log_vm_name ? log_vm_name : "", log_vm_name ? ": " : "",
                msg ?: "(out of memory formatting a log message)");
done:
        errno = saved;
        return error < 0 ? error : -EIO;
}
