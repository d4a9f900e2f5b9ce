/*
 * The live XML of a running VM (RUNTIME_DIR/live.xml, what `vmctl dumpxml` and the VM object's
 * GetXML show): the definition as QEMU runs it (with the defaults and addresses the argv builder
 * filled in) plus the facts only the running QEMU knows, asked over QMP while the vCPUs are still
 * paused: the pty behind each pty chardev, the VNC/SPICE port an autoport got, and QEMU's pid as
 * <domain id=>. Written once per start; a re-attached supervisor finds it in place.
 */
#include <stdio.h>

#include "domxml-write.h"
#include "fs-util.h"
#include "log.h"
#include "vm.h"

#define LIVE_XML_NAME "live.xml"
#define LIVE_XML_SECURE_NAME "live-secure.xml"
#define QMP_QUERY_TIMEOUT_USEC (10ULL * 1000000ULL)

static int query(Vm *vm, const char *command, json_object **ret) {
        _cleanup_free_ char *desc = NULL;
        int r;

        r = qmp_execute(vm->qmp, command, NULL, QMP_QUERY_TIMEOUT_USEC, ret, &desc);
        if (r < 0)
                log_warning("QMP '%s' failed, the live XML goes without its answer: %s", command,
                            desc ?: strerror(-r));
        return r;
}

static void live_ptys(Vm *vm) {
        _cleanup_(json_object_putp) json_object *list = NULL;
        VmDef *def = vm->def;

        if (query(vm, "query-chardev", &list) < 0 || !json_object_is_type(list, json_type_array))
                return;
        for (unsigned i = 0; i < def->n_chars; i++) {
                VmChar *ch = &def->chars[i];
                char id[64];

                if (!streq_ptr(ch->src.type, "pty") || qemu_char_chardev_id(def, i, id, sizeof(id)) < 0)
                        continue;
                for (size_t k = 0; k < json_object_array_length(list); k++) {
                        json_object *e = json_object_array_get_idx(list, k), *label, *filename;
                        const char *pts;
                        if (!json_object_object_get_ex(e, "label", &label) ||
                            !json_object_object_get_ex(e, "filename", &filename) ||
                            !streq(json_object_get_string(label), id))
                                continue;
                        pts = startswith(json_object_get_string(filename), "pty:");
                        if (pts)
                                ch->src.path = vm_def_strdup(def, pts);
                }
        }
}

static int service_port(json_object *o, const char *key) {
        json_object *v;
        long p;

        if (!json_object_object_get_ex(o, key, &v))
                return -1;
        p = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : strtol(json_object_get_string(v), NULL, 10);
        return p > 0 && p < 65536 ? (int) p : -1;
}

static void live_graphics(Vm *vm) {
        for (unsigned i = 0; i < vm->def->n_graphics; i++) {
                VmGraphics *g = &vm->def->graphics[i];
                _cleanup_(json_object_putp) json_object *info = NULL;
                int port;

                if (!g->autoport || g->listen_socket)
                        continue;
                if (streq_ptr(g->type, "vnc") && query(vm, "query-vnc", &info) >= 0) {
                        port = service_port(info, "service");
                        if (port > 0)
                                g->port = port;
                } else if (streq_ptr(g->type, "spice") && query(vm, "query-spice", &info) >= 0) {
                        port = service_port(info, "port");
                        if (port > 0)
                                g->port = port;
                        port = service_port(info, "tls-port");
                        if (port > 0)
                                g->tls_port = port;
                }
        }
}

static int write_live(Vm *vm, const char *name) {
        _cleanup_free_ char *xml = NULL, *error = NULL;
        int r;

        r = domxml_write(vm->def, &xml, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to write the live XML: %s", error ?: "%m");
        /* Only for the supervisor (and root): it may name host paths QEMU's user must not learn. */
        r = write_file_atomic(vm->runtime_dir, name, xml, strlen(xml), 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s/%s': %m", vm->runtime_dir, name);
        return 0;
}

int vm_live_xml_write(Vm *vm) {
        int r;

        live_ptys(vm);
        live_graphics(vm);
        vm->def->live_id = (int) vm->pid;
        /* Two forms, as libvirt's VIR_DOMAIN_XML_SECURE: with the graphics passwords, for callers
         * allowed to control the VM, and without them for everyone else. */
        r = write_live(vm, LIVE_XML_SECURE_NAME);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < vm->def->n_graphics; i++)
                vm->def->graphics[i].passwd = NULL;
        return write_live(vm, LIVE_XML_NAME);
}
