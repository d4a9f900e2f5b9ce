/*
 * Domain XML -> VmDef: character devices (<serial>, <parallel>, <console>, <channel>) and the
 * character-device sources shared with <rng>, <redirdev> and <smartcard>.
 */
#include "domxml-internal.h"

static const char * const char_types[] = { "pty", "file", "unix", "tcp", "udp", "null", "vc", "stdio",
                                           "dev", "pipe", "spicevmc", "spiceport", "qemu-vdagent", NULL };

/* Is @path a virtio channel socket path that libvirt generated (and a live dump kept)? libvirt drops
 * such a path from a definition and generates a new one at start: one in its channel directory
 * ("/var/lib/libvirt/qemu/channel/target/DOMAIN.NAME"), or any ".../domain-ID-DOMAIN/NAME". */
static bool libvirt_generated_channel_path(const char *path, const char *name) {
        const char *base, *dir;
        size_t n;

        if (!path)
                return false;
        base = startswith(path, "/var/lib/libvirt/qemu/channel/target/");
        if (base && !strchr(base, '/') && strchr(base, '.'))
                return true;
        if (!name)
                return false;
        n = strlen(path);
        if (n < strlen(name) + 2 || !streq(path + n - strlen(name), name) || path[n - strlen(name) - 1] != '/')
                return false;
        /* the directory before NAME: "domain-..." */
        dir = path + n - strlen(name) - 1;
        while (dir > path && dir[-1] != '/')
                dir--;
        return dir > path && startswith(dir, "domain-") && dir + strlen("domain-") < path + n - strlen(name) - 1;
}

int domxml_parse_char_source(XmlCtx *c, xmlNode *parent, const char *type, VmCharSource *src) {
        bool known = false;
        xmlNode *p, *l;

        for (const char * const *t = char_types; *t; t++)
                if (streq(*t, type))
                        known = true;
        if (!known)
                return xml_fail(c, parent, "unsupported character device type '%s'", type);
        src->type = (char *) type;
        if (streq(type, "qemu-vdagent") || streq(type, "vc"))
                return xml_fail(c, parent, "character device type '%s' is not supported by a host service", type);

        XML_FOREACH_ELEMENT(s, parent) {
                char *mode = NULL, *path = NULL, *host = NULL, *service = NULL, *v = NULL;
                bool bind;

                if (!xml_is(s, "source"))
                        continue;
                xml_mark(s);
                (void) xml_prop_choice(c, s, "mode", (const char * const[]) { "bind", "connect", NULL }, &mode);
                (void) xml_prop(c, s, "path", &path);
                (void) xml_prop(c, s, "host", &host);
                (void) xml_prop(c, s, "service", &service);
                (void) xml_prop_onoff(c, s, "append", &src->append);
                (void) xml_prop(c, s, "channel", &src->channel);
                (void) xml_prop_yesno(c, s, "tls", &src->tls);
                XML_FOREACH_ELEMENT(sl, s)
                        if (xml_is(sl, "seclabel")) {
                                VmTristate relabel = VM_TRISTATE_ABSENT;
                                xml_mark(sl);
                                (void) xml_prop(c, sl, "model", &v);
                                (void) xml_prop_yesno(c, sl, "relabel", &relabel);
                                if (relabel != VM_TRISTATE_OFF || xml_child(c, sl, "label"))
                                        return xml_fail(c, sl, "only relabel='no' is supported here");
                        }
                xmlNode *rc = xml_child(c, s, "reconnect");
                if (rc) {
                        (void) xml_prop_yesno(c, rc, "enabled", &src->reconnect);
                        (void) xml_prop_uint(c, rc, "timeout", &src->reconnect_timeout);
                }
                if (path && path[0] != '/')
                        return xml_fail(c, s, "path '%s' must be absolute", path);
                bind = mode && streq(mode, "bind");
                if (streq(type, "udp") && bind) {
                        src->bind_host = host;
                        src->bind_service = service;
                        continue;
                }
                if (src->path || src->host)
                        return xml_fail(c, s, "more than one <source>");
                src->path = path;
                src->host = host;
                src->service = service;
                src->listen = bind;
        }
        p = xml_child(c, parent, "protocol");
        if (p)
                (void) xml_prop_choice(c, p, "type", (const char * const[]) { "raw", "telnet", NULL }, &src->protocol);
        l = xml_child(c, parent, "log");
        if (l) {
                (void) xml_prop(c, l, "file", &src->log_file);
                (void) xml_prop_onoff(c, l, "append", &src->log_append);
                if (!src->log_file || src->log_file[0] != '/')
                        return xml_fail(c, l, "missing absolute 'file'");
        }

        if ((streq(type, "file") || streq(type, "pipe") || streq(type, "dev")) && !src->path)
                return xml_fail(c, parent, "type='%s' needs <source path=...>", type);
        if (streq(type, "tcp") && (!src->host || !src->service))
                return xml_fail(c, parent, "type='tcp' needs <source host=... service=...>");
        if (streq(type, "udp") && !src->service)
                return xml_fail(c, parent, "type='udp' needs a connect <source service=...>");
        return xml_status(c);
}

