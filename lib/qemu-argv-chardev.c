/*
 * Character devices: the -chardev backends (shared with rng, redirdev, smartcard, TPM) and the
 * serial, parallel, console and channel front ends.
 */
#include <stdio.h>

#include "qemu-argv-internal.h"

void qemu_build_chardev(QemuBuild *b, const char *id, const VmCharSource *s, const char *what) {
        _cleanup_(qemu_opts_done) QemuOpts o = {};
        const char *t = s->type;

        if (streq(t, "unix") || streq(t, "tcp"))
                qemu_opts_add_literal(&o, "socket");
        else if (streq(t, "pty") || streq(t, "file") || streq(t, "udp") || streq(t, "null") || streq(t, "stdio") ||
                 streq(t, "pipe") || streq(t, "spicevmc") || streq(t, "spiceport"))
                qemu_opts_add_positional(&o, t);
        else if (streq(t, "dev"))
                qemu_opts_add_literal(&o, "serial");
        else {
                (void) qb_fail(b, -EOPNOTSUPP, "%s: character device type '%s' is not supported", what, t);
                return;
        }
        qemu_opts_add(&o, "id", id);
        if (streq(t, "file") || streq(t, "pipe") || streq(t, "dev") || streq(t, "unix")) {
                qemu_opts_add(&o, "path", s->path);
        } else if (streq(t, "tcp")) {
                qemu_opts_add(&o, "host", s->host);
                qemu_opts_add(&o, "port", s->service);
                if (s->protocol && streq(s->protocol, "telnet"))
                        qemu_opts_add_literal(&o, "telnet=on");
        } else if (streq(t, "udp")) {
                qemu_opts_add_empty_ok(&o, "host", s->host);
                qemu_opts_add_empty_ok(&o, "port", s->service);
                qemu_opts_add_empty_ok(&o, "localaddr", s->bind_host);
                qemu_opts_add_empty_ok(&o, "localport", s->bind_service ?: "0");
        } else if (streq(t, "spicevmc"))
                qemu_opts_add(&o, "name", s->channel ?: "vdagent");
        else if (streq(t, "spiceport")) {
                if (!s->channel) {
                        qemu_opts_done(&o);
                        (void) qb_fail(b, -EINVAL, "%s: a spiceport needs <source channel=...>", what);
                        return;
                }
                qemu_opts_add(&o, "name", s->channel);
        }
        if (streq(t, "file") && s->append != VM_TRISTATE_ABSENT)
                qemu_opts_add_literal(&o, s->append == VM_TRISTATE_ON ? "append=on" : "append=off");
        if ((streq(t, "unix") || streq(t, "tcp")) && s->listen) {
                qemu_opts_add_literal(&o, "server=on");
                qemu_opts_add_literal(&o, "wait=off");
        }
        if ((streq(t, "unix") || streq(t, "tcp")) && !s->listen && s->reconnect == VM_TRISTATE_ON)
                qemu_opts_addf(&o, "reconnect", "%u", s->reconnect_timeout);
        if (s->log_file) {
                qemu_opts_add(&o, "logfile", s->log_file);
                if (s->log_append != VM_TRISTATE_ABSENT)
                        qemu_opts_add_literal(&o, s->log_append == VM_TRISTATE_ON ? "logappend=on" : "logappend=off");
        }
        if (s->tls == VM_TRISTATE_ON) {
                qemu_opts_done(&o);
                (void) qb_fail(b, -EOPNOTSUPP, "%s: TLS for character devices is not supported yet", what);
                return;
        }
        argv_add_opts(b->a, "-chardev", &o);
}

/* Fills in a socket path for a unix source without one, as libvirt does for channels. */
static VmCharSource channel_source(QemuBuild *b, const VmChar *ch, char *buf, size_t size) {
        VmCharSource s = ch->src;

        if (streq(s.type, "unix") && !s.path) {
                if (ch->target_name)
                        snprintf(buf, size, "%s/%s", b->opts->runtime_dir, ch->target_name);
                else
                        snprintf(buf, size, "%s/vioser-%02x-%02x-%02x.sock", b->opts->runtime_dir,
                                 ch->addr.controller, ch->addr.bus, ch->addr.port);
                s.path = buf;
                s.listen = true;
        }
        return s;
}

int qemu_char_chardev_id(const VmDef *def, unsigned index, char *buf, size_t size) {
        unsigned n = 0;
        const VmChar *ch;

        if (index >= def->n_chars)
                return -EINVAL;
        ch = &def->chars[index];
        /* A serial-type console is the first serial port (qemu_build_chardevs() gives it no
         * chardev of its own). */
        if (ch->kind == VM_CHAR_CONSOLE &&
            (ch->same_as_serial >= 0 || !ch->target_type || streq(ch->target_type, "serial"))) {
                if (ch->same_as_serial < 0)
                        return -ENOENT;
                return qemu_char_chardev_id(def, (unsigned) ch->same_as_serial, buf, size);
        }
        for (unsigned i = 0; i < index; i++)
                if (def->chars[i].kind == ch->kind)
                        n++;
        snprintf(buf, size, "char%s%u", vm_char_kind_to_string(ch->kind), n);
        return 0;
}

