/* Firmware auto-selection from QEMU firmware descriptors (see firmware.h). */
#include <dirent.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cleanup.h"
#include "firmware.h"
#include "strv.h"

DEFINE_CLEANUP_FUNC(json_object *, json_object_put);

static bool json_array_has(json_object *arr, const char *s) {
        size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *v = json_object_get_string(json_object_array_get_idx(arr, i));
                if (v && streq(v, s))
                        return true;
        }
        return false;
}

static const char *json_path_str(json_object *o, const char *a, const char *b) {
        json_object *x, *y;

        if (!json_object_object_get_ex(o, a, &x))
                return NULL;
        if (!b)
                return json_object_get_string(x);
        if (!json_object_object_get_ex(x, b, &y))
                return NULL;
        return json_object_get_string(y);
}

static bool target_matches(json_object *d, const char *arch, const char *machine) {
        json_object *targets, *t, *machines;
        size_t n;

        if (!json_object_object_get_ex(d, "targets", &targets))
                return false;
        n = json_object_is_type(targets, json_type_array) ? json_object_array_length(targets) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *a;
                t = json_object_array_get_idx(targets, i);
                a = json_path_str(t, "architecture", NULL);
                if (!a || !streq(a, arch) || !json_object_object_get_ex(t, "machines", &machines))
                        continue;
                for (size_t k = 0; k < json_object_array_length(machines); k++) {
                        const char *g = json_object_get_string(json_object_array_get_idx(machines, k));
                        if (g && fnmatch(g, machine, 0) == 0)
                                return true;
                }
        }
        return false;
}

static int cmp_str(const void *a, const void *b) {
        const char *x = strrchr(*(char * const *) a, '/') + 1, *y = strrchr(*(char * const *) b, '/') + 1;
        return strcmp(x, y);
}

int qemu_descriptors_list(const char *dirs, char ***ret) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *copy = strdup(dirs);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                DIR *d = opendir(dir);
                struct dirent *de;
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        size_t l = strlen(de->d_name);
                        bool hidden = false;
                        char *p;
                        if (l < 6 || !streq(de->d_name + l - 5, ".json"))
                                continue;
                        STRV_FOREACH(f, files)
                                if (streq(strrchr(*f, '/') + 1, de->d_name))
                                        hidden = true;
                        if (hidden)
                                continue;
                        if (asprintf(&p, "%s/%s", dir, de->d_name) < 0 || strv_consume(&files, p) < 0) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
                closedir(d);
        }
        if (files)
                qsort(files, strv_length(files), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(files);
        return 0;
}

int firmware_autoselect(VmDef *def, const char *machine_full, const char *dirs, char **ret_error) {
        _cleanup_strv_free_ char **files = NULL;
        VmOs *os = &def->os;
        const char *want = os->firmware;
        int r;

        if (!want || os->loader)
                return 0;
        r = qemu_descriptors_list(dirs, &files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files) {
                _cleanup_(json_object_putp) json_object *d = json_object_from_file(*f);
                json_object *ifaces, *features;
                const char *device, *exe, *tmpl, *mode;
                bool ok = true;

                if (!d || !json_object_object_get_ex(d, "interface-types", &ifaces) ||
                    !json_array_has(ifaces, streq(want, "efi") ? "uefi" : "bios"))
                        continue;
                if (!target_matches(d, "x86_64", machine_full))
                        continue;
                if (!json_object_object_get_ex(d, "features", &features))
                        features = NULL;
                for (unsigned i = 0; i < os->n_firmware_features; i++) {
                        const char *name = os->firmware_feature_names[i];
                        bool has = json_array_has(features, name);
                        if (has != os->firmware_feature_enabled[i])
                                ok = false;
                }
                /* <loader secure='yes'> asks for Secure Boot as well */
                if (os->loader_secure == VM_TRISTATE_ON && !json_array_has(features, "secure-boot"))
                        ok = false;
                if (os->loader_secure == VM_TRISTATE_OFF && json_array_has(features, "secure-boot"))
                        ok = false;
                device = json_path_str(d, "mapping", "device");
                if (!ok || !device)
                        continue;
                if (streq(device, "memory")) {
                        exe = json_path_str(d, "mapping", "filename");
                        if (!exe)
                                continue;
                        os->loader = vm_def_strdup(def, exe);
                        os->loader_type = (char *) "rom";
                } else if (streq(device, "flash")) {
                        json_object *m, *x;
                        mode = json_path_str(d, "mapping", "mode");
                        if (mode && !streq(mode, "split"))
                                continue;       /* combined/stateless images are not supported yet */
                        if (!json_object_object_get_ex(d, "mapping", &m) ||
                            !json_object_object_get_ex(m, "executable", &x))
                                continue;
                        exe = json_path_str(x, "filename", NULL);
                        tmpl = json_path_str(m, "nvram-template", "filename");
                        if (!exe || !tmpl)
                                continue;
                        os->loader = vm_def_strdup(def, exe);
                        os->loader_type = (char *) "pflash";
                        os->loader_readonly = VM_TRISTATE_ON;
                        if (!os->nvram_template)
                                os->nvram_template = vm_def_strdup(def, tmpl);
                        if (json_array_has(features, "secure-boot"))
                                os->loader_secure = VM_TRISTATE_ON;
                } else
                        continue;
                if (json_array_has(features, "requires-smm") && def->features.smm == VM_TRISTATE_ABSENT)
                        def->features.smm = VM_TRISTATE_ON;
                if (!os->loader || (os->nvram_template == NULL && streq(os->loader_type, "pflash")))
                        return -ENOMEM;
                return 0;
        }
        if (streq(want, "bios"))
                return 0;       /* QEMU's own SeaBIOS is the BIOS */
        if (ret_error)
                (void) asprintf(ret_error, "<os firmware='%s'>: no firmware descriptor in %s matches machine '%s' "
                                "and the requested features", want, dirs, machine_full);
        return -ENOENT;
}
