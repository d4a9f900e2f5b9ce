/*
 * QEMU command line -> VmDef: character devices and networking. -chardev backends and the
 * -serial/-parallel specifications, the serial, parallel and virtio-serial front ends; -netdev
 * backends with their NIC devices, and the old -net nic/-net user|tap|... hubs and -nic.
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-import-internal.h"

static const char *opt_bare(const ImportOpt *o) {
        return o->name + (o->name[1] == '-' ? 2 : 1);
}

/* ---- character devices ---- */

static int host_port(Import *imp, const char *s, VmCharSource *src) {
        const char *colon = strrchr(s, ':');

        if (!colon)
                return 1;
        src->host = colon == s ? NULL : imp_strndup_host(imp, s, (size_t) (colon - s));
        src->service = imp_strdup(imp, colon + 1);
        return 0;
}

int imp_chardev_source(Import *imp, ImportOpt *c, VmCharSource *src) {
        const char *backend, *v;
        VmTristate server = VM_TRISTATE_ABSENT, wait = VM_TRISTATE_ABSENT, telnet = VM_TRISTATE_ABSENT,
                   append = VM_TRISTATE_ABSENT, logappend = VM_TRISTATE_ABSENT;
        unsigned reconnect = 0;

        backend = qemu_opt_get(&c->o, "backend");
        qemu_opt_ignore(&c->o, "id");
        if (!backend)
                return 1;
        if (qemu_opt_get_bool(&c->o, "server", &server) < 0 || qemu_opt_get_bool(&c->o, "wait", &wait) < 0 ||
            qemu_opt_get_bool(&c->o, "telnet", &telnet) < 0 || qemu_opt_get_bool(&c->o, "append", &append) < 0 ||
            qemu_opt_get_bool(&c->o, "logappend", &logappend) < 0 ||
            qemu_opt_get_uint(&c->o, "reconnect", &reconnect) < 0)
                return imp_fail(imp, "-chardev '%s': invalid value", c->arg);
        if (streq(backend, "null") || streq(backend, "pty") || streq(backend, "stdio"))
                src->type = imp_strdup(imp, backend);
        else if (streq(backend, "file") || streq(backend, "pipe") || streq(backend, "serial") ||
                 streq(backend, "tty")) {
                src->type = (char *) (streq(backend, "file") ? "file" : streq(backend, "pipe") ? "pipe" : "dev");
                src->path = imp_abs_path(imp, qemu_opt_get(&c->o, "path"), "-chardev path");
                if (!src->path)
                        return 1;       /* the domain XML wants absolute paths */
                src->append = append;
        } else if (streq(backend, "socket")) {
                v = qemu_opt_get(&c->o, "path");
                if (v) {
                        src->type = (char *) "unix";
                        src->path = imp_abs_path(imp, v, "-chardev socket path");
                        if (!src->path)
                                return 1;
                } else {
                        src->type = (char *) "tcp";
                        src->host = imp_strdup(imp, qemu_opt_get(&c->o, "host") ?: "0.0.0.0");
                        src->service = imp_strdup(imp, qemu_opt_get(&c->o, "port"));
                        if (!src->service)
                                return 1;
                        if (telnet == VM_TRISTATE_ON)
                                src->protocol = (char *) "telnet";
                }
                src->listen = server == VM_TRISTATE_ON;
                if (src->listen && wait != VM_TRISTATE_OFF)
                        imp_note(imp, "-chardev %s: QEMU waited for a client before starting the guest; vmunit "
                                 "starts it at once (wait=off)", c->arg);
                if (reconnect) {
                        src->reconnect = VM_TRISTATE_ON;
                        src->reconnect_timeout = reconnect;
                }
        } else if (streq(backend, "udp")) {
                src->type = (char *) "udp";
                src->host = imp_strdup(imp, qemu_opt_get(&c->o, "host") ?: "");
                src->service = imp_strdup(imp, qemu_opt_get(&c->o, "port"));
                src->bind_host = imp_strdup(imp, qemu_opt_get(&c->o, "localaddr"));
                src->bind_service = imp_strdup(imp, qemu_opt_get(&c->o, "localport"));
                if (!src->service)
                        return 1;
        } else if (streq(backend, "spicevmc")) {
                src->type = (char *) "spicevmc";
                src->channel = imp_strdup(imp, qemu_opt_get(&c->o, "name"));
        } else
                return 1;
        v = qemu_opt_get(&c->o, "logfile");
        if (v) {
                src->log_file = imp_abs_path(imp, v, "-chardev logfile");
                if (!src->log_file)
                        return 1;
                src->log_append = logappend;
        }
        return qemu_opt_first_unused(&c->o) ? 1 : 0;
}

