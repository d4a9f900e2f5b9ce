/*
 * vmunit-managerd: org.vmunit.Manager1, started by the bus on the first call (D-Bus activation
 * through vmunit-managerd.service) and gone again after some idle time, as systemd-hostnamed is.
 * It runs as root on the system bus, or as the user on the user bus with --user.
 *
 * Leaving without losing a call: when idle, it tells systemd STOPPING=1 (so that a new activation
 * request is queued, not taken as served), releases the bus name, and answers whatever was
 * already queued to it before exiting; a call sent after the release starts a new instance.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "bus-name.h"
#include "cleanup.h"
#include "manager.h"

#define DEFAULT_IDLE_USEC (30 * UINT64_C(1000000))

static bool arg_user = false;
static const char *arg_domain_dir = NULL;
static const char *arg_autostart_dir = NULL;
static uint64_t arg_idle_usec = DEFAULT_IDLE_USEC;

static void help(void) {
        printf("vmunit-managerd [OPTIONS...]\n\n"
               "The vmunit manager on D-Bus (" VMUNIT_MANAGER_BUS_NAME "): persistent domain definitions,\n"
               "autostart, host capabilities. Started by D-Bus activation; see vmctl(1).\n\n"
               "  -h --help                Show this help\n"
               "     --user               Serve the user bus and ~/.config/vmunit (the session instance)\n"
               "     --domain-dir=DIR     Definitions (default " VMUNIT_DOMAIN_DIR ")\n"
               "     --autostart-dir=DIR  Autostart entries (default " VMUNIT_AUTOSTART_DIR ")\n"
               "     --idle-timeout=SEC   Exit after SEC idle seconds (default 30; 0: never)\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_USER = 0x100, ARG_DOMAIN_DIR, ARG_AUTOSTART_DIR, ARG_IDLE };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h'               },
                { "user",          no_argument,       NULL, ARG_USER          },
                { "domain-dir",    required_argument, NULL, ARG_DOMAIN_DIR    },
                { "autostart-dir", required_argument, NULL, ARG_AUTOSTART_DIR },
                { "idle-timeout",  required_argument, NULL, ARG_IDLE          },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_USER:
                        arg_user = true;
                        break;
                case ARG_DOMAIN_DIR:
                        arg_domain_dir = optarg;
                        break;
                case ARG_AUTOSTART_DIR:
                        arg_autostart_dir = optarg;
                        break;
                case ARG_IDLE: {
                        char *end;
                        double s = strtod(optarg, &end);
                        if (*end || !(s >= 0) || s > 86400) {
                                fprintf(stderr, "vmunit-managerd: invalid --idle-timeout '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_idle_usec = (uint64_t) (s * 1e6);
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "vmunit-managerd: takes no arguments\n");
                return -EINVAL;
        }
        return 1;
}

static void manager_done(Manager *m) {
        m->polkit = polkit_registry_free(m->polkit);
        m->bus = sd_bus_flush_close_unref(m->bus);
        m->event = sd_event_unref(m->event);
        manager_cache_free(m);
        domain_store_done(&m->store);
}

static bool manager_idle(const Manager *m) {
        return polkit_registry_pending(m->polkit) == 0 && m->n_unit_queries == 0;
}

static int on_name_released(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        bool *released = userdata;

        /* The bus delivers in order: every call routed to us before the release was read, and
         * dispatched, before this reply. What they started (polkit, systemd) is waited for. */
        *released = true;
        return 0;
}

static int manager_setup(Manager *m) {
        int r;

        r = arg_domain_dir || arg_autostart_dir
                ? domain_store_init_dirs(&m->store, arg_domain_dir ?: VMUNIT_DOMAIN_DIR,
                                         arg_autostart_dir ?: VMUNIT_AUTOSTART_DIR)
                : domain_store_init(&m->store, arg_user);
        if (r < 0)
                return r == -ENXIO ? -ENXIO : r;
        m->user = arg_user;
        r = polkit_registry_new(&m->polkit);
        if (r < 0)
                return r;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        (void) sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        r = arg_user ? sd_bus_open_user(&m->bus) : sd_bus_open_system(&m->bus);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(m->bus, NULL, VMUNIT_MANAGER_OBJECT_PATH, VMUNIT_MANAGER_INTERFACE,
                                     manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        return sd_bus_request_name(m->bus, VMUNIT_MANAGER_BUS_NAME, 0);
}

/* sd_event_loop(), but leaving after arg_idle_usec without any event and nothing in flight. */
static int run_loop(Manager *m) {
        bool exiting = false, released = false;
        int r;

        for (;;) {
                r = sd_event_get_state(m->event);
                if (r < 0)
                        return r;
                if (r == SD_EVENT_FINISHED || (released && manager_idle(m)))
                        break;
                r = sd_event_run(m->event, exiting || arg_idle_usec == 0 ? UINT64_MAX : arg_idle_usec);
                if (r < 0)
                        return r;
                if (r == 0 && !exiting && manager_idle(m)) {
                        (void) sd_notify(false, "STOPPING=1");
                        r = sd_bus_release_name_async(m->bus, NULL, VMUNIT_MANAGER_BUS_NAME, on_name_released, &released);
                        if (r < 0)
                                return r;
                        exiting = true;
                }
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_done) Manager m = {};
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = manager_setup(&m);
        if (r < 0) {
                fprintf(stderr, "vmunit-managerd: cannot start: %s%s\n", strerror(-r),
                        r == -ENXIO ? " (--user needs $XDG_CONFIG_HOME or $HOME)" : "");
                return EXIT_FAILURE;
        }
        (void) sd_notify(false, "READY=1\nSTATUS=Serving " VMUNIT_MANAGER_BUS_NAME);
        r = run_loop(&m);
        if (r < 0) {
                fprintf(stderr, "vmunit-managerd: event loop failed: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
