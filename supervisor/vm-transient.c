/*
 * Transient disks at start (the plan and its QMP arguments are lib/qemu-transient.h's): while QEMU
 * is still paused, each <transient/> disk gets a qcow2 overlay RUNTIME_DIR/transient-DST.qcow2 over
 * its image, and the guest writes there only. The supervisor creates the empty file for QEMU's
 * user (QEMU cannot create files where its policy does not let it, and must not need to); QEMU
 * formats it (blockdev-create), opens it and puts it on top (blockdev-snapshot), or, for
 * shareBacking='yes', plugs the disk in over it at its reserved address.
 *
 * The overlays live and die with the runtime dir: vm_release() removes it on every orderly exit
 * (stop, failed start), and a crashed run's is emptied by state_runtime_dir_clean() before the
 * next start. Nothing here has to be undone by hand.
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qemu-transient.h"
#include "vm.h"

#define TRANSIENT_JOB_TIMEOUT_USEC (120ULL * 1000000ULL)
#define TRANSIENT_JOB_POLL_USEC (10ULL * 1000ULL)
#define TRANSIENT_QMP_TIMEOUT_USEC (10ULL * 1000000ULL)

/* Runs @command with @args (consumed; NULL means out of memory). */
static int run(Vm *vm, const char *command, json_object *args, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = args;
        _cleanup_free_ char *desc = NULL;
        int r;

        if (!a)
                return log_error_errno(-ENOMEM, "Out of memory.");
        r = qmp_execute(vm->qmp, command, a, TRANSIENT_QMP_TIMEOUT_USEC, ret, &desc);
        if (r < 0)
                return log_error_errno(r, "%s: transient disks: QMP '%s' failed: %s", vm->domain_path, command,
                                       desc ?: strerror(-r));
        return 0;
}

/* The empty overlay file, QEMU's user's, readable by it alone. */
static int overlay_file_create(Vm *vm, const QemuTransientDisk *t) {
        _cleanup_close_ int fd = -EBADF;

        (void) unlink(t->overlay);      /* cannot be a live one: the runtime dir is locked and was emptied */
        fd = open(t->overlay, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create the overlay '%s' of transient disk '%s': %m",
                                       t->overlay, t->disk->dst);
        if (fchown(fd, vm->user.uid, vm->user.gid) < 0) {
                int r = -errno;
                (void) unlink(t->overlay);
                return log_error_errno(r, "Failed to hand the overlay '%s' to user %s: %m", t->overlay, vm->user_name);
        }
        return 0;
}

/* The virtual size of node @node, from query-named-block-nodes. */
static int node_virtual_size(Vm *vm, const char *node, uint64_t *ret) {
        _cleanup_(json_object_putp) json_object *list = NULL;
        json_object *args = json_object_new_object();
        int r;

        if (args)
                json_object_object_add(args, "flat", json_object_new_boolean(true));
        r = run(vm, "query-named-block-nodes", args, &list);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *n = json_object_array_get_idx(list, i), *name, *image, *size;
                if (json_object_object_get_ex(n, "node-name", &name) && streq(json_object_get_string(name), node) &&
                    json_object_object_get_ex(n, "image", &image) &&
                    json_object_object_get_ex(image, "virtual-size", &size)) {
                        *ret = (uint64_t) json_object_get_int64(size);
                        return 0;
                }
        }
        return log_error_errno(-ENOENT, "%s: QEMU does not know the image node '%s'.", vm->domain_path, node);
}

