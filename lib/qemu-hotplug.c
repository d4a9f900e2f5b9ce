/*
 * Hotplug planning (see qemu-hotplug.h): the device XML is read by the strict domain parser inside
 * the live definition, the whole command line is built as at start, and the one device's
 * -blockdev/-netdev/-device JSON becomes blockdev-add/netdev_add/device_add. Nothing here knows
 * a device's QEMU properties: those stay in qemu-argv-disk.c and qemu-argv-devices.c.
 */
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domxml.h"
#include "qemu-hotplug.h"
#include "qmp.h"            /* json_object_putp */

#define DEVICE_XML "device XML"

void qemu_hotplug_done(QemuHotplug *h) {
        h->def = vm_def_free(h->def);
        h->device_id = mfree(h->device_id);
        json_object_put(h->commands);
        json_object_put(h->rollback);
        json_object_put(h->after);
        h->commands = h->rollback = h->after = NULL;
        h->disk = NULL;
        h->target = NULL;
}

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

/* The device XML alone: well-formed, no DTD, and a single <disk> or <interface>. */
static int check_device_xml(const char *xml, bool *ret_disk, char **ret_error) {
        size_t len = strlen(xml);
        xmlDocPtr doc;
        xmlNodePtr root;
        bool disk;

        if (len == 0)
                return fail(ret_error, -EINVAL, DEVICE_XML ": empty; expected one <disk> or <interface> element");
        if (len > QEMU_HOTPLUG_XML_MAX)
                return fail(ret_error, -E2BIG, DEVICE_XML ": larger than %u bytes", QEMU_HOTPLUG_XML_MAX);
        doc = xmlReadMemory(xml, (int) len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                const xmlError *e = xmlGetLastError();
                char *msg = strdup(e && e->message ? e->message : "not well-formed");
                int r;

                if (!msg)
                        return -ENOMEM;
                msg[strcspn(msg, "\n")] = 0;
                r = fail(ret_error, -EINVAL, DEVICE_XML ":%d: malformed XML: %s", e ? e->line : 0, msg);
                free(msg);
                return r;
        }
        root = xmlDocGetRootElement(doc);
        if (doc->intSubset || !root) {
                xmlFreeDoc(doc);
                return fail(ret_error, -EINVAL, DEVICE_XML ": a DOCTYPE or no element; expected one <disk> or <interface>");
        }
        disk = xmlStrEqual(root->name, BAD_CAST "disk");
        if ((!disk && !xmlStrEqual(root->name, BAD_CAST "interface")) || root->ns) {
                int r = fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%ld: <%s>: only <disk> and <interface> can be "
                             "attached or detached", xmlGetLineNo(root), (const char *) root->name);
                xmlFreeDoc(doc);
                return r;
        }
        xmlFreeDoc(doc);
        *ret_disk = disk;
        return 0;
}

/* Skips an XML declaration: it cannot stand inside another document. Same line, so the lines stay. */
static const char *device_body(const char *xml) {
        const char *p = xml + strspn(xml, " \t\r\n"), *end;

        if (strncmp(p, "<?xml", 5) == 0 && (end = strstr(p, "?>")))
                return end + 2;
        return xml;
}

/* The parser's "device XML:N: ..." for the combined document, in the device's own lines. */
static int parse_error(int r, char *error, unsigned offset, char **ret_error) {
        _cleanup_free_ char *e = error;
        const char *rest;
        char *end;
        long n;

        if (!e)
                return fail(ret_error, r, DEVICE_XML ": cannot be parsed: %s", strerror(-r));
        rest = startswith(e, DEVICE_XML ":");
        if (rest) {
                n = strtol(rest, &end, 10);
                if (end != rest && *end == ':') {
                        if (n > (long) offset)
                                return fail(ret_error, r, DEVICE_XML ":%ld:%s", n - (long) offset, end + 1);
                        return fail(ret_error, r, "live XML:%ld:%s", n, end + 1);
                }
        }
        return fail(ret_error, r, "%s", e);
}

static unsigned count_lines(const char *s, size_t n) {
        unsigned lines = 0;

        for (size_t i = 0; i < n; i++)
                lines += s[i] == '\n';
        return lines;
}