void qemu_build_chardevs(QemuBuild *b) {
        VmDef *def = b->def;
        unsigned n_serial = 0, n_parallel = 0, n_console = 0, n_channel = 0;
        char id[64], cid[64], what[64], path[4096];
        Props p;

        /* libvirt's order: serials, parallels, channels, consoles */
        for (unsigned i = 0; i < def->n_chars; i++) {
                const VmChar *ch = &def->chars[i];
                const char *model;

                if (ch->kind != VM_CHAR_SERIAL)
                        continue;
                snprintf(cid, sizeof(cid), "charserial%u", n_serial);
                snprintf(id, sizeof(id), "serial%u", n_serial);
                snprintf(what, sizeof(what), "<serial> %u", n_serial);
                n_serial++;
                qemu_build_chardev(b, cid, &ch->src, what);
                model = ch->target_model ?: ch->target_type ?: "isa-serial";
                props_init(&p);
                props_str(&p, "driver", model);
                props_str(&p, "chardev", cid);
                props_str(&p, "id", ch->alias ?: id);
                if (streq(model, "isa-serial")) {
                        props_uint(&p, "index", (unsigned) ch->target_port);
                        if (ch->addr.type == VM_ADDRESS_ISA) {
                                if (ch->addr.iobase)
                                        props_uint(&p, "iobase", ch->addr.iobase);
                                if (ch->addr.irq)
                                        props_uint(&p, "irq", ch->addr.irq);
                        }
                } else if (streq(model, "usb-serial"))
                        qb_usb_props(b, &p, &ch->addr);
                else
                        qb_pci_props(b, &p, &ch->addr);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_chars; i++) {
                const VmChar *ch = &def->chars[i];
                if (ch->kind != VM_CHAR_PARALLEL)
                        continue;
                snprintf(cid, sizeof(cid), "charparallel%u", n_parallel);
                snprintf(id, sizeof(id), "parallel%u", n_parallel);
                snprintf(what, sizeof(what), "<parallel> %u", n_parallel);
                n_parallel++;
                qemu_build_chardev(b, cid, &ch->src, what);
                props_init(&p);
                props_str(&p, "driver", "isa-parallel");
                props_str(&p, "chardev", cid);
                props_str(&p, "id", ch->alias ?: id);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_chars; i++) {
                const VmChar *ch = &def->chars[i];
                VmCharSource s;
                if (ch->kind != VM_CHAR_CHANNEL)
                        continue;
                snprintf(cid, sizeof(cid), "charchannel%u", n_channel);
                snprintf(id, sizeof(id), "channel%u", n_channel);
                snprintf(what, sizeof(what), "<channel> %u", n_channel);
                n_channel++;
                s = channel_source(b, ch, path, sizeof(path));
                qemu_build_chardev(b, cid, &s, what);
                props_init(&p);
                props_str(&p, "driver", "virtserialport");
                props_strf(&p, "bus", "virtio-serial%u.%u", ch->addr.controller, ch->addr.bus);
                props_uint(&p, "nr", ch->addr.port);
                props_str(&p, "chardev", cid);
                props_str(&p, "id", ch->alias ?: id);
                props_str(&p, "name", ch->target_name);
                argv_add_props(b->a, "-device", &p);
        }
        for (unsigned i = 0; i < def->n_chars; i++) {
                const VmChar *ch = &def->chars[i];
                if (ch->kind != VM_CHAR_CONSOLE)
                        continue;
                n_console++;
                /* a serial-type console is the first serial port seen from another angle */
                if (ch->same_as_serial >= 0 || !ch->target_type || streq(ch->target_type, "serial"))
                        continue;
                snprintf(cid, sizeof(cid), "charconsole%u", n_console - 1);
                snprintf(id, sizeof(id), "console%u", n_console - 1);
                snprintf(what, sizeof(what), "<console> %u", n_console - 1);
                qemu_build_chardev(b, cid, &ch->src, what);
                props_init(&p);
                props_str(&p, "driver", "virtconsole");
                if (ch->addr.type == VM_ADDRESS_VIRTIO_SERIAL) {
                        props_strf(&p, "bus", "virtio-serial%u.%u", ch->addr.controller, ch->addr.bus);
                        props_uint(&p, "nr", ch->addr.port);
                }
                props_str(&p, "chardev", cid);
                props_str(&p, "id", ch->alias ?: id);
                argv_add_props(b->a, "-device", &p);
        }
}