/* The -chardev named by a front end's chardev=; NULL (and a reason on @o) when unusable. */
ImportOpt *imp_frontend_chardev(Import *imp, ImportOpt *o, VmCharSource *src) {
        const char *id = qemu_opt_get(&o->o, "chardev");
        ImportOpt *c;
        int r;

        if (!id) {
                (void) imp_passthrough(imp, o, "it has no chardev=");
                return NULL;
        }
        c = imp_find_backend(imp, "chardev", "id", id);
        if (!c || c->done) {
                (void) imp_passthrough(imp, o, "no (unused) -chardev '%s'", id);
                return NULL;
        }
        r = imp_chardev_source(imp, c, src);
        if (r != 0) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&c->o);
                (void) imp_passthrough(imp, o, "its -chardev '%s'%s%s cannot be represented", id, l ? " with " : "",
                                       strempty(l));
                return NULL;
        }
        return c;
}

int imp_device_chardev_frontend(Import *imp, ImportOpt *o, const char *driver) {
        VmChar ch = { .target_port = -1, .same_as_serial = -1 };
        ImportOpt *c;
        VmChar *n;

        c = imp_frontend_chardev(imp, o, &ch.src);
        if (!c)
                return 1;
        if (streq(driver, "isa-serial") || streq(driver, "pci-serial") || streq(driver, "usb-serial")) {
                unsigned idx = 0;
                ch.kind = VM_CHAR_SERIAL;
                if (streq(driver, "isa-serial")) {
                        unsigned iobase = 0, irq = 0;
                        int r = qemu_opt_get_uint(&o->o, "index", &idx);
                        if (r < 0 || idx > 3 || qemu_opt_get_uint(&o->o, "iobase", &iobase) < 0 ||
                            qemu_opt_get_uint(&o->o, "irq", &irq) < 0)
                                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                        if (r == 0) {
                                for (unsigned i = 0; i < imp->def->n_chars; i++)
                                        if (imp->def->chars[i].kind == VM_CHAR_SERIAL)
                                                idx++;
                                if (idx > 3)
                                        return imp_passthrough(imp, o, "the PC has four ISA serial ports");
                        }
                        ch.target_port = (int) idx;
                        if (iobase || irq)
                                ch.addr = (VmAddress) { .type = VM_ADDRESS_ISA, .iobase = iobase, .irq = irq };
                } else if (streq(driver, "pci-serial")) {
                        ch.target_type = (char *) "pci-serial";
                        if (imp_pci_address(imp, &o->o, &ch.addr) < 0)
                                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
                } else {
                        int r = imp_usb_port(imp, o, &ch.addr);
                        ch.target_type = (char *) "usb-serial";
                        if (r != 0)
                                return r;
                }
        } else if (streq(driver, "isa-parallel")) {
                ch.kind = VM_CHAR_PARALLEL;
                qemu_opt_ignore(&o->o, "index");
        } else {                        /* virtserialport, virtconsole */
                const char *bus = qemu_opt_get(&o->o, "bus"), *name = qemu_opt_get(&o->o, "name");
                unsigned index = 0, sub = 0, nr = 0;
                bool console = streq(driver, "virtconsole");

                ch.kind = console ? VM_CHAR_CONSOLE : VM_CHAR_CHANNEL;
                ch.target_type = (char *) "virtio";
                if (bus && imp_bus_find(imp, ID_VIRTIO_SERIAL, bus, &index, &sub) < 0)
                        return imp_passthrough(imp, o, "virtio-serial bus '%s' is unknown", bus);
                if (qemu_opt_get_uint(&o->o, "nr", &nr) < 0)
                        return imp_fail(imp, "%s '%s': invalid nr", o->name, o->arg);
                if (bus || nr)
                        ch.addr = (VmAddress) { .type = VM_ADDRESS_VIRTIO_SERIAL, .controller = index, .bus = sub,
                                                .port = nr };
                if (!console && !bus)
                        return imp_passthrough(imp, o, "a port without bus= cannot be represented");
                if (name) {
                        if (console || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                                       != strlen(name) || startswith(name, "vmunit-") || name[0] == '.')
                                return imp_passthrough(imp, o, "port name '%s' cannot be represented", name);
                        ch.target_name = imp_strdup(imp, name);
                }
        }
        ch.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        n = VM_DEVICE_NEW(imp->def, chars);
        if (!n)
                return imp_oom(imp);
        *n = ch;
        c->done = true;
        return 0;
}

