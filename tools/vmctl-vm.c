/*
 * vmctl's verbs served by a running VM's own supervisor (org.vmunit.VM1 at /org/vmunit/vm under the
 * VM's bus name): shutdown, reboot, reset, destroy, suspend, resume, qemu-monitor-command, console,
 * attach-device and detach-device.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "domxml.h"
#include "fs-util.h"
#include "strv.h"
#include "vmctl-vm.h"
#include "vmctl.h"

#define DEVICE_XML_MAX (1024U * 1024U)
#define CONSOLE_ESCAPE 0x1d             /* ^] as in virsh console */

static const struct {
        const char *verb, *method, *done;
} controls[] = {
        { "shutdown", "Shutdown", "is being shutdown" },
        { "reboot",   "Reboot",   "is being rebooted" },
        { "reset",    "Reset",    "was reset" },
        { "destroy",  "Destroy",  "destroyed" },
        { "suspend",  "Pause",    "suspended" },
        { "resume",   "Resume",   "resumed" },
};

int verb_control(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(controls); i++) {
                if (!streq(argv[0], controls[i].verb))
                        continue;
                r = vmctl_call_vm(argv[1], controls[i].method, controls[i].verb, NULL, &reply, "");
                if (r != 0)
                        return r;
                if (!arg_quiet)
                        printf("Domain '%s' %s\n", argv[1], controls[i].done);
                return EXIT_SUCCESS;
        }
        return EXIT_USAGE;
}

int verb_qemu_monitor_command(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *command = NULL;
        const char *answer;
        size_t len = 0;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        /* The command may come as several words, as virsh takes it. */
        for (int i = 2; i < argc; i++)
                len += strlen(argv[i]) + 1;
        command = malloc(len + 1);
        if (!command)
                return EXIT_FAILURE;
        command[0] = 0;
        for (int i = 2; i < argc; i++) {
                if (i > 2)
                        strcat(command, " ");
                strcat(command, argv[i]);
        }
        r = vmctl_call_vm(argv[1], "MonitorCommand", "qemu-monitor-command", NULL, &reply, "sb", command,
                          (int) arg_hmp);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &answer);
        if (r < 0)
                return EXIT_FAILURE;
        fputs(answer, stdout);
        if (!*answer || answer[strlen(answer) - 1] != '\n')
                putchar('\n');
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int verb_device(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *xml = NULL;
        bool attach = streq(argv[0], "attach-device");
        size_t size;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        r = read_file_full(argv[2], DEVICE_XML_MAX, &xml, &size);
        if (r < 0) {
                fprintf(stderr, "vmctl: %s: cannot read '%s': %s\n", argv[0], argv[2], strerror(-r));
                return EXIT_FAILURE;
        }
        r = vmctl_call_vm(argv[1], attach ? "AttachDevice" : "DetachDevice", argv[0], NULL, &reply, "s", xml);
        if (r != 0)
                return r;
        if (!arg_quiet)
                printf("Device %s successfully\n", attach ? "attached" : "detached");
        return EXIT_SUCCESS;
}

/* ---- console ---- */

/* The serial console of the live XML: the first pty (its path) or unix socket. */
static int find_console(const char *xml, const char *name, char **ret_path, bool *ret_socket) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = domxml_parse_memory(xml, strlen(xml), name, DOMXML_LAX, &def, &error, NULL);
        if (r < 0) {
                fprintf(stderr, "vmctl: console: cannot read the live XML of '%s': %s\n", name, error ?: strerror(-r));
                return EXIT_FAILURE;
        }
        /* consoles first (what virsh attaches to), then serial ports */
        for (int pass = 0; pass < 2; pass++)
                for (unsigned i = 0; i < def->n_chars; i++) {
                        const VmChar *ch = &def->chars[i];
                        if (ch->kind != (pass == 0 ? VM_CHAR_CONSOLE : VM_CHAR_SERIAL) || !ch->src.type)
                                continue;
                        if ((streq(ch->src.type, "pty") && ch->src.path) ||
                            (streq(ch->src.type, "unix") && ch->src.path && ch->src.listen)) {
                                *ret_path = strdup(ch->src.path);
                                *ret_socket = streq(ch->src.type, "unix");
                                return *ret_path ? 0 : EXIT_FAILURE;
                        }
                }
        fprintf(stderr, "vmctl: console: domain '%s' has no serial console on a pty or unix socket "
                "(type='stdio' goes to the journal: journalctl -u machine-%s.scope -t console)\n", name, name);
        return EXIT_FAILURE;
}

static int console_open(const char *path, bool socket_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (!socket_path)
                return open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

/* Copies the console to stdout and stdin to the console until ^] (or EOF on stdin, when it is not a
 * terminal, or the console closes). */
static int console_relay(int fd) {
        struct termios saved, raw;
        bool tty = isatty(STDIN_FILENO);
        char buf[4096];
        int r = EXIT_SUCCESS;

        if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
                raw = saved;
                cfmakeraw(&raw);
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        } else
                tty = false;

        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
        for (bool done = false; !done;) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = EXIT_FAILURE;
                        break;
                }
                if (p[0].revents) {
                        ssize_t n = read(fd, buf, sizeof(buf));
                        if (n <= 0)
                                break;          /* the VM went away (or its console closed) */
                        if (write(STDOUT_FILENO, buf, (size_t) n) != n) {
                                r = EXIT_FAILURE;
                                break;
                        }
                }
                if (p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0) {
                                p[1].fd = -1;   /* no more input: keep showing the console */
                                if (!tty)
                                        break;
                                continue;
                        }
                        char *esc = memchr(buf, CONSOLE_ESCAPE, (size_t) n);
                        if (esc) {
                                n = esc - buf;
                                done = true;
                        }
                        if (n > 0 && write(fd, buf, (size_t) n) != n) {
                                r = EXIT_FAILURE;
                                break;
                        }
                }
        }
        if (tty)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        return r;
}

int verb_console(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *xml;
        bool socket_path = false;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        r = vmctl_call_vm(argv[1], "GetXML", "console", NULL, &reply, "t", UINT64_C(0));
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return EXIT_FAILURE;
        r = find_console(xml, argv[1], &path, &socket_path);
        if (r != 0)
                return r;
        fd = console_open(path, socket_path);
        if (fd < 0) {
                fprintf(stderr, "vmctl: console: cannot open '%s': %m\n", path);
                return errno == EACCES || errno == EPERM ? EXIT_ACCESS_DENIED : EXIT_FAILURE;
        }
        if (!arg_quiet)
                fprintf(stderr, "Connected to domain '%s' (%s)\nEscape character is ^]\n", argv[1], path);
        return console_relay(fd);
}
