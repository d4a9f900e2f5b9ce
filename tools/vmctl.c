/*
 * vmctl: the command-line client. This file holds argument parsing and the offline verbs
 * (domxml-to-native); verbs that talk to the bus live beside it as they are added.
 * Exit codes: 0 ok, 1 failure, 2 usage, 3 no such domain, 4 access denied.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "capabilities.h"
#include "cleanup.h"
#include "config.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "strv.h"
#include "vmctl-import.h"

#define EXIT_USAGE 2

static bool arg_json = false;
static bool arg_lax = false;
static bool arg_user = false;

static void help(void) {
        printf("vmctl [OPTIONS...] COMMAND ...\n\n"
               "Control QEMU/KVM virtual machines run as systemd units (vm@NAME.service).\n\n"
               "Commands:\n"
               "  domxml-to-native FORMAT FILE   Print the QEMU command line for domain XML FILE\n"
               "                                 (FORMAT is qemu-argv; FILE may be '-' for stdin)\n"
               "  domxml-from-native FORMAT FILE Print domain XML for the QEMU command line in FILE\n"
               "  capabilities                   Print the host's capabilities XML (emulators, KVM,\n"
               "                                 security models)\n\n"
               "Options:\n"
               "  -h --help          Show this help\n"
               "     --version       Show the version\n"
               "     --json          Print machine-readable JSON\n"
               "     --lax           Accept XML vmunit does not understand, with warnings\n"
               "     --user          Use the per-user (session) instance's paths\n\n"
               "See vmctl(1).\n");
}

static void help_domxml_to_native(void) {
        printf("vmctl domxml-to-native qemu-argv FILE\n\n"
               "Translate libvirt-compatible domain XML into the QEMU command line that vmunit-supervisor\n"
               "would run: environment assignments, the emulator and its arguments, on one line, quoted so\n"
               "that it can be pasted into a shell. FILE may be '-' to read standard input.\n\n"
               "  --json   print {\"env\": {...}, \"argv\": [...]} instead\n"
               "  --lax    warn about, instead of refusing, XML vmunit does not understand\n"
               "  --user   use the session instance's runtime paths\n\n"
               "Errors name the file, line and element, go to standard error, and exit with status 1.\n");
}

static void help_capabilities(void) {
        printf("vmctl capabilities\n\n"
               "Print the host's capabilities as libvirt-compatible XML: the host's CPU, whether KVM is usable,\n"
               "one <secmodel> per security driver vmunit.conf makes active, and one <guest> per QEMU emulator\n"
               "found in /usr/bin, /usr/local/bin and /usr/libexec. What was found but is not usable (other\n"
               "architectures, xenner, drivers the host does not run) is told in XML comments.\n\n"
               "  --user   QEMU runs as the calling user; " VMUNIT_CONFIG_PATH " is not read\n");
}

static int print_command(const QemuCommand *cmd) {
        if (arg_json) {
                json_object *o = json_object_new_object(), *env = json_object_new_object(),
                            *argv = json_object_new_array();
                if (!o || !env || !argv) {
                        json_object_put(o);
                        json_object_put(env);
                        json_object_put(argv);
                        return -ENOMEM;
                }
                STRV_FOREACH(e, cmd->env) {
                        const char *eq = strchr(*e, '=');
                        _cleanup_free_ char *k = strndup(*e, (size_t) (eq - *e));
                        if (!k)
                                return -ENOMEM;
                        json_object_object_add(env, k, json_object_new_string(eq + 1));
                }
                STRV_FOREACH(a, cmd->argv)
                        json_object_array_add(argv, json_object_new_string(*a));
                json_object_object_add(o, "env", env);
                json_object_object_add(o, "argv", argv);
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
                return 0;
        }
        bool first = true;
        STRV_FOREACH(e, cmd->env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *v = shell_quote(eq + 1);
                if (!v)
                        return -ENOMEM;
                printf("%s%.*s=%s", first ? "" : " ", (int) (eq - *e), *e, v);
                first = false;
        }
        STRV_FOREACH(a, cmd->argv) {
                _cleanup_free_ char *q = shell_quote(*a);
                if (!q)
                        return -ENOMEM;
                printf("%s%s", first ? "" : " ", q);
                first = false;
        }
        putchar('\n');
        return 0;
}

static int verb_domxml_to_native(int argc, char *argv[]) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL, *buf = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        QemuBuildOptions opts;
        QemuCommand cmd = {};
        int r;

        if (argc != 3) {
                fprintf(stderr, "vmctl domxml-to-native: expected FORMAT and FILE (see --help)\n");
                return EXIT_USAGE;
        }
        if (!streq(argv[1], "qemu-argv")) {
                fprintf(stderr, "vmctl domxml-to-native: unsupported format '%s' (only 'qemu-argv')\n", argv[1]);
                return EXIT_USAGE;
        }
        r = domxml_parse_file(argv[2], arg_lax ? DOMXML_LAX : 0, &def, &error, &warnings);
        STRV_FOREACH(w, warnings)
                fprintf(stderr, "warning: %s\n", *w);
        if (r < 0) {
                if (error)
                        fprintf(stderr, "%s\n", error);
                else
                        fprintf(stderr, "%s: %s\n", argv[2], strerror(-r));
                return EXIT_FAILURE;
        }

        if (arg_user) {
                const char *rt = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
                size_t l = strlen(strempty(rt)) + strlen(strempty(home)) + 2 * strlen(def->name) + 64;
                buf = malloc(l);
                if (!buf || !rt || !home) {
                        fprintf(stderr, "vmctl: --user needs XDG_RUNTIME_DIR and HOME\n");
                        return EXIT_FAILURE;
                }
                int k = snprintf(buf, l, "%s/vmunit/%s", rt, def->name);
                snprintf(buf + k + 1, l - (size_t) k - 1, "%s/.local/share/vmunit/%s", home, def->name);
                opts = (QemuBuildOptions) { .runtime_dir = buf, .state_dir = buf + k + 1, .seccomp_sandbox = true,
                                            .tap_fd_base = 3 };
        } else {
                size_t l = 2 * strlen(def->name) + 64;
                buf = malloc(l);
                if (!buf)
                        return EXIT_FAILURE;
                qemu_build_options_default(&opts, def->name, buf, l);
        }

        r = qemu_argv_build(def, &opts, &cmd, &error);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", argv[2], error ?: strerror(-r));
                return EXIT_FAILURE;
        }
        r = print_command(&cmd);
        qemu_command_done(&cmd);
        if (r < 0) {
                fprintf(stderr, "vmctl: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int verb_capabilities(int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL, *xml = NULL;
        VmunitConfig conf;
        HostCaps caps;
        int r;

        if (argc != 1 || arg_json) {
                fprintf(stderr, "vmctl capabilities: takes no arguments and prints XML only (see --help)\n");
                return EXIT_USAGE;
        }
        r = config_init(&conf);
        if (r < 0) {
                fprintf(stderr, "vmctl: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        if (arg_user) {
                /* the session instance: QEMU runs as the user, no host-wide settings apply */
                free(conf.user);
                r = asprintf(&conf.user, "+%u", (unsigned) getuid());
                if (r >= 0)
                        r = asprintf(&conf.group, "+%u", (unsigned) getgid());
                r = r < 0 ? -ENOMEM : 0;
        } else {
                r = config_load(&conf, VMUNIT_CONFIG_PATH, &error);
                if (r == -ENOENT) {     /* no file: the defaults */
                        error = mfree(error);
                        config_done(&conf);
                        r = config_init(&conf);
                }
        }
        if (r >= 0)
                r = host_caps_probe(/* roots= */ NULL, &conf, &caps);
        config_done(&conf);
        if (r < 0) {
                if (error)
                        fprintf(stderr, "%s\n", error);
                else
                        fprintf(stderr, "vmctl capabilities: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        r = host_caps_format_xml(&caps, &xml, &error);
        host_caps_done(&caps);
        if (r < 0) {
                fprintf(stderr, "vmctl capabilities: %s\n", error ?: strerror(-r));
                return EXIT_FAILURE;
        }
        fputs(xml, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_LAX, ARG_USER };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "lax", no_argument, NULL, ARG_LAX },
                { "user", no_argument, NULL, ARG_USER },
                {}
        };
        bool want_help = false;
        int c;

        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        want_help = true;
                        break;
                case ARG_VERSION:
                        puts("vmctl " VMUNIT_VERSION);
                        return EXIT_SUCCESS;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_LAX:
                        arg_lax = true;
                        break;
                case ARG_USER:
                        arg_user = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        /* options may also follow the verb: "vmctl domxml-to-native --json qemu-argv x.xml" */
        if (optind >= argc) {
                if (want_help) {
                        help();
                        return EXIT_SUCCESS;
                }
                fprintf(stderr, "vmctl: missing command (see --help)\n");
                return EXIT_USAGE;
        }
        {
                char **rest = argv + optind;
                int n = argc - optind, k = 1;
                for (int i = 1; i < n; i++) {
                        if (streq(rest[i], "--json"))
                                arg_json = true;
                        else if (streq(rest[i], "--lax"))
                                arg_lax = true;
                        else if (streq(rest[i], "--user"))
                                arg_user = true;
                        else if (streq(rest[i], "--help") || streq(rest[i], "-h"))
                                want_help = true;
                        else
                                rest[k++] = rest[i];
                }
                if (streq(rest[0], "domxml-to-native")) {
                        if (want_help) {
                                help_domxml_to_native();
                                return EXIT_SUCCESS;
                        }
                        return verb_domxml_to_native(k, rest);
                } else if (streq(rest[0], "domxml-from-native")) {
                        if (want_help) {
                                help_domxml_from_native();
                                return EXIT_SUCCESS;
                        }
                        return verb_domxml_from_native(k, rest);
                } else if (streq(rest[0], "capabilities")) {
                        if (want_help) {
                                help_capabilities();
                                return EXIT_SUCCESS;
                        }
                        return verb_capabilities(k, rest);
                }
                if (want_help) {
                        help();
                        return EXIT_SUCCESS;
                }
                fprintf(stderr, "vmctl: unknown command '%s' (see --help)\n", rest[0]);
                return EXIT_USAGE;
        }
}
