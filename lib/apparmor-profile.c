/*
 * AppArmor sVirt, second half: the text of the per-VM profile and of its .files include, writing
 * them (the profile once, from the admin's template; .files at every start, atomically), and
 * running apparmor_parser. Which paths go in: apparmor-rules.c. The exec label: apparmor-exec.c.
 *
 * apparmor_parser is run from here rather than from the supervisor because the tests run it too
 * (-Q over the whole conformance corpus); it is the one external program lib/ starts.
 */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor-profile.h"
#include "cleanup.h"
#include "fs-util.h"

#define PARSER_OUTPUT_MAX (64U * 1024U)

/* What AppArmor gives a meaning inside a quoted path: the escape and quote characters, globbing
 * (* ? [ ] ^), alternation ({ }) and variables (@{...}). Escaped, each stands for itself. */
static const char quote_special[] = "\\\"*?[]{}^@";

char *apparmor_quote_path(const char *path) {
        size_t n = 3;
        char *s, *p;

        for (const char *c = path; *c; c++)
                n += strchr(quote_special, *c) ? 2 : 1;
        s = malloc(n);
        if (!s)
                return NULL;
        p = s;
        *p++ = '"';
        for (const char *c = path; *c; c++) {
                if (strchr(quote_special, *c))
                        *p++ = '\\';
                *p++ = *c;
        }
        *p++ = '"';
        *p = 0;
        return s;
}

static bool uuid_valid(const char *uuid) {
        if (!uuid || strlen(uuid) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? uuid[i] != '-' : !strchr("0123456789abcdefABCDEF", uuid[i]))
                        return false;
        }
        return true;
}

int apparmor_profile_name(const char *uuid, char ret[static APPARMOR_PROFILE_NAME_MAX]) {
        if (!uuid_valid(uuid))
                return -EINVAL;
        snprintf(ret, APPARMOR_PROFILE_NAME_MAX, APPARMOR_PROFILE_PREFIX "%s", uuid);
        return 0;
}

int apparmor_profile_path(const char *dir, const char *uuid, bool files, char **ret) {
        char name[APPARMOR_PROFILE_NAME_MAX];
        int r;

        r = apparmor_profile_name(uuid, name);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s/%s%s", dir, name, files ? ".files" : "") < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static void perms_string(unsigned perms, char buf[static 5]) {
        char *p = buf;

        if (perms & APPARMOR_PERM_READ)
                *p++ = 'r';
        if (perms & APPARMOR_PERM_WRITE)
                *p++ = 'w';
        if (perms & APPARMOR_PERM_LOCK)
                *p++ = 'k';
        if (perms & APPARMOR_PERM_MMAP)
                *p++ = 'm';
        *p = 0;
}

