/*
 * Transient disks: see qemu-transient.h. The nodes of a disk come from the argv builder (the same
 * command line as at start, with the shareBacking disks in it), so nothing here knows a disk's
 * QEMU properties besides the overlay's own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-hotplug.h"
#include "qemu-transient.h"
#include "qmp.h"            /* json_object_putp */

void qemu_transient_plan_done(QemuTransientPlan *p) {
        for (unsigned i = 0; i < p->n_disks; i++) {
                QemuTransientDisk *t = &p->disks[i];
                free(t->overlay);
                free(t->base_node);
                free(t->overlay_storage);
                free(t->overlay_format);
                free(t->job_id);
                json_object_put(t->backends);
                json_object_put(t->top_backends);
                json_object_put(t->device);
        }
        p->disks = mfree(p->disks);
        p->n_disks = 0;
        p->reset = false;
}

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        free(*ret_error);
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

static const char *prop(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The disk's top format node: the last "-format" node among its backends (a copy-on-read filter may
 * follow it), and its index in @backends. */
static int base_node(json_object *backends, const char **ret, size_t *ret_index) {
        const char *found = NULL;
        size_t at = 0;

        for (size_t i = 0; i < json_object_array_length(backends); i++) {
                json_object *o = json_object_array_get_idx(json_object_array_get_idx(backends, i), 1);
                const char *name = prop(o, "node-name");
                size_t l = name ? strlen(name) : 0;
                if (l > 7 && streq(name + l - 7, "-format")) {
                        found = name;
                        at = i;
                }
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        *ret_index = at;
        return 0;
}

/* shareBacking: the blockdev-add arguments up to the base node, those above it and the device, with
 * what named the base node naming the overlay instead. */
static int split_shared(QemuTransientDisk *t, json_object *backends, size_t base_index, json_object *device) {
        t->backends = json_object_new_array();
        t->top_backends = json_object_new_array();
        if (!t->backends || !t->top_backends)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(backends); i++) {
                json_object *o = json_object_array_get_idx(json_object_array_get_idx(backends, i), 1);
                if (i > base_index && streq_ptr(prop(o, "file"), t->base_node))
                        json_object_object_add(o, "file", json_object_new_string(t->overlay_format));
                json_object_array_add(i <= base_index ? t->backends : t->top_backends, json_object_get(o));
        }
        if (streq_ptr(prop(device, "drive"), t->base_node))
                json_object_object_add(device, "drive", json_object_new_string(t->overlay_format));
        t->device = json_object_get(device);
        return 0;
}

static int plan_disk(const VmDef *def, const VmDisk *d, char **argv, const char *runtime_dir, QemuTransientDisk *t,
                     char **ret_error) {
        _cleanup_(json_object_putp) json_object *backends = NULL, *device = NULL;
        const char *base;
        size_t base_index;
        char id[64];
        int r;

        qemu_disk_device_id(def, d, id, sizeof(id));
        r = qemu_hotplug_device_objects(argv, id, &backends, &device);
        if (r == -ENOENT || (r >= 0 && base_node(backends, &base, &base_index) < 0))
                return fail(ret_error, -EOPNOTSUPP, "<disk> '%s': no image node of its own to put an overlay on",
                            d->dst);
        if (r < 0)
                return r;
        t->disk = d;
        t->base_node = strdup(base);
        if (asprintf(&t->overlay, "%s/" QEMU_TRANSIENT_OVERLAY_PREFIX "%s" QEMU_TRANSIENT_OVERLAY_SUFFIX,
                     runtime_dir, d->dst) < 0)
                t->overlay = NULL;
        if (asprintf(&t->overlay_storage, "vmunit-tr-%s-storage", d->dst) < 0)
                t->overlay_storage = NULL;
        if (asprintf(&t->overlay_format, "vmunit-tr-%s-format", d->dst) < 0)
                t->overlay_format = NULL;
        if (asprintf(&t->job_id, "vmunit-tr-%s", d->dst) < 0)
                t->job_id = NULL;
        if (!t->base_node || !t->overlay || !t->overlay_storage || !t->overlay_format || !t->job_id)
                return -ENOMEM;
        if (d->transient_share_backing)
                return split_shared(t, backends, base_index, device);
        return 0;
}

