/*
 * virtiofsd for each <filesystem> with <driver type='virtiofs'> and a <source dir>, as libvirt 9.0
 * runs it: one daemon per filesystem, as root (it must read and write the shared tree as the owners
 * of the guest's files), with -o source=, the <binary> settings and a vhost-user socket,
 * RUNTIME_DIR/ALIAS-fs.sock, that QEMU's -chardev names (lib/virtiofs.h builds both).
 *
 * Where it runs: started before QEMU, as our child, and put into QEMU's own scope when that is
 * created (scope.h's extra_pids), as libvirt puts it into the VM's cgroup. So it is one of the VM's
 * processes: under the VM's limits and device policy, outside vm@NAME.service (a supervisor crash
 * leaves it serving the running QEMU, and the re-attached supervisor's stop of the scope ends it),
 * and gone whenever the scope goes: on stop, on a failed start, and when QEMU ends (virtiofsd itself
 * exits when QEMU closes its socket). Before the scope exists, vm_virtiofs_stop() kills it.
 *
 * Before QEMU starts we wait for the socket (virtiofsd makes it once it has checked its options and
 * the source directory, before it accepts QEMU), then hand it to QEMU's user and group (0600). A
 * virtiofsd that exits first fails the start, naming the domain file and line; its own messages go
 * to the journal under the identifier "virtiofsd". The session instance has no root to run it as:
 * a virtiofs filesystem of its own daemon is refused there.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"
#include "strv.h"
#include "virtiofs.h"
#include "vm.h"

#define VIRTIOFSD_SOCKET_TIMEOUT_USEC (10ULL * 1000000ULL)

#define FS_FAIL(vm, f, r, fmt, ...)                                                                    \
        log_full_errno(LOG_ERR, (r), VMUNIT_MESSAGE_VM_CONFIG, "%s:%u: <filesystem> '%s': " fmt,      \
                       (vm)->domain_path, (f)->line, (f)->target_dir, ##__VA_ARGS__)

static _noreturn_ void child(char **argv, int log_fd) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t none;
        int null_fd;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void) sigaction(s, &sa, NULL);
        if (setsid() < 0 || chdir("/") < 0)
                _exit(EXIT_FAILURE);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
            dup2(log_fd, STDERR_FILENO) < 0)
                _exit(EXIT_FAILURE);
        /* nothing of ours (taps, the runtime dir lock, the bus) */
        if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
                for (int fd = 3; fd < 65536; fd++)
                        (void) close(fd);
        execv(argv[0], argv);
        _exit(127);
}

static int wait_exited(pid_t pid, int *ret_status) {
        siginfo_t si = {};

        if (waitid(P_PID, (id_t) pid, &si, WEXITED) < 0)
                return -errno;
        *ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        return 0;
}

/* Polls for @sock, a socket, while @pidfd's process lives: 0, -ECHILD (it exited: *@ret_status),
 * -ETIMEDOUT. */
static int wait_for_socket(const char *sock, pid_t pid, int pidfd, int *ret_status) {
        for (uint64_t waited = 0; waited < VIRTIOFSD_SOCKET_TIMEOUT_USEC; waited += 10000) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                struct stat st;

                if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
                        return 0;
                if (poll(&p, 1, 10) > 0) {
                        int r = wait_exited(pid, ret_status);
                        return r < 0 ? r : -ECHILD;
                }
        }
        return -ETIMEDOUT;
}

static int track(Vm *vm, pid_t pid, int pidfd) {
        pid_t *pids = reallocarray(vm->virtiofsd_pids, vm->n_virtiofsd + 1, sizeof(pid_t));
        int *fds;

        if (!pids)
                return -ENOMEM;
        vm->virtiofsd_pids = pids;
        fds = reallocarray(vm->virtiofsd_pidfds, vm->n_virtiofsd + 1, sizeof(int));
        if (!fds)
                return -ENOMEM;
        vm->virtiofsd_pidfds = fds;
        pids[vm->n_virtiofsd] = pid;
        fds[vm->n_virtiofsd++] = pidfd;
        return 0;
}

