/*
 * vmctl's offline conversions, done here rather than by the manager (relative paths mean the
 * caller's directory, --user the caller's runtime paths):
 * vmctl domxml-to-native qemu-argv FILE: domain XML to the command line the supervisor would run.
 * vmctl domxml-from-native qemu-argv FILE: a QEMU command line (as a shell would run it) to domain
 * XML. The library does the work (lib/native.c: import, a fresh UUID when the line has none, the XML
 * writer, and a check with vmunit's own strict parser, so that what is printed is always something
 * `vmctl domxml-to-native` and the supervisor accept); this file reads the input and prints the
 * library's notes on stderr.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "native.h"
#include "shell-words.h"
#include "strv.h"
#include "vmctl-import.h"
#include "vmctl.h"

void help_domxml_from_native(void) {
        printf("vmctl domxml-from-native qemu-argv FILE\n\n"
               "Turn a QEMU command line into libvirt-compatible domain XML, to move a VM started by hand or by\n"
               "a script under vmunit. FILE holds one line as a shell would run it: environment assignments,\n"
               "the QEMU binary, its arguments (quotes and backslashes as in a POSIX shell); '-' reads standard\n"
               "input. The XML goes to standard output.\n\n"
               "Options with no domain XML equivalent are kept as <qemu:commandline> pass-through, unknown\n"
               "environment as <qemu:env>; each is named in a warning on standard error. Options vmunit manages\n"
               "itself (monitors, -S, -daemonize, -pidfile, ...) are dropped with a note. Without -uuid a new\n"
               "random UUID is made. Errors go to standard error with exit status 1.\n");
}

static int read_input(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = streq(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_fd_full(fd, SHELL_WORDS_MAX_INPUT, ret, ret_len);
        return r == -EFBIG ? -E2BIG : r;
}

int verb_domxml_from_native(int argc, char *argv[]) {
        _cleanup_free_ char *input = NULL, *error = NULL, *xml = NULL, *cwd = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        const char *name;
        size_t len = 0;
        int r;

        if (argc != 3) {
                fprintf(stderr, "vmctl domxml-from-native: expected FORMAT and FILE (see --help)\n");
                return EXIT_USAGE;
        }
        if (!streq(argv[1], NATIVE_FORMAT_QEMU_ARGV)) {
                fprintf(stderr, "vmctl domxml-from-native: unsupported format '%s' (only 'qemu-argv')\n", argv[1]);
                return EXIT_USAGE;
        }
        name = streq(argv[2], "-") ? "<stdin>" : argv[2];
        r = read_input(argv[2], &input, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", name, r == -E2BIG ? "larger than 16 MiB, not a command line" : strerror(-r));
                return EXIT_FAILURE;
        }

        /* relative paths on the line meant the directory it was run in; the best guess is ours */
        cwd = getcwd(NULL, 0);
        r = native_to_domxml(input, len, cwd, &xml, &notes, &error);
        STRV_FOREACH(n, notes)
                fprintf(stderr, "%s: %s\n", name, *n);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", name, error ?: strerror(-r));
                return EXIT_FAILURE;
        }
        fputs(xml, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void help_domxml_to_native(void) {
        printf("vmctl domxml-to-native qemu-argv FILE\n\n"
               "Translate libvirt-compatible domain XML into the QEMU command line that vmunit-supervisor\n"
               "would run: environment assignments, the emulator and its arguments, on one line, quoted so\n"
               "that it can be pasted into a shell. FILE may be '-' to read standard input.\n\n"
               "  --json   print {\"env\": {...}, \"argv\": [...]} instead\n"
               "  --lax    warn about, instead of refusing, XML vmunit does not understand\n"
               "  --user   use the session instance's runtime paths\n\n"
               "Errors name the file, line and element, go to standard error, and exit with status 1.\n");
}

static int print_command_json(const QemuCommand *cmd) {
        json_object *o = json_object_new_object(), *env = json_object_new_object(), *argv = json_object_new_array();
        int r = 0;

        if (!o || !env || !argv) {
                json_object_put(o);
                json_object_put(env);
                json_object_put(argv);
                return -ENOMEM;
        }
        json_object_object_add(o, "env", env);
        json_object_object_add(o, "argv", argv);
        STRV_FOREACH(e, cmd->env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *k = strndup(*e, (size_t) (eq - *e));
                if (!k) {
                        r = -ENOMEM;
                        break;
                }
                json_object_object_add(env, k, json_object_new_string(eq + 1));
        }
        STRV_FOREACH(a, cmd->argv)
                json_object_array_add(argv, json_object_new_string(*a));
        if (r >= 0)
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return r;
}

int verb_domxml_to_native(int argc, char *argv[]) {
        _cleanup_free_ char *input = NULL, *error = NULL, *line = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        const char *name;
        QemuCommand cmd = {};
        size_t len = 0;
        int r;

        if (argc != 3) {
                fprintf(stderr, "vmctl domxml-to-native: expected FORMAT and FILE (see --help)\n");
                return EXIT_USAGE;
        }
        if (!streq(argv[1], NATIVE_FORMAT_QEMU_ARGV)) {
                fprintf(stderr, "vmctl domxml-to-native: unsupported format '%s' (only 'qemu-argv')\n", argv[1]);
                return EXIT_USAGE;
        }
        name = streq(argv[2], "-") ? "<stdin>" : argv[2];
        r = read_input(argv[2], &input, &len);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", name, r == -E2BIG ? "too large for domain XML" : strerror(-r));
                return EXIT_FAILURE;
        }
        r = native_from_domxml(input, len, name, arg_lax ? DOMXML_LAX : 0, arg_user, &cmd, &error, &warnings);
        STRV_FOREACH(w, warnings)
                fprintf(stderr, "warning: %s\n", *w);
        if (r == -ENXIO) {
                fprintf(stderr, "vmctl: --user needs XDG_RUNTIME_DIR and HOME\n");
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", error ?: strerror(-r));
                qemu_command_done(&cmd);
                return EXIT_FAILURE;
        }
        if (arg_json)
                r = print_command_json(&cmd);
        else {
                r = native_command_line(&cmd, &line);
                if (r >= 0)
                        puts(line);
        }
        qemu_command_done(&cmd);
        if (r < 0) {
                fprintf(stderr, "vmctl: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