/* ---- networking ---- */

static bool nic_model_ok(const char *m) {
        static const char * const nics[] = { "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet", "i82559er",
                                              "i82551", "i82557b", "i82801", "vmxnet3", "e1000-82540em",
                                              "e1000-82544gc", "e1000-82545em", "igb", "tulip", "usb-net", NULL };
        for (const char * const *n = nics; *n; n++)
                if (streq(*n, m))
                        return true;
        return false;
}

const char *imp_nic_model(const char *driver) {
        if (streq(driver, "virtio-net-pci") || streq(driver, "virtio-net") || streq(driver, "virtio"))
                return "virtio";
        return nic_model_ok(driver) ? driver : NULL;
}

/* A -netdev/-net/-nic backend into @n; 1 when it cannot be represented. */
static int net_backend(Import *imp, QemuOptList *b, VmNet *n) {
        const char *type = qemu_opt_get(b, "type"), *v;
        VmTristate vhost = VM_TRISTATE_ABSENT;

        qemu_opt_ignore(b, "id");
        qemu_opt_ignore(b, "name");
        if (!type)
                return 1;
        if (streq(type, "user")) {
                n->type = (char *) "user";
        } else if (streq(type, "tap")) {
                const char *fd = qemu_opt_get(b, "fd"), *fds = qemu_opt_get(b, "fds"), *ifname = qemu_opt_get(b, "ifname");
                const char *script = qemu_opt_get(b, "script"), *down = qemu_opt_get(b, "downscript");
                n->type = (char *) "ethernet";
                if (ifname) {
                        if (strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                            strlen(ifname) || strlen(ifname) > 15)
                                return 1;
                        n->target_dev = imp_strdup(imp, ifname);
                }
                if (fds) {
                        n->queues = 1;
                        for (const char *c = fds; *c; c++)
                                if (*c == ':')
                                        n->queues++;
                }
                if ((fd || fds) && !imp->tap_fd_noted) {
                        imp_note(imp, "tap fd=%s: file descriptors of the process that started QEMU; vmunit opens "
                                 "its own taps", fd ?: fds);
                        imp->tap_fd_noted = true;
                }
                if (script && !streq(script, "no")) {
                        n->script = imp_abs_path(imp, script, "tap script");
                        if (!n->script)
                                return 1;
                }
                if (down && !streq(down, "no"))
                        return 1;
                if (qemu_opt_get_bool(b, "vhost", &vhost) < 0)
                        return 1;
                qemu_opt_ignore(b, "vhostfd");
                qemu_opt_ignore(b, "vhostfds");
                if (vhost == VM_TRISTATE_ON)
                        n->driver_name = (char *) "vhost";
                v = qemu_opt_get(b, "queues");
                if (v && sscanf(v, "%u", &n->queues) != 1)
                        return 1;
        } else if (streq(type, "bridge")) {
                n->type = (char *) "bridge";
                n->source_bridge = imp_strdup(imp, qemu_opt_get(b, "br") ?: "br0");
        } else if (streq(type, "socket")) {
                const char *listen = qemu_opt_get(b, "listen"), *connect = qemu_opt_get(b, "connect"),
                           *mcast = qemu_opt_get(b, "mcast"), *addr = listen ?: connect ?: mcast;
                const char *colon = addr ? strrchr(addr, ':') : NULL;
                if (!colon || !!listen + !!connect + !!mcast != 1 || sscanf(colon + 1, "%u", &n->source_port) != 1)
                        return 1;
                n->type = (char *) (listen ? "server" : connect ? "client" : "mcast");
                n->source_address = colon > addr ? imp_strndup_host(imp, addr, (size_t) (colon - addr)) : NULL;
                if (!listen && !n->source_address)
                        return 1;
        } else if (streq(type, "dgram")) {
                const char *rt = qemu_opt_get(b, "remote.type"), *lt = qemu_opt_get(b, "local.type");
                if (!rt || !streq(rt, "inet") || (lt && !streq(lt, "inet")))
                        return 1;
                n->type = (char *) "udp";
                n->source_address = imp_strdup(imp, qemu_opt_get(b, "remote.host"));
                v = qemu_opt_get(b, "remote.port");
                if (!n->source_address || !v || sscanf(v, "%u", &n->source_port) != 1)
                        return 1;
                n->source_local_address = imp_strdup(imp, qemu_opt_get(b, "local.host"));
                v = qemu_opt_get(b, "local.port");
                if (v && sscanf(v, "%u", &n->source_local_port) != 1)
                        return 1;
        } else
                return 1;
        return qemu_opt_first_unused(b) ? 1 : 0;
}