/* <domain ... id='PID'>: the parser ignores it, the live XML keeps it. */
static int live_id_of(const char *xml) {
        const char *d = strstr(xml, "<domain"), *end = d ? strchr(d, '>') : NULL, *id;

        if (!d || !end)
                return 0;
        for (id = d; (id = strstr(id, " id=")) && id < end; id++)
                if (id[4] == '\'' || id[4] == '"')
                        return atoi(id + 5);
        return 0;
}

/* The live XML with @body as the last device (its lines start after *@ret_offset). */
static int wrap_live(const char *live, const char *body, char **ret, unsigned *ret_offset, char **ret_error) {
        const char *pos = NULL;

        for (const char *p = live; (p = strstr(p, "</devices>")); p++)
                pos = p;
        if (!pos)
                return fail(ret_error, -EINVAL, "live XML: no <devices>");
        if (asprintf(ret, "%.*s\n%s\n%s", (int) (pos - live), live, body, pos) < 0)
                return -ENOMEM;
        *ret_offset = count_lines(live, (size_t) (pos - live)) + 1;
        return 0;
}

/* A domain of @def's machine holding only @body, for reading a device to detach (with the live
 * definition around it, a disk would be refused as a second one on the same target). */
static int wrap_skeleton(const VmDef *def, const char *body, char **ret, unsigned *ret_offset) {
        const char *machine = def->os.machine ?: "q35", *arch = def->os.arch ?: "x86_64";

        if (strspn(machine, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(machine))
                machine = "q35";
        if (strspn(arch, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(arch))
                arch = "x86_64";
        if (asprintf(ret, "<domain type='qemu'>\n<name>hotplug</name>\n<memory>1024</memory>\n"
                     "<os><type arch='%s' machine='%s'>hvm</type></os>\n<devices>\n%s\n</devices>\n</domain>\n",
                     arch, machine, body) < 0)
                return -ENOMEM;
        *ret_offset = 5;
        return 0;
}

static int build(VmDef *def, const QemuBuildOptions *opts, QemuCommand *ret, char **ret_error) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = qemu_argv_build(def, opts, ret, &error);
        if (r < 0)
                return fail(ret_error, r, DEVICE_XML ": %s", error ?: strerror(-r));
        return 0;
}

static json_object *command(const char *execute, json_object *arguments) {
        json_object *c = json_object_new_object();

        if (!c) {
                json_object_put(arguments);
                return NULL;
        }
        json_object_object_add(c, "execute", json_object_new_string(execute));
        json_object_object_add(c, "arguments", arguments);
        return c;
}

static json_object *command_str(const char *execute, const char *key, const char *value) {
        json_object *a = json_object_new_object();

        if (!a)
                return NULL;
        json_object_object_add(a, key, json_object_new_string(value));
        return command(execute, a);
}

static const char *prop(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The objects of one device in a built command line: the -blockdev/-netdev options right before
 * its -device (as the builders emit them), as [[OPTION, JSON] ...], and the -device JSON. The
 * device is the one with qdev id @id, or (@id NULL) the one after the @netdev_index'th -netdev. */
static int device_objects(char **argv, const char *id, unsigned netdev_index, json_object **ret_backends,
                          json_object **ret_device) {
        _cleanup_(json_object_putp) json_object *pending = json_object_new_array();
        unsigned netdevs = 0;
        bool netdev_pending = false;

        if (!pending)
                return -ENOMEM;
        for (size_t i = 1; argv[i]; i++) {
                bool backend = streq(argv[i], "-blockdev") || streq(argv[i], "-netdev");

                if (backend && argv[i + 1]) {
                        json_object *o = json_tokener_parse(argv[i + 1]), *pair = json_object_new_array();
                        if (!o || !pair) {
                                json_object_put(o);
                                json_object_put(pair);
                                return -ENOMEM;
                        }
                        json_object_array_add(pair, json_object_new_string(argv[i] + 1));
                        json_object_array_add(pair, o);
                        json_object_array_add(pending, pair);
                        if (streq(argv[i], "-netdev")) {
                                netdev_pending = netdevs == netdev_index;
                                netdevs++;
                        }
                        i++;
                } else if (streq(argv[i], "-device") && argv[i + 1]) {
                        _cleanup_(json_object_putp) json_object *o = json_tokener_parse(argv[i + 1]);
                        if (o && (id ? streq_ptr(prop(o, "id"), id) : netdev_pending)) {
                                *ret_backends = TAKE_PTR(pending);
                                *ret_device = TAKE_PTR(o);
                                return 0;
                        }
                        json_object_put(pending);
                        pending = json_object_new_array();
                        if (!pending)
                                return -ENOMEM;
                        netdev_pending = false;
                        i++;
                } else if (argv[i][0] == '-' && json_object_array_length(pending) > 0) {
                        json_object_put(pending);
                        pending = json_object_new_array();
                        if (!pending)
                                return -ENOMEM;
                        netdev_pending = false;
                }
        }
        return -ENOENT;
}

int qemu_hotplug_device_objects(char **argv, const char *id, json_object **ret_backends, json_object **ret_device) {
        return device_objects(argv, id, 0, ret_backends, ret_device);
}

/* blockdev-del / netdev_del of one backend [OPTION, JSON]. */
static json_object *backend_del(json_object *pair) {
        json_object *o = json_object_array_get_idx(pair, 1);

        if (streq(json_object_get_string(json_object_array_get_idx(pair, 0)), "blockdev"))
                return command_str("blockdev-del", "node-name", prop(o, "node-name"));
        return command_str("netdev_del", "id", prop(o, "id"));
}

static int plan_init(QemuHotplug *h) {
        h->commands = json_object_new_array();
        h->rollback = json_object_new_array();
        h->after = json_object_new_array();
        return h->commands && h->rollback && h->after ? 0 : -ENOMEM;
}

static int disk_attachable(const VmDisk *d, unsigned offset, char **ret_error) {
        unsigned line = d->line > offset ? d->line - offset : 0;

        if (d->bus != VM_DISK_BUS_VIRTIO && d->bus != VM_DISK_BUS_SCSI)
                return fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%u: <disk> '%s': bus='%s' cannot be hotplugged; "
                            "virtio and scsi disks can", line, strempty(d->dst), vm_disk_bus_to_string(d->bus));
        if (d->device == VM_DISK_DEVICE_LUN || d->device == VM_DISK_DEVICE_FLOPPY)
                return fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%u: <disk device='%s'> '%s' cannot be hotplugged",
                            line, vm_disk_device_to_string(d->device), strempty(d->dst));
        if (d->src.path && d->src.type != VM_DISK_TYPE_FILE && d->src.type != VM_DISK_TYPE_BLOCK)
                return fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%u: <disk type='%s'> '%s': only file and block "
                            "disks can be hotplugged", line, vm_disk_type_to_string(d->src.type), strempty(d->dst));
        if (d->src.protocol)
                return fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%u: <disk type='network'> '%s': network disks "
                            "cannot be hotplugged", line, strempty(d->dst));
        return 0;
}

