/*
 * QEMU command line -> VmDef: what the guest is shown and heard through. The -object handler
 * (I/O threads; libvirt's master key), -audiodev backends, and the displays: -vnc, -spice,
 * -display, -vga.
 */
#include <inttypes.h>
#include <stdio.h>

#include "qemu-import-internal.h"

static bool strv_contains(const char * const *l, const char *s) {
        for (; *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static int get_int_opt(QemuOptList *l, const char *key, int *ret) {
        const char *v = qemu_opt_get(l, key);
        char *end;
        long n;

        if (!v)
                return 0;
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || *end || !*v || n < INT32_MIN || n > INT32_MAX)
                return -EINVAL;
        *ret = (int) n;
        return 1;
}

/* ---- objects, audio ---- */

int imp_object(Import *imp, ImportOpt *o) {
        const char *type, *id;
        int r;

        r = imp_parse(imp, o, "qom-type");
        if (r < 0)
                return r;
        type = qemu_opt_get(&o->o, "qom-type");
        id = qemu_opt_get(&o->o, "id");
        if (type && streq(type, "secret") && id && streq(id, "masterKey0")) {
                /* libvirt's per-VM key for encrypting other secrets; vmunit has its own way */
                imp_dropped(imp, o);
                return 0;
        }
        if (type && streq(type, "iothread") && id) {
                if (o->o.n > 2 || imp->def->iothreads >= 1024)
                        return imp_passthrough(imp, o, "I/O thread tuning is not supported");
                imp->def->iothreads++;
                return 0;
        }
        for (size_t i = 0; i < o->o.n; i++)
                o->o.v[i].used = false;         /* left to whoever uses it */
        return 1;
}

static unsigned count_options(Import *imp, const char *name) {
        unsigned n = 0;

        for (size_t i = 0; i < imp->n_opts; i++)
                if (streq(imp->opts[i].name + (imp->opts[i].name[1] == '-' ? 2 : 1), name))
                        n++;
        return n;
}

static int audio_stream(Import *imp, ImportOpt *o, const char *pfx, VmAudioStream *st) {
        char key[64];

        for (size_t i = 0; i < o->o.n; i++)
                if (startswith(o->o.v[i].key, pfx))
                        st->set = true;
#define KEY(name) (snprintf(key, sizeof(key), "%s%s", pfx, name), key)
        if (qemu_opt_get_bool(&o->o, KEY("mixing-engine"), &st->mixing_engine) < 0 ||
            qemu_opt_get_bool(&o->o, KEY("fixed-settings"), &st->fixed_settings) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("voices"), &st->voices) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("buffer-length"), &st->buffer_length) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("frequency"), &st->frequency) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("channels"), &st->channels) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("latency"), &st->latency) < 0 ||
            qemu_opt_get_uint(&o->o, KEY("buffer-count"), &st->buffer_count) < 0 ||
            qemu_opt_get_bool(&o->o, KEY("try-poll"), &st->try_poll) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        st->format = imp_strdup(imp, qemu_opt_get(&o->o, KEY("format")));
        if (st->format && !strv_contains((const char * const[]) { "s8", "u8", "s16", "u16", "s32", "u32", "f32", NULL },
                                         st->format))
                return imp_fail(imp, "%s '%s': invalid sample format '%s'", o->name, o->arg, st->format);
        st->name = imp_strdup(imp, qemu_opt_get(&o->o, KEY("name")));
        st->stream_name = imp_strdup(imp, qemu_opt_get(&o->o, KEY("stream-name")));
        st->dev = imp_strdup(imp, qemu_opt_get(&o->o, KEY("dev")));
#undef KEY
        return 0;
}

