/*
 * vmunit-generator: the systemd generator for boot-time VMs (see vmunit-generator(8)).
 *
 * For every domain in /etc/vmunit/domains/ whose name has an entry in /etc/vmunit/autostart/
 * (vmctl autostart makes it a symlink to ../domains/NAME.xml), it links vm@NAME.service into
 * machines.target.wants/, and machines.target into multi-user.target.wants/. For every domain
 * with <metadata><vmunit:boot> it writes vm@NAME.service.d/50-vmunit-boot.conf (lib/boot-dropin.c),
 * autostarted or not: the ordering, dependencies and host-shutdown policy hold however the VM
 * is started.
 *
 * Run by a user's manager (SYSTEMD_SCOPE=user, from the user-generators link) it does the same for
 * that user's session instance: ~/.config/vmunit/{domains,autostart}, links in default.target.wants/.
 *
 * A generator runs before anything else at boot and must never hold it up: a domain it cannot
 * read is logged (to /dev/kmsg, which the journal picks up) and skipped, and the others are
 * still processed. Only the root element, <name> and <metadata> are read, by a SAX scanner
 * (lib/domxml-scan.c); the full parse happens when the VM starts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "boot-dropin.h"
#include "cleanup.h"
#include "domain-store.h"
#include "domxml-scan.h"
#include "instance-paths.h"
#include "strv.h"
#include "unit-name.h"

#ifndef VMUNIT_TEMPLATE_PATH
#  error "VMUNIT_TEMPLATE_PATH must be the installed path of vm@.service"
#endif
#ifndef MACHINES_TARGET_PATH
#  error "MACHINES_TARGET_PATH must be systemd's machines.target"
#endif
#ifndef VMUNIT_TIMEOUT_START_SEC
#  error "VMUNIT_TIMEOUT_START_SEC must be vm@.service's TimeoutStartSec="
#endif

/* ---- logging: /dev/kmsg at boot (syslog and the journal are not up yet), stderr by hand ---- */

static int log_kmsg_fd = -EBADF;
static int log_max_level = LOG_INFO;

static void log_open(void) {
        static const char * const levels[] = { "emerg", "alert", "crit", "err", "warning", "notice",
                                                "info", "debug" };
        const char *target = getenv("SYSTEMD_LOG_TARGET"), *level = getenv("SYSTEMD_LOG_LEVEL");

        for (int i = 0; level && i < (int) ELEMENTSOF(levels); i++)
                if (streq(level, levels[i]) || (level[0] == '0' + i && !level[1]))
                        log_max_level = i;
        /* The environment variables systemd's own generators honour; a terminal means "by hand". */
        if (target ? !streq(target, "kmsg") && !streq(target, "auto") : isatty(STDERR_FILENO))
                return;
        /* O_APPEND means nothing to the kernel's /dev/kmsg; a plain file put in its place (as the
         * system test does in a container, which has none) is then written as a log. */
        log_kmsg_fd = open("/dev/kmsg", O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
}

static int log_msg(int level, int error, const char *fmt, ...) _printf_(3, 4);
static int log_msg(int level, int error, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int k;

        if (level > log_max_level)
                return error;
        errno = -error;
        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0)
                return error;
        /* A container has no /dev/kmsg: there stderr goes to the console, which the host logs. */
        if (log_kmsg_fd < 0 ||
            dprintf(log_kmsg_fd, "<%d>vmunit-generator[%d]: %s\n", LOG_DAEMON | level, (int) getpid(), msg) < 0)
                fprintf(stderr, "vmunit-generator: %s\n", msg);
        return error;
}

#define log_error(...) log_msg(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, 0, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_msg(LOG_ERR, (r), __VA_ARGS__)

/* ---- the generator ---- */

typedef struct Generator {
        const char *domain_dir;
        const char *autostart_dir;
        int domain_fd;
        char **domain_files;            /* NAME.xml entries of domain_dir, sorted */
        size_t n_domain_files;
        int out_fd;                     /* the normal generator dir */
        const char *wants_dir;          /* machines.target.wants (system), default.target.wants (session) */
        const char *template_path;      /* the installed vm@.service the wants-links point to */
        int wants_fd;                   /* wants_dir, made on first use */
        char **autostart;               /* entry names of autostart_dir, sorted */
        bool *autostart_seen;           /* ... that have a domain file */
        size_t n_autostart;
        unsigned n_linked, n_dropins, n_skipped;
        int output_error;               /* first failure to write the output, 0 if none */
} Generator;

