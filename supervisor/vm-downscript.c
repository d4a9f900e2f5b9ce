/*
 * <downscript path=...> of type='ethernet' interfaces: run with the tap's name once QEMU is gone,
 * as libvirt runs it when it stops the domain (the tap, not persistent, is gone with QEMU's fd by
 * then, so the script sees only its name). The tap's name is known only after it was created, and
 * the release may be another process (--release, ExecStopPost=, the next start after a crash): what
 * is to be run is written to RUNTIME_DIR/vmunit-downscripts when the tap is made ("TAP LINE PATH",
 * one a line) and read back when the VM is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "vm.h"

#define DOWNSCRIPTS_NAME "vmunit-downscripts"
#define DOWNSCRIPTS_MAX (64 * 1024)

int vm_downscript_record(Vm *vm, const VmNet *n, const char *tap) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (!n->downscript || !streq(n->type, "ethernet"))
                return 0;
        if (strpbrk(n->downscript, "\n") || asprintf(&path, "%s/" DOWNSCRIPTS_NAME, vm->runtime_dir) < 0)
                return log_error_errno(-EINVAL, "%s:%u: <downscript path='%s'>: cannot be recorded.",
                                       vm->domain_path, n->line, n->downscript);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || dprintf(fd, "%s %u %s\n", tap, n->line, n->downscript) < 0)
                return log_error_errno(-errno, "Failed to record the downscript of tap '%s' in '%s': %m", tap, path);
        return 0;
}

static void run_one(Vm *vm, const char *tap, const char *line, const char *script) {
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0) {
                log_warning_errno(-errno, "%s:%s: <downscript path='%s'>: fork failed, ignoring: %m",
                                  vm->domain_path, line, script);
                return;
        }
        if (pid == 0) {
                int null_fd = open("/dev/null", O_RDONLY);
                if (null_fd >= 0)
                        (void) dup2(null_fd, STDIN_FILENO);
                execl(script, script, tap, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                log_warning("%s:%s: <downscript path='%s'> failed for tap '%s' (%s %d), ignoring.", vm->domain_path,
                            line, script, tap, WIFEXITED(status) ? "exit status" : "signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        else
                log_info("%s:%s: <downscript path='%s'> run for tap '%s'.", vm->domain_path, line, script, tap);
}

void vm_downscripts_run(Vm *vm) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        int r;

        if (!vm->runtime_dir || asprintf(&path, "%s/" DOWNSCRIPTS_NAME, vm->runtime_dir) < 0)
                return;
        r = read_file_full(path, DOWNSCRIPTS_MAX, &text, &len);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Failed to read '%s', the interfaces' downscripts are not run: %m", path);
                return;
        }
        /* Once only, whatever the scripts do: a second release must not run them again. */
        (void) unlink(path);
        for (char *l = text, *next; l && *l; l = next) {
                char *tap = l, *line, *script;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                line = strchr(tap, ' ');
                script = line ? strchr(line + 1, ' ') : NULL;
                if (!script)
                        continue;
                *line++ = 0;
                *script++ = 0;
                run_one(vm, tap, line, script);
        }
}