int imp_audiodev(Import *imp, ImportOpt *o) {
        static const struct { const char *qemu, *xml; } drivers[] = {
                { "none", "none" }, { "wav", "file" }, { "spice", "spice" }, { "alsa", "alsa" }, { "oss", "oss" },
                { "pa", "pulseaudio" }, { "sdl", "sdl" }, { "coreaudio", "coreaudio" }, { "jack", "jack" },
                { "dbus", "dbus" },
        };
        const char *driver, *id, *type = NULL;
        unsigned number = 0;
        VmAudio *a;
        int r;

        r = imp_parse(imp, o, "driver");
        if (r < 0)
                return r;
        driver = qemu_opt_get(&o->o, "driver");
        id = qemu_opt_get(&o->o, "id");
        if (!id)
                return imp_fail(imp, "%s '%s': no id=", o->name, o->arg);
        if (driver && (streq(driver, "none") || streq(driver, "spice")) && o->o.n == 2 && streq(id, "audio1") &&
            count_options(imp, "audiodev") == 1)
                return 0;               /* exactly what vmunit picks itself */
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (driver && streq(driver, drivers[i].qemu))
                        type = drivers[i].xml;
        if (!type) {
                imp_warn(imp, "audio backend '%s' is not supported: the guest's sound goes nowhere (type 'none')",
                         strempty(driver));
                type = "none";
                for (size_t i = 0; i < o->o.n; i++)
                        o->o.v[i].used = true;
        }
        if (sscanf(id, "audio%u", &number) != 1 || number == 0 || imp_id_find(imp, ID_AUDIO, id, &(unsigned) { 0 }) == 0)
                number = 0;
        for (unsigned i = 0; i < imp->def->n_audios; i++)
                if (imp->def->audios[i].id == number)
                        number = 0;
        if (number == 0) {
                number = 1;
                for (unsigned i = 0; i < imp->def->n_audios; i++)
                        number = MAX(number, imp->def->audios[i].id + 1);
        }
        a = VM_DEVICE_NEW(imp->def, audios);
        if (!a)
                return imp_oom(imp);
        a->id = number;
        a->dsp_policy = -1;
        a->type = (char *) type;
        if (streq(type, "file"))
                a->path = imp_strdup(imp, qemu_opt_get(&o->o, "path"));
        a->server_name = imp_strdup(imp, qemu_opt_get(&o->o, "server"));
        if (qemu_opt_get_uint(&o->o, "timer-period", &a->timer_period) < 0 ||
            qemu_opt_get_bool(&o->o, "try-mmap", &a->try_mmap) < 0 ||
            qemu_opt_get_bool(&o->o, "exclusive", &a->exclusive) < 0 ||
            get_int_opt(&o->o, "dsp-policy", &a->dsp_policy) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        if (audio_stream(imp, o, "in.", &a->in) < 0 || audio_stream(imp, o, "out.", &a->out) < 0)
                return imp->status;
        if (qemu_opt_first_unused(&o->o)) {
                _cleanup_free_ char *l = qemu_opt_unused_list(&o->o);
                imp_warn(imp, "%s: audio settings without a domain XML equivalent dropped: %s", o->name, strempty(l));
        }
        return imp_id_add(imp, ID_AUDIO, id, number);
}

/* ---- displays ---- */

static VmGraphics *new_graphics(Import *imp, const char *type) {
        VmGraphics *g = VM_DEVICE_NEW(imp->def, graphics);

        if (!g) {
                (void) imp_oom(imp);
                return NULL;
        }
        g->type = (char *) type;
        g->port = g->tls_port = g->websocket = -1;
        return g;
}

int imp_vnc(Import *imp, ImportOpt *o) {
        VmGraphics g = { .type = (char *) "vnc", .port = -1, .tls_port = -1, .websocket = -1 };
        VmTristate pw = VM_TRISTATE_ABSENT;
        const char *d, *colon, *v;
        VmGraphics *n;
        int r;

        r = imp_parse(imp, o, "vnc");
        if (r < 0)
                return r;
        d = qemu_opt_get(&o->o, "vnc");
        if (!d)
                return imp_fail(imp, "%s '%s': no display given", o->name, o->arg);
        if (streq(d, "none"))
                g.listen_type = (char *) "none";
        else if (startswith(d, "unix:")) {
                g.listen_type = (char *) "socket";
                g.listen_socket = imp_strdup(imp, d + 5);
        } else if ((colon = strrchr(d, ':'))) {
                unsigned long disp;
                char *end;
                _cleanup_free_ char *host = strndup(d, (size_t) (colon - d));
                if (!host)
                        return imp_oom(imp);
                errno = 0;
                disp = strtoul(colon + 1, &end, 10);
                if (errno || *end || end == colon + 1 || disp > 59635)
                        return imp_passthrough(imp, o, "display '%s' is not supported", d);
                g.port = (int) (5900 + disp);
                g.listen_type = (char *) "address";
                if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                        host[strlen(host) - 1] = 0;
                        g.listen_address = imp_strdup(imp, host + 1);
                } else
                        g.listen_address = imp_strdup(imp, *host ? host : "0.0.0.0");
        } else
                return imp_passthrough(imp, o, "display '%s' is not supported", d);
        if (qemu_opt_get_bool(&o->o, "password", &pw) < 0)
                return imp_fail(imp, "%s '%s': invalid password=", o->name, o->arg);
        if (pw == VM_TRISTATE_ON) {
                g.passwd = (char *) "";
                imp_note(imp, "%s password=on: the password is set over the monitor; put it in passwd= of the "
                         "<graphics> element", o->name);
        }
        v = qemu_opt_get(&o->o, "websocket");
        if (v) {
                unsigned long p;
                char *end;
                errno = 0;
                p = strtoul(v, &end, 10);
                if (errno || *end || p == 0 || p > 65535)
                        return imp_passthrough(imp, o, "websocket=%s is not supported", v);
                g.websocket = (int) p;
        }
        g.share_policy = imp_strdup(imp, qemu_opt_get(&o->o, "share"));
        g.audio_id = imp_audio_ref(imp, o);
        if (imp_check_unused(imp, o))
                return 1;
        n = new_graphics(imp, "vnc");
        if (!n)
                return imp->status;
        *n = g;
        return 0;
}