int qemu_transient_plan(VmDef *def, const QemuBuildOptions *opts, QemuTransientPlan *ret, char **ret_error) {
        _cleanup_(qemu_command_done) QemuCommand cmd = {};
        _cleanup_free_ char *error = NULL;
        QemuBuildOptions o = *opts;
        QemuTransientPlan p = {};
        unsigned n = 0;
        int r;

        assert(def && opts && ret && ret_error);

        for (unsigned i = 0; i < def->n_disks; i++)
                n += def->disks[i].transient;
        if (n == 0) {
                *ret = p;
                return 0;
        }
        if (!opts->runtime_dir)
                return fail(ret_error, -EINVAL, "transient disks need the VM's runtime directory for their overlays");
        o.transient_shared_disks = true;
        r = qemu_argv_build(def, &o, &cmd, &error);
        if (r < 0)
                return fail(ret_error, r, "%s", error ?: strerror(-r));

        p.disks = calloc(n, sizeof(QemuTransientDisk));
        if (!p.disks)
                return -ENOMEM;
        for (unsigned i = 0; i < def->n_disks && r >= 0; i++) {
                const VmDisk *d = &def->disks[i];
                if (!d->transient)
                        continue;
                r = plan_disk(def, d, cmd.argv, opts->runtime_dir, &p.disks[p.n_disks++], ret_error);
                p.reset = p.reset || d->transient_share_backing;
        }
        if (r < 0) {
                qemu_transient_plan_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

json_object *qemu_transient_overlay_file(const QemuTransientDisk *t) {
        json_object *a = json_object_new_object();

        if (!a)
                return NULL;
        /* No cache.direct whatever the disk's cache mode: the runtime dir is a tmpfs, which has no O_DIRECT. */
        json_object_object_add(a, "driver", json_object_new_string("file"));
        json_object_object_add(a, "filename", json_object_new_string(t->overlay));
        json_object_object_add(a, "node-name", json_object_new_string(t->overlay_storage));
        json_object_object_add(a, "discard", json_object_new_string("unmap"));
        return a;
}

json_object *qemu_transient_overlay_create(const QemuTransientDisk *t, uint64_t virtual_size) {
        json_object *a = json_object_new_object(), *o = json_object_new_object();

        if (!a || !o) {
                json_object_put(a);
                json_object_put(o);
                return NULL;
        }
        json_object_object_add(o, "driver", json_object_new_string("qcow2"));
        json_object_object_add(o, "file", json_object_new_string(t->overlay_storage));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) virtual_size));
        json_object_object_add(o, "backing-file", json_object_new_string(t->disk->src.path));
        json_object_object_add(o, "backing-fmt", json_object_new_string(t->disk->src.format ?: "raw"));
        json_object_object_add(a, "job-id", json_object_new_string(t->job_id));
        json_object_object_add(a, "options", o);
        return a;
}

json_object *qemu_transient_overlay_add(const QemuTransientDisk *t) {
        json_object *a = json_object_new_object();

        if (!a)
                return NULL;
        json_object_object_add(a, "driver", json_object_new_string("qcow2"));
        json_object_object_add(a, "node-name", json_object_new_string(t->overlay_format));
        json_object_object_add(a, "file", json_object_new_string(t->overlay_storage));
        json_object_object_add(a, "read-only", json_object_new_boolean(false));
        if (t->disk->discard)
                json_object_object_add(a, "discard", json_object_new_string(t->disk->discard));
        /* blockdev-snapshot wants an overlay without a backing; a shared disk's is the original */
        json_object_object_add(a, "backing", t->disk->transient_share_backing ? json_object_new_string(t->base_node)
                                                                                : NULL);
        return a;
}

json_object *qemu_transient_snapshot(const QemuTransientDisk *t) {
        json_object *a = json_object_new_object();

        if (!a)
                return NULL;
        json_object_object_add(a, "node", json_object_new_string(t->base_node));
        json_object_object_add(a, "overlay", json_object_new_string(t->overlay_format));
        return a;
}