/* Waits for job @id to conclude (polling query-jobs), then dismisses it. */
static int job_wait(Vm *vm, const QemuTransientDisk *t) {
        for (uint64_t waited = 0; waited < TRANSIENT_JOB_TIMEOUT_USEC; waited += TRANSIENT_JOB_POLL_USEC) {
                _cleanup_(json_object_putp) json_object *jobs = NULL;
                json_object *job = NULL, *v;
                int r;

                r = run(vm, "query-jobs", json_object_new_object(), &jobs);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < json_object_array_length(jobs) && !job; i++)
                        if (json_object_object_get_ex(json_object_array_get_idx(jobs, i), "id", &v) &&
                            streq(json_object_get_string(v), t->job_id))
                                job = json_object_array_get_idx(jobs, i);
                if (!job)
                        return log_error_errno(-ENOENT, "%s: the job creating overlay '%s' is gone.", vm->domain_path,
                                               t->overlay);
                if (json_object_object_get_ex(job, "status", &v) && streq(json_object_get_string(v), "concluded")) {
                        _cleanup_free_ char *error = NULL;
                        if (json_object_object_get_ex(job, "error", &v)) {
                                error = strdup(json_object_get_string(v));
                                if (!error)
                                        return log_error_errno(-ENOMEM, "Out of memory.");
                        }
                        json_object *a = json_object_new_object();
                        if (a)
                                json_object_object_add(a, "id", json_object_new_string(t->job_id));
                        r = run(vm, "job-dismiss", a, NULL);
                        if (error)
                                return log_error_errno(-EIO, "%s: creating the overlay '%s' of transient disk '%s' "
                                                       "failed: %s", vm->domain_path, t->overlay, t->disk->dst, error);
                        return r;
                }
                (void) usleep(TRANSIENT_JOB_POLL_USEC);
        }
        return log_error_errno(-ETIMEDOUT, "%s: creating the overlay '%s' took too long.", vm->domain_path, t->overlay);
}

static int add_all(Vm *vm, json_object *backends) {
        int r = 0;

        for (size_t i = 0; i < json_object_array_length(backends) && r >= 0; i++)
                r = run(vm, "blockdev-add", json_object_get(json_object_array_get_idx(backends, i)), NULL);
        return r;
}

static int setup_disk(Vm *vm, const QemuTransientDisk *t) {
        uint64_t size = 0;
        int r;

        r = overlay_file_create(vm, t);
        if (r < 0)
                return r;
        if (t->disk->transient_share_backing) {
                r = add_all(vm, t->backends);
                if (r < 0)
                        return r;
        }
        r = node_virtual_size(vm, t->base_node, &size);
        if (r < 0)
                return r;
        r = run(vm, "blockdev-add", qemu_transient_overlay_file(t), NULL);
        if (r < 0)
                return r;
        r = run(vm, "blockdev-create", qemu_transient_overlay_create(t, size), NULL);
        if (r < 0)
                return r;
        r = job_wait(vm, t);
        if (r < 0)
                return r;
        r = run(vm, "blockdev-add", qemu_transient_overlay_add(t), NULL);
        if (r < 0)
                return r;
        if (!t->disk->transient_share_backing)
                return run(vm, "blockdev-snapshot", qemu_transient_snapshot(t), NULL);
        r = add_all(vm, t->top_backends);
        if (r < 0)
                return r;
        return run(vm, "device_add", json_object_get(t->device), NULL);
}

int vm_transient_setup(Vm *vm) {
        _cleanup_free_ char *error = NULL;
        QemuTransientPlan plan = {};
        int r;

        r = qemu_transient_plan(vm->def, &vm->build_opts, &plan, &error);
        if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s: transient disks: %s", vm->domain_path,
                                      error ?: strerror(-r));
        for (unsigned i = 0; i < plan.n_disks && r >= 0; i++) {
                r = setup_disk(vm, &plan.disks[i]);
                if (r >= 0)
                        log_debug("Transient disk '%s' writes to '%s'.", plan.disks[i].disk->dst, plan.disks[i].overlay);
        }
        /* The firmware lists the boot devices at reset: let it see the disks plugged in just now. */
        if (r >= 0 && plan.reset)
                r = run(vm, "system_reset", json_object_new_object(), NULL);
        qemu_transient_plan_done(&plan);
        return r < 0 ? r : 0;
}