static int plan_attach(const char *live, const char *body, bool is_disk, const QemuBuildOptions *opts,
                       QemuHotplug *h, char **ret_error) {
        _cleanup_(qemu_command_done) QemuCommand old_cmd = {}, new_cmd = {};
        _cleanup_(json_object_putp) json_object *backends = NULL, *device = NULL;
        _cleanup_(vm_def_freep) VmDef *old = NULL;
        _cleanup_free_ char *wrapped = NULL, *error = NULL;
        unsigned offset = 0, line;
        const char *what;
        char id[64];
        int r;

        r = domxml_parse_memory(live, strlen(live), "live XML", 0, &old, &error, NULL);
        if (r < 0)
                return fail(ret_error, r, "%s", error ?: "live XML: cannot be parsed");
        r = build(old, opts, &old_cmd, ret_error);
        if (r < 0)
                return r;
        r = wrap_live(live, body, &wrapped, &offset, ret_error);
        if (r < 0)
                return r;
        r = domxml_parse_memory(wrapped, strlen(wrapped), DEVICE_XML, 0, &h->def, &error, NULL);
        if (r < 0)
                return parse_error(r, TAKE_PTR(error), offset, ret_error);
        h->def->live_id = live_id_of(live);
        h->device_line = offset + 1;
        if (h->def->n_disks != old->n_disks + (is_disk ? 1 : 0) || h->def->n_nets != old->n_nets + (is_disk ? 0 : 1))
                return fail(ret_error, -EINVAL, DEVICE_XML ": expected exactly one <disk> or <interface>");
        if (is_disk) {
                VmDisk *d = &h->def->disks[h->def->n_disks - 1];
                r = disk_attachable(d, offset, ret_error);
                if (r < 0)
                        return r;
                h->disk = d;
                h->target = d->dst;
                line = d->line > offset ? d->line - offset : 1;
                for (unsigned i = 0; i + 1 < h->def->n_disks; i++)
                        if (streq_ptr(h->def->disks[i].dst, d->dst))
                                return fail(ret_error, -EEXIST, DEVICE_XML ":%u: <disk> '%s': the running VM has a "
                                            "disk with this target already", line, d->dst);
        } else
                line = 1;
        what = is_disk ? "<disk>" : "<interface>";

        r = build(h->def, opts, &new_cmd, ret_error);
        if (r < 0)
                return r;
        for (unsigned i = 0; !is_disk && i < new_cmd.n_fds; i++)
                if (new_cmd.fds[i].kind == QEMU_FD_TAP && new_cmd.fds[i].net == h->def->n_nets - 1)
                        return fail(ret_error, -EOPNOTSUPP, DEVICE_XML ":%u: <interface type='%s'>: hotplugging a "
                                    "tap interface is not supported yet (define it and restart the VM)", line,
                                    h->def->nets[h->def->n_nets - 1].type);
        if (h->def->n_controllers != old->n_controllers) {
                const VmController *k = &h->def->controllers[h->def->n_controllers - 1];
                return fail(ret_error, -ENOSPC, DEVICE_XML ":%u: %s: no free place for it in the running VM: it would "
                            "need a new <controller type='%s'%s%s%s>, which cannot be hotplugged; add it to the "
                            "definition and restart the VM", line, what,
                            vm_controller_type_to_string(k->type), k->model ? " model='" : "", strempty(k->model),
                            k->model ? "'" : "");
        }
        if (is_disk) {
                qemu_disk_device_id(h->def, h->disk, id, sizeof(id));
                r = device_objects(new_cmd.argv, id, 0, &backends, &device);
        } else
                r = device_objects(new_cmd.argv, NULL, h->def->n_nets - 1, &backends, &device);
        if (r < 0)
                return fail(ret_error, r == -ENOENT ? -EOPNOTSUPP : r, DEVICE_XML ":%u: %s: no QEMU device of its own "
                            "to hotplug", line, what);
        h->device_id = strdup(strempty(prop(device, "id")));
        if (!h->device_id || plan_init(h) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(backends); i++) {
                json_object *pair = json_object_array_get_idx(backends, i);
                bool blockdev = streq(json_object_get_string(json_object_array_get_idx(pair, 0)), "blockdev");
                json_object_array_add(h->commands, command(blockdev ? "blockdev-add" : "netdev_add",
                                                           json_object_get(json_object_array_get_idx(pair, 1))));
                json_object_array_add(h->rollback, backend_del(pair));
        }
        json_object_array_add(h->commands, command("device_add", TAKE_PTR(device)));
        json_object_array_add(h->rollback, NULL);
        return 0;
}