static void generator_done(Generator *g) {
        if (g->wants_fd >= 0)
                (void) close(g->wants_fd);
        if (g->domain_fd >= 0)
                (void) close(g->domain_fd);
        g->domain_files = strv_free(g->domain_files);
        g->autostart = strv_free(g->autostart);
        g->autostart_seen = mfree(g->autostart_seen);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static int read_autostart(Generator *g) {
        _cleanup_(closedirp) DIR *d = NULL;

        d = opendir(g->autostart_dir);
        if (!d) {
                if (errno != ENOENT)
                        log_error_errno(-errno, "Failed to open '%s', no VM is started at boot: %m",
                                        g->autostart_dir);
                return 0;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d)); )
                if (de->d_name[0] != '.' && strv_extend(&g->autostart, de->d_name) < 0)
                        return -ENOMEM;
        if (errno != 0)
                log_error_errno(-errno, "Failed to read '%s', some VMs may not be started at boot: %m",
                                g->autostart_dir);
        g->n_autostart = strv_length(g->autostart);
        if (g->n_autostart > 0)
                qsort(g->autostart, g->n_autostart, sizeof(char *), cmp_str);
        g->autostart_seen = new0(bool, g->n_autostart);
        return g->autostart_seen ? 0 : -ENOMEM;
}

/* Index of @s in the sorted @list of @n, or -1. */
static ssize_t find_sorted(char * const *list, size_t n, const char *s) {
        char * const *e;

        if (n == 0)
                return -1;
        e = bsearch(&s, list, n, sizeof(char *), cmp_str);
        return e ? e - list : -1;
}

static int output_failed(Generator *g, int r, const char *what) {
        log_error_errno(r, "Failed to write '%s': %m", what);
        if (g->output_error == 0)
                g->output_error = r;
        return r;
}

static int write_dropin(Generator *g, const char *instance, const char *text) {
        _cleanup_free_ char *dir = NULL, *file = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);

        if (asprintf(&dir, "vm@%s.service.d", instance) < 0 ||
            asprintf(&file, "%s/" VM_BOOT_DROPIN_NAME, dir) < 0)
                return -ENOMEM;
        if (mkdirat(g->out_fd, dir, 0755) < 0 && errno != EEXIST)
                return output_failed(g, -errno, dir);
        fd = openat(g->out_fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return output_failed(g, -errno, file);
        if (write(fd, text, len) != (ssize_t) len)
                return output_failed(g, errno > 0 ? -errno : -EIO, file);
        g->n_dropins++;
        return 0;
}

/* @dir/@link -> @target, in the output dir; @dir_fd caches the opened @dir when non-NULL. */
static int add_link(Generator *g, const char *dir, int *dir_fd, const char *link, const char *target) {
        _cleanup_close_ int own_fd = -EBADF;
        int fd;

        if (!dir_fd)
                dir_fd = &own_fd;
        if (*dir_fd < 0) {
                if (mkdirat(g->out_fd, dir, 0755) < 0 && errno != EEXIST)
                        return output_failed(g, -errno, dir);
                fd = openat(g->out_fd, dir, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        return output_failed(g, -errno, dir);
                *dir_fd = fd;
        }
        if (symlinkat(target, *dir_fd, link) < 0 && errno != EEXIST)
                return output_failed(g, -errno, link);
        return 0;
}

static void warn_missing(Generator *g, const char *name, const char *relation, char * const *list, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                _cleanup_free_ char *file = NULL;

                if (asprintf(&file, "%s.xml", list[i]) < 0)
                        return;
                if (find_sorted(g->domain_files, g->n_domain_files, file) < 0)
                        log_warning("VM '%s' %s '%s', which has no domain file '%s/%s'.", name, relation, list[i],
                                    g->domain_dir, file);
        }
}

/* One domain file, @file in domain_dir. Returns 0 also when the domain is skipped. */
static int process_domain(Generator *g, const char *file) {
        _cleanup_free_ char *name = NULL, *path = NULL, *error = NULL, *instance = NULL, *dropin = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        ssize_t a;
        int r;

        name = strndup(file, strlen(file) - strlen(".xml"));
        if (!name || asprintf(&path, "%s/%s", g->domain_dir, file) < 0)
                return -ENOMEM;
        a = find_sorted(g->autostart, g->n_autostart, name);
        if (a >= 0)
                g->autostart_seen[a] = true;

        r = domxml_scan_file(g->domain_fd, file, path, &def, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                g->n_skipped++;
                if (error)
                        log_error("Skipping domain %s", error);
                else if (r == -EBADFD)
                        log_error("Skipping domain '%s': not a regular file.", path);
                else
                        log_error_errno(r, "Skipping domain '%s': %m", path);
                return 0;
        }
        if (!streq(def->name, name)) {
                g->n_skipped++;
                log_error("Skipping domain '%s': its <name> is '%s', the file must be named after it.",
                          path, def->name);
                return 0;
        }
        r = vm_unit_instance(name, &instance);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                g->n_skipped++;
                log_error("Skipping domain '%s': the name '%s' is too long for a unit name "
                          "(vm@NAME.service, at most %d bytes with NAME escaped).", path, name, VM_UNIT_NAME_MAX);
                return 0;
        }

        warn_missing(g, name, "is ordered after", def->boot.after, def->boot.n_after);
        warn_missing(g, name, "wants", def->boot.wants, def->boot.n_wants);
        warn_missing(g, name, "requires", def->boot.requires, def->boot.n_requires);
        r = vm_boot_dropin(def, path, VMUNIT_TIMEOUT_START_SEC * UINT64_C(1000000), &dropin);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* A dependency's name too long for a unit name: the VM itself still starts. */
                log_error("Domain '%s': a VM in <vmunit:boot> has a name too long for a unit name, "
                          "ignoring <vmunit:boot>.", path);
                dropin = NULL;
        }
        if (dropin)
                (void) write_dropin(g, instance, dropin);

        if (a >= 0) {
                _cleanup_free_ char *link = NULL;

                if (asprintf(&link, "vm@%s.service", instance) < 0)
                        return -ENOMEM;
                if (add_link(g, g->wants_dir, &g->wants_fd, link, g->template_path) >= 0) {
                        g->n_linked++;
                        log_debug("VM '%s' is started at boot as %s.", name, link);
                }
        }
        return 0;
}

