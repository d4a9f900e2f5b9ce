/*
 * Domain XML <-> native configurations: see native.h. The work is the argv builder's
 * (qemu-argv.c), the importer's (qemu-import.c) and the XML writer's; this file joins them the
 * same way for every caller.
 */
#include <stdio.h>
#include <sys/random.h>

#include "cleanup.h"
#include "domxml-write.h"
#include "instance-paths.h"
#include "native.h"
#include "qemu-import.h"
#include "strv.h"

int uuid_random(char ret[static 37]) {
        uint8_t b[16];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno ?: -EIO;
        b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
        b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);
        snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}

int native_build_options(const char *name, bool user, QemuBuildOptions *ret, char **ret_buf) {
        _cleanup_(instance_paths_done) InstancePaths p = {};
        _cleanup_free_ char *buf = NULL;
        size_t l;
        int k, r;

        r = instance_paths_init(&p, user);
        if (r < 0)
                return r;
        if (!p.runtime_root)
                return -ENXIO;
        l = strlen(p.runtime_root) + strlen(p.state_root) + 2 * strlen(name) + 4;
        buf = malloc(l);
        if (!buf)
                return -ENOMEM;
        k = snprintf(buf, l, "%s/%s", p.runtime_root, name);
        snprintf(buf + k + 1, l - (size_t) k - 1, "%s/%s", p.state_root, name);
        *ret = (QemuBuildOptions) { .runtime_dir = buf, .state_dir = buf + k + 1, .seccomp_sandbox = true,
                                    .tap_fd_base = 3 };
        *ret_buf = TAKE_PTR(buf);
        return 0;
}

int native_command_line(const QemuCommand *cmd, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f;
        bool first = true;
        int r = 0;

        f = open_memstream(&out, &len);
        if (!f)
                return -ENOMEM;
        STRV_FOREACH(e, cmd->env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *v = eq ? shell_quote(eq + 1) : NULL;
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                fprintf(f, "%s%.*s=%s", first ? "" : " ", (int) (eq - *e), *e, v);
                first = false;
        }
        STRV_FOREACH(a, cmd->argv) {
                _cleanup_free_ char *q = r >= 0 ? shell_quote(*a) : NULL;
                if (!q) {
                        r = -ENOMEM;
                        break;
                }
                fprintf(f, "%s%s", first ? "" : " ", q);
                first = false;
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int native_from_domxml(const char *xml, size_t len, const char *filename, DomxmlFlags flags, bool user,
                       QemuCommand *ret, char **ret_error, char ***ret_warnings) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *buf = NULL, *error = NULL;
        QemuBuildOptions opts;
        int r;

        r = domxml_parse_memory(xml, len, filename, flags, &def, ret_error, ret_warnings);
        if (r < 0)
                return r;
        r = native_build_options(def->name, user, &opts, &buf);
        if (r < 0)
                return r;
        r = qemu_argv_build(def, &opts, ret, &error);
        if (r < 0 && ret_error) {
                /* the builder names the element; the file is ours to add */
                if (asprintf(ret_error, "%s: %s", filename, error ?: strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        return r;
}

int native_to_domxml(const char *line, size_t len, const char *base_dir, char **ret_xml, char ***ret_notes,
                     char **ret_error) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *check = NULL;
        _cleanup_free_ char *xml = NULL, *error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        char uuid[37];
        int r;

        r = uuid_random(uuid);
        if (r < 0)
                return r;
        r = qemu_import(line, len, &(QemuImportOptions) { .default_uuid = uuid, .base_dir = base_dir }, &def,
                        ret_notes, ret_error);
        if (r < 0)
                return r;
        r = domxml_write(def, &xml, &error);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "cannot write domain XML: %s", error ?: strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        /* what we hand out must be what vmunit itself reads */
        r = domxml_parse_memory(xml, strlen(xml), "<imported>", 0, &check, &error, &warnings);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "the imported domain is not valid vmunit XML: %s",
                                          error ?: strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        *ret_xml = TAKE_PTR(xml);
        return 0;
}