int imp_spice(Import *imp, ImportOpt *o) {
        VmGraphics g = { .type = (char *) "spice", .port = -1, .tls_port = -1, .websocket = -1, .autoport = false };
        VmTristate unix_sock = VM_TRISTATE_ABSENT, noticket = VM_TRISTATE_ABSENT, seamless = VM_TRISTATE_ABSENT;
        unsigned port = 0, tls = 0;
        const char *addr, *pw;
        VmGraphics *n;
        int r;

        r = imp_parse(imp, o, NULL);
        if (r < 0)
                return r;
        if (qemu_opt_get_uint(&o->o, "port", &port) < 0 || qemu_opt_get_uint(&o->o, "tls-port", &tls) < 0 ||
            port > 65535 || tls > 65535 || qemu_opt_get_bool(&o->o, "unix", &unix_sock) < 0 ||
            qemu_opt_get_bool(&o->o, "disable-ticketing", &noticket) < 0 ||
            qemu_opt_get_bool(&o->o, "seamless-migration", &seamless) < 0)
                return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
        addr = qemu_opt_get(&o->o, "addr");
        pw = qemu_opt_get(&o->o, "password");
        if (unix_sock == VM_TRISTATE_ON) {
                g.listen_type = (char *) "socket";
                g.listen_socket = imp_strdup(imp, addr);
        } else {
                g.listen_type = (char *) "address";
                g.listen_address = imp_strdup(imp, addr ?: "0.0.0.0");
                g.port = port ? (int) port : -1;
                g.autoport = !port;
        }
        if (tls)
                g.tls_port = (int) tls;
        if (pw)
                g.passwd = imp_strdup(imp, pw);
        else if (noticket != VM_TRISTATE_ON) {
                g.passwd = (char *) "";
                imp_note(imp, "%s: the password is set over the monitor; put it in passwd= of the <graphics> element",
                         o->name);
        }
        /* the values QEMU accepts, which are the ones the domain XML has */
        {
                const struct { const char *key; size_t off; const char * const *values; } choices[] = {
                        { "image-compression", offsetof(VmGraphics, image_compression),
                          (const char * const[]) { "auto_glz", "auto_lz", "quic", "glz", "lz", "off", NULL } },
                        { "jpeg-wan-compression", offsetof(VmGraphics, jpeg_compression),
                          (const char * const[]) { "auto", "never", "always", NULL } },
                        { "zlib-glz-wan-compression", offsetof(VmGraphics, zlib_compression),
                          (const char * const[]) { "auto", "never", "always", NULL } },
                        { "playback-compression", offsetof(VmGraphics, playback_compression),
                          (const char * const[]) { "on", "off", NULL } },
                        { "streaming-video", offsetof(VmGraphics, streaming_mode),
                          (const char * const[]) { "filter", "all", "off", NULL } },
                };
                for (size_t i = 0; i < ELEMENTSOF(choices); i++) {
                        const char *v = qemu_opt_get(&o->o, choices[i].key);
                        if (!v)
                                continue;
                        if (!strv_contains(choices[i].values, v))
                                return imp_fail(imp, "%s '%s': invalid %s '%s'", o->name, o->arg, choices[i].key, v);
                        *(char **) ((char *) &g + choices[i].off) = imp_strdup(imp, v);
                }
        }
        {
                VmTristate mouse = VM_TRISTATE_ABSENT, nocopy = VM_TRISTATE_ABSENT, noxfer = VM_TRISTATE_ABSENT;
                if (qemu_opt_get_bool(&o->o, "agent-mouse", &mouse) < 0 ||
                    qemu_opt_get_bool(&o->o, "disable-copy-paste", &nocopy) < 0 ||
                    qemu_opt_get_bool(&o->o, "disable-agent-file-xfer", &noxfer) < 0)
                        return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                if (mouse)
                        g.mouse_mode = (char *) (mouse == VM_TRISTATE_ON ? "client" : "server");
                if (nocopy == VM_TRISTATE_ON)
                        g.clipboard_copypaste = (char *) "no";
                if (noxfer == VM_TRISTATE_ON)
                        g.filetransfer = (char *) "no";
        }
        /* tls-channel=NAME and plaintext-channel=NAME repeat; "default" is every other channel */
        for (size_t i = 0; i < o->o.n; i++) {
                QemuOptPair *p = &o->o.v[i];
                bool secure = streq(p->key, "tls-channel");
                char **name, **mode;
                unsigned k;

                if (!secure && !streq(p->key, "plaintext-channel"))
                        continue;
                p->used = true;
                if (!p->value)
                        return imp_fail(imp, "%s '%s': invalid value", o->name, o->arg);
                if (!streq(p->value, "default") &&
                    !strv_contains((const char * const[]) { "main", "display", "inputs", "cursor", "playback", "record",
                                                            "smartcard", "usbredir", NULL }, p->value))
                        return imp_passthrough(imp, o, "SPICE channel '%s' cannot be represented", p->value);
                if (streq(p->value, "default")) {
                        g.default_mode = (char *) (secure ? "secure" : "insecure");
                        continue;
                }
                k = g.n_spice_channels;
                name = VM_ARRAY_NEW(imp->def, g.spice_channel_names, k);
                k = g.n_spice_channels;
                mode = VM_ARRAY_NEW(imp->def, g.spice_channel_modes, g.n_spice_channels);
                if (!name || !mode)
                        return imp_oom(imp);
                *name = imp_strdup(imp, p->value);
                *mode = (char *) (secure ? "secure" : "insecure");
        }
        if (tls)
                qemu_opt_ignore(&o->o, "x509-dir");     /* vmunit's own certificate directory */
        if (imp_check_unused(imp, o))
                return 1;
        n = new_graphics(imp, "spice");
        if (!n)
                return imp->status;
        *n = g;
        return 0;
}

