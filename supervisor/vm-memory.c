/*
 * The directories QEMU's memory files go into: QEMU creates its files there but cannot create the
 * directories (it has no right to, and no reason to know the layout). As libvirt does:
 *   - huge pages: MOUNT/vmunit/NAME on each hugetlbfs the guest's memory uses (lib/memory-host.h),
 *     a directory of QEMU's user, in which QEMU makes (and at once unlinks) one file per backend;
 *   - file-backed memory: STATE_DIR/ram, where QEMU keeps a file per backend while the VM runs.
 * What was made is recorded in RUNTIME_DIR/memory-dirs first, so that the release (after a stop, a
 * failed start, or at the next start after a crash) removes exactly that, with the files inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "log.h"
#include "memory-host.h"
#include "state.h"
#include "strv.h"
#include "vm.h"

#define MEMORY_DIRS_FILE "memory-dirs"

static int make_qemu_dir(Vm *vm, const char *dir) {
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (chown(dir, vm->user.uid, vm->user.gid) < 0 || chmod(dir, 0700) < 0)
                return -errno;
        return 0;
}

static bool argv_mentions(const Vm *vm, const char *s) {
        STRV_FOREACH(a, vm->cmd.argv)
                if (strstr(*a, s))
                        return true;
        return false;
}

int vm_memory_prepare(Vm *vm) {
        _cleanup_free_ MemoryHugepageUse *uses = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *ram = NULL, *record = NULL;
        unsigned n;
        int r;

        r = memory_host_hugepage_uses(vm->def, &uses, &n);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        for (unsigned i = 0; i < n; i++) {
                char mount[PATH_MAX], *parent = NULL, *dir = NULL;

                qemu_hugetlbfs_dir(&vm->build_opts, uses[i].kib, mount, sizeof(mount));
                if (asprintf(&parent, "%s/vmunit", mount) < 0 || asprintf(&dir, "%s/%s", parent, vm->cfg.name) < 0 ||
                    (!strv_contains(dirs, dir) && strv_extend(&dirs, dir) < 0)) {
                        free(parent);
                        free(dir);
                        return log_error_errno(-ENOMEM, "Out of memory.");
                }
                if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                free(parent);
                free(dir);
                if (r < 0)
                        return log_error_errno(r, "%s:%u: %s: cannot create the huge page directory under '%s': %m",
                                               vm->domain_path, uses[i].line, uses[i].element, mount);
        }
        if (asprintf(&ram, "%s/ram/", vm->state_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (argv_mentions(vm, ram)) {
                ram[strlen(ram) - 1] = 0;
                if (strv_extend(&dirs, ram) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory.");
        }
        if (!dirs)
                return 0;

        /* the record first: a crash half-way leaves nothing unknown behind */
        STRV_FOREACH(d, dirs) {
                char *t = NULL;
                if (asprintf(&t, "%s%s\n", strempty(record), *d) < 0)
                        return log_error_errno(-ENOMEM, "Out of memory.");
                free(record);
                record = t;
        }
        r = write_file_atomic(vm->runtime_dir, MEMORY_DIRS_FILE, record, strlen(record), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s/" MEMORY_DIRS_FILE "': %m", vm->runtime_dir);
        STRV_FOREACH(d, dirs) {
                r = make_qemu_dir(vm, *d);
                if (r < 0)
                        return log_error_errno(r, "Failed to create '%s' for QEMU's memory: %m", *d);
        }
        return 0;
}

void vm_memory_release(Vm *vm) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char *save = NULL;
        size_t len;
        int r;

        if (asprintf(&path, "%s/" MEMORY_DIRS_FILE, vm->runtime_dir) < 0)
                return;
        r = read_file_full(path, 1 << 20, &text, &len);
        if (r < 0)
                return;         /* nothing was made */
        for (char *d = strtok_r(text, "\n", &save); d; d = strtok_r(NULL, "\n", &save)) {
                r = state_runtime_dir_remove(d);      /* QEMU makes files there, no directories */
                if (r < 0)
                        log_warning_errno(r, "Failed to remove '%s', ignoring: %m", d);
        }
        (void) unlink(path);
}
