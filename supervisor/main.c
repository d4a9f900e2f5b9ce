/*
 * vmunit-supervisor NAME: the main process of vm@NAME.service. Argument parsing and the
 * run() skeleton only; the VM's life cycle is vm.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "vm.h"

#define DEFAULT_SHUTDOWN_TIMEOUT_SEC 60U

static const char *arg_domain_dir = "/etc/vmunit/domains";
static const char *arg_runtime_dir = "/run/vmunit";
static const char *arg_state_dir = "/var/lib/vmunit";
static const char *arg_user = "vmunit-qemu";
static uint64_t arg_shutdown_timeout_usec = DEFAULT_SHUTDOWN_TIMEOUT_SEC * 1000000ULL;
static bool arg_start_paused = false;
static bool arg_stop_post = false;
static const char *arg_name = NULL;

static void help(void) {
        printf("vmunit-supervisor [OPTIONS...] NAME\n\n"
               "Run the virtual machine NAME as the main process of vm@NAME.service: start QEMU\n"
               "confined in the scope machine-NAME.scope, report readiness, stop it gracefully on SIGTERM.\n\n"
               "  -h --help                  Show this help\n"
               "     --domain-dir=DIR        Domain definitions (default /etc/vmunit/domains;\n"
               "                             env VMUNIT_DOMAIN_DIR)\n"
               "     --runtime-dir=DIR       Runtime root (default /run/vmunit)\n"
               "     --state-dir=DIR         Persistent state root (default /var/lib/vmunit)\n"
               "     --user=USER             User QEMU runs as (default vmunit-qemu; env VMUNIT_QEMU_USER)\n"
               "     --shutdown-timeout=SEC  ACPI powerdown grace time before quit (default %u;\n"
               "                             env VMUNIT_SHUTDOWN_TIMEOUT)\n"
               "     --paused                Leave the vCPUs stopped after start\n"
               "     --stop-post             Run as ExecStopPost=: finish a stop the supervisor could not\n\n"
               "Exit status: 0 VM stopped or powered off, 1 set-up failed, 2 QEMU was killed,\n"
               "3 QEMU failed, 4 guest crashed, 75 restart wanted (<on_crash>restart</on_crash>).\n",
               DEFAULT_SHUTDOWN_TIMEOUT_SEC);
}

static int parse_timeout(const char *s, uint64_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 24UL * 3600UL)
                return -EINVAL;
        *ret = (uint64_t) v * 1000000ULL;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_DOMAIN_DIR = 0x100, ARG_RUNTIME_DIR, ARG_STATE_DIR, ARG_USER, ARG_SHUTDOWN_TIMEOUT, ARG_PAUSED,
               ARG_STOP_POST };
        static const struct option options[] = {
                { "help",             no_argument,       NULL, 'h'                  },
                { "domain-dir",       required_argument, NULL, ARG_DOMAIN_DIR       },
                { "runtime-dir",      required_argument, NULL, ARG_RUNTIME_DIR      },
                { "state-dir",        required_argument, NULL, ARG_STATE_DIR        },
                { "user",             required_argument, NULL, ARG_USER             },
                { "shutdown-timeout", required_argument, NULL, ARG_SHUTDOWN_TIMEOUT },
                { "paused",           no_argument,       NULL, ARG_PAUSED           },
                { "stop-post",        no_argument,       NULL, ARG_STOP_POST        },
                {}
        };
        const char *e;
        int c;

        if ((e = getenv("VMUNIT_DOMAIN_DIR")) && *e)
                arg_domain_dir = e;
        if ((e = getenv("VMUNIT_QEMU_USER")) && *e)
                arg_user = e;
        if ((e = getenv("VMUNIT_SHUTDOWN_TIMEOUT")) && *e && parse_timeout(e, &arg_shutdown_timeout_usec) < 0)
                return log_error_errno(-EINVAL, "Invalid VMUNIT_SHUTDOWN_TIMEOUT='%s'.", e);

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_DOMAIN_DIR:
                        arg_domain_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        arg_runtime_dir = optarg;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_SHUTDOWN_TIMEOUT:
                        if (parse_timeout(optarg, &arg_shutdown_timeout_usec) < 0)
                                return log_error_errno(-EINVAL, "Invalid --shutdown-timeout='%s'.", optarg);
                        break;
                case ARG_PAUSED:
                        arg_start_paused = true;
                        break;
                case ARG_STOP_POST:
                        arg_stop_post = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind + 1 != argc)
                return log_error_errno(-EINVAL, "Expected exactly one argument, the VM name.");
        arg_name = argv[optind];
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(vm_freep) Vm *vm = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        log_set_vm(arg_name, NULL);

        VmConfig cfg = {
                .name = arg_name,
                .domain_dir = arg_domain_dir,
                .runtime_root = arg_runtime_dir,
                .state_root = arg_state_dir,
                .user = arg_user,
                .shutdown_timeout_usec = arg_shutdown_timeout_usec,
                .start_paused = arg_start_paused,
        };
        r = vm_new(&cfg, &vm);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");

        if (arg_stop_post)
                return vm_stop_post(vm);

        r = vm_start(vm);               /* logs its own errors */
        if (r < 0)
                return r;
        return vm_run(vm);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? VMUNIT_EXIT_SETUP : r;
}
