/*
 * vmunit-supervisor NAME: the main process of vm@NAME.service. Argument parsing, vmunit.conf, and
 * the run() skeleton only; the VM's life cycle is vm.c.
 *
 * Settings come from /etc/vmunit/vmunit.conf (lib/config.c). The few command-line options and
 * environment variables that also set them (--user, --shutdown-timeout) exist for tests and for
 * per-VM drop-ins; they take precedence over the file.
 *
 * --session makes this the session instance (the user unit vm@.service of a user's own manager):
 * its paths are the user's (lib/instance-paths.h), its bus the user bus, and nothing needs a
 * privilege (config_init_session()).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "instance-paths.h"
#include "log.h"
#include "unit-name.h"
#include "vm.h"

static bool arg_session = false;
static const char *arg_config = NULL;                   /* NULL: the instance's (lib/instance-paths.h) */
static const char *arg_domain_dir = NULL;
static const char *arg_runtime_dir = NULL;
static const char *arg_state_dir = NULL;
static const char *arg_user = NULL;                     /* NULL: vmunit.conf's */
static uint64_t arg_shutdown_timeout_usec = UINT64_MAX; /* UINT64_MAX: vmunit.conf's */
static bool arg_start_paused = false;
static bool arg_stop_post = false;
static int arg_release = -1;                            /* --release: the exit status to end with */
static const char *arg_hotplug = NULL;                  /* --hotplug=attach|detach|restore */
static const char *arg_name = NULL;
static char *arg_name_unescaped = NULL;

static void help(void) {
        printf("vmunit-supervisor [OPTIONS...] NAME\n\n"
               "Run the virtual machine NAME as the main process of vm@NAME.service: start QEMU\n"
               "confined in the scope machine-NAME.scope, report readiness, stop it gracefully on SIGTERM.\n\n"
               "  -h --help                  Show this help\n"
               "     --session               The session instance, under the user's systemd manager:\n"
               "                             the directories below are the user's, no privilege used\n"
               "     --config=FILE           Settings (default " VMUNIT_CONFIG_PATH ", --session\n"
               "                             $XDG_CONFIG_HOME/vmunit/vmunit.conf; a missing file\n"
               "                             means the defaults, see vmunit.conf(5))\n"
               "     --domain-dir=DIR        Domain definitions (default " VMUNIT_DOMAIN_DIR ",\n"
               "                             --session $XDG_CONFIG_HOME/vmunit/domains;\n"
               "                             env VMUNIT_DOMAIN_DIR)\n"
               "     --runtime-dir=DIR       Runtime root (default " VMUNIT_RUNTIME_ROOT ",\n"
               "                             --session $XDG_RUNTIME_DIR/vmunit)\n"
               "     --state-dir=DIR         Persistent state root (default " VMUNIT_STATE_ROOT ",\n"
               "                             --session $XDG_DATA_HOME/vmunit)\n"
               "     --user=USER             User QEMU runs as, over vmunit.conf's user=\n"
               "                             (env VMUNIT_QEMU_USER)\n"
               "     --shutdown-timeout=SEC  ACPI powerdown grace time before quit, over vmunit.conf's\n"
               "                             shutdown_timeout= (env VMUNIT_SHUTDOWN_TIMEOUT)\n"
               "     --paused                Leave the vCPUs stopped after start\n"
               "     --stop-post             Run as ExecStopPost=: finish a stop the supervisor could not\n"
               "     --release --exit-status=N\n"
               "                             End of a VM's life (vmunit-supervisor-steady runs it): stop\n"
               "                             the scope, remove the runtime dir, exit with N\n"
               "     --hotplug=attach|detach|restore\n"
               "                             For the running VM's AttachDevice/DetachDevice\n"
               "                             (vmunit-supervisor-steady runs it): plan the device\n"
               "                             XML on stdin, print the QMP commands as JSON\n\n"
               "Exit status: 0 VM stopped or powered off, 1 set-up failed, 2 QEMU was killed,\n"
               "3 QEMU failed, 4 guest crashed, 75 restart wanted (<on_crash>restart</on_crash>).\n");
}

