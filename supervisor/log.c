/*
 * Supervisor logging: see log.h.
 *
 * Journal entries are sent with journald's native protocol directly (one datagram to
 * /run/systemd/journal/socket), not through libsystemd: vmunit-supervisor-steady, which runs for
 * the whole life of the VM, shares this file and must not pull in libsystemd just to log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static const char *log_vm_name, *log_vm_uuid;
static int log_max_level = -1;
static char *log_unit;
static bool log_unit_looked_up;
static int journal_fd = -EBADF;

/* The unit we run in, from /proc/self/cgroup: the first path component that is not a slice
 * (what sd_pid_get_unit() finds for a system service). NULL if there is none. */
static char *unit_from_cgroup(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096], *best = NULL;

        if (!f)
                return NULL;
        while (fgets(line, sizeof(line), f)) {
                char *path, *c, *save = NULL;
                bool unified = startswith(line, "0::");

                /* cgroup2 ("0::/...") is what a unified system uses; on a hybrid one the
                 * name=systemd hierarchy carries the same path. */
                if (!unified && !strstr(line, ":name=systemd:"))
                        continue;
                path = strchr(strchr(line, ':') + 1, ':');
                if (!path)
                        continue;
                path[strcspn(path, "\n")] = 0;
                for (c = strtok_r(path + 1, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                        size_t l = strlen(c);
                        if (l > 6 && streq(c + l - 6, ".slice"))
                                continue;
                        free(best);
                        best = strdup(c);
                        break;
                }
                if (unified && best)
                        break;
        }
        return best;
}

/* journald finds _SYSTEMD_UNIT= through the sender's cgroup, which fails when the sender has
 * exited by the time the message is read (a failed start, ExecStopPost=). OBJECT_SYSTEMD_UNIT=
 * from a root sender is matched by `journalctl -u` too, so the line is never lost from there. */
static const char *own_unit(void) {
        if (!log_unit_looked_up) {
                log_unit_looked_up = true;
                if (geteuid() == 0)
                        log_unit = unit_from_cgroup();
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

/* Appends one field in the native format: "NAME=value\n", or for a value with a newline
 * "NAME\n", its length as 64-bit little endian, the value and "\n". */
static void field_add(FILE *f, const char *name, const char *value) {
        if (!strchr(value, '\n')) {
                fprintf(f, "%s=%s\n", name, value);
                return;
        }
        uint64_t l = strlen(value);
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t) (l >> (8 * i));
        fprintf(f, "%s\n", name);
        fwrite(le, 1, sizeof(le), f);
        fprintf(f, "%s\n", value);
}

static int journal_send(int level, const char *message_id, const char *msg) {
        static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        char prio[2] = { (char) ('0' + (level & 7)), 0 };
        const char *unit = own_unit();
        FILE *f;
        ssize_t k;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        field_add(f, "MESSAGE", msg);
        field_add(f, "PRIORITY", prio);
        field_add(f, "SYSLOG_IDENTIFIER", "vmunit-supervisor");
        if (log_vm_name)
                field_add(f, "VM_NAME", log_vm_name);
        if (log_vm_uuid)
                field_add(f, "VM_UUID", log_vm_uuid);
        if (message_id)
                field_add(f, "MESSAGE_ID", message_id);
        if (unit)
                field_add(f, "OBJECT_SYSTEMD_UNIT", unit);
        if (fclose(f) != 0)
                return -ENOMEM;

        if (journal_fd < 0) {
                journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (journal_fd < 0)
                        return -errno;
        }
        k = sendto(journal_fd, buf, size, MSG_NOSIGNAL, (const struct sockaddr *) &sa, sizeof(sa));
        return k < 0 ? -errno : 0;
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
        if (msg && getenv("JOURNAL_STREAM") && journal_send(level, message_id, msg) >= 0)
                goto done;
        fprintf(stderr, "%s%s%s\n", log_vm_name ? log_vm_name : "", log_vm_name ? ": " : "",
                msg ?: "(out of memory formatting a log message)");
done:
        errno = saved;
        return error < 0 ? error : -EIO;
}
