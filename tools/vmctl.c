/*
 * vmctl: the command-line client. This file parses the options, holds the verb table and the
 * pager; the verbs live by area beside it (vmctl-domain.c, vmctl-import.c), the bus plumbing in
 * vmctl-bus.c. Options may come before or after the verb ("vmctl list --all").
 * Exit codes: 0 ok, 1 failure, 2 usage, 3 no such domain, 4 access denied.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "vmctl-domain.h"
#include "vmctl-import.h"
#include "vmctl-vm.h"
#include "vmctl.h"

bool arg_json = false, arg_lax = false, arg_user = false, arg_quiet = false, arg_no_pager = false, arg_all = false,
     arg_inactive = false, arg_security_info = false, arg_disable = false, arg_no_block = false, arg_name = false,
     arg_hmp = false;
const char *arg_host = NULL;
uint64_t arg_timeout_usec = VMCTL_DEFAULT_TIMEOUT_USEC;
static char *arg_host_buf = NULL;

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;    /* after the verb */
        bool json;                      /* takes --json */
        int (*run)(int argc, char *argv[]);
        void (*help)(void);
        const char *usage;              /* for the overview */
} Verb;

static const Verb verbs[] = {
        { "list",               0, 0, true,  verb_list,              NULL, "list [--all] [--name]       List domains (running ones; --all: all defined)" },
        { "dominfo",            1, 1, true,  verb_dominfo,           NULL, "dominfo NAME                Show a domain's basic information" },
        { "domstate",           1, 1, true,  verb_domstate,          NULL, "domstate NAME               Show a domain's state" },
        { "start",              1, 1, false, verb_start,             NULL, "start NAME                  Start vm@NAME.service and wait for it" },
        { "define",             1, 1, false, verb_define,            NULL, "define FILE                 Define (or redefine) a domain from XML FILE" },
        { "undefine",           1, 1, false, verb_undefine,          NULL, "undefine NAME               Remove an inactive domain's definition" },
        { "dumpxml",            1, 1, false, verb_dumpxml,           NULL, "dumpxml [--inactive] NAME   Print a domain's XML" },
        { "edit",               1, 1, false, verb_edit,              NULL, "edit NAME                   Edit a domain's XML with $EDITOR" },
        { "autostart",          1, 1, false, verb_autostart,         NULL, "autostart [--disable] NAME  Start a domain at boot (or not)" },
        { "capabilities",       0, 0, false, verb_capabilities,      NULL, "capabilities                Print the host's capabilities XML" },
        { "shutdown",           1, 1, false, verb_control,           NULL, "shutdown NAME               Press the ACPI power button" },
        { "reboot",             1, 1, false, verb_control,           NULL, "reboot NAME                 Reboot (power button, then a reset)" },
        { "reset",              1, 1, false, verb_control,           NULL, "reset NAME                  Reset the machine at once" },
        { "destroy",            1, 1, false, verb_control,           NULL, "destroy NAME                Kill QEMU at once (the unit stops)" },
        { "suspend",            1, 1, false, verb_control,           NULL, "suspend NAME                Pause the vCPUs" },
        { "resume",             1, 1, false, verb_control,           NULL, "resume NAME                 Resume the vCPUs" },
        { "console",            1, 1, false, verb_console,           NULL, "console NAME                Attach to the serial console (^] leaves)" },
        { "qemu-monitor-command", 2, 64, false, verb_qemu_monitor_command, NULL,
                                                                           "qemu-monitor-command [--hmp] NAME CMD  QMP (or HMP) pass-through" },
        { "attach-device",      2, 2, false, verb_device,            NULL, "attach-device NAME FILE     Hot-plug the device in FILE" },
        { "detach-device",      2, 2, false, verb_device,            NULL, "detach-device NAME FILE     Hot-unplug the device in FILE" },
        { "domxml-to-native",   2, 2, true,  verb_domxml_to_native,  help_domxml_to_native,
                                                                           "domxml-to-native FMT FILE   Domain XML to a QEMU command line" },
        { "domxml-from-native", 2, 2, false, verb_domxml_from_native, help_domxml_from_native,
                                                                           "domxml-from-native FMT FILE QEMU command line to domain XML" },
};

