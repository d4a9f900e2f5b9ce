/*
 * vmctl verbs about defined domains, through org.vmunit.Manager1 and systemd: list, dominfo,
 * domstate, define, undefine, dumpxml, edit, autostart, start, capabilities. Verbs that act on a
 * running VM go to its supervisor's org.vmunit.VM1 (vmctl_call_vm()).
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-name.h"
#include "cleanup.h"
#include "domxml.h"
#include "fs-util.h"
#include "strv.h"
#include "unit-name.h"
#include "unit-state.h"
#include "utf8.h"
#include "vmctl-domain.h"
#include "vmctl.h"

DEFINE_CLEANUP_FUNC(json_object *, json_object_put);

static int print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int oom(void) {
        fprintf(stderr, "vmctl: out of memory\n");
        return EXIT_FAILURE;
}

/* ---- list ---- */

typedef struct Row {
        const char *name, *uuid, *active, *sub;
        int autostart;
} Row;

int verb_list(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ Row *rows = NULL;
        size_t n = 0, width = 4;
        int r;

        r = vmctl_call_manager("ListDomains", "list", NULL, &reply, NULL);
        if (r != 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssb)");
        for (;;) {
                Row row;
                Row *g;

                if (r < 0)
                        break;
                r = sd_bus_message_read(reply, "(ssssb)", &row.name, &row.uuid, &row.active, &row.sub, &row.autostart);
                if (r <= 0)
                        break;
                if (!arg_all && !unit_state_is_active(row.active))
                        continue;
                g = realloc(rows, (n + 1) * sizeof(Row));
                if (!g)
                        return oom();
                rows = g;
                rows[n++] = row;
                width = MAX(width, strlen(row.name));
        }
        if (r < 0)
                return vmctl_log_bus_error("vmunit-managerd", "list", NULL, r);

        if (arg_json) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                if (!a)
                        return oom();
                for (size_t i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        if (!o)
                                return oom();
                        json_object_object_add(o, "name", json_object_new_string(rows[i].name));
                        json_object_object_add(o, "uuid", json_object_new_string(rows[i].uuid));
                        json_object_object_add(o, "state",
                                               json_object_new_string(vmctl_state_word(rows[i].active, rows[i].sub)));
                        json_object_object_add(o, "active_state", json_object_new_string(rows[i].active));
                        json_object_object_add(o, "sub_state", json_object_new_string(rows[i].sub));
                        json_object_object_add(o, "autostart", json_object_new_boolean(rows[i].autostart));
                        json_object_array_add(a, o);
                }
                return print_json(a);
        }
        if (arg_name) {
                for (size_t i = 0; i < n; i++)
                        puts(rows[i].name);
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        vmctl_pager_open();
        if (!arg_quiet) {
                printf(" %-*s   %-13s   %s\n", (int) width, "Name", "State", "Autostart");
                for (size_t i = 0; i < width + 31; i++)
                        putchar('-');
                putchar('\n');
        }
        for (size_t i = 0; i < n; i++)
                printf(" %-*s   %-13s   %s\n", (int) width, rows[i].name, vmctl_state_word(rows[i].active, rows[i].sub),
                       rows[i].autostart ? "yes" : "no");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- dominfo, domstate ---- */

typedef struct DomainState {
        sd_bus_message *reply;          /* owns the strings */
        const char *uuid, *active, *sub;
        int autostart;
} DomainState;

static void domain_state_done(DomainState *s) {
        s->reply = sd_bus_message_unref(s->reply);
}

static int get_domain(const char *name, const char *what, DomainState *ret) {
        int r;

        r = vmctl_check_name(name);
        if (r != 0)
                return r;
        r = vmctl_call_manager("GetDomain", what, NULL, &ret->reply, "s", name);
        if (r != 0)
                return r;
        r = sd_bus_message_read(ret->reply, "sssb", &ret->uuid, &ret->active, &ret->sub, &ret->autostart);
        if (r < 0)
                return vmctl_log_bus_error("vmunit-managerd", what, NULL, r);
        return 0;
}

int verb_domstate(int argc, char *argv[]) {
        _cleanup_(domain_state_done) DomainState s = {};
        int r;

        r = get_domain(argv[1], "domstate", &s);
        if (r != 0)
                return r;
        if (arg_json) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                if (!o)
                        return oom();
                json_object_object_add(o, "name", json_object_new_string(argv[1]));
                json_object_object_add(o, "state", json_object_new_string(vmctl_state_word(s.active, s.sub)));
                json_object_object_add(o, "active_state", json_object_new_string(s.active));
                json_object_object_add(o, "sub_state", json_object_new_string(s.sub));
                return print_json(o);
        }
        puts(vmctl_state_word(s.active, s.sub));
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* The inactive definition, parsed here for the figures dominfo shows. */
static int get_definition(const char *name, const char *what, uint64_t flags, char **ret_xml, VmDef **ret_def) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *error = NULL;
        const char *xml;
        int r;

        r = vmctl_call_manager("GetXML", what, NULL, &reply, "st", name, flags);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return vmctl_log_bus_error("vmunit-managerd", what, NULL, r);
        if (ret_def) {
                r = domxml_parse_memory(xml, strlen(xml), name, DOMXML_LAX, ret_def, &error, NULL);
                if (r < 0) {
                        fprintf(stderr, "vmctl: %s: %s\n", what, error ?: strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        if (ret_xml && !(*ret_xml = strdup(xml)))
                return oom();
        return 0;
}

int verb_dominfo(int argc, char *argv[]) {
        _cleanup_(domain_state_done) DomainState s = {};
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *unit = NULL;
        uint32_t pid = 0;
        int r;

        r = get_domain(argv[1], "dominfo", &s);
        if (r != 0)
                return r;
        r = get_definition(argv[1], "dominfo", 0, NULL, &def);
        if (r != 0)
                return r;
        if (vm_unit_name(argv[1], &unit) < 0)
                return oom();
        if (unit_state_is_active(s.active) && vmctl_unit_property_u32(unit, "MainPID", &pid) != 0)
                pid = 0;        /* told already; the rest is still worth showing */

        if (arg_json) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                if (!o)
                        return oom();
                json_object_object_add(o, "name", json_object_new_string(argv[1]));
                json_object_object_add(o, "uuid", json_object_new_string(s.uuid));
                json_object_object_add(o, "state", json_object_new_string(vmctl_state_word(s.active, s.sub)));
                json_object_object_add(o, "active_state", json_object_new_string(s.active));
                json_object_object_add(o, "sub_state", json_object_new_string(s.sub));
                json_object_object_add(o, "autostart", json_object_new_boolean(s.autostart));
                json_object_object_add(o, "persistent", json_object_new_boolean(true));
                json_object_object_add(o, "vcpus", json_object_new_int64(def->vcpus));
                json_object_object_add(o, "max_memory_kib", json_object_new_int64((int64_t) def->memory_kib));
                json_object_object_add(o, "unit", json_object_new_string(unit));
                json_object_object_add(o, "supervisor_pid", pid > 0 ? json_object_new_int64(pid) : NULL);
                return print_json(o);
        }
        printf("Name:           %s\n"
               "UUID:           %s\n"
               "State:          %s\n"
               "Autostart:      %s\n"
               "Persistent:     yes\n"
               "CPU(s):         %u\n"
               "Max memory:     %llu KiB\n"
               "Unit:           %s\n",
               argv[1], s.uuid, vmctl_state_word(s.active, s.sub), s.autostart ? "enable" : "disable", def->vcpus,
               (unsigned long long) def->memory_kib, unit);
        if (pid > 0)
                printf("Supervisor PID: %u\n", pid);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- define, undefine ---- */

static int read_xml_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        int r;

        if (streq(path, "-")) {
                size_t len = 0, cap = 0;
                for (;;) {
                        if (len + 4096 > cap) {
                                char *n;
                                if (cap > DOMXML_MAX_SIZE)
                                        return -EFBIG;
                                cap = cap ? cap * 2 : 65536;
                                n = realloc(buf, cap + 1);
                                if (!n)
                                        return -ENOMEM;
                                buf = n;
                        }
                        ssize_t k = read(STDIN_FILENO, buf + len, cap - len);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
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
        r = read_file_full(path, DOMXML_MAX_SIZE, &buf, ret_len);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* DefineXML. Parse errors come back as "input:LINE: ..."; they are shown against @file. */
static int define_text(const char *text, size_t len, const char *file, char **ret_name) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *rest;
        int r;

        /* a D-Bus string carries neither */
        if (strlen(text) != len || !utf8_is_valid(text)) {
                fprintf(stderr, "vmctl: define: %s: %s\n", file, strlen(text) != len ? "contains NUL bytes"
                        : "not UTF-8 (domain XML travels as UTF-8; convert it with iconv)");
                return EXIT_FAILURE;
        }
        r = vmctl_call_manager("DefineXML", "define", &e, &reply, "s", text);
        if (r != 0) {
                if (sd_bus_error_has_name(&e, VMUNIT_ERROR_INVALID_XML) && e.message &&
                    (rest = startswith(e.message, "input:"))) {
                        fprintf(stderr, "vmctl: define: %s:%s\n", file, rest);
                        return EXIT_FAILURE;
                }
                return sd_bus_error_is_set(&e) ? vmctl_log_bus_error("vmunit-managerd", "define", &e, -EIO) : r;
        }
        r = sd_bus_message_read(reply, "s", &name);
        if (r < 0)
                return vmctl_log_bus_error("vmunit-managerd", "define", NULL, r);
        if (!(*ret_name = strdup(name)))
                return oom();
        return 0;
}

int verb_define(int argc, char *argv[]) {
        _cleanup_free_ char *text = NULL, *name = NULL;
        size_t len = 0;
        int r;

        r = read_xml_file(argv[1], &text, &len);
        if (r < 0) {
                fprintf(stderr, "vmctl: define: %s: %s\n", argv[1],
                        r == -EFBIG ? "larger than 8 MiB, not domain XML" : r == -EBADFD ? "not a regular file"
                                                                            : strerror(-r));
                return EXIT_FAILURE;
        }
        r = define_text(text, len, streq(argv[1], "-") ? "<stdin>" : argv[1], &name);
        if (r != 0)
                return r;
        if (!arg_quiet)
                printf("Domain '%s' defined from %s\n", name, argv[1]);
        return EXIT_SUCCESS;
}

int verb_undefine(int argc, char *argv[]) {
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        r = vmctl_call_manager("Undefine", "undefine", NULL, NULL, "s", argv[1]);
        if (r != 0)
                return r;
        if (!arg_quiet)
                printf("Domain '%s' has been undefined\n", argv[1]);
        return EXIT_SUCCESS;
}

/* ---- dumpxml ---- */

int verb_dumpxml(int argc, char *argv[]) {
        _cleanup_(domain_state_done) DomainState s = {};
        _cleanup_free_ char *xml = NULL;
        uint64_t flags = arg_security_info ? VMUNIT_GET_XML_SECURE : 0;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        if (!arg_inactive) {
                r = get_domain(argv[1], "dumpxml", &s);
                if (r != 0)
                        return r;
        }
        if (!arg_inactive && unit_state_is_active(s.active)) {
                /* The live XML (runtime facts: pid, ports, pty paths, labels) is the supervisor's. */
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *live;

                r = vmctl_call_vm(argv[1], "GetXML", "dumpxml", &e, &reply, "t", flags);
                if (r == 0 && sd_bus_message_read(reply, "s", &live) > 0) {
                        vmctl_pager_open();
                        fputs(live, stdout);
                        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
                }
                if (r == EXIT_ACCESS_DENIED)
                        return vmctl_log_bus_error("the supervisor", "dumpxml", &e, -EACCES);
                if (!arg_quiet)
                        fprintf(stderr, "vmctl: dumpxml: the live XML of '%s' is not available (%s); showing the "
                                "inactive definition\n", argv[1], e.message ?: "no answer");
        }
        r = get_definition(argv[1], "dumpxml", flags, &xml, NULL);
        if (r != 0)
                return r;
        vmctl_pager_open();
        fputs(xml, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- edit ---- */

/* Runs $VISUAL, $EDITOR or vi on @path; 0 when it exited 0. */
static int run_editor(const char *path) {
        const char *editor = getenv("VISUAL");
        pid_t pid;
        int status;

        if (!editor || !*editor)
                editor = getenv("EDITOR");
        if (!editor || !*editor)
                editor = "vi";
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* through the shell, so that EDITOR="emacs -nw" works, as git and virsh allow */
                execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static bool ask_again(void) {
        char answer[16];

        fprintf(stderr, "Edit again? [y/N] ");
        fflush(stderr);
        if (!fgets(answer, sizeof(answer), stdin))
                return false;
        return answer[0] == 'y' || answer[0] == 'Y';
}

int verb_edit(int argc, char *argv[]) {
        _cleanup_free_ char *orig = NULL, *path = NULL, *name = NULL;
        const char *tmpdir = getenv("TMPDIR");
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        /* with the passwords: what is not shown would be lost on define */
        r = get_definition(argv[1], "edit", VMUNIT_GET_XML_SECURE, &orig, NULL);
        if (r != 0)
                return r;
        if (asprintf(&path, "%s/vmctl-edit-XXXXXX.xml", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
                return oom();
        fd = mkostemps(path, 4, O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "vmctl: edit: cannot create a temporary file: %m\n");
                return EXIT_FAILURE;
        }
        if (write(fd, orig, strlen(orig)) != (ssize_t) strlen(orig)) {
                fprintf(stderr, "vmctl: edit: cannot write '%s': %m\n", path);
                (void) unlink(path);
                return EXIT_FAILURE;
        }
        (void) close(TAKE_FD(fd));

        for (;;) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;

                r = run_editor(path);
                if (r < 0) {
                        fprintf(stderr, "vmctl: edit: the editor failed; '%s' is unchanged\n", argv[1]);
                        r = EXIT_FAILURE;
                        break;
                }
                r = read_file_full(path, DOMXML_MAX_SIZE, &text, &len);
                if (r < 0) {
                        fprintf(stderr, "vmctl: edit: cannot read '%s': %s\n", path, strerror(-r));
                        r = EXIT_FAILURE;
                        break;
                }
                if (streq(text, orig)) {
                        if (!arg_quiet)
                                printf("Domain '%s' XML configuration not changed.\n", argv[1]);
                        r = EXIT_SUCCESS;
                        break;
                }
                name = mfree(name);
                r = define_text(text, len, path, &name);
                if (r == 0) {
                        if (!arg_quiet)
                                printf("Domain '%s' XML configuration edited.\n", name);
                        if (!streq(name, argv[1]))
                                fprintf(stderr, "vmctl: edit: the name changed: defined '%s', '%s' is unchanged\n",
                                        name, argv[1]);
                        break;
                }
                if (r == EXIT_ACCESS_DENIED || r == EXIT_NO_SUCH_DOMAIN || !ask_again()) {
                        fprintf(stderr, "vmctl: edit: '%s' is unchanged\n", argv[1]);
                        break;
                }
        }
        (void) unlink(path);
        return r;
}

/* ---- autostart, start, capabilities ---- */

int verb_autostart(int argc, char *argv[]) {
        int r;

        r = vmctl_check_name(argv[1]);
        if (r != 0)
                return r;
        r = vmctl_call_manager("SetAutostart", "autostart", NULL, NULL, "sb", argv[1], (int) !arg_disable);
        if (r != 0)
                return r;
        if (!arg_quiet)
                printf("Domain '%s' %s as autostarted\n", argv[1], arg_disable ? "unmarked" : "marked");
        return EXIT_SUCCESS;
}

int verb_start(int argc, char *argv[]) {
        _cleanup_(domain_state_done) DomainState s = {};
        _cleanup_free_ char *unit = NULL;
        int r;

        r = get_domain(argv[1], "start", &s);
        if (r != 0)
                return r;
        if (unit_state_is_active(s.active)) {
                fprintf(stderr, "vmctl: start: domain '%s' is already active (%s)\n", argv[1],
                        vmctl_state_word(s.active, s.sub));
                return EXIT_FAILURE;
        }
        if (vm_unit_name(argv[1], &unit) < 0)
                return oom();
        r = vmctl_start_unit(unit, "start");
        if (r != 0)
                return r;
        if (!arg_quiet)
                printf("Domain '%s' started\n", argv[1]);
        return EXIT_SUCCESS;
}

int verb_capabilities(int argc, char *argv[]) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *xml;
        int r;

        r = vmctl_call_manager("GetCapabilities", "capabilities", NULL, &reply, NULL);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return vmctl_log_bus_error("vmunit-managerd", "capabilities", NULL, r);
        vmctl_pager_open();
        fputs(xml, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
