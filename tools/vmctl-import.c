/*
 * vmctl domxml-from-native qemu-argv FILE: a QEMU command line (as a shell would run it) to domain
 * XML. The library does the work (lib/native.c: import, a fresh UUID when the line has none, the XML
 * writer, and a check with vmunit's own strict parser, so that what is printed is always something
 * `vmctl domxml-to-native` and the supervisor accept); this file reads the input and prints the
 * library's notes on stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "native.h"
#include "shell-words.h"
#include "strv.h"
#include "vmctl-import.h"

#define EXIT_USAGE 2

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
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0, cap = 0;

        fd = streq(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t k;

                if (len == cap) {
                        char *n;
                        if (cap > SHELL_WORDS_MAX_INPUT)
                                return -E2BIG;
                        cap = cap ? cap * 2 : 65536;
                        n = realloc(buf, cap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (!buf && !(buf = strdup("")))
                return -ENOMEM;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
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