static int nic_common(Import *imp, ImportOpt *o, VmNet *n, const char *mac_key) {
        const char *mac = qemu_opt_get(&o->o, mac_key);
        unsigned b[6];
        char tail;

        if (mac) {
                if (strlen(mac) != 17 || sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                                &b[5], &tail) != 6)
                        return imp_fail(imp, "%s '%s': invalid MAC address '%s'", o->name, o->arg, mac);
                if (b[0] & 1)
                        return imp_fail(imp, "%s '%s': MAC address '%s' is a multicast address", o->name, o->arg, mac);
                n->mac = imp_strdupf(imp, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
        }
        if (imp_pci_address(imp, &o->o, &n->addr) < 0)
                return imp_passthrough(imp, o, "its PCI address cannot be resolved");
        return 0;
}

static VmNet *append_net(Import *imp, const VmNet *net) {
        VmNet *n = VM_DEVICE_NEW(imp->def, nets);

        if (!n) {
                (void) imp_oom(imp);
                return NULL;
        }
        *n = *net;
        return n;
}

int imp_device_net(Import *imp, ImportOpt *o, const char *driver) {
        VmNet n = {};
        const char *id = qemu_opt_get(&o->o, "netdev"), *rom;
        VmTristate mq = VM_TRISTATE_ABSENT, rombar = VM_TRISTATE_ABSENT;
        unsigned vectors = 0;
        ImportOpt *b;
        int r;

        imp->have_net_option = true;
        n.model = imp_strdup(imp, imp_nic_model(driver));
        b = imp_find_backend(imp, "netdev", "id", id);
        if (!b || b->done)
                return imp_passthrough(imp, o, "no (unused) -netdev '%s'", strempty(id));
        if (net_backend(imp, &b->o, &n) != 0) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&b->o);
                return imp_passthrough(imp, o, "its -netdev '%s'%s%s cannot be represented", id, l ? " with " : "",
                                       strempty(l));
        }
        r = nic_common(imp, o, &n, "mac");
        if (r != 0)
                return r;
        if (streq(n.model, "virtio") && imp_virtio_opts(imp, o, &n.virtio) < 0)
                return imp->status;
        if (qemu_opt_get_uint(&o->o, "bootindex", &n.boot_order) < 0 ||
            qemu_opt_get_uint(&o->o, "host_mtu", &n.mtu) < 0 || qemu_opt_get_bool(&o->o, "mq", &mq) < 0 ||
            qemu_opt_get_uint(&o->o, "vectors", &vectors) < 0 || qemu_opt_get_bool(&o->o, "rombar", &rombar) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        if (n.mtu && !streq(n.model, "virtio"))
                return imp_passthrough(imp, o, "host_mtu is only for virtio NICs");
        if (mq == VM_TRISTATE_ON) {
                if (!streq(n.model, "virtio") || vectors < 4 || vectors % 2)
                        return imp_passthrough(imp, o, "its multiqueue settings cannot be represented");
                n.queues = (vectors - 2) / 2;
        } else if (vectors)
                return imp_passthrough(imp, o, "vectors= without mq=on cannot be represented");
        n.rom_bar = rombar;
        rom = qemu_opt_get(&o->o, "romfile");
        if (rom && !*rom)
                n.rom_enabled = VM_TRISTATE_OFF;
        else if (rom)
                n.rom_file = imp_strdup(imp, rom);
        n.alias = imp_alias(imp, &o->o);
        qemu_opt_ignore(&o->o, "id");
        if (imp_check_unused(imp, o))
                return 1;
        if (!append_net(imp, &n))
                return imp->status;
        b->done = true;
        return 0;
}

