/*
 * bench-argv: how long domain XML -> QEMU argv takes, per domain, over a corpus of domain XML
 * files (the libvirt conformance corpus in practice; bench/run-bench.sh drives it). A benchmark,
 * not a test: it prints numbers and ratios and never fails on slowness.
 *
 *   in-process   domxml_parse_memory() + qemu_argv_build() + freeing it all, each iteration timed
 *                with clock_gettime(CLOCK_MONOTONIC); per-domain median over --iterations. Two
 *                breakdown rows: the same in CLOCK_THREAD_CPUTIME_ID (equal to the wall time unless
 *                we were descheduled: a busy host shows here), and parsing alone.
 *   --command    LABEL=TEMPLATE: a whole process per conversion (TEMPLATE split on spaces, '{xml}'
 *                replaced by the file, run without a shell, output to /dev/null); per-domain
 *                median over --runs. Only exit status 0 counts as converted.
 *   --virsh-batch URI: every domain through one `virsh -t -c URI` process, one connection, all
 *                conversions in one command string; virsh's own per-command "(Time: X ms)" is the
 *                sample. This is libvirt's daemon-side cost plus one RPC, without process start-up.
 *
 * Across domains: median and p99 (nearest rank) of the per-domain medians, in µs, over the domains
 * that measure converted. Ratios compare two measures over the domains both converted.
 * Domains vmunit refuses are counted and listed with -v, never timed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domxml.h"
#include "qemu-argv.h"
#include "strv.h"

extern char **environ;

#define MEASURES_MAX 8
#define WARMUP_ITERATIONS 10

typedef struct Domain {
        char *path;
        char *name;                     /* basename without .xml */
        char *xml;
        size_t len;
        double median_us[MEASURES_MAX]; /* NAN: not converted by that measure */
} Domain;

typedef struct Measure {
        char *label;
        char **template;                /* a process per domain: argv with "{xml}" */
        char *virsh_uri;                /* all domains through one virsh connection */
        bool detail;                    /* a breakdown of the row above: no ratios */
} Measure;

static unsigned arg_iterations = 500;
static unsigned arg_runs = 5;
static bool arg_verbose = false;

static Domain *domains = NULL;
static size_t n_domains = 0;
static Measure measures[MEASURES_MAX];
static size_t n_measures = 0;

static const QemuBuildOptions bench_build_options = {
        .runtime_dir = "/run/vmunit/f",
        .state_dir = "/var/lib/vmunit/f",
        .seccomp_sandbox = true,
        .tap_fd_base = 3,
};