/* The NAME.xml entries of the domain dir, sorted: so that dependencies are looked up in memory. */
static int read_domain_dir(Generator *g) {
        _cleanup_(closedirp) DIR *d = NULL;
        int fd;

        /* Domain files are opened relative to it: a path walk per file costs more than the parse. */
        fd = open(g->domain_dir, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (fd < 0) {
                if (errno != ENOENT)
                        log_error_errno(-errno, "Failed to open '%s', no VM is started at boot: %m", g->domain_dir);
                return 0;
        }
        g->domain_fd = fd;
        d = fdopendir(dup(fd));
        if (!d) {
                log_error_errno(-errno, "Failed to read '%s', no VM is started at boot: %m", g->domain_dir);
                return 0;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d)); ) {
                size_t l = strlen(de->d_name);

                if (de->d_name[0] == '.' || l <= strlen(".xml") || !streq(de->d_name + l - strlen(".xml"), ".xml"))
                        continue;
                if (strv_extend(&g->domain_files, de->d_name) < 0)
                        return -ENOMEM;
        }
        if (errno != 0)
                log_error_errno(-errno, "Failed to read '%s', some VMs may be missing: %m", g->domain_dir);
        g->n_domain_files = strv_length(g->domain_files);
        if (g->n_domain_files > 0)
                qsort(g->domain_files, g->n_domain_files, sizeof(char *), cmp_str);
        return 0;
}

static int run(const char *normal_dir) {
        _cleanup_(generator_done) Generator g = {
                .domain_fd = -EBADF,
                .out_fd = -EBADF,
                .wants_fd = -EBADF,
        };
        _cleanup_(instance_paths_done) InstancePaths paths = {};
        _cleanup_close_ int out_fd = -EBADF;
        /* systemd (v251+) says whose generator this run is: a user's manager runs it for the
         * session instance, with that user's domains, started with default.target. */
        bool session = streq_ptr(getenv("SYSTEMD_SCOPE"), "user");
        const char *e;
        int r;

        r = instance_paths_init(&paths, session);
        if (r < 0)
                return log_error_errno(r, "Failed to find the %s instance's directories: %m", session ? "session" : "system");
        g.domain_dir = (e = getenv("VMUNIT_DOMAIN_DIR")) && *e ? e : paths.domain_dir;
        g.autostart_dir = (e = getenv("VMUNIT_AUTOSTART_DIR")) && *e ? e : paths.autostart_dir;
        g.wants_dir = session ? "default.target.wants" : "machines.target.wants";
        g.template_path = session ? VMUNIT_USER_TEMPLATE_PATH : VMUNIT_TEMPLATE_PATH;

        out_fd = open(normal_dir, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (out_fd < 0)
                return log_error_errno(-errno, "Failed to open the output directory '%s': %m", normal_dir);
        g.out_fd = out_fd;

        r = read_autostart(&g);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        r = read_domain_dir(&g);
        if (r < 0)
                return log_error_errno(r, "Out of memory.");
        STRV_FOREACH(f, g.domain_files) {
                r = process_domain(&g, *f);
                if (r < 0)
                        return log_error_errno(r, "Out of memory.");
        }

        for (size_t i = 0; i < g.n_autostart; i++)
                if (!g.autostart_seen[i])
                        log_error("Autostart entry '%s/%s' has no domain file '%s/%s.xml', ignoring it.",
                                  g.autostart_dir, g.autostart[i], g.domain_dir, g.autostart[i]);
        if (g.n_linked > 0 && !session)
                (void) add_link(&g, "multi-user.target.wants", NULL, "machines.target", MACHINES_TARGET_PATH);
        log_debug("%u VMs started at boot, %u drop-ins, %u domains skipped.", g.n_linked, g.n_dropins,
                  g.n_skipped);
        return g.output_error;
}

int main(int argc, char *argv[]) {
        log_open();
        if (argc == 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("vmunit-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n\n"
                       "systemd generator: starts the VMs with an entry in /etc/vmunit/autostart/ at boot\n"
                       "(machines.target) and turns each domain's <vmunit:boot> metadata into a drop-in\n"
                       "for vm@NAME.service. See vmunit-generator(8).\n");
                return EXIT_SUCCESS;
        }
        if (argc != 2 && argc != 4) {
                log_error("Expected one or three arguments (the generator directories), got %d.", argc - 1);
                return EXIT_FAILURE;
        }
        umask(0022);
        return run(argv[1]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