/* -nic TYPE,model=,mac=,...: backend and NIC in one */
int imp_nic(Import *imp, ImportOpt *o) {
        VmNet n = {};
        const char *model;
        int r;

        imp->have_net_option = true;
        r = imp_parse(imp, o, "type");
        if (r < 0)
                return r;
        if (streq(strempty(qemu_opt_get(&o->o, "type")), "none") && o->o.n == 1)
                return 0;
        model = qemu_opt_get(&o->o, "model");
        n.model = imp_strdup(imp, model ? imp_nic_model(model) : imp->q35 ? "e1000e" : "e1000");
        if (!n.model)
                return imp_passthrough(imp, o, "NIC model '%s' is not supported", model);
        r = nic_common(imp, o, &n, "mac");
        if (r != 0)
                return r;
        if (net_backend(imp, &o->o, &n) != 0)
                return imp_passthrough(imp, o, "vmunit cannot represent it");
        return append_net(imp, &n) ? 0 : imp->status;
}

/* -net nic,... and -net user|tap|bridge|socket,...: QEMU connects NICs and backends on a hub (vlan=N,
 * 0 by default). One NIC and one backend on a hub are one <interface>. */
int imp_net_legacy(Import *imp) {
        ImportOpt *nics[64], *backends[64];
        unsigned n_nics = 0, n_backends = 0;
        bool none = false;

        for (size_t i = 0; i < imp->n_opts; i++) {
                ImportOpt *o = &imp->opts[i];
                const char *type;
                if (o->done || o->why || !streq(opt_bare(o), "net"))
                        continue;
                imp->have_net_option = true;
                if (imp_parse(imp, o, "type") < 0)
                        return imp->status;
                type = qemu_opt_get(&o->o, "type");
                if (type && streq(type, "none")) {
                        none = true;
                        o->done = true;
                } else if (type && streq(type, "nic") && n_nics < ELEMENTSOF(nics))
                        nics[n_nics++] = o;
                else if (n_backends < ELEMENTSOF(backends))
                        backends[n_backends++] = o;
        }
        for (unsigned i = 0; i < n_nics; i++) {
                ImportOpt *o = nics[i], *b = NULL;
                const char *vlan = qemu_opt_get(&o->o, "vlan"), *netdev = qemu_opt_get(&o->o, "netdev"), *model;
                VmNet n = {};
                unsigned same = 0;
                int r;

                if (netdev) {
                        b = imp_find_backend(imp, "netdev", "id", netdev);
                        if (!b || b->done) {
                                (void) imp_passthrough(imp, o, "no (unused) -netdev '%s'", netdev);
                                continue;
                        }
                } else {
                        for (unsigned k = 0; k < n_backends; k++) {
                                const char *bv = qemu_opt_get(&backends[k]->o, "vlan");
                                if (!streq(strempty(bv), strempty(vlan)) && !(!bv && vlan && streq(vlan, "0")) &&
                                    !(!vlan && bv && streq(bv, "0")))
                                        continue;
                                if (!b)
                                        b = backends[k];
                                same++;
                        }
                        for (unsigned k = 0; k < n_nics; k++)
                                if (streq(strempty(qemu_opt_get(&nics[k]->o, "vlan")), strempty(vlan)) && k != i)
                                        same++;
                        if (!b) {
                                (void) imp_passthrough(imp, o, "a NIC with no backend on its hub");
                                continue;
                        }
                        if (same > 1)
                                imp_warn(imp, "-net hub %s connects several NICs and backends; vmunit gives each NIC "
                                         "its own backend of the first kind", strempty(vlan) ?: "0");
                }
                model = qemu_opt_get(&o->o, "model");
                n.model = imp_strdup(imp, model ? imp_nic_model(model) : imp->q35 ? "e1000e" : "e1000");
                if (!n.model) {
                        (void) imp_passthrough(imp, o, "NIC model '%s' is not supported", model);
                        continue;
                }
                r = nic_common(imp, o, &n, "macaddr");
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                qemu_opt_ignore(&o->o, "type");
                qemu_opt_ignore(&o->o, "vlan");
                qemu_opt_ignore(&o->o, "name");
                qemu_opt_ignore(&b->o, "vlan");
                if (net_backend(imp, &b->o, &n) != 0) {
                        (void) imp_passthrough(imp, o, "its backend cannot be represented");
                        continue;
                }
                if (imp_check_unused(imp, o))
                        continue;
                if (!append_net(imp, &n))
                        return imp->status;
                o->done = true;
                b->done = true;
        }
        for (unsigned k = 0; k < n_backends; k++)
                if (!backends[k]->done && none)
                        (void) imp_passthrough(imp, backends[k], "no NIC uses it");
        return imp->status;
}

