/*
 * AttachDevice/DetachDevice for vmunit-supervisor-steady, the libvirt way: the full
 * vmunit-supervisor (--hotplug=, vm-hotplug.c) parses and plans the device and prepares its files,
 * this file runs the plan's QMP commands one after the other, and answers the bus call when QEMU
 * has done them all. Attach: blockdev-add/netdev_add then device_add; a failure removes the
 * backends added so far and gives the image back. Detach: device_del, then the guest has
 * HOTPLUG_TIMEOUT_USEC to release the device (DEVICE_DELETED) before its backends go. The live XML
 * is written only after QEMU agreed. One change at a time.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-name.h"
#include "fs-util.h"
#include "log.h"
#include "steady.h"

/* libvirt waits as long for the guest to let go of a device. */
#define HOTPLUG_TIMEOUT_USEC (5ULL * 1000000ULL)
/* The planning child: parsing and a chown, normally a few milliseconds. */
#define HELPER_TIMEOUT_MSEC (30 * 1000)
#define HELPER_OUTPUT_MAX (32U * 1024U * 1024U)

typedef struct Hotplug {
        Steady *s;
        sd_bus_message *m;              /* the call to answer */
        bool attach;
        json_object *plan;              /* vm-hotplug.c's output */
        const char *device;             /* in @plan */
        size_t next;                    /* the command that runs now */
        bool deleted;                   /* DEVICE_DELETED seen */
        bool waiting;                   /* all commands done, waiting for DEVICE_DELETED */
} Hotplug;

static Hotplug *current;

static Hotplug *hotplug_free(Hotplug *h) {
        if (!h)
                return NULL;
        sd_bus_message_unref(h->m);
        json_object_put(h->plan);
        free(h);
        return NULL;
}

static json_object *plan_get(Hotplug *h, const char *key) {
        json_object *v;

        return json_object_object_get_ex(h->plan, key, &v) ? v : NULL;
}

static int read_all(int fd, char **buf, size_t *n) {
        char chunk[4096];
        ssize_t k = read(fd, chunk, sizeof(chunk));

        if (k <= 0)
                return k < 0 && errno == EINTR ? 1 : 0;
        if (*n + (size_t) k > HELPER_OUTPUT_MAX)
                return -E2BIG;
        char *p = realloc(*buf, *n + (size_t) k + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p + *n, chunk, (size_t) k);
        *n += (size_t) k;
        p[*n] = 0;
        *buf = p;
        return 1;
}

/* Runs `vmunit-supervisor --hotplug=ACTION NAME` with @input on stdin. Returns its exit status
 * (0 ok) with stdout in *@ret_out and stderr in *@ret_err, or -errno. Blocks, bounded by
 * HELPER_TIMEOUT_MSEC. NEEDSWORK: run it asynchronously from the loop. */
static int run_helper(Steady *s, const char *action, const char *input, char **ret_out, char **ret_err) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int in_pipe[2] = { -EBADF, -EBADF }, out_pipe[2] = { -EBADF, -EBADF }, err_pipe[2] = { -EBADF, -EBADF };
        size_t n_out = 0, n_err = 0, len = strlen(input);
        int status, r = 0;
        pid_t pid;

        if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                goto close;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto close;
        }
        if (pid == 0) {
                char hotplug[64], runtime[4096];
                sigset_t none;

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                if (dup2(in_pipe[0], STDIN_FILENO) < 0 || dup2(out_pipe[1], STDOUT_FILENO) < 0 ||
                    dup2(err_pipe[1], STDERR_FILENO) < 0)
                        _exit(127);
                unsetenv("JOURNAL_STREAM");     /* messages on stderr: they become the bus error */
                snprintf(hotplug, sizeof(hotplug), "--hotplug=%s", action);
                snprintf(runtime, sizeof(runtime), "--runtime-dir=%s", s->runtime_dir);
                char *args[] = { (char *) "vmunit-supervisor", hotplug, runtime,
                                 (char *) (s->session ? "--session" : s->name), (char *) s->name, NULL };
                if (!s->session)
                        args[4] = NULL;
                execv(s->supervisor_path, args);
                _exit(127);
        }
        close(in_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[1]);
        in_pipe[0] = out_pipe[1] = err_pipe[1] = -EBADF;
        /* The helper reads all of its input before it writes: no deadlock. */
        for (size_t done = 0; done < len;) {
                ssize_t k = write(in_pipe[1], input + done, len - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;          /* it died: its status says why */
                done += (size_t) k;
        }
        close(in_pipe[1]);
        in_pipe[1] = -EBADF;

        struct pollfd p[2] = { { .fd = out_pipe[0], .events = POLLIN }, { .fd = err_pipe[0], .events = POLLIN } };
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                int k = poll(p, 2, HELPER_TIMEOUT_MSEC);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        r = k < 0 ? -errno : -ETIMEDOUT;
                        (void) kill(pid, SIGKILL);
                        break;
                }
                for (int i = 0; i < 2; i++)
                        if (p[i].fd >= 0 && p[i].revents) {
                                int q = i == 0 ? read_all(p[i].fd, &out, &n_out) : read_all(p[i].fd, &err, &n_err);
                                if (q < 0)
                                        r = q;
                                if (q <= 0)
                                        p[i].fd = -1;
                        }
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r >= 0)
                r = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        if (r >= 0) {
                *ret_out = TAKE_PTR(out);
                *ret_err = TAKE_PTR(err);
        }
