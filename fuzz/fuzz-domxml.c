/*
 * libFuzzer target for the untrusted half of vmunit: domain XML -> VmDef (strict and lax) ->
 * QEMU command line. The input is the XML document as is. Everything allocated is freed on
 * every path, so LeakSanitizer reports any leak in lib/ as a crash.
 *
 * Besides the sanitizers, one property is checked: a document the strict parser accepts is
 * accepted by the lax parser too, without warnings (lax only downgrades errors), and builds
 * to the same number of arguments (not the same text: a variable clock's base= is now()).
 */
#include <libxml/xmlerror.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "strv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed, like the golden tests: the paths only end up in the argv, nothing is touched. */
static const QemuBuildOptions fuzz_build_options = {
        .runtime_dir = "/run/vmunit/f",
        .state_dir = "/var/lib/vmunit/f",
        .seccomp_sandbox = true,
        .tap_fd_base = 3,
};

_noreturn_ static void fuzz_fail(const char *what) {
        fprintf(stderr, "fuzz-domxml: property violated: %s\n", what);
        abort();
}

/* Parses with @flags and, when that succeeds, builds. Returns the parse result; on success
 * *@ret_argc is the argument count (or -1 if the build refused) and *@ret_n_warnings the
 * number of warnings. */
static int parse_and_build(const uint8_t *data, size_t size, DomxmlFlags flags, ssize_t *ret_argc,
                           size_t *ret_n_warnings) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL, *build_error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        QemuCommand cmd = {};
        int r;

        r = domxml_parse_memory((const char *) data, size, "fuzz.xml", flags, &def, &error, &warnings);
        if (r < 0)
                return r;
        if (!def)
                fuzz_fail("domxml_parse_memory() succeeded without a definition");

        r = qemu_argv_build(def, &fuzz_build_options, &cmd, &build_error);
        if (r >= 0) {
                if (!cmd.argv || !cmd.argv[0])
                        fuzz_fail("qemu_argv_build() succeeded with an empty argv");
                /* what vmctl does with every argument: exercise the quoting too */
                STRV_FOREACH(a, cmd.argv) {
                        _cleanup_free_ char *q = shell_quote(*a);
                        if (!q)
                                fuzz_fail("shell_quote() failed");
                }
                *ret_argc = (ssize_t) strv_length(cmd.argv);
        } else
                *ret_argc = -1;
        qemu_command_done(&cmd);

        *ret_n_warnings = strv_length(warnings);
        return 0;
}

static void xml_error_discard(void *ctx, const char *fmt, ...) {
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* XML_PARSE_NOERROR does not reach libxml2's encoding layer, which reports undecodable
         * input through the global generic handler, i.e. to stderr: many lines per input here. */
        xmlSetGenericErrorFunc(NULL, xml_error_discard);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ssize_t argc_strict = -1, argc_lax = -1;
        size_t n_warnings_strict = 0, n_warnings_lax = 0;
        int r_strict, r_lax;

        /* the parser refuses more than DOMXML_MAX_SIZE anyway; -max_len keeps inputs far below */
        r_strict = parse_and_build(data, size, /* flags= */ 0, &argc_strict, &n_warnings_strict);
        r_lax = parse_and_build(data, size, DOMXML_LAX, &argc_lax, &n_warnings_lax);

        if (r_strict >= 0) {
                if (r_lax < 0)
                        fuzz_fail("strict parse accepted a document that lax parse refused");
                /* strict mode warns too (accepted elements QEMU has no use for): lax may add nothing */
                if (n_warnings_lax != n_warnings_strict)
                        fuzz_fail("lax parse warned more about a document than strict parse did");
                if (argc_strict != argc_lax)
                        fuzz_fail("strict and lax builds of one document differ in argument count");
        }
        return 0;
}