static int parse_timeout(const char *s, uint64_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > CONFIG_SHUTDOWN_TIMEOUT_MAX_SEC)
                return -EINVAL;
        *ret = (uint64_t) v * 1000000ULL;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_SESSION = 0x100, ARG_CONFIG, ARG_DOMAIN_DIR, ARG_RUNTIME_DIR, ARG_STATE_DIR, ARG_USER, ARG_SHUTDOWN_TIMEOUT, ARG_PAUSED,
               ARG_STOP_POST, ARG_RELEASE, ARG_EXIT_STATUS, ARG_HOTPLUG };
        static const struct option options[] = {
                { "help",             no_argument,       NULL, 'h'                  },
                { "session",          no_argument,       NULL, ARG_SESSION          },
                { "config",           required_argument, NULL, ARG_CONFIG           },
                { "domain-dir",       required_argument, NULL, ARG_DOMAIN_DIR       },
                { "runtime-dir",      required_argument, NULL, ARG_RUNTIME_DIR      },
                { "state-dir",        required_argument, NULL, ARG_STATE_DIR        },
                { "user",             required_argument, NULL, ARG_USER             },
                { "shutdown-timeout", required_argument, NULL, ARG_SHUTDOWN_TIMEOUT },
                { "paused",           no_argument,       NULL, ARG_PAUSED           },
                { "stop-post",        no_argument,       NULL, ARG_STOP_POST        },
                { "release",          no_argument,       NULL, ARG_RELEASE          },
                { "exit-status",      required_argument, NULL, ARG_EXIT_STATUS      },
                { "hotplug",          required_argument, NULL, ARG_HOTPLUG          },
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
                case ARG_SESSION:
                        arg_session = true;
                        break;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
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
                case ARG_RELEASE:
                        if (arg_release < 0)
                                arg_release = 0;
                        break;
                case ARG_HOTPLUG:
                        arg_hotplug = optarg;
                        break;
                case ARG_EXIT_STATUS: {
                        char *end;
                        long l = strtol(optarg, &end, 10);
                        if (end == optarg || *end || l < 0 || l > 255)
                                return log_error_errno(-EINVAL, "Invalid --exit-status='%s'.", optarg);
                        arg_release = (int) l;
                        break;
                }
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind + 1 != argc)
                return log_error_errno(-EINVAL, "Expected exactly one argument, the VM name.");
        arg_name = argv[optind];
        /* vm@.service passes its instance (%i), where a VM name's bytes that a unit name cannot hold
         * are \xHH (lib/unit-name.h). --release is given the name itself, by the steady supervisor. */
        if (arg_release < 0 && !arg_hotplug && strchr(arg_name, '\\')) {
                int r = vm_unit_instance_unescape(arg_name, &arg_name_unescaped);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Out of memory.");
                if (r < 0)
                        return log_error_errno(r, "Invalid VM name or unit instance '%s'.", arg_name);
                arg_name = arg_name_unescaped;
        }
        return 1;
}

/* vmunit.conf, then the overrides. A missing file means the defaults. */
static int load_config(VmunitConfig *conf) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = config_load(conf, arg_config, &error);
        if (r == -ENOENT)
                log_debug("No '%s', using the defaults.", arg_config);
        else if (r < 0 && error)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "%s", error);
        else if (r < 0)
                return log_full_errno(LOG_ERR, r, VMUNIT_MESSAGE_VM_CONFIG, "Failed to read '%s': %m", arg_config);

        if (arg_user) {
                char *u = strdup(arg_user);
                if (!u)
                        return log_error_errno(-ENOMEM, "Out of memory.");
                free(conf->user);
                conf->user = u;
        }
        if (arg_shutdown_timeout_usec != UINT64_MAX)
                conf->shutdown_timeout_usec = arg_shutdown_timeout_usec;
        return 0;
}

/* The instance's directories, where no option gave one. */
static int resolve_paths(InstancePaths *paths) {
        int r;

        r = instance_paths_init(paths, arg_session);
        if (r == -ENXIO)
                return log_error_errno(r, "The session instance needs $HOME (or $XDG_CONFIG_HOME and $XDG_DATA_HOME).");
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        arg_config = arg_config ?: paths->config_file;
        arg_domain_dir = arg_domain_dir ?: paths->domain_dir;
        arg_runtime_dir = arg_runtime_dir ?: paths->runtime_root;
        arg_state_dir = arg_state_dir ?: paths->state_root;
        if (!arg_runtime_dir)
                return log_error_errno(-ENXIO, "The session instance needs $XDG_RUNTIME_DIR (the user's systemd sets it).");
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(instance_paths_done) InstancePaths paths = {};
        _cleanup_(vm_freep) Vm *vm = NULL;
        _cleanup_(config_done) VmunitConfig conf = {};
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        log_set_vm(arg_name, NULL);

        r = resolve_paths(&paths);
        if (r < 0)
                return r;
        r = arg_session ? config_init_session(&conf) : config_init(&conf);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        /* ExecStopPost= and --release must clean up even when the file has become unreadable
         * meanwhile. */
        if (!arg_stop_post && arg_release < 0) {
                r = load_config(&conf);
                if (r < 0)
                        return r;
        }

        VmConfig cfg = {
                .name = arg_name,
                .domain_dir = arg_domain_dir,
                .runtime_root = arg_runtime_dir,
                .state_root = arg_state_dir,
                .conf = &conf,
                .conf_path = arg_config,
                .start_paused = arg_start_paused,
                .session = arg_session,
        };
        r = vm_new(&cfg, &vm);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");

        if (arg_stop_post)
                return vm_stop_post(vm);
        if (arg_release >= 0)
                return vm_release_final(vm, arg_release);
        if (arg_hotplug)
                return vm_hotplug(vm, arg_hotplug);

        /* Logs its own errors; on success this process becomes vmunit-supervisor-steady. */
        return vm_start(vm);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        free(arg_name_unescaped);
        return r < 0 ? VMUNIT_EXIT_SETUP : r;
}