int apparmor_files_render(const AppArmorRules *rules, const char *uuid, char **ret) {
        _cleanup_free_ char *buf = NULL;
        FILE *f;
        size_t size;

        if (!uuid_valid(uuid))
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vmunit: the host paths of domain %s, generated from its XML at every start\n"
                   "# (changes here are lost). Included by the profile " APPARMOR_PROFILE_PREFIX "%s.\n",
                uuid, uuid);
        for (size_t i = 0; i < rules->n; i++) {
                const AppArmorRule *rule = &rules->rules[i];
                _cleanup_free_ char *q = apparmor_quote_path(rule->path);
                char perms[5];

                if (!q) {
                        fclose(f);
                        return -ENOMEM;
                }
                perms_string(rule->perms, perms);
                if (!rule->tree) {
                        fprintf(f, "  %s %s,\n", q, perms);
                        continue;
                }
                /* The directory itself is read, everything below it (the "**" glob) used. */
                q[strlen(q) - 1] = 0;
                if (streq(rule->path, "/"))
                        q[1] = 0;
                fprintf(f, "  %s/\" r,\n  %s/**\" %s,\n", q, q, perms);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* Can @path stand in #include "..."? The parser reads no escapes there. */
static bool include_path_ok(const char *path) {
        if (path[0] != '/')
                return false;
        for (const unsigned char *p = (const unsigned char *) path; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
                        return false;
        return true;
}

int apparmor_profile_render(const char *template_text, const char *template_name, const char *profile_name,
                            const char *files_path, char **ret, char **ret_error) {
        const size_t pl = strlen(APPARMOR_TEMPLATE_PLACEHOLDER);
        _cleanup_free_ char *buf = NULL;
        const char *p, *brace, *line;
        bool own_line;
        size_t size;
        FILE *f;

        if (!strstr(template_text, APPARMOR_TEMPLATE_PLACEHOLDER))
                return fail(ret_error, -EINVAL, "%s: no '" APPARMOR_TEMPLATE_PLACEHOLDER "' for the profile name",
                            template_name);
        brace = strrchr(template_text, '}');
        if (!brace)
                return fail(ret_error, -EINVAL, "%s: no closing '}' of the profile", template_name);
        if (!include_path_ok(files_path))
                return fail(ret_error, -EINVAL, "'%s' cannot be included by an AppArmor profile "
                            "(it must be absolute, without '\"', '\\' or control characters)", files_path);

        /* The include goes on a line of its own before the last '}' (libvirt's rule for its
         * template): before the brace's line when nothing else is on it, else before the brace. */
        for (line = brace; line > template_text && (line[-1] == ' ' || line[-1] == '\t'); line--)
                ;
        own_line = line == template_text || line[-1] == '\n';
        if (!own_line)
                line = brace;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (p = template_text; *p; ) {
                if (p == line)
                        fprintf(f, "%s  #include \"%s\"\n", own_line ? "" : "\n", files_path);
                /* (a placeholder never spans @line: it holds no '}' and no line end) */
                if (strncmp(p, APPARMOR_TEMPLATE_PLACEHOLDER, pl) == 0) {
                        fputs(profile_name, f);
                        p += pl;
                } else
                        fputc(*p++, f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int read_template(const char *path, char **ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_file_full(path, APPARMOR_TEMPLATE_SIZE_MAX, &buf, &len);
        if (r == -EFBIG || r == -EBADFD)
                return fail(ret_error, -EINVAL, "AppArmor profile template %s: not a regular file of at most %u bytes",
                            path, APPARMOR_TEMPLATE_SIZE_MAX);
        if (r < 0) {
                errno = -r;
                return fail(ret_error, r, "AppArmor profile template %s: %m", path);
        }
        if (strlen(buf) != len)
                return fail(ret_error, -EINVAL, "AppArmor profile template %s: contains a NUL byte", path);
        *ret = TAKE_PTR(buf);
        return 0;
}

int apparmor_profile_install(const char *dir, const char *template_path, const char *uuid, const char *files_text,
                             bool *ret_created, char **ret_error) {
        _cleanup_free_ char *files_name = NULL, *files_path = NULL, *profile_path = NULL, *template = NULL,
                            *profile = NULL;
        char name[APPARMOR_PROFILE_NAME_MAX];
        struct stat st;
        int r;

        template_path = template_path ?: APPARMOR_TEMPLATE_PATH;
        r = apparmor_profile_name(uuid, name);
        if (r < 0)
                return fail(ret_error, r, "domain UUID '%s' is not a canonical UUID", strempty(uuid));
        if (asprintf(&files_name, "%s.files", name) < 0 || asprintf(&files_path, "%s/%s", dir, files_name) < 0 ||
            asprintf(&profile_path, "%s/%s", dir, name) < 0)
                return -ENOMEM;

        /* Everything that can be wrong with the template is found before anything is written. */
        if (lstat(profile_path, &st) < 0) {
                if (errno != ENOENT)
                        return fail(ret_error, -errno, "%s: %m", profile_path);
                r = read_template(template_path, &template, ret_error);
                if (r < 0)
                        return r;
                r = apparmor_profile_render(template, template_path, name, files_path, &profile, ret_error);
                if (r < 0)
                        return r;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return fail(ret_error, -errno, "%s: %m", dir);

        if (profile) {
                r = write_file_atomic(dir, name, profile, strlen(profile), 0644);
                if (r < 0) {
                        errno = -r;
                        return fail(ret_error, r, "%s: %m", profile_path);
                }
        }

        r = write_file_atomic(dir, files_name, files_text, strlen(files_text), 0644);
        if (r < 0) {
                if (profile)            /* written just now: nothing is left changed */
                        (void) unlink(profile_path);
                errno = -r;
                return fail(ret_error, r, "%s: %m", files_path);
        }
        if (ret_created)
                *ret_created = profile != NULL;
        return 0;
}

int apparmor_profile_delete(const char *dir, const char *uuid, bool profile_too) {
        _cleanup_free_ char *files = NULL, *profile = NULL;
        int r;

        r = apparmor_profile_path(dir, uuid, /* files= */ true, &files);
        if (r < 0)
                return r;
        r = apparmor_profile_path(dir, uuid, /* files= */ false, &profile);
        if (r < 0)
                return r;
        if (unlink(files) < 0 && errno != ENOENT)
                return -errno;
        if (profile_too && unlink(profile) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* ---- apparmor_parser ---- */

static int read_output(int fd, char **ret) {
        _cleanup_free_ char *buf = malloc(PARSER_OUTPUT_MAX + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                char sink[4096];
                ssize_t k;
                /* beyond the cap the rest is read and dropped, so the parser never blocks on us */
                if (len < PARSER_OUTPUT_MAX)
                        k = read(fd, buf + len, PARSER_OUTPUT_MAX - len);
                else
                        k = read(fd, sink, sizeof(sink));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                if (len < PARSER_OUTPUT_MAX)
                        len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static const char * const parser_action_flags[_APPARMOR_PARSER_ACTION_MAX][2] = {
        [APPARMOR_PARSER_REPLACE] = { "-r", "-K" },
        [APPARMOR_PARSER_CHECK]   = { "-Q", "-K" },
        [APPARMOR_PARSER_REMOVE]  = { "-R", "-K" },
};

int apparmor_parser_run(const AppArmorParserOptions *opts, AppArmorParserAction action, const char *profile_path,
                        char **ret_output) {
        static char *const env[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
        const AppArmorParserOptions none = {};
        const char *argv[64];
        size_t n = 0;
        _cleanup_free_ char *output = NULL;
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        posix_spawn_file_actions_t fa;
        int pipefd[2], status, r;
        pid_t pid;

        assert(action >= 0 && action < _APPARMOR_PARSER_ACTION_MAX && profile_path);
        opts = opts ?: &none;
        argv[n++] = opts->parser ?: APPARMOR_PARSER_PATH;
        argv[n++] = parser_action_flags[action][0];
        argv[n++] = parser_action_flags[action][1];
        if (opts->base) {
                argv[n++] = "--base";
                argv[n++] = opts->base;
        }
        for (size_t i = 0; opts->include_dirs && opts->include_dirs[i]; i++) {
                if (n + 4 >= ELEMENTSOF(argv))
                        return -E2BIG;
                argv[n++] = "-I";
                argv[n++] = opts->include_dirs[i];
        }
        argv[n++] = "--";
        argv[n++] = profile_path;
        argv[n] = NULL;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rfd = pipefd[0];
        wfd = pipefd[1];
        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        /* dup2() clears close-on-exec on the copies: the parser writes both streams to the pipe */
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, wfd, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, wfd, STDERR_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, argv[0], &fa, NULL, (char * const *) argv, env);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        (void) close(TAKE_FD(wfd));    /* the parser holds the only writer now: EOF when it is done */

        r = read_output(rfd, &output);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (r < 0)
                return r;
        if (ret_output)
                *ret_output = TAKE_PTR(output);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}
