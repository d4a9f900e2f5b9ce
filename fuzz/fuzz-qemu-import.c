/*
 * libFuzzer target for `vmctl domxml-from-native`: a QEMU command line (untrusted bytes) ->
 * VmDef -> domain XML -> vmunit's strict parser -> QEMU command line. Everything is freed on
 * every path, so LeakSanitizer reports leaks as crashes.
 *
 * Properties checked besides the sanitizers: a refused line comes with a message; an imported
 * line always gives XML (the writer never refuses what the importer made) that vmunit's own
 * strict parser accepts, which is what vmctl promises before printing it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domxml-write.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "qemu-import.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const QemuBuildOptions fuzz_build_options = {
        .runtime_dir = "/run/vmunit/f",
        .state_dir = "/var/lib/vmunit/f",
        .seccomp_sandbox = true,
        .tap_fd_base = 3,
};

_noreturn_ static void fuzz_fail(const char *what, const char *detail) {
        fprintf(stderr, "fuzz-qemu-import: property violated: %s: %s\n", what, detail ? detail : "(none)");
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(vm_def_freep) VmDef *def = NULL, *back = NULL;
        _cleanup_free_ char *error = NULL, *xml = NULL, *build_error = NULL;
        _cleanup_strv_free_ char **notes = NULL, **warnings = NULL;
        QemuCommand cmd = {};
        int r;

        r = qemu_import((const char *) data, size,
                        &(QemuImportOptions) { .default_uuid = "00000000-0000-0000-0000-000000000000",
                                               .base_dir = "/srv" },
                        &def, &notes, &error);
        if (r < 0) {
                if (!error && r != -ENOMEM)
                        fuzz_fail("qemu_import() failed without a message", NULL);
                return 0;
        }
        r = domxml_write(def, &xml, &error);
        if (r < 0)
                fuzz_fail("the imported definition cannot be written", error);
        r = domxml_parse_memory(xml, strlen(xml), "imported.xml", 0, &back, &error, &warnings);
        if (r < 0)
                fuzz_fail("the imported XML does not pass the strict parser", error);
        if (qemu_argv_build(back, &fuzz_build_options, &cmd, &build_error) >= 0)
                qemu_command_done(&cmd);
        return 0;
}