/* ---- -serial, -parallel ---- */

int imp_char_spec(Import *imp, const char *spec, VmCharSource *src) {
        _cleanup_free_ char *s = strdup(spec);
        char *opts, *save = NULL;

        if (!s)
                return imp_oom(imp);
        if (streq(s, "null") || streq(s, "pty") || streq(s, "stdio")) {
                src->type = imp_strdup(imp, s);
                return 0;
        }
        if (startswith(s, "file:") || startswith(s, "pipe:")) {
                src->type = (char *) (s[1] == 'i' ? "file" : "pipe");
                src->path = imp_abs_path(imp, s + 5, "character device");
                return src->path ? 0 : 1;
        }
        if (startswith(s, "/dev/")) {
                src->type = (char *) "dev";
                src->path = imp_strdup(imp, s);
                return 0;
        }
        opts = strchr(s, ',');
        if (opts)
                *opts++ = 0;
        if (startswith(s, "unix:")) {
                src->type = (char *) "unix";
                src->path = imp_abs_path(imp, s + 5, "character device");
                if (!src->path)
                        return 1;
        } else if (startswith(s, "tcp:") || startswith(s, "telnet:")) {
                src->type = (char *) "tcp";
                if (host_port(imp, strchr(s, ':') + 1, src) != 0)
                        return 1;
                if (!src->host)
                        src->host = (char *) "0.0.0.0";
                if (startswith(s, "telnet:"))
                        src->protocol = (char *) "telnet";
        } else if (startswith(s, "udp:")) {
                char *at = strchr(s + 4, '@');
                src->type = (char *) "udp";
                if (at) {
                        VmCharSource b = {};
                        *at++ = 0;
                        if (host_port(imp, at, &b) != 0)
                                return 1;
                        src->bind_host = b.host;
                        src->bind_service = b.service;
                }
                if (host_port(imp, s + 4, src) != 0)
                        return 1;
                if (!src->host)
                        src->host = (char *) "";
        } else
                return 1;
        for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
                if (streq(t, "server") || streq(t, "server=on"))
                        src->listen = true;
                else if (streq(t, "nowait") || streq(t, "wait=off"))
                        ;
                else if (streq(t, "telnet") || streq(t, "telnet=on"))
                        src->protocol = (char *) "telnet";
                else
                        return 1;
        }
        return 0;
}

int imp_serial_parallel(Import *imp, ImportOpt *o) {
        bool parallel = streq(opt_bare(o), "parallel");
        VmChar ch = { .kind = parallel ? VM_CHAR_PARALLEL : VM_CHAR_SERIAL, .target_port = -1, .same_as_serial = -1 };
        const char *spec = o->arg;
        unsigned port = 0;
        VmChar *n;

        for (size_t i = 0; i < imp->n_opts && &imp->opts[i] != o; i++)
                if (streq(opt_bare(&imp->opts[i]), opt_bare(o)))
                        port++;
        if (streq(spec, "none"))
                return 0;
        if (startswith(spec, "mon:")) {
                imp_note(imp, "%s %s: the monitor multiplexed onto it is vmunit's business; only the port is "
                         "imported", o->name, spec);
                spec += 4;
        }
        if (startswith(spec, "chardev:")) {
                ImportOpt *c = imp_find_backend(imp, "chardev", "id", spec + 8);
                if (!c || c->done || imp_chardev_source(imp, c, &ch.src) != 0)
                        return imp_passthrough(imp, o, "its -chardev cannot be represented");
                c->done = true;
        } else if (imp_char_spec(imp, spec, &ch.src) != 0)
                return imp_passthrough(imp, o, "character device '%s' cannot be represented", spec);
        if (!parallel) {
                if (port > 3)
                        return imp_passthrough(imp, o, "the PC has four serial ports");
                ch.target_port = (int) port;
        }
        n = VM_DEVICE_NEW(imp->def, chars);
        if (!n)
                return imp_oom(imp);
        *n = ch;
        return 0;
}