int imp_display(Import *imp, ImportOpt *o) {
        const char *type;
        int r;

        r = imp_parse(imp, o, "type");
        if (r < 0)
                return r;
        type = qemu_opt_get(&o->o, "type");
        if (type && streq(type, "none") && o->o.n == 1) {
                imp->no_local_display = true;
                return 0;
        }
        if (type && (streq(type, "gtk") || streq(type, "sdl") || streq(type, "curses") || streq(type, "cocoa") ||
                     streq(type, "default"))) {
                imp->no_local_display = true;
                imp_note(imp, "%s %s: a local display window is not something a VM service can open; dropped "
                         "(add <graphics type='vnc'> to reach the console)", o->name, o->arg);
                return 0;
        }
        return imp_passthrough(imp, o, "display '%s' is not supported", strempty(type));
}

int imp_vga(Import *imp, ImportOpt *o) {
        static const struct { const char *vga, *model; } t[] = {
                { "std", "vga" }, { "cirrus", "cirrus" }, { "qxl", "qxl" }, { "virtio", "virtio" },
        };
        VmVideo *v;

        if (streq(o->arg, "none")) {
                imp->vga_none = true;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(o->arg, t[i].vga)) {
                        v = VM_DEVICE_NEW(imp->def, videos);
                        if (!v)
                                return imp_oom(imp);
                        v->model = (char *) t[i].model;
                        return 0;
                }
        return imp_passthrough(imp, o, "VGA card '%s' is not supported", o->arg);
}