static int plan_detach(const char *live, const char *body, bool is_disk, const QemuBuildOptions *opts,
                       QemuHotplug *h, char **ret_error) {
        _cleanup_(qemu_command_done) QemuCommand cmd = {};
        _cleanup_(json_object_putp) json_object *backends = NULL, *device = NULL;
        _cleanup_(vm_def_freep) VmDef *want = NULL;
        _cleanup_free_ char *wrapped = NULL, *error = NULL;
        unsigned offset = 0, idx = 0, line;
        bool found = false;
        char id[64] = "";
        int r;

        r = domxml_parse_memory(live, strlen(live), "live XML", 0, &h->def, &error, NULL);
        if (r < 0)
                return fail(ret_error, r, "%s", error ?: "live XML: cannot be parsed");
        h->def->live_id = live_id_of(live);
        r = wrap_skeleton(h->def, body, &wrapped, &offset);
        if (r < 0)
                return r;
        r = domxml_parse_memory(wrapped, strlen(wrapped), DEVICE_XML, 0, &want, &error, NULL);
        if (r < 0)
                return parse_error(r, TAKE_PTR(error), offset, ret_error);
        r = build(h->def, opts, &cmd, ret_error);
        if (r < 0)
                return r;

        if (is_disk) {
                const VmDisk *w = &want->disks[0];
                line = w->line > offset ? w->line - offset : 1;
                for (idx = 0; idx < h->def->n_disks && !found; idx++)
                        found = streq_ptr(h->def->disks[idx].dst, w->dst);
                if (!found)
                        return fail(ret_error, -ENODEV, DEVICE_XML ":%u: <disk> '%s': the running VM has no disk "
                                    "with this target", line, strempty(w->dst));
                idx--;
                h->target = h->def->disks[idx].dst;     /* in @def's arena: outlives the removal below */
                qemu_disk_device_id(h->def, &h->def->disks[idx], id, sizeof(id));
                r = disk_attachable(&h->def->disks[idx], 0, NULL) < 0 ? -EOPNOTSUPP : 0;
                if (r < 0)
                        return fail(ret_error, r, DEVICE_XML ":%u: <disk> '%s': bus='%s' cannot be hot-unplugged; "
                                    "virtio and scsi disks can", line, strempty(w->dst),
                                    vm_disk_bus_to_string(h->def->disks[idx].bus));
                r = device_objects(cmd.argv, id, 0, &backends, &device);
        } else {
                const VmNet *w = &want->nets[0];
                line = 1;
                if (!w->mac)
                        return fail(ret_error, -EINVAL, DEVICE_XML ": <interface>: give the <mac address=> of the "
                                    "interface to detach");
                for (idx = 0; idx < h->def->n_nets && !found; idx++)
                        found = h->def->nets[idx].mac && strcasecmp(h->def->nets[idx].mac, w->mac) == 0;
                if (!found)
                        return fail(ret_error, -ENODEV, DEVICE_XML ": <interface>: the running VM has no interface "
                                    "with MAC address %s", w->mac);
                idx--;
                r = device_objects(cmd.argv, NULL, idx, &backends, &device);
        }
        if (r < 0)
                return fail(ret_error, r == -ENOENT ? -EOPNOTSUPP : r, DEVICE_XML ":%u: %s: no QEMU device of its "
                            "own to unplug", line, is_disk ? "<disk>" : "<interface>");
        h->device_id = strdup(strempty(prop(device, "id")));
        if (!h->device_id || plan_init(h) < 0)
                return -ENOMEM;
        json_object_array_add(h->commands, command_str("device_del", "id", h->device_id));
        for (size_t i = json_object_array_length(backends); i > 0; i--)
                json_object_array_add(h->after, backend_del(json_object_array_get_idx(backends, i - 1)));

        /* The live definition without it. */
        if (is_disk) {
                memmove(&h->def->disks[idx], &h->def->disks[idx + 1], (h->def->n_disks - idx - 1) * sizeof(VmDisk));
                h->def->n_disks--;
        } else {
                memmove(&h->def->nets[idx], &h->def->nets[idx + 1], (h->def->n_nets - idx - 1) * sizeof(VmNet));
                h->def->n_nets--;
        }
        return 0;
}

int qemu_hotplug_plan(QemuHotplugAction action, const char *live_xml, const char *device_xml,
                      const QemuBuildOptions *opts, QemuHotplug *ret, char **ret_error) {
        QemuHotplug h = {};
        bool is_disk = false;
        int r;

        assert(live_xml && device_xml && opts && ret);

        r = check_device_xml(device_xml, &is_disk, ret_error);
        if (r < 0)
                return r;
        if (action == QEMU_HOTPLUG_ATTACH)
                r = plan_attach(live_xml, device_body(device_xml), is_disk, opts, &h, ret_error);
        else
                r = plan_detach(live_xml, device_body(device_xml), is_disk, opts, &h, ret_error);
        if (r < 0) {
                qemu_hotplug_done(&h);
                return r;
        }
        *ret = h;
        return 0;
}