int domxml_parse_chardev(XmlCtx *c, xmlNode *n, VmCharKind kind) {
        VmChar *ch = VM_DEVICE_NEW(c->def, chars);
        char *type = NULL;
        xmlNode *t;

        if (!ch)
                return xml_oom(c);
        ch->kind = kind;
        ch->target_port = -1;
        ch->same_as_serial = -1;
        if (xml_prop(c, n, "type", &type) <= 0)
                type = (char *) "pty";
        /* tty='/dev/pts/N': the pty of a running VM in a live dump, meaningless for a definition */
        (void) xml_prop(c, n, "tty", &(char *) { NULL });
        (void) domxml_parse_char_source(c, n, type, &ch->src);

        t = xml_child(c, n, "target");
        if (t) {
                (void) xml_prop(c, t, "type", &ch->target_type);
                (void) xml_prop_int(c, t, "port", &ch->target_port);
                if (kind == VM_CHAR_CHANNEL) {
                        (void) xml_prop(c, t, "name", &ch->target_name);
                        (void) xml_prop(c, t, "address", &ch->target_address);
                        (void) xml_prop(c, t, "state", &(char *) { NULL });
                }
                xmlNode *m = xml_child(c, t, "model");
                if (m)
                        (void) xml_prop(c, m, "name", &ch->target_model);
        }
        switch (kind) {
        case VM_CHAR_SERIAL:
                if (ch->target_type && !streq(ch->target_type, "isa-serial") && !streq(ch->target_type, "usb-serial") &&
                    !streq(ch->target_type, "pci-serial"))
                        return xml_fail(c, t, "unsupported serial target type '%s'", ch->target_type);
                if (ch->target_model && !streq(ch->target_model, "isa-serial") && !streq(ch->target_model, "usb-serial") &&
                    !streq(ch->target_model, "pci-serial"))
                        return xml_fail(c, t, "unsupported serial target model '%s'", ch->target_model);
                break;
        case VM_CHAR_PARALLEL:
                break;
        case VM_CHAR_CONSOLE:
                if (ch->target_type && !streq(ch->target_type, "serial") && !streq(ch->target_type, "virtio"))
                        return xml_fail(c, t, "unsupported console target type '%s'", ch->target_type);
                break;
        case VM_CHAR_CHANNEL:
                if (!ch->target_type)
                        return xml_fail(c, n, "a channel needs <target type=...>");
                if (streq(ch->target_type, "guestfwd"))
                        return xml_fail(c, t, "guestfwd channels need user networking and are not supported");
                if (!streq(ch->target_type, "virtio"))
                        return xml_fail(c, t, "unsupported channel target type '%s'", ch->target_type);
                if (ch->target_name && strspn(ch->target_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789._-") != strlen(ch->target_name))
                        return xml_fail(c, t, "invalid channel name '%s'", ch->target_name);
                if (ch->target_name && (startswith(ch->target_name, "vmunit-") || ch->target_name[0] == '.'))
                        return xml_fail(c, t, "channel names starting with 'vmunit-' or '.' are reserved");
                if (streq_ptr(ch->src.type, "unix") && libvirt_generated_channel_path(ch->src.path, ch->target_name))
                        /* a path libvirt made up for a running VM (virsh dumpxml): made up again here */
                        ch->src.path = NULL;
                break;
        case _VM_CHAR_KIND_MAX:
        default:
                assert(false);
        }
        (void) domxml_parse_alias(c, n, &ch->alias);
        (void) domxml_parse_address(c, n, &ch->addr);
        return xml_status(c);
}
