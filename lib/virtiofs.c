/* virtiofs: see virtiofs.h. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "firmware.h"
#include "strv.h"
#include "virtiofs.h"

DEFINE_CLEANUP_FUNC(json_object *, json_object_put);

bool virtiofs_is(const VmFilesystem *f) {
        return f->driver && streq(f->driver, "virtiofs");
}

int virtiofs_alias(const VmFilesystem *f, unsigned index, char **ret) {
        char *a;

        if (f->alias)
                a = strdup(f->alias);
        else if (asprintf(&a, "fs%u", index) < 0)
                a = NULL;
        if (!a)
                return -ENOMEM;
        *ret = a;
        return 0;
}

int virtiofs_socket_path(const VmFilesystem *f, unsigned index, const char *runtime_dir, char **ret) {
        _cleanup_free_ char *alias = NULL;
        char *p;
        int r;

        if (f->source_socket) {
                p = strdup(f->source_socket);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        r = virtiofs_alias(f, index, &alias);
        if (r < 0)
                return r;
        if (asprintf(&p, "%s/%s-fs.sock", runtime_dir, alias) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int virtiofs_find_binary(const char *dirs, char **ret) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        r = qemu_descriptors_list(dirs, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                _cleanup_(json_object_putp) json_object *d = json_object_from_file(*f);
                json_object *type, *binary;
                const char *b;

                if (!d || !json_object_is_type(d, json_type_object) ||
                    !json_object_object_get_ex(d, "type", &type) || !json_object_is_type(type, json_type_string) ||
                    !streq(json_object_get_string(type), "fs") ||
                    !json_object_object_get_ex(d, "binary", &binary) ||
                    !json_object_is_type(binary, json_type_string))
                        continue;
                b = json_object_get_string(binary);
                if (b[0] != '/')
                        continue;
                *ret = strdup(b);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

/* "source=DIR" with virtiofsd's (libfuse's) escapes: '\' before ',' and '\'. */
static char *source_option(const char *dir) {
        size_t n = strlen("source=") + 2 * strlen(dir) + 1;
        char *o = malloc(n), *p;

        if (!o)
                return NULL;
        p = stpcpy(o, "source=");
        for (const char *s = dir; *s; s++) {
                if (*s == ',' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p = 0;
        return o;
}

static int append_switch(char **o, VmTristate t, const char *name) {
        char *n;

        if (t == VM_TRISTATE_ABSENT)
                return 0;
        if (asprintf(&n, "%s,%s%s", *o, t == VM_TRISTATE_ON ? "" : "no_", name) < 0)
                return -ENOMEM;
        free(*o);
        *o = n;
        return 0;
}

static int append_value(char **o, const char *name, const char *value) {
        char *n;

        if (!value)
                return 0;
        if (asprintf(&n, "%s,%s=%s", *o, name, value) < 0)
                return -ENOMEM;
        free(*o);
        *o = n;
        return 0;
}

int virtiofs_daemon_argv(const VmFilesystem *f, const char *binary, const char *socket_path, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *opts = NULL;
        char *a;
        int r;

        assert(f->source_dir);
        opts = source_option(f->source_dir);
        if (!opts)
                return -ENOMEM;
        /* libvirt's order of the -o options */
        r = append_value(&opts, "cache", f->cache_mode);
        if (r >= 0)
                r = append_value(&opts, "sandbox", f->sandbox_mode);
        if (r >= 0)
                r = append_switch(&opts, f->xattr, "xattr");
        if (r >= 0)
                r = append_switch(&opts, f->flock, "flock");
        if (r >= 0)
                r = append_switch(&opts, f->posix_lock, "posix_lock");
        if (r < 0)
                return r;

        if (strv_extend(&argv, binary) < 0 || asprintf(&a, "--socket-path=%s", socket_path) < 0)
                return -ENOMEM;
        if (strv_consume(&argv, a) < 0 || strv_extend(&argv, "-o") < 0 || strv_consume(&argv, TAKE_PTR(opts)) < 0)
                return -ENOMEM;
        if (f->thread_pool_set) {
                if (asprintf(&a, "--thread-pool-size=%u", f->thread_pool_size) < 0 || strv_consume(&argv, a) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}
