/*
 * Forking QEMU: see spawn.h. Between fork() and exec() the child only uses async-signal-safe
 * calls plus initgroups() (we are single-threaded, so NSS is safe here too).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "cleanup.h"
#include "spawn.h"

static _noreturn_ void child_fail(int err_fd, int error) {
        int e = -error;

        (void) !write(err_fd, &e, sizeof(e));
        _exit(127);
}

static _noreturn_ void child(const QemuCommand *cmd, const SpawnConfine *confine, int sync_fd, int err_fd,
                             int out_fd, int log_fd) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;
        char c;
        int null_fd, r;

        /* Blocked until the parent has the scope: EOF means it gave up. */
        if (read(sync_fd, &c, 1) != 1)
                _exit(EXIT_FAILURE);

        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void) sigaction(s, &sa, NULL);
        if (setsid() < 0)
                child_fail(err_fd, -errno);
        if (chdir("/") < 0)
                child_fail(err_fd, -errno);

        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
                child_fail(err_fd, -errno);
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
                child_fail(err_fd, -errno);
        /* fds 3 .. 3+n-1 = the passed fds, then the error pipe (close-on-exec); everything else goes:
         * QEMU gets no other fd of ours. First everything above the targets, so that no dup2() below
         * overwrites a source. */
        int top = 3 + (int) confine->n_pass_fds, e;
        e = fcntl(err_fd, F_DUPFD_CLOEXEC, top + 1);
        if (e < 0)
                child_fail(err_fd, -errno);
        err_fd = e;
        int moved[confine->n_pass_fds + 1];
        for (unsigned i = 0; i < confine->n_pass_fds; i++) {
                moved[i] = fcntl(confine->pass_fds[i], F_DUPFD_CLOEXEC, top + 1);
                if (moved[i] < 0)
                        child_fail(err_fd, -errno);
        }
        for (unsigned i = 0; i < confine->n_pass_fds; i++)
                if (dup2(moved[i], 3 + (int) i) < 0)    /* without close-on-exec */
                        child_fail(err_fd, -errno);
        if (dup3(err_fd, top, O_CLOEXEC) < 0)
                child_fail(err_fd, -errno);
        err_fd = top;
        if (syscall(SYS_close_range, (unsigned) top + 1, ~0U, 0U) < 0)
                for (int fd = top + 1; fd < 65536; fd++)
                        (void) close(fd);

        if (confine->exec_labels) {
                r = confine->exec_labels(confine->userdata);
                if (r < 0)
                        child_fail(err_fd, r);
        }
        r = sandbox_enter(confine->user, confine->no_new_privs);
        if (r < 0)
                child_fail(err_fd, r);

        execve(cmd->argv[0], cmd->argv, cmd->env);
        child_fail(err_fd, -errno);
}

int spawn_qemu(const QemuCommand *cmd, const SpawnConfine *confine, const char *vm_name,
               pid_t *ret_pid, int *ret_pidfd, int *ret_sync_fd, int *ret_err_fd) {
        _cleanup_close_ int out_fd = -EBADF, log_fd = -EBADF;
        int sync_pipe[2], err_pipe[2], pidfd;
        pid_t pid;

        /* Journal streams of their own: they stay connected when we die and come back.
         * Outside systemd, QEMU simply shares our stdout/stderr. */
        out_fd = sd_journal_stream_fd("console", LOG_INFO, false);
        if (out_fd < 0)
                out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        log_fd = sd_journal_stream_fd("qemu", LOG_WARNING, false);
        if (log_fd < 0)
                log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (out_fd < 0 || log_fd < 0)
                return -errno;

        if (pipe2(sync_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
                int r = -errno;
                close(sync_pipe[0]);
                close(sync_pipe[1]);
                return r;
        }

        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(sync_pipe[0]);
                close(sync_pipe[1]);
                close(err_pipe[0]);
                close(err_pipe[1]);
                return r;
        }
        if (pid == 0) {
                close(sync_pipe[1]);
                close(err_pipe[0]);
                child(cmd, confine, sync_pipe[0], err_pipe[1], out_fd, log_fd);
        }

        close(sync_pipe[0]);
        close(err_pipe[1]);
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                int r = -errno;
                close(sync_pipe[1]);    /* the child sees EOF and exits */
                close(err_pipe[0]);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        *ret_sync_fd = sync_pipe[1];
        *ret_err_fd = err_pipe[0];
        return 0;
}

int spawn_release(int sync_fd, int err_fd) {
        _cleanup_close_ int s = sync_fd, e = err_fd;
        ssize_t k;
        int error;

        if (write(s, "x", 1) != 1)
                return -errno;
        s = -EBADF;
        (void) close(sync_fd);

        /* EOF: the exec went through (the pipe is close-on-exec). */
        do
                k = read(e, &error, sizeof(error));
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if (k == 0)
                return 0;
        return error > 0 ? -error : -EIO;
}