close:
        for (int i = 0; i < 2; i++) {
                if (in_pipe[i] >= 0)
                        close(in_pipe[i]);
                if (out_pipe[i] >= 0)
                        close(out_pipe[i]);
                if (err_pipe[i] >= 0)
                        close(err_pipe[i]);
        }
        return r;
}

/* The helper's message: its last line, without the "NAME: " the log puts first. */
static const char *helper_message(Steady *s, char *err) {
        char *line, *end;
        const char *m;

        if (!err)
                return "the planning helper failed";
        while ((end = strrchr(err, '\n')) && end[1] == 0)
                *end = 0;
        line = strrchr(err, '\n');
        line = line ? line + 1 : err;
        m = startswith(line, s->name);
        if (m && startswith(m, ": "))
                return m + 2;
        return *line ? line : "the planning helper failed";
}

static void restore_journal(Hotplug *h) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        json_object *j = plan_get(h, "journal");
        int r;

        if (!j || !json_object_is_type(j, json_type_string))
                return;
        r = run_helper(h->s, "restore", json_object_get_string(j), &out, &err);
        if (r != 0)
                log_warning("Failed to give back the files of device '%s': %s", h->device,
                            r < 0 ? strerror(-r) : helper_message(h->s, err));
}

static int write_live(Hotplug *h) {
        _cleanup_free_ char *dir = NULL;
        static const char * const files[][2] = { { "live-secure", "live-secure.xml" }, { "live", "live.xml" } };
        int r;

        if (asprintf(&dir, "%s/%s", h->s->runtime_dir, h->s->name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                json_object *x = plan_get(h, files[i][0]);
                const char *xml = x ? json_object_get_string(x) : NULL;
                if (!xml)
                        return -EBADMSG;
                r = write_file_atomic(dir, files[i][1], xml, strlen(xml), 0600);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void finish(Hotplug *h, const char *error_name, const char *fmt, ...) _printf_(3, 4);
static void finish(Hotplug *h, const char *error_name, const char *fmt, ...) {
        int r;

        if (fmt) {
                _cleanup_free_ char *msg = NULL;
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
                log_warning("%s of device '%s' failed: %s", h->attach ? "Attach" : "Detach", h->device,
                            strempty(msg));
                r = sd_bus_reply_method_errorf(h->m, error_name, "%s", msg ?: "Out of memory.");
        } else {
                log_info("Device '%s' %s.", h->device, h->attach ? "attached" : "detached");
                r = sd_bus_reply_method_return(h->m, NULL);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to answer %s, ignoring: %m", sd_bus_message_get_member(h->m));
        if (h->s->hotplug_timerfd >= 0)
                (void) timerfd_settime(h->s->hotplug_timerfd, 0, &(struct itimerspec) {}, NULL);
        if (current == h)
                current = NULL;
        hotplug_free(h);
}

static void send_next(Hotplug *h);

static void on_after_reply(Qmp *q, int error, json_object *result, const char *desc, void *userdata) {
        if (error < 0)
                log_warning("Removing a backend of a detached device failed, ignoring: %s", desc ?: strerror(-error));
}

static void rollback(Hotplug *h) {
        json_object *undo = plan_get(h, "rollback");

        /* commands[next] failed: undo what came before it, last first */
        for (size_t i = h->next; i > 0 && undo && h->s->qmp; i--) {
                json_object *c = json_object_array_get_idx(undo, i - 1), *e, *a;
                if (!c || !json_object_object_get_ex(c, "execute", &e) || !json_object_object_get_ex(c, "arguments", &a))
                        continue;
                (void) qmp_execute_async(h->s->qmp, json_object_get_string(e), a, on_after_reply, NULL);
        }
        restore_journal(h);
}

static void detach_done(Hotplug *h) {
        json_object *after = plan_get(h, "after");
        int r;

        for (size_t i = 0; after && h->s->qmp && i < json_object_array_length(after); i++) {
                json_object *c = json_object_array_get_idx(after, i), *e, *a;
                if (json_object_object_get_ex(c, "execute", &e) && json_object_object_get_ex(c, "arguments", &a))
                        (void) qmp_execute_async(h->s->qmp, json_object_get_string(e), a,
                                                 on_after_reply, NULL);
        }
        r = write_live(h);
        if (r < 0)
                log_warning_errno(r, "Failed to write the live XML after detaching '%s', ignoring: %m", h->device);
        restore_journal(h);
        finish(h, NULL, NULL);
}

static void on_reply(Qmp *q, int error, json_object *result, const char *desc, void *userdata) {
        Hotplug *h = userdata;
        json_object *c = json_object_array_get_idx(plan_get(h, "commands"), h->next), *e = NULL;
        int r;

        if (error < 0) {
                (void) json_object_object_get_ex(c, "execute", &e);
                if (error == -ECONNRESET) {
                        /* QEMU is gone, and its backends with it (we are called from qmp_free()). */
                        if (h->attach)
                                restore_journal(h);
                        finish(h, SD_BUS_ERROR_FAILED, "QEMU went away during the device change.");
                        return;
                }
                if (h->attach)
                        rollback(h);
                finish(h, SD_BUS_ERROR_FAILED, "QEMU refused %s: %s", e ? json_object_get_string(e) : "a command",
                       desc ?: strerror(-error));
                return;
        }
        h->next++;
        if (h->next < json_object_array_length(plan_get(h, "commands"))) {
                send_next(h);
                return;
        }
        if (!h->attach) {
                if (h->deleted) {
                        detach_done(h);
                        return;
                }
                h->waiting = true;
                struct itimerspec its = { .it_value.tv_sec = HOTPLUG_TIMEOUT_USEC / 1000000ULL };
                if (timerfd_settime(h->s->hotplug_timerfd, 0, &its, NULL) < 0)
                        log_warning_errno(-errno, "Failed to arm the detach timer, ignoring: %m");
                return;
        }
        r = write_live(h);
        if (r < 0) {
                /* QEMU has it; only the live XML is behind. Say so rather than pretend. */
                finish(h, SD_BUS_ERROR_FAILED, "Device '%s' was attached, but the live XML could not be written: %s",
                       h->device, strerror(-r));
                return;
        }
        finish(h, NULL, NULL);
}

static void send_next(Hotplug *h) {
        json_object *c = json_object_array_get_idx(plan_get(h, "commands"), h->next), *e, *a = NULL;
        int r;

        if (!h->s->qmp) {
                if (h->attach)
                        restore_journal(h);
                finish(h, SD_BUS_ERROR_FAILED, "QEMU's monitor is gone (the VM is ending).");
                return;
        }
        if (!c || !json_object_object_get_ex(c, "execute", &e)) {
                finish(h, SD_BUS_ERROR_FAILED, "The hotplug plan is malformed.");
                return;
        }
        (void) json_object_object_get_ex(c, "arguments", &a);
        r = qmp_execute_async(h->s->qmp, json_object_get_string(e), a, on_reply, h);
        if (r < 0) {
                if (h->attach)
                        rollback(h);
                finish(h, SD_BUS_ERROR_FAILED, "Failed to send %s to QEMU: %s", json_object_get_string(e), strerror(-r));
        }
}

int steady_hotplug_start(Steady *s, sd_bus_message *m, bool attach, const char *xml, sd_bus_error *error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        json_object *v;
        Hotplug *h;
        int r;

        if (current)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Another device change is in progress, try again.");
        if (!s->supervisor_path)
                return sd_bus_error_set(error, VMUNIT_ERROR_NOT_SUPPORTED, "Hotplug needs vmunit-supervisor's path.");
        r = run_helper(s, attach ? "attach" : "detach", xml, &out, &err);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to run '%s --hotplug': %m", s->supervisor_path);
        if (r > 0)
                return sd_bus_error_set(error, VMUNIT_ERROR_INVALID_XML, helper_message(s, err));

        h = new0(Hotplug, 1);
        if (!h)
                return -ENOMEM;
        h->s = s;
        h->attach = attach;
        h->plan = json_tokener_parse(strempty(out));
        if (!h->plan || !json_object_object_get_ex(h->plan, "device", &v) ||
            !json_object_is_type(plan_get(h, "commands"), json_type_array)) {
                hotplug_free(h);
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "The hotplug plan is malformed.");
        }
        h->device = json_object_get_string(v);
        h->m = sd_bus_message_ref(m);
        current = h;
        log_info("%s of device '%s' requested over D-Bus by %s.", attach ? "Attach" : "Detach", h->device,
                 strempty(sd_bus_message_get_sender(m)));
        send_next(h);
        return 1;
}

void steady_hotplug_device_deleted(Steady *s, const char *device) {
        Hotplug *h = current;

        if (!h || h->attach || !device || !streq(device, h->device))
                return;
        h->deleted = true;
        if (h->waiting)
                detach_done(h);
}

void steady_hotplug_timeout(Steady *s) {
        Hotplug *h = current;
        uint64_t expirations;

        (void) !read(s->hotplug_timerfd, &expirations, sizeof(expirations));
        if (!h || !h->waiting)
                return;
        finish(h, VMUNIT_ERROR_DEVICE_BUSY, "The guest did not release device '%s' within %llu s; it stays in the "
               "live XML (the guest may still release it later).", h->device,
               (unsigned long long) (HOTPLUG_TIMEOUT_USEC / 1000000ULL));
}

void steady_hotplug_done(Steady *s) {
        if (current)
                finish(current, SD_BUS_ERROR_FAILED, "The VM is ending.");
}
