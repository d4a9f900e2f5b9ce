/*
 * vmunit-supervisor --hotplug=attach|detach|restore NAME: the planning half of AttachDevice and
 * DetachDevice, run by vmunit-supervisor-steady (which has no XML parser) as a short-lived child.
 * It reads the device XML on stdin, plans it against RUNTIME_DIR/NAME/live-secure.xml with the
 * argv builder (lib/qemu-hotplug.c), hands a new disk's image to QEMU's user with its own
 * security journal, and prints one JSON object on stdout:
 *
 *   {"device": QDEV-ID, "commands": [...], "rollback": [...], "after": [...],
 *    "journal": PATH-or-null, "live": XML, "live-secure": XML}
 *
 * The caller runs the commands, and writes the live XML only once QEMU has done them: a failed
 * hotplug leaves no stale live XML. --hotplug=restore takes a journal path on stdin and gives its
 * files back (a failed attach, a detached disk).
 */
#include <stdio.h>
#include <unistd.h>

#include "domxml-write.h"
#include "fs-util.h"
#include "log.h"
#include "qemu-hotplug.h"
#include "user-lookup.h"
#include "vm.h"

#define LIVE_XML_MAX (16U * 1024U * 1024U)

static int read_stdin(char **ret) {
        int r;

        r = read_fd_full(STDIN_FILENO, QEMU_HOTPLUG_XML_MAX, ret, NULL);
        if (r == -EFBIG)
                return log_error_errno(r, "device XML: larger than %u bytes.", QEMU_HOTPLUG_XML_MAX);
        if (r < 0)
                return log_error_errno(r, "Failed to read the device XML: %m");
        return 0;
}

static int hotplug_restore(Vm *vm) {
        _cleanup_free_ char *journal = NULL, *prefix = NULL;
        int r;

        r = read_stdin(&journal);
        if (r < 0)
                return r;
        journal[strcspn(journal, "\n")] = 0;
        if (asprintf(&prefix, "%s/" VM_HOTPLUG_JOURNAL_PREFIX, vm->runtime_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (!startswith(journal, prefix) || strchr(journal + strlen(prefix), '/'))
                return log_error_errno(-EINVAL, "'%s' is not a hotplug journal of VM '%s'.", journal, vm->cfg.name);
        return vm_security_restore_journal(vm, journal);
}

/* The files of the attached disk (their lines are the device's), handed to QEMU's user. */
static int prepare_disk(Vm *vm, const QemuHotplug *h, const char *journal) {
        _cleanup_(security_resources_done) SecurityResources all = {};
        SecurityResources mine = {};
        int r;

        r = security_resources_collect(h->def, &all);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        mine.items = calloc(all.n ?: 1, sizeof(SecurityResource));
        if (!mine.items)
                return log_error_errno(-ENOMEM, "Out of memory.");
        for (size_t i = 0; i < all.n; i++)
                if (all.items[i].line >= h->device_line)
                        mine.items[mine.n++] = all.items[i];
        r = mine.n > 0 ? vm_security_prepare_hotplug(vm, &mine, journal) : 0;
        free(mine.items);               /* the strings belong to @all */
        return r;
}

static int render_live(VmDef *def, json_object *out) {
        _cleanup_free_ char *secure = NULL, *plain = NULL, *error = NULL;
        int r;

        r = domxml_write(def, &secure, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to write the live XML: %s", error ?: "%m");
        for (unsigned i = 0; i < def->n_graphics; i++)
                def->graphics[i].passwd = NULL;
        r = domxml_write(def, &plain, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to write the live XML: %s", error ?: "%m");
        json_object_object_add(out, "live", json_object_new_string(plain));
        json_object_object_add(out, "live-secure", json_object_new_string(secure));
        return 0;
}

int vm_hotplug(Vm *vm, const char *action) {
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_free_ char *live = NULL, *live_path = NULL, *device = NULL, *error = NULL, *journal = NULL;
        _cleanup_(qemu_hotplug_done) QemuHotplug h = {};
        QemuHotplugAction a;
        int r;

        r = vm_name_validate(vm->cfg.name);
        if (r < 0)
                return log_error_errno(r, "Invalid VM name '%s'.", vm->cfg.name);
        if (streq(action, "restore"))
                return hotplug_restore(vm);
        if (streq(action, "attach"))
                a = QEMU_HOTPLUG_ATTACH;
        else if (streq(action, "detach"))
                a = QEMU_HOTPLUG_DETACH;
        else
                return log_error_errno(-EINVAL, "Unknown --hotplug='%s': attach, detach or restore.", action);

        if (asprintf(&live_path, "%s/live-secure.xml", vm->runtime_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        r = read_file_full(live_path, LIVE_XML_MAX, &live, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot read the live XML '%s' (is VM '%s' running?): %m", live_path,
                                       vm->cfg.name);
        r = read_stdin(&device);
        if (r < 0)
                return r;
        vm_build_options_init(vm);
        r = qemu_hotplug_plan(a, live, device, &vm->build_opts, &h, &error);
        if (r == -ENOMEM)
                return log_error_errno(r, "Out of memory.");
        if (r < 0)
                return log_error_errno(r, "%s", error ?: "device XML: cannot be planned");
        vm->def = TAKE_PTR(h.def);      /* the security drivers look at the domain's <seclabel> */

        if (h.target && asprintf(&journal, "%s/" VM_HOTPLUG_JOURNAL_PREFIX "%s", vm->runtime_dir, h.target) < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (a == QEMU_HOTPLUG_ATTACH && h.target) {
                if (access(journal, F_OK) >= 0)
                        return log_error_errno(-EBUSY, "Disk '%s' is still being detached, try again.", h.target);
                r = user_lookup(vm->cfg.conf->user, vm->cfg.conf->group, &vm->user.uid, &vm->user.gid, &vm->user_name);
                if (r < 0)
                        return log_error_errno(r, "Failed to look up QEMU's user '%s': %m", vm->cfg.conf->user);
                vm->user.name = vm->user_name;
                h.def = vm->def;
                r = prepare_disk(vm, &h, journal);
                h.def = NULL;
                if (r < 0)
                        return r;
        } else if (journal && access(journal, F_OK) < 0)
                journal = mfree(journal);       /* a disk of the definition: the start's journal has it */

        out = json_object_new_object();
        if (!out)
                return log_error_errno(-ENOMEM, "Out of memory.");
        json_object_object_add(out, "device", json_object_new_string(h.device_id));
        json_object_object_add(out, "commands", json_object_get(h.commands));
        json_object_object_add(out, "rollback", json_object_get(h.rollback));
        json_object_object_add(out, "after", json_object_get(h.after));
        json_object_object_add(out, "journal", journal ? json_object_new_string(journal) : NULL);
        r = render_live(vm->def, out);
        if (r < 0)
                goto undo;
        if (puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN)) < 0 || fflush(stdout) != 0) {
                r = log_error_errno(-EIO, "Failed to write the plan: %m");
                goto undo;
        }
        return 0;
undo:
        if (a == QEMU_HOTPLUG_ATTACH && journal)
                (void) vm_security_restore_journal(vm, journal);
        return r;
}