static int start_one(Vm *vm, const VmFilesystem *f, unsigned index) {
        _cleanup_free_ char *binary = NULL, *sock = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int log_fd = -EBADF;
        struct stat st;
        int pidfd, status = 0, r;
        pid_t pid;

        if (vm->cfg.session)
                return FS_FAIL(vm, f, -EPERM, "virtiofs needs virtiofsd running as root, which the session instance "
                               "cannot start (a <source socket=> of a daemon started elsewhere works)");
        if (stat(f->source_dir, &st) < 0)
                return FS_FAIL(vm, f, -errno, "source directory '%s' is missing: %m", f->source_dir);
        if (!S_ISDIR(st.st_mode))
                return FS_FAIL(vm, f, -ENOTDIR, "source '%s' is not a directory", f->source_dir);
        if (f->binary)
                binary = strdup(f->binary);
        else {
                r = virtiofs_find_binary(VIRTIOFS_DESCRIPTOR_DIRS, &binary);
                if (r == -ENOENT)
                        return FS_FAIL(vm, f, r, "no <binary path=> and no vhost-user descriptor of type 'fs' in "
                                       "/etc/qemu/vhost-user or /usr/share/qemu/vhost-user (Debian's "
                                       "qemu-system-common has virtiofsd's)");
                if (r < 0)
                        return log_error_errno(r, "Failed to look up virtiofsd: %m");
        }
        if (!binary)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (access(binary, X_OK) < 0)
                return FS_FAIL(vm, f, -errno, "virtiofsd '%s' is not executable: %m", binary);
        r = virtiofs_socket_path(f, index, vm->runtime_dir, &sock);
        if (r >= 0)
                r = virtiofs_daemon_argv(f, binary, sock, &argv);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        (void) unlink(sock);

        log_fd = sd_journal_stream_fd("virtiofsd", LOG_WARNING, false);
        if (log_fd < 0)
                log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (log_fd < 0)
                return log_error_errno(-errno, "Failed to open virtiofsd's log stream: %m");
        pid = fork();
        if (pid < 0)
                return log_error_errno(-errno, "Failed to fork virtiofsd: %m");
        if (pid == 0)
                child(argv, log_fd);
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                r = -errno;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(r, "Failed to open a pidfd for virtiofsd %d: %m", (int) pid);
        }
        r = track(vm, pid, pidfd);
        if (r < 0) {
                (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                (void) waitpid(pid, NULL, 0);
                (void) close(pidfd);
                return log_error_errno(r, "Out of memory.");
        }
        log_debug("virtiofsd %d for '%s': %s %s %s%s%s", (int) pid, f->target_dir, argv[1], argv[2], argv[3],
                  argv[4] ? " " : "", strempty(argv[4]));

        r = wait_for_socket(sock, pid, pidfd, &status);
        if (r == -ECHILD) {
                vm->virtiofsd_pids[vm->n_virtiofsd - 1] = 0;    /* reaped */
                return FS_FAIL(vm, f, -ECHILD, "virtiofsd '%s' exited with status %d before its socket was there "
                               "(its messages are in the journal, identifier virtiofsd)", binary, status);
        }
        if (r == -ETIMEDOUT)
                return FS_FAIL(vm, f, r, "virtiofsd made no socket '%s' within %llu s", sock,
                               VIRTIOFSD_SOCKET_TIMEOUT_USEC / 1000000ULL);
        if (r < 0)
                return log_error_errno(r, "Failed to wait for virtiofsd: %m");
        /* QEMU runs as its own user: the socket is for it alone */
        if (chown(sock, vm->user.uid, vm->user.gid) < 0 || chmod(sock, 0600) < 0)
                return log_error_errno(-errno, "Failed to hand '%s' to QEMU's user: %m", sock);
        return 0;
}

int vm_virtiofs_start(Vm *vm) {
        int r;

        for (unsigned i = 0; i < vm->def->n_filesystems; i++) {
                const VmFilesystem *f = &vm->def->filesystems[i];
                if (!virtiofs_is(f) || f->source_socket)
                        continue;
                r = start_one(vm, f, i);
                if (r < 0) {
                        vm_virtiofs_stop(vm);
                        return r;
                }
        }
        return 0;
}

void vm_virtiofs_stop(Vm *vm) {
        for (unsigned i = 0; i < vm->n_virtiofsd; i++) {
                if (vm->virtiofsd_pids[i] > 0) {
                        (void) pidfd_send_signal(vm->virtiofsd_pidfds[i], SIGKILL, NULL, 0);
                        (void) waitpid(vm->virtiofsd_pids[i], NULL, 0);
                }
                (void) close(vm->virtiofsd_pidfds[i]);
        }
        vm->virtiofsd_pids = mfree(vm->virtiofsd_pids);
        vm->virtiofsd_pidfds = mfree(vm->virtiofsd_pidfds);
        vm->n_virtiofsd = 0;
}