static void help(void) {
        printf("vmctl [OPTIONS...] COMMAND ...\n\n"
               "Control QEMU/KVM virtual machines run as systemd units (vm@NAME.service).\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].usage);
        printf("\nOptions:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --user            Talk to the session instance (the user bus, ~/.config/vmunit)\n"
               "     --system          Talk to the system instance (the default)\n"
               "  -H --host=[USER@]HOST  Talk to the system instance of HOST over ssh\n"
               "  -c --connect=URI     qemu:///system, qemu:///session or qemu+ssh://[USER@]HOST/system\n"
               "     --json            Print JSON (list, dominfo, domstate, domxml-to-native)\n"
               "  -q --quiet           Print no headers and no confirmations\n"
               "     --no-pager        Do not pipe output into a pager\n"
               "     --timeout=SEC     Give up on a call after SEC seconds (default 25)\n"
               "     --all             list: also domains that are not running\n"
               "     --name            list: names only\n"
               "     --inactive        dumpxml: the persistent definition, also of a running domain\n"
               "     --security-info   dumpxml: include passwords\n"
               "     --hmp             qemu-monitor-command: a human monitor command, not QMP\n"
               "     --disable         autostart: do not start at boot\n"
               "     --no-block        start: do not wait until the domain runs\n"
               "     --lax             domxml-to-native: accept XML vmunit does not understand, with warnings\n\n"
               "Exit status: 0 ok, 1 failure, 2 usage, 3 no such domain, 4 access denied. See vmctl(1).\n");
}

/* ---- pager ---- */

static pid_t pager_pid = 0;

static void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        (void) close(STDOUT_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}

void vmctl_pager_open(void) {
        const char *pager;
        int fds[2];
        pid_t pid;

        if (pager_pid > 0 || arg_no_pager || !isatty(STDOUT_FILENO))
                return;
        pager = getenv("VMCTL_PAGER");
        if (!pager)
                pager = getenv("PAGER");
        if (!pager)
                pager = "less";
        if (!*pager || streq(pager, "cat"))
                return;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                (void) dup2(fds[0], STDIN_FILENO);
                /* as systemctl: quit at the end of a short text, keep colours, no init/deinit */
                (void) setenv("LESS", "FRSXMK", 0);
                execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        (void) dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        pager_pid = pid;
        (void) signal(SIGPIPE, SIG_IGN);
        atexit(pager_close);
}

/* ---- options ---- */

static int set_uri(const char *uri) {
        const char *reason = NULL;
        BusTransport t;
        char *host = NULL;
        int r;

        r = vmctl_parse_uri(uri, &t, &host, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                fprintf(stderr, "vmctl: unsupported URI '%s': %s\n", uri, reason);
                return -EINVAL;
        }
        free(arg_host_buf);
        arg_host_buf = host;
        arg_host = host;
        arg_user = t == BUS_TRANSPORT_USER;
        return 0;
}

static int parse_argv(int argc, char *argv[], bool *ret_help) {
        enum {
                ARG_VERSION = 0x100, ARG_JSON, ARG_LAX, ARG_USER, ARG_SYSTEM, ARG_NO_PAGER, ARG_TIMEOUT, ARG_ALL,
                ARG_INACTIVE, ARG_SECURITY_INFO, ARG_DISABLE, ARG_NO_BLOCK, ARG_NAME, ARG_HMP,
        };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h'               },
                { "version",       no_argument,       NULL, ARG_VERSION       },
                { "json",          no_argument,       NULL, ARG_JSON          },
                { "lax",           no_argument,       NULL, ARG_LAX           },
                { "user",          no_argument,       NULL, ARG_USER          },
                { "system",        no_argument,       NULL, ARG_SYSTEM        },
                { "host",          required_argument, NULL, 'H'               },
                { "connect",       required_argument, NULL, 'c'               },
                { "quiet",         no_argument,       NULL, 'q'               },
                { "no-pager",      no_argument,       NULL, ARG_NO_PAGER      },
                { "timeout",       required_argument, NULL, ARG_TIMEOUT       },
                { "all",           no_argument,       NULL, ARG_ALL           },
                { "name",          no_argument,       NULL, ARG_NAME          },
                { "inactive",      no_argument,       NULL, ARG_INACTIVE      },
                { "hmp",           no_argument,       NULL, ARG_HMP           },
                { "security-info", no_argument,       NULL, ARG_SECURITY_INFO },
                { "disable",       no_argument,       NULL, ARG_DISABLE       },
                { "no-block",      no_argument,       NULL, ARG_NO_BLOCK      },
                {}
        };
        bool user = false, system = false;
        int c;

        while ((c = getopt_long(argc, argv, "hH:c:q", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        *ret_help = true;
                        break;
                case ARG_VERSION:
                        puts("vmctl " VMUNIT_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_LAX:
                        arg_lax = true;
                        break;
                case ARG_USER:
                        user = true;
                        break;
                case ARG_SYSTEM:
                        system = true;
                        break;
                case 'H':
                        if (!*optarg || optarg[0] == '-') {
                                fprintf(stderr, "vmctl: invalid host '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_host = optarg;
                        break;
                case 'c':
                        if (set_uri(optarg) < 0)
                                return -EINVAL;
                        user = arg_user;
                        system = !arg_user && !arg_host;
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_NO_PAGER:
                        arg_no_pager = true;
                        break;
                case ARG_TIMEOUT: {
                        char *end;
                        double s;

                        errno = 0;
                        s = strtod(optarg, &end);
                        if (errno != 0 || end == optarg || *end || !(s > 0) || s > 86400) {
                                fprintf(stderr, "vmctl: invalid --timeout '%s' (seconds, more than 0)\n", optarg);
                                return -EINVAL;
                        }
                        arg_timeout_usec = (uint64_t) (s * 1e6);
                        break;
                }
                case ARG_ALL:
                        arg_all = true;
                        break;
                case ARG_NAME:
                        arg_name = true;
                        break;
                case ARG_INACTIVE:
                        arg_inactive = true;
                        break;
                case ARG_HMP:
                        arg_hmp = true;
                        break;
                case ARG_SECURITY_INFO:
                        arg_security_info = true;
                        break;
                case ARG_DISABLE:
                        arg_disable = true;
                        break;
                case ARG_NO_BLOCK:
                        arg_no_block = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (user && system) {
                fprintf(stderr, "vmctl: --user and --system (or their URIs) exclude each other\n");
                return -EINVAL;
        }
        if (user && arg_host) {
                fprintf(stderr, "vmctl: a remote host (-H, qemu+ssh://) has only a system instance here, not --user\n");
                return -EINVAL;
        }
        arg_user = user;
        return 1;
}

int main(int argc, char *argv[]) {
        const Verb *verb = NULL;
        bool want_help = false;
        unsigned n_args;
        int r;

        r = parse_argv(argc, argv, &want_help);
        if (r <= 0) {
                free(arg_host_buf);
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        }
        if (optind >= argc) {
                free(arg_host_buf);
                if (want_help) {
                        help();
                        return EXIT_SUCCESS;
                }
                fprintf(stderr, "vmctl: missing command (see --help)\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind]))
                        verb = &verbs[i];
        if (!verb) {
                fprintf(stderr, "vmctl: unknown command '%s' (see --help)\n", argv[optind]);
                r = EXIT_USAGE;
                goto out;
        }
        if (want_help) {
                if (verb->help)
                        verb->help();
                else
                        printf("vmctl %s\n\nSee vmctl --help and vmctl(1).\n", verb->usage);
                r = EXIT_SUCCESS;
                goto out;
        }
        n_args = (unsigned) (argc - optind - 1);
        if (n_args < verb->min_args || n_args > verb->max_args) {
                fprintf(stderr, "vmctl %s: expected %u argument%s, got %u (usage: vmctl %s)\n", verb->name,
                        verb->min_args, verb->min_args == 1 ? "" : "s", n_args, verb->usage);
                r = EXIT_USAGE;
                goto out;
        }
        if (arg_json && !verb->json) {
                fprintf(stderr, "vmctl %s: --json is not supported by this command\n", verb->name);
                r = EXIT_USAGE;
                goto out;
        }
        r = verb->run(argc - optind, argv + optind);
out:
        free(arg_host_buf);
        return r;
}
