/*
 * The supervisor's side of the security drivers (lib/security*.c, lib/apparmor-profile.c): which
 * drivers confine this VM, preparing the host before QEMU starts (files handed to QEMU's user,
 * SELinux labels and category pair, the AppArmor profile), the labels the child takes on before
 * exec, and undoing all of it from the journal (on stop, on a failed start, and after a supervisor
 * crash that took QEMU with it).
 */
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#include "apparmor-profile.h"
#include "log.h"
#include "security-selinux.h"
#include "security.h"
#include "strv.h"
#include "vm.h"

#define SECURITY_LOCK_NAME "security.lock"

static int lock_registry(const Vm *vm) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" SECURITY_LOCK_NAME, vm->cfg.runtime_root) < 0)
                return -ENOMEM;
        return security_lock(path);
}

static int config_error(int r, const char *error, const char *fallback) {
        return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s", error ?: fallback);
}

/* QEMU's supplementary groups (kvm ...) count for the access check, as they will in QEMU. */
static int qemu_groups(const Vm *vm, gid_t **ret, size_t *ret_n) {
        _cleanup_free_ gid_t *groups = NULL;
        int n_groups = 64;

        for (;;) {
                gid_t *g = realloc(groups, n_groups * sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                groups = g;
                int n = n_groups;
                if (getgrouplist(vm->user_name, vm->user.gid, groups, &n) >= 0) {
                        *ret = TAKE_PTR(groups);
                        *ret_n = (size_t) n;
                        return 0;
                }
                if (n <= n_groups)
                        return -EIO;
                n_groups = n;
        }
}

static int prepare_selinux(Vm *vm, const SecurityResources *res) {
        _cleanup_(security_selinux_base_done) SelinuxBaseContexts base = {};
        _cleanup_free_ char *error = NULL;
        SelinuxMcs mcs = {};
        bool needs_mcs;
        int r;

        r = security_selinux_base_load(&(SelinuxBaseOptions) { .required = true }, &base, &error);
        if (r < 0)
                return config_error(r, error, "Failed to read SELinux's virtual domain and image contexts.");
        needs_mcs = security_selinux_needs_mcs(vm->def);
        if (needs_mcs) {
                r = security_selinux_mcs_allocate(SELINUX_MCS_REGISTRY_DIR, vm->cfg.name, &mcs);
                if (r < 0)
                        return log_error_errno(r, "Failed to allocate an MCS category pair in '%s': %m",
                                               SELINUX_MCS_REGISTRY_DIR);
                /* The pair goes back with the journal, whatever happens next. */
                r = security_journal_append(vm->security_journal, "selinux-mcs", SELINUX_MCS_REGISTRY_DIR, vm->cfg.name);
                if (r < 0) {
                        (void) security_selinux_mcs_release(SELINUX_MCS_REGISTRY_DIR, vm->cfg.name);
                        return log_error_errno(r, "Failed to record the MCS pair in '%s': %m", vm->security_journal);
                }
        }
        r = security_selinux_labels_compute(vm->def, &base, needs_mcs ? &mcs : NULL, vm->domain_path,
                                            &vm->selinux_labels, &error);
        if (r < 0)
                return config_error(r, error, "Failed to compute the SELinux labels.");
        r = security_selinux_prepare(res, &(SecuritySelinuxOptions) {
                                             .labels = &vm->selinux_labels,
                                             .remember = vm->cfg.conf->remember_owner,
                                             .journal = vm->security_journal,
                                             .domain_path = vm->domain_path,
                                     }, &error);
        if (r < 0)
                return config_error(r, error, "Failed to label the domain's files for SELinux.");
        r = security_selinux_seclabel_fill(vm->def, &vm->selinux_labels);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        log_debug("SELinux: QEMU runs as %s.", strempty(vm->selinux_labels.process));
        return 0;
}

static int prepare_apparmor(Vm *vm, const QemuBuildOptions *build) {
        _cleanup_(apparmor_rules_done) AppArmorRules rules = {};
        _cleanup_free_ char *error = NULL, *files = NULL, *profile = NULL, *output = NULL;
        bool created;
        int r;

        if (!vm->def->uuid)
                return config_error(-EINVAL, NULL, "AppArmor: the domain has no UUID to name its profile after.");
        r = apparmor_profile_name(vm->def->uuid, vm->apparmor_profile);
        if (r < 0)
                return log_error_errno(r, "Invalid UUID '%s' for an AppArmor profile: %m", vm->def->uuid);
        r = apparmor_rules_collect(vm->def, &(AppArmorOptions) { .filename = vm->domain_path, .build = build },
                                   &rules, &error);
        if (r >= 0)
                r = apparmor_rules_resolve(&rules, vm->def, NULL, &error);
        if (r >= 0)
                r = apparmor_files_render(&rules, vm->def->uuid, &files);
        if (r < 0)
                return config_error(r, error, "Failed to compute the AppArmor rules.");
        r = apparmor_profile_path(APPARMOR_PROFILE_DIR, vm->def->uuid, false, &profile);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        /* Journal first: the profile is unloaded and its .files removed on every way out. */
        r = security_journal_append(vm->security_journal, "apparmor", profile, vm->def->uuid);
        if (r < 0)
                return log_error_errno(r, "Failed to record the AppArmor profile in '%s': %m", vm->security_journal);
        r = apparmor_profile_install(APPARMOR_PROFILE_DIR, NULL, vm->def->uuid, files, &created, &error);
        if (r < 0)
                return config_error(r, error, "Failed to write the AppArmor profile.");
        r = apparmor_parser_run(NULL, APPARMOR_PARSER_REPLACE, profile, &output);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "apparmor_parser -r '%s' failed: %s",
                                      profile, output ?: "%m");
        log_debug("AppArmor: profile %s %s and loaded.", vm->apparmor_profile, created ? "created" : "kept");
        return 0;
}