static double clock_us(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                abort();
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static double now_us(void) {
        return clock_us(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* Sorts @v in place. */
static double median(double *v, size_t n) {
        qsort(v, n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest rank; sorts @v in place. */
static double percentile(double *v, size_t n, double p) {
        size_t k;

        qsort(v, n, sizeof(double), cmp_double);
        k = (size_t) ceil(p / 100 * (double) n);
        return v[k > 0 ? k - 1 : 0];
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (;;) {
                size_t k;
                if (cap - len < 4096) {
                        char *n = realloc(buf, cap + 65536);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap += 65536;
                }
                k = fread(buf + len, 1, cap - len - 1, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int domain_add(const char *path) {
        Domain *d, *n;
        const char *base;
        int r;

        n = realloc(domains, (n_domains + 1) * sizeof(Domain));
        if (!n)
                return -ENOMEM;
        domains = n;
        d = &domains[n_domains];
        *d = (Domain) {};
        for (size_t i = 0; i < MEASURES_MAX; i++)
                d->median_us[i] = NAN;
        d->path = strdup(path);
        base = strrchr(path, '/');
        d->name = strdup(base ? base + 1 : path);
        if (!d->path || !d->name)
                return -ENOMEM;
        if (strlen(d->name) > 4 && streq(d->name + strlen(d->name) - 4, ".xml"))
                d->name[strlen(d->name) - 4] = 0;
        r = read_file(path, &d->xml, &d->len);
        if (r < 0) {
                fprintf(stderr, "bench-argv: %s: %s\n", path, strerror(-r));
                free(d->path);
                free(d->name);
                return r;
        }
        n_domains++;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* A directory stands for its *.xml files, in name order. */
static int add_path(const char *path) {
        _cleanup_strv_free_ char **files = NULL;
        struct stat st;
        DIR *dir;
        int r = 0;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return domain_add(path);

        dir = opendir(path);
        if (!dir)
                return -errno;
        for (struct dirent *de; (de = readdir(dir)); ) {
                size_t l = strlen(de->d_name);
                char *p;
                if (l <= 4 || !streq(de->d_name + l - 4, ".xml"))
                        continue;
                if (asprintf(&p, "%s/%s", path, de->d_name) < 0 || strv_consume(&files, p) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        closedir(dir);
        if (r < 0)
                return r;
        if (files)
                qsort(files, strv_length(files), sizeof(char *), cmp_str);
        STRV_FOREACH(f, files) {
                r = domain_add(*f);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct Sample {
        double wall_us;                 /* parse + build + free */
        double cpu_us;                  /* the same, in this thread's CPU time */
        double parse_us;                /* domxml_parse_memory() alone */
} Sample;

/* One conversion, as vmctl does it in strict mode; returns 0, or -1 if vmunit refuses it. */
static int convert_once(const Domain *d, Sample *ret, char **ret_error) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        QemuCommand cmd = {};
        double t0, c0, t1, t2, c2;
        int r;

        c0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
        t0 = now_us();
        r = domxml_parse_memory(d->xml, d->len, d->name, /* flags= */ 0, &def, &error, &warnings);
        t1 = now_us();
        if (r >= 0)
                r = qemu_argv_build(def, &bench_build_options, &cmd, &error);
        qemu_command_done(&cmd);
        def = vm_def_free(def);
        warnings = strv_free(warnings);
        t2 = now_us();
        c2 = clock_us(CLOCK_THREAD_CPUTIME_ID);

        if (r < 0) {
                if (ret_error)
                        *ret_error = error ? TAKE_PTR(error) : strdup(strerror(-r));
                return -1;
        }
        *ret = (Sample) { .wall_us = t2 - t0, .cpu_us = c2 - c0, .parse_us = t1 - t0 };
        return 0;
}

/* Fills measures @m (wall time), @m + 1 (CPU time) and @m + 2 (parsing alone). */
static int measure_in_process(size_t m) {
        _cleanup_free_ Sample *samples = NULL;
        _cleanup_free_ double *v = NULL;

        samples = new0(Sample, arg_iterations);
        v = new0(double, arg_iterations);
        if (!samples || !v)
                return -ENOMEM;

        for (size_t i = 0; i < n_domains; i++) {
                Domain *d = &domains[i];
                _cleanup_free_ char *error = NULL;
                Sample dummy;

                if (convert_once(d, &dummy, &error) < 0) {
                        if (arg_verbose)
                                fprintf(stderr, "  refused by vmunit, not timed: %s\n", strempty(error));
                        continue;
                }
                for (unsigned k = 0; k < WARMUP_ITERATIONS; k++)
                        (void) convert_once(d, &dummy, NULL);
                for (unsigned k = 0; k < arg_iterations; k++)
                        (void) convert_once(d, &samples[k], NULL);

                for (unsigned k = 0; k < arg_iterations; k++)
                        v[k] = samples[k].wall_us;
                d->median_us[m] = median(v, arg_iterations);
                for (unsigned k = 0; k < arg_iterations; k++)
                        v[k] = samples[k].cpu_us;
                d->median_us[m + 1] = median(v, arg_iterations);
                for (unsigned k = 0; k < arg_iterations; k++)
                        v[k] = samples[k].parse_us;
                d->median_us[m + 2] = median(v, arg_iterations);
        }
        return 0;
}

/* Runs @argv with output discarded; returns the wall time in µs, or -1 if it failed. */
static double spawn_timed(char **argv) {
        posix_spawn_file_actions_t fa;
        double t0, t1;
        pid_t pid;
        int r, status;

        if (posix_spawn_file_actions_init(&fa) != 0)
                return -1;
        (void) posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        (void) posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        (void) posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);

        t0 = now_us();
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        if (r == 0)
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        t1 = now_us();
        posix_spawn_file_actions_destroy(&fa);

        if (r != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return t1 - t0;
}

static int measure_command(size_t m) {
        size_t n = strv_length(measures[m].template);
        _cleanup_free_ double *samples = NULL;
        _cleanup_free_ char **argv = NULL;

        samples = new0(double, arg_runs);
        argv = new0(char *, n + 1);
        if (!samples || !argv)
                return -ENOMEM;

        for (size_t i = 0; i < n_domains; i++) {
                Domain *d = &domains[i];
                bool ok = true;

                for (size_t a = 0; a < n; a++)
                        argv[a] = streq(measures[m].template[a], "{xml}") ? d->path : measures[m].template[a];
                /* one untimed run: page cache, and a refusal costs no more runs */
                if (spawn_timed(argv) < 0) {
                        if (arg_verbose)
                                fprintf(stderr, "  %s refused %s\n", measures[m].label, d->name);
                        continue;
                }
                for (unsigned k = 0; k < arg_runs && ok; k++) {
                        samples[k] = spawn_timed(argv);
                        ok = samples[k] >= 0;
                }
                if (ok)
                        d->median_us[m] = median(samples, arg_runs);
        }
        return 0;
}

/* Reads all of @fd into a NUL-terminated buffer. */
static char *read_all(int fd) {
        size_t len = 0, cap = 0;
        char *buf = NULL;

        for (;;) {
                ssize_t k;
                if (cap - len < 4096) {
                        char *n = realloc(buf, cap + 65536);
                        if (!n) {
                                free(buf);
                                return NULL;
                        }
                        buf = n;
                        cap += 65536;
                }
                k = read(fd, buf + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        return buf;
}

/* One virsh process, one connection: "domxml-to-native qemu-argv F" for every domain, each followed
 * by "echo @@INDEX", so that every sample is attributed to the right domain. */
static int virsh_batch_once(const char *uri, double *ret_us) {
        _cleanup_free_ char *script = NULL, *out = NULL;
        size_t len = 0;
        FILE *s;
        int pipefd[2], status;
        pid_t pid;
        posix_spawn_file_actions_t fa;
        char *argv[] = { (char *) "virsh", (char *) "-q", (char *) "-t", (char *) "-c", (char *) uri, NULL, NULL };
        int r;

        s = open_memstream(&script, &len);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n_domains; i++)
                fprintf(s, "domxml-to-native qemu-argv '%s'; echo @@%zu; ", domains[i].path, i);
        if (fclose(s) != 0)
                return -ENOMEM;
        argv[5] = script;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        (void) posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        (void) posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(&pid, "virsh", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return -r;
        }
        out = read_all(pipefd[0]);
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!out)
                return -ENOMEM;

        /* virsh prints "(Time: X ms)" after every command, failed or not, and errors go to stderr
         * (discarded). So per domain: the first time line after some argv output and before the
         * "@@i" marker is the conversion's; no output means libvirt refused it. The echo's own time
         * line follows the marker and precedes the next domain's output, so it is never taken. */
        for (size_t i = 0; i < n_domains; i++)
                ret_us[i] = -1;
        {
                double t = -1;
                bool have_output = false;
                for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                        double ms;
                        size_t idx;
                        if (sscanf(line, "(Time: %lf ms)", &ms) == 1) {
                                if (have_output && t < 0)
                                        t = ms * 1000;
                        } else if (sscanf(line, "@@%zu", &idx) == 1) {
                                if (idx < n_domains)
                                        ret_us[idx] = have_output ? t : -1;
                                t = -1;
                                have_output = false;
                        } else
                                have_output = true;
                }
        }
        return 0;
}

static int measure_virsh_batch(size_t m) {
        const char *uri = measures[m].virsh_uri;
        _cleanup_free_ double *all = NULL;
        _cleanup_free_ double *samples = NULL;
        int r;

        all = new0(double, n_domains * arg_runs);
        samples = new0(double, arg_runs);
        if (!all || !samples)
                return -ENOMEM;
        r = virsh_batch_once(uri, all);          /* warm-up, untimed */
        if (r < 0)
                return r;
        for (unsigned k = 0; k < arg_runs; k++) {
                r = virsh_batch_once(uri, all + k * n_domains);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_domains; i++) {
                bool ok = true;
                for (unsigned k = 0; k < arg_runs && ok; k++) {
                        samples[k] = all[k * n_domains + i];
                        ok = samples[k] >= 0;
                }
                if (ok)
                        domains[i].median_us[m] = median(samples, arg_runs);
        }
        return 0;
}

/* Fills @v with the per-domain medians of measure @m (restricted to domains measure @other also
 * converted, when @other >= 0); returns how many. */
static size_t collect(size_t m, ssize_t other, double *v) {
        size_t n = 0;

        for (size_t i = 0; i < n_domains; i++) {
                if (isnan(domains[i].median_us[m]))
                        continue;
                if (other >= 0 && isnan(domains[i].median_us[other]))
                        continue;
                v[n++] = domains[i].median_us[m];
        }
        return n;
}

static void print_results(void) {
        _cleanup_free_ double *v = new0(double, n_domains), *w = new0(double, n_domains);

        if (!v || !w)
                return;
        printf("\n%-34s %9s %14s %14s\n", "per domain (µs)", "domains", "median", "p99");
        for (size_t m = 0; m < n_measures; m++) {
                size_t n = collect(m, -1, v);
                if (n == 0) {
                        printf("%-34s %9s %14s %14s\n", measures[m].label, "0", "-", "-");
                        continue;
                }
                double med = median(v, n), p99 = percentile(v, n, 99);
                printf("%-34s %5zu/%-3zu %14.1f %14.1f\n", measures[m].label, n, n_domains, med, p99);
        }

        printf("\nratios (medians over the domains both converted):\n");
        for (size_t a = 0; a < n_measures; a++)
                for (size_t b = a + 1; b < n_measures; b++) {
                        /* a breakdown against anything, or one process per domain against one
                         * connection for all domains, says nothing */
                        if (measures[a].detail || measures[b].detail ||
                            (measures[a].template && measures[b].virsh_uri))
                                continue;
                        size_t na = collect(a, (ssize_t) b, v), nb = collect(b, (ssize_t) a, w);
                        if (na == 0 || na != nb)
                                continue;
                        double ma = median(v, na), mb = median(w, nb);
                        printf("  %-20s / %-20s %9.1fx  (%zu domains)\n", measures[b].label, measures[a].label,
                               mb / ma, na);
                }

        if (arg_verbose) {
                printf("\n%-40s", "domain");
                for (size_t m = 0; m < n_measures; m++)
                        printf(" %16.16s", measures[m].label);
                putchar('\n');
                for (size_t i = 0; i < n_domains; i++) {
                        printf("%-40.40s", domains[i].name);
                        for (size_t m = 0; m < n_measures; m++)
                                if (isnan(domains[i].median_us[m]))
                                        printf(" %16s", "-");
                                else
                                        printf(" %16.1f", domains[i].median_us[m]);
                        putchar('\n');
                }
        }
}

/* Takes @template on success. */
static int add_measure(const char *label, char **template, const char *virsh_uri) {
        Measure *m = &measures[n_measures];

        if (n_measures >= MEASURES_MAX)
                return -E2BIG;
        *m = (Measure) { .label = strdup(label), .virsh_uri = virsh_uri ? strdup(virsh_uri) : NULL };
        if (!m->label || (virsh_uri && !m->virsh_uri)) {
                free(m->label);
                free(m->virsh_uri);
                return -ENOMEM;
        }
        m->template = template;
        n_measures++;
        return 0;
}

/* "LABEL=prog arg {xml}" -> label, argv template */
static int add_command(const char *spec) {
        _cleanup_strv_free_ char **t = NULL;
        _cleanup_free_ char *copy = NULL, *label = NULL;
        const char *eq = strchr(spec, '=');
        char *save = NULL;
        int r;

        if (!eq || eq == spec || !strstr(eq, "{xml}"))
                return -EINVAL;
        label = strndup(spec, (size_t) (eq - spec));
        copy = strdup(eq + 1);
        if (!label || !copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                r = strv_extend(&t, w);
                if (r < 0)
                        return r;
        }
        if (!t)
                return -EINVAL;
        r = add_measure(label, t, NULL);
        if (r < 0)
                return r;
        TAKE_PTR(t);
        return 0;
}

static void help(void) {
        printf("bench-argv [OPTIONS] FILE|DIR...\n\n"
               "Time domain XML -> QEMU argv per domain (a DIR stands for its *.xml): in-process, and\n"
               "optionally as a process per domain and through libvirt. Prints the median and p99 of\n"
               "the per-domain medians in µs, and ratios. Never fails on slowness.\n\n"
               "  -n --iterations=N          in-process conversions timed per domain (default %u)\n"
               "  -r --runs=N                runs per domain for --command and --virsh-batch (default %u)\n"
               "  -c --command=LABEL=CMD     also time CMD as a process per domain; '{xml}' is the\n"
               "                             file; split on spaces, no shell (repeatable)\n"
               "     --virsh-batch=URI       also time every domain through one `virsh -t -c URI`\n"
               "  -v --verbose               per-domain table, and what was refused\n"
               "  -h --help                  this help\n",
               arg_iterations, arg_runs);
}

int main(int argc, char *argv[]) {
        enum { ARG_VIRSH_BATCH = 0x100 };
        static const struct option options[] = {
                { "iterations", required_argument, NULL, 'n' },
                { "runs", required_argument, NULL, 'r' },
                { "command", required_argument, NULL, 'c' },
                { "virsh-batch", required_argument, NULL, ARG_VIRSH_BATCH },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_strv_free_ char **commands = NULL, **virsh_uris = NULL;
        size_t n_converted = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "n:r:c:vh", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                case 'r': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*end || v == 0 || v > 1000000) {
                                fprintf(stderr, "bench-argv: invalid count '%s'\n", optarg);
                                return 2;
                        }
                        *(c == 'n' ? &arg_iterations : &arg_runs) = (unsigned) v;
                        break;
                }
                case 'c':
                        if (strv_extend(&commands, optarg) < 0)
                                return 1;
                        break;
                case ARG_VIRSH_BATCH:
                        if (strv_extend(&virsh_uris, optarg) < 0)
                                return 1;
                        break;
                case 'v':
                        arg_verbose = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "bench-argv: no domain XML given (see --help)\n");
                return 2;
        }

        /* measure_in_process() fills these three together */
        if (add_measure("vmunit in-process", NULL, NULL) < 0 ||
            add_measure("  thread CPU time", NULL, NULL) < 0 ||
            add_measure("  of which parsing", NULL, NULL) < 0)
                return 1;
        measures[1].detail = measures[2].detail = true;
        STRV_FOREACH(s, commands) {
                r = add_command(*s);
                if (r < 0) {
                        fprintf(stderr, "bench-argv: invalid --command '%s' (LABEL=CMD with {xml})\n", *s);
                        return 2;
                }
        }
        STRV_FOREACH(u, virsh_uris)
                if (add_measure(strv_length(virsh_uris) > 1 ? *u : "libvirt in-daemon", NULL, *u) < 0)
                        return 1;

        for (int i = optind; i < argc; i++) {
                r = add_path(argv[i]);
                if (r < 0) {
                        fprintf(stderr, "bench-argv: %s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }
        if (n_domains == 0) {
                fprintf(stderr, "bench-argv: no *.xml found in the given paths\n");
                return 1;
        }

        for (size_t m = 0; m < n_measures; m++) {
                double t0 = now_us();
                if (measures[m].detail)
                        continue;
                fprintf(stderr, "bench-argv: %s ...\n", measures[m].label);
                r = m == 0 ? measure_in_process(m) : measures[m].virsh_uri ? measure_virsh_batch(m)
                                                                           : measure_command(m);
                if (r < 0) {
                        fprintf(stderr, "bench-argv: %s: %s\n", measures[m].label, strerror(-r));
                        return 1;
                }
                fprintf(stderr, "bench-argv: %s done in %.1f s\n", measures[m].label, (now_us() - t0) / 1e6);
        }

        for (size_t i = 0; i < n_domains; i++)
                n_converted += !isnan(domains[i].median_us[0]);
        printf("corpus: %zu domains; vmunit converts %zu, refuses %zu (refusals are not timed)\n"
               "in-process: %u timed iterations per domain after %u warm-up; processes: %u runs per domain\n",
               n_domains, n_converted, n_domains - n_converted, arg_iterations, WARMUP_ITERATIONS, arg_runs);
        print_results();

        if (n_converted > 0) {
                _cleanup_free_ double *v = new0(double, n_domains);
                if (v) {
                        size_t n = collect(0, -1, v);
                        double med = median(v, n);
                        printf("\ntarget (issue 2): in-process median under 100 µs per domain: %s (%.1f µs)\n",
                               med < 100 ? "met" : "NOT met", med);
                }
        }

        for (size_t i = 0; i < n_domains; i++) {
                free(domains[i].path);
                free(domains[i].name);
                free(domains[i].xml);
        }
        free(domains);
        for (size_t m = 0; m < n_measures; m++) {
                free(measures[m].label);
                free(measures[m].virsh_uri);
                strv_free(measures[m].template);
        }
        return 0;
}
