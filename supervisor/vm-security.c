/*
 * The supervisor's side of the security drivers (lib/security*.c): which drivers are active for
 * this VM, preparing the host's files before QEMU starts, and undoing it (on stop, on a failed
 * start, and after a supervisor crash that took QEMU with it).
 */
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "security.h"
#include "strv.h"
#include "vm.h"

#define SECURITY_LOCK_NAME "security.lock"

static bool driver_active(const Vm *vm, const char *name) {
        char **list = vm->cfg.conf->security_driver;

        if (!list)                      /* detect: DAC always */
                return streq(name, "dac");
        return strv_contains(list, name);
}

static int lock_registry(const Vm *vm) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" SECURITY_LOCK_NAME, vm->cfg.runtime_root) < 0)
                return -ENOMEM;
        return security_lock(path);
}

int vm_security_prepare(Vm *vm) {
        _cleanup_(security_resources_done) SecurityResources res = {};
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        bool dac = driver_active(vm, "dac") && vm->cfg.conf->dynamic_ownership;
        int n_groups = 64, r;

        r = security_resources_collect(vm->def, &res);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");

        /* QEMU's supplementary groups (kvm ...) count for the access check, as they will in QEMU. */
        for (;;) {
                gid_t *g = realloc(groups, n_groups * sizeof(gid_t));
                if (!g)
                        return log_error_errno(-ENOMEM, "Out of memory.");
                groups = g;
                int n = n_groups;
                if (getgrouplist(vm->user_name, vm->user.gid, groups, &n) >= 0) {
                        n_groups = n;
                        break;
                }
                if (n <= n_groups)
                        return log_error_errno(-EIO, "Failed to list the groups of '%s'.", vm->user_name);
                n_groups = n;
        }
        SecurityUser user = {
                .uid = vm->user.uid,
                .gid = vm->user.gid,
                .name = vm->user_name,
                .groups = groups,
                .n_groups = (size_t) n_groups,
        };

        r = security_check_access(&res, &user, dac, vm->domain_path, &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s",
                                      error ?: "Failed to check QEMU's access to the domain's files.");
        if (!dac)
                return 0;

        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                return log_error_errno(lock_fd, "Failed to take the security lock in '%s': %m", vm->cfg.runtime_root);
        SecurityDacOptions o = {
                .user = &user,
                .remember_owner = vm->cfg.conf->remember_owner,
                .journal = vm->security_journal,
                .domain_path = vm->domain_path,
        };
        r = security_dac_prepare(&res, &o, &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s",
                                      error ?: "Failed to hand the domain's files to QEMU's user.");
        log_debug("Files handed to QEMU's user %s.", vm->user_name);
        return 0;
}

void vm_security_restore(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        int r;

        if (access(vm->security_journal, F_OK) < 0)
                return;
        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                log_warning_errno(lock_fd, "Failed to take the security lock, restoring without it: %m");
        r = security_restore(vm->security_journal, &error);
        if (r < 0)
                log_warning_errno(r, "Some of the VM's files were not restored: %s", error ?: "%m");
        else
                log_debug("Owners and labels of the VM's files restored.");
}