/* The drivers that confine this VM (vmunit.conf and the domain's <seclabel>). Logs its errors. */
static int select_drivers(const Vm *vm, unsigned *ret) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = security_drivers_select(vm->cfg.conf->security_driver, security_selinux_enabled(), apparmor_is_enabled(),
                                    &vm->def->seclabel, vm->cfg.conf_path, vm->domain_path, ret, &error);
        if (r < 0)
                return config_error(r, error, "No usable security driver.");
        return 0;
}

/* QEMU's identity for the access check and DAC; @ret borrows *@ret_groups and vm->user_name. */
static int security_user(const Vm *vm, gid_t **ret_groups, SecurityUser *ret) {
        size_t n_groups = 0;
        int r;

        r = qemu_groups(vm, ret_groups, &n_groups);
        if (r < 0)
                return r;
        *ret = (SecurityUser) {
                .uid = vm->user.uid,
                .gid = vm->user.gid,
                .name = vm->user_name,
                .groups = *ret_groups,
                .n_groups = n_groups,
        };
        return 0;
}

int vm_security_prepare(Vm *vm, const QemuBuildOptions *build) {
        _cleanup_(security_resources_done) SecurityResources res = {};
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        SecurityUser user;
        unsigned drivers;
        bool dac;
        int r;

        r = select_drivers(vm, &drivers);
        if (r < 0)
                return r;
        dac = (drivers & SECURITY_DRIVER_DAC) && vm->cfg.conf->dynamic_ownership;
        vm->selinux = drivers & SECURITY_DRIVER_SELINUX;
        vm->apparmor = drivers & SECURITY_DRIVER_APPARMOR;
        if (vm->selinux) {
                r = security_selinux_validate(vm->def, vm->domain_path, &error);
                if (r < 0)
                        return config_error(r, error, "Invalid <seclabel>.");
        }

        r = security_resources_collect(vm->def, &res);
        if (r >= 0)
                r = security_user(vm, &groups, &user);
        if (r < 0)
                return log_error_errno(r, "Failed to list the domain's files and QEMU's groups: %m");
        /* Every check before anything changes. */
        r = security_check_access(&res, &user, dac, vm->domain_path, &error);
        if (r < 0)
                return config_error(r, error, "Failed to check QEMU's access to the domain's files.");
        if (dac || vm->selinux) {
                r = security_check_relabel_allowed(&res, vm->domain_path, &error);
                if (r < 0)
                        return config_error(r, error, "A file of the domain may not be relabelled.");
        }

        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                return log_error_errno(lock_fd, "Failed to take the security lock in '%s': %m", vm->cfg.runtime_root);
        if (dac) {
                r = security_dac_prepare(&res, &(SecurityDacOptions) {
                                                 .user = &user,
                                                 .remember_owner = vm->cfg.conf->remember_owner,
                                                 .journal = vm->security_journal,
                                                 .domain_path = vm->domain_path,
                                         }, &error);
                if (r < 0)
                        return config_error(r, error, "Failed to hand the domain's files to QEMU's user.");
                log_debug("Files handed to QEMU's user %s.", vm->user_name);
        }
        /* On failure below, the caller's release undoes the journal (DAC's part too). */
        if (vm->selinux) {
                r = prepare_selinux(vm, &res);
                if (r < 0)
                        return r;
        }
        if (vm->apparmor) {
                r = prepare_apparmor(vm, build);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vm_security_prepare_hotplug(Vm *vm, const SecurityResources *res, const char *journal) {
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        SecurityUser user;
        unsigned drivers;
        int r;

        r = select_drivers(vm, &drivers);
        if (r < 0)
                return r;
        /* NEEDSWORK: label the image and extend the loaded AppArmor profile, as libvirt does. */
        if (drivers & (SECURITY_DRIVER_SELINUX | SECURITY_DRIVER_APPARMOR))
                return log_error_errno(-EOPNOTSUPP, "Disk hotplug is not supported for a VM confined by %s yet.",
                                       drivers & SECURITY_DRIVER_SELINUX ? "SELinux" : "AppArmor");
        if (!(drivers & SECURITY_DRIVER_DAC) || !vm->cfg.conf->dynamic_ownership)
                return 0;
        r = security_user(vm, &groups, &user);
        if (r < 0)
                return log_error_errno(r, "Failed to list QEMU's groups: %m");
        r = security_check_access(res, &user, true, "device XML", &error);
        if (r >= 0)
                r = security_check_relabel_allowed(res, "device XML", &error);
        if (r < 0)
                return config_error(r, error, "A file of the device may not be handed to QEMU.");
        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                return log_error_errno(lock_fd, "Failed to take the security lock in '%s': %m", vm->cfg.runtime_root);
        r = security_dac_prepare(res, &(SecurityDacOptions) {
                                         .user = &user,
                                         .remember_owner = vm->cfg.conf->remember_owner,
                                         .journal = journal,
                                         .domain_path = "device XML",
                                 }, &error);
        if (r < 0)
                return config_error(r, error, "Failed to hand the device's files to QEMU's user.");
        return 0;
}

int vm_security_restore_journal(Vm *vm, const char *journal) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        int r;

        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                log_warning_errno(lock_fd, "Failed to take the security lock, restoring without it: %m");
        r = security_restore(journal, &error);
        if (r < 0)
                return log_warning_errno(r, "Some of the files of '%s' were not restored: %s", journal, error ?: "%m");
        return 0;
}

/* What hotplugged disks took (vm-hotplug.c), before the start's own journal. */
static void restore_hotplug_journals(Vm *vm) {
        DIR *d = opendir(vm->runtime_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!startswith(de->d_name, VM_HOTPLUG_JOURNAL_PREFIX))
                        continue;
                if (asprintf(&path, "%s/%s", vm->runtime_dir, de->d_name) < 0)
                        break;
                (void) vm_security_restore_journal(vm, path);
        }
        closedir(d);
}

int vm_security_exec_labels(const Vm *vm) {
        int r;

        if (vm->selinux) {
                r = security_selinux_exec_label(&vm->selinux_labels);
                if (r < 0)
                        return r;
        }
        if (vm->apparmor) {
                r = apparmor_change_onexec(vm->apparmor_profile);
                if (r < 0)
                        return r;
        }
        return 0;
}

void vm_security_restore(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        int r;

        restore_hotplug_journals(vm);
        if (access(vm->security_journal, F_OK) < 0)
                return;
        lock_fd = lock_registry(vm);
        if (lock_fd < 0)
                log_warning_errno(lock_fd, "Failed to take the security lock, restoring without it: %m");
        r = security_restore(vm->security_journal, &error);
        if (r < 0)
                log_warning_errno(r, "Some of the VM's files were not restored: %s", error ?: "%m");
        else
                log_debug("Owners, labels and profiles of the VM restored.");
}
