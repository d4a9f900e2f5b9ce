/*
 * vmunit.conf parser: see config.h. A small lexer (words, quoted strings, '=', '[', ']', ',',
 * line ends), one loop over "key = value" lines, and a table of keys with one setter per kind
 * of value.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "fs-util.h"
#include "strv.h"

/* ---- defaults ---- */

int config_init(VmunitConfig *c) {
        *c = (VmunitConfig) {
                .dynamic_ownership = true,
                .remember_owner = true,
                .seccomp_sandbox = true,
                .shutdown_timeout_usec = CONFIG_DEFAULT_SHUTDOWN_TIMEOUT_SEC * 1000000ULL,
        };
        c->user = strdup(CONFIG_DEFAULT_USER);
        c->hugetlbfs_mount = strdup(CONFIG_DEFAULT_HUGETLBFS_MOUNT);
        c->spice_tls_x509_cert_dir = strdup(CONFIG_DEFAULT_SPICE_TLS_X509_CERT_DIR);
        if (!c->user || !c->hugetlbfs_mount || !c->spice_tls_x509_cert_dir) {
                config_done(c);
                return -ENOMEM;
        }
        return 0;
}

int config_init_session(VmunitConfig *c) {
        int r;

        r = config_init(c);
        if (r < 0)
                return r;
        c->session = true;
        c->dynamic_ownership = false;
        c->user = mfree(c->user);
        if (asprintf(&c->user, "+%u", (unsigned) getuid()) < 0)
                c->user = NULL;
        r = c->user ? strv_extend(&c->security_driver, "dac") : -ENOMEM;
        if (r < 0)
                config_done(c);
        return r;
}

void config_done(VmunitConfig *c) {
        free(c->user);
        free(c->group);
        strv_free(c->security_driver);
        strv_free(c->cgroup_device_acl);
        free(c->hugetlbfs_mount);
        free(c->spice_tls_x509_cert_dir);
        *c = (VmunitConfig) {};
}

/* ---- lexer ---- */

typedef enum TokenType {
        TOKEN_EOF,
        TOKEN_NEWLINE,
        TOKEN_WORD,
        TOKEN_STRING,
        TOKEN_EQUALS,
        TOKEN_LBRACKET,
        TOKEN_RBRACKET,
        TOKEN_COMMA,
} TokenType;

typedef struct Lexer {
        const char *p, *end;
        const char *filename;
        unsigned line;
        char *error;                    /* "FILE:LINE: message", set once */
} Lexer;

typedef struct Token {
        TokenType type;
        char *text;                     /* TOKEN_WORD and TOKEN_STRING: owned */
        unsigned line;
} Token;

static void token_done(Token *t) {
        t->text = mfree(t->text);
}

_printf_(3, 4)
static int lex_fail(Lexer *lx, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (lx->error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg || asprintf(&lx->error, "%s:%u: %s", lx->filename, line, msg) < 0) {
                lx->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static bool is_word_char(char c) {
        return c > ' ' && c != 0x7f && !strchr("#\"=,[]", c);
}

static const char *token_describe(const Token *t) {
        switch (t->type) {
        case TOKEN_EOF:      return "the end of the file";
        case TOKEN_NEWLINE:  return "the end of the line";
        case TOKEN_WORD:     return "a word";
        case TOKEN_STRING:   return "a quoted string";
        case TOKEN_EQUALS:   return "'='";
        case TOKEN_LBRACKET: return "'['";
        case TOKEN_RBRACKET: return "']'";
        case TOKEN_COMMA:    return "','";
        }
        return "?";
}

static int lex_string(Lexer *lx, Token *ret) {
        size_t cap = 16, n = 0;
        _cleanup_free_ char *s = malloc(cap);

        if (!s)
                return -ENOMEM;
        lx->p++;                        /* the opening quote */
        for (;;) {
                char c;

                if (lx->p >= lx->end || *lx->p == '\n')
                        return lex_fail(lx, lx->line, "unterminated quoted string");
                c = *lx->p++;
                if (c == '"')
                        break;
                if (c == '\\') {
                        if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\\'))
                                return lex_fail(lx, lx->line, "in a quoted string only \\\" and \\\\ are escapes");
                        c = *lx->p++;
                } else if ((unsigned char) c < ' ' && c != '\t')
                        return lex_fail(lx, lx->line, "control character 0x%02x in a quoted string", (unsigned) c);
                if (n + 2 > cap) {
                        char *t = realloc(s, cap *= 2);
                        if (!t)
                                return -ENOMEM;
                        s = t;
                }
                s[n++] = c;
        }
        s[n] = 0;
        *ret = (Token) { .type = TOKEN_STRING, .text = TAKE_PTR(s), .line = lx->line };
        return 0;
}

static int lex_next(Lexer *lx, Token *ret) {
        /* Blanks and comments; a comment runs to the end of its line. */
        for (;;) {
                if (lx->p >= lx->end) {
                        *ret = (Token) { .type = TOKEN_EOF, .line = lx->line };
                        return 0;
                }
                if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r')
                        lx->p++;
                else if (*lx->p == '#')
                        while (lx->p < lx->end && *lx->p != '\n')
                                lx->p++;
                else
                        break;
        }

        char c = *lx->p;
        unsigned line = lx->line;
        switch (c) {
        case '\n':
                lx->p++;
                lx->line++;
                *ret = (Token) { .type = TOKEN_NEWLINE, .line = line };
                return 0;
        case '=':
        case '[':
        case ']':
        case ',':
                lx->p++;
                *ret = (Token) { .type = c == '=' ? TOKEN_EQUALS : c == '[' ? TOKEN_LBRACKET :
                                         c == ']' ? TOKEN_RBRACKET : TOKEN_COMMA, .line = line };
                return 0;
        case '"':
                return lex_string(lx, ret);
        default:
                break;
        }
        if (!is_word_char(c))
                return lex_fail(lx, line, "unexpected character 0x%02x", (unsigned) (unsigned char) c);

        const char *start = lx->p;
        while (lx->p < lx->end && is_word_char(*lx->p))
                lx->p++;
        char *w = strndup(start, (size_t) (lx->p - start));
        if (!w)
                return -ENOMEM;
        *ret = (Token) { .type = TOKEN_WORD, .text = w, .line = line };
        return 0;
}

/* Like lex_next(), but line ends are skipped (inside a list). */
static int lex_next_skip_newlines(Lexer *lx, Token *ret) {
        int r;

        for (;;) {
                r = lex_next(lx, ret);
                if (r < 0 || ret->type != TOKEN_NEWLINE)
                        return r;
        }
}

/* ---- values ---- */

typedef struct Value {
        char **items;                   /* the scalar, or the list's items */
        bool is_list;
        unsigned line;
} Value;

static void value_done(Value *v) {
        v->items = strv_free(v->items);
}

typedef enum ConfigKind {
        CONFIG_NAME,                    /* a user or group: name or number */
        CONFIG_PATH,                    /* an absolute, normalized path */
        CONFIG_BOOL,
        CONFIG_SECONDS,                 /* stored in microseconds */
        CONFIG_COUNT,
        CONFIG_DEVICE_LIST,             /* DeviceAllow= entries */
        CONFIG_DRIVER_LIST,             /* security drivers */
} ConfigKind;

typedef struct ConfigKey {
        const char *name;
        ConfigKind kind;
        size_t offset;
        uint64_t max;                   /* CONFIG_SECONDS, CONFIG_COUNT */
} ConfigKey;

#define KEY(n, k, m) { #n, k, offsetof(VmunitConfig, n), m }
#define KEY_FIELD(n, f, k, m) { #n, k, offsetof(VmunitConfig, f), m }
static const ConfigKey config_keys[] = {
        KEY(user,                    CONFIG_NAME,        0),
        KEY(group,                   CONFIG_NAME,        0),
        KEY(security_driver,         CONFIG_DRIVER_LIST, 0),
        KEY(dynamic_ownership,       CONFIG_BOOL,        0),
        KEY(remember_owner,          CONFIG_BOOL,        0),
        KEY(cgroup_device_acl,       CONFIG_DEVICE_LIST, 0),
        KEY(seccomp_sandbox,         CONFIG_BOOL,        0),
        KEY_FIELD(shutdown_timeout, shutdown_timeout_usec, CONFIG_SECONDS, CONFIG_SHUTDOWN_TIMEOUT_MAX_SEC),
        KEY(max_processes,           CONFIG_COUNT,       CONFIG_MAX_PROCESSES_MAX),
        KEY(hugetlbfs_mount,         CONFIG_PATH,        0),
        KEY(spice_tls_x509_cert_dir, CONFIG_PATH,        0),
};
#undef KEY
#undef KEY_FIELD

static const char * const security_drivers[] = { "dac", "selinux", "apparmor", "none", NULL };

bool config_security_driver_known(const char *name) {
        for (size_t i = 0; security_drivers[i]; i++)
                if (streq(security_drivers[i], name))
                        return true;
        return false;
}

static bool name_valid(const char *s) {
        size_t n;
        bool digits = true;

        /* libvirt's "+N": the number N, never a name. */
        if (s[0] == '+')
                return s[1] && strspn(s + 1, "0123456789") == strlen(s + 1) && name_valid(s + 1);
        n = strlen(s);

        if (n == 0 || n > 32)
                return false;
        for (const char *p = s; *p; p++) {
                bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
                bool digit = *p >= '0' && *p <= '9';
                if (!digit)
                        digits = false;
                if (p == s ? !(alpha || digit) : !(alpha || digit || *p == '.' || *p == '-'))
                        return false;
        }
        /* All digits: a uid/gid, which (uid_t) -1 is not. */
        return !digits || (n <= 10 && strtoull(s, NULL, 10) < UINT32_MAX);
}

static bool path_valid(const char *s) {
        if (s[0] != '/' || strlen(s) >= PATH_MAX)
                return false;
        for (const char *p = s; *p; p++) {
                if ((unsigned char) *p < ' ')
                        return false;
                if (*p != '/')
                        continue;
                /* No "//", "/./" or "/../" (nor "/." or "/.." at the end): one spelling per path. */
                if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2])) ||
                    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])))
                        return false;
        }
        return true;
}

static bool device_valid(const char *s) {
        const char *rest;

        if ((rest = startswith(s, "char-")) || (rest = startswith(s, "block-")))
                return *rest && strspn(rest, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(rest);
        return startswith(s, "/dev/") && s[5] && path_valid(s) && s[strlen(s) - 1] != '/';
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!*s || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_bool(const char *s, bool *ret) {
        if (streq(s, "1") || streq(s, "yes") || streq(s, "true"))
                *ret = true;
        else if (streq(s, "0") || streq(s, "no") || streq(s, "false"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int set_driver_list(Lexer *lx, const ConfigKey *k, Value *v, char ***field) {
        size_t n = strv_length(v->items);

        if (n == 0)
                return lex_fail(lx, v->line, "%s: the list is empty (leave the key out to detect the drivers)", k->name);
        for (size_t i = 0; i < n; i++) {
                const char *d = v->items[i];
                if (!config_security_driver_known(d))
                        return lex_fail(lx, v->line, "%s: unknown security driver '%s' (known: dac, selinux, apparmor, none)",
                                        k->name, d);
                if (streq(d, "none") && n > 1)
                        return lex_fail(lx, v->line, "%s: 'none' cannot be combined with other drivers", k->name);
                for (size_t j = 0; j < i; j++)
                        if (streq(v->items[j], d))
                                return lex_fail(lx, v->line, "%s: '%s' is listed twice", k->name, d);
        }
        strv_free(*field);
        *field = TAKE_PTR(v->items);
        return 0;
}

static int set_device_list(Lexer *lx, const ConfigKey *k, Value *v, char ***field) {
        if (!v->is_list)
                return lex_fail(lx, v->line, "%s: expected a list, like [ \"/dev/null\", \"/dev/kvm\" ]", k->name);
        STRV_FOREACH(d, v->items) {
                if (!device_valid(*d))
                        return lex_fail(lx, v->line, "%s: '%s' is neither a device node path under /dev/ "
                                        "nor a device class like char-pts or block-sd", k->name, *d);
                for (char **e = v->items; e < d; e++)
                        if (streq(*e, *d))
                                return lex_fail(lx, v->line, "%s: '%s' is listed twice", k->name, *d);
        }
        strv_free(*field);
        *field = v->items ? TAKE_PTR(v->items) : calloc(1, sizeof(char *));
        return *field ? 0 : -ENOMEM;
}

/* The session instance runs without privileges: a setting only they could carry out is refused where
 * it is written rather than failing, or being ignored, when a VM starts. */
static int check_session(Lexer *lx, const VmunitConfig *c, const ConfigKey *k, unsigned line) {
        if (!c->session)
                return 0;
        if (streq(k->name, "dynamic_ownership") && c->dynamic_ownership)
                return lex_fail(lx, line, "dynamic_ownership: the session instance cannot hand files to another "
                                "user, QEMU runs as you; set it to 0 or leave it out");
        if (streq(k->name, "security_driver"))
                STRV_FOREACH(d, c->security_driver)
                        if (streq(*d, "selinux") || streq(*d, "apparmor"))
                                return lex_fail(lx, line, "security_driver: '%s' labels files or loads profiles, "
                                                "which the session instance has no privilege for; use 'dac' or 'none'",
                                                *d);
        return 0;
}

static int set_value(Lexer *lx, VmunitConfig *c, const ConfigKey *k, Value *v) {
        void *field = (uint8_t *) c + k->offset;
        const char *s;
        uint64_t u;
        int r;

        switch (k->kind) {
        case CONFIG_DRIVER_LIST:
                return set_driver_list(lx, k, v, field);
        case CONFIG_DEVICE_LIST:
                return set_device_list(lx, k, v, field);
        case CONFIG_NAME:
        case CONFIG_PATH:
        case CONFIG_BOOL:
        case CONFIG_SECONDS:
        case CONFIG_COUNT:
                break;
        }

        if (v->is_list)
                return lex_fail(lx, v->line, "%s: expected a single value, not a list", k->name);
        s = v->items[0];
        switch (k->kind) {
        case CONFIG_NAME:
                if (!name_valid(s))
                        return lex_fail(lx, v->line, "%s: '%s' is not a valid user or group name or number", k->name, s);
                break;
        case CONFIG_PATH:
                if (!path_valid(s))
                        return lex_fail(lx, v->line, "%s: '%s' is not an absolute, normalized path", k->name, s);
                break;
        case CONFIG_BOOL:
                if (parse_bool(s, field) < 0)
                        return lex_fail(lx, v->line, "%s: expected 0 or 1, got '%s'", k->name, s);
                return 0;
        case CONFIG_SECONDS:
        case CONFIG_COUNT:
                r = parse_u64(s, k->max, &u);
                if (r < 0)
                        return lex_fail(lx, v->line, "%s: expected %s from 0 to %" PRIu64 ", got '%s'", k->name,
                                        k->kind == CONFIG_SECONDS ? "seconds" : "a number", k->max, s);
                *(uint64_t *) field = k->kind == CONFIG_SECONDS ? u * 1000000ULL : u;
                return 0;
        case CONFIG_DRIVER_LIST:
        case CONFIG_DEVICE_LIST:
                break;
        }
        /* A string: take it over. */
        free(*(char **) field);
        *(char **) field = TAKE_PTR(v->items[0]);
        return 0;
}

/* Reads the value after '=': a scalar or a [ list ]. */
static int parse_value(Lexer *lx, const char *key, Value *ret) {
        _cleanup_(token_done) Token t = {};
        int r;

        r = lex_next(lx, &t);
        if (r < 0)
                return r;
        ret->line = t.line;
        if (t.type == TOKEN_WORD || t.type == TOKEN_STRING) {
                ret->is_list = false;
                return strv_consume(&ret->items, TAKE_PTR(t.text));
        }
        if (t.type != TOKEN_LBRACKET)
                return lex_fail(lx, t.line, "%s: expected a value after '=', got %s", key, token_describe(&t));

        ret->is_list = true;
        for (;;) {
                token_done(&t);
                r = lex_next_skip_newlines(lx, &t);
                if (r < 0)
                        return r;
                if (t.type == TOKEN_RBRACKET)
                        return 0;       /* "[ ]", or a trailing comma */
                if (t.type != TOKEN_WORD && t.type != TOKEN_STRING)
                        return lex_fail(lx, t.line, "%s: expected a list item or ']', got %s", key,
                                        t.type == TOKEN_EOF ? "the end of the file (is a ']' missing?)" :
                                        token_describe(&t));
                r = strv_consume(&ret->items, TAKE_PTR(t.text));
                if (r < 0)
                        return r;
                r = lex_next_skip_newlines(lx, &t);
                if (r < 0)
                        return r;
                if (t.type == TOKEN_RBRACKET)
                        return 0;
                if (t.type != TOKEN_COMMA)
                        return lex_fail(lx, t.line, "%s: expected ',' or ']' after a list item, got %s", key,
                                        t.type == TOKEN_EOF ? "the end of the file (is a ']' missing?)" :
                                        token_describe(&t));
        }
}

static const ConfigKey *key_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].name, name))
                        return &config_keys[i];
        return NULL;
}

static int parse_all(Lexer *lx, VmunitConfig *c) {
        unsigned seen[ELEMENTSOF(config_keys)] = {};      /* line of each key's first setting */
        int r;

        for (;;) {
                _cleanup_(token_done) Token t = {}, eq = {}, end = {};
                _cleanup_(value_done) Value v = {};
                const ConfigKey *k;

                r = lex_next(lx, &t);
                if (r < 0)
                        return r;
                if (t.type == TOKEN_EOF)
                        return 0;
                if (t.type == TOKEN_NEWLINE)
                        continue;
                if (t.type != TOKEN_WORD)
                        return lex_fail(lx, t.line, "expected a setting name, got %s", token_describe(&t));
                k = key_find(t.text);
                if (!k)
                        return lex_fail(lx, t.line, "unknown setting '%s'", t.text);
                if (seen[k - config_keys])
                        return lex_fail(lx, t.line, "'%s' is set twice (first on line %u)", k->name, seen[k - config_keys]);
                seen[k - config_keys] = t.line;

                r = lex_next(lx, &eq);
                if (r < 0)
                        return r;
                if (eq.type != TOKEN_EQUALS)
                        return lex_fail(lx, eq.line, "expected '=' after '%s', got %s", k->name, token_describe(&eq));
                r = parse_value(lx, k->name, &v);
                if (r < 0)
                        return r;
                r = lex_next(lx, &end);
                if (r < 0)
                        return r;
                if (end.type != TOKEN_NEWLINE && end.type != TOKEN_EOF)
                        return lex_fail(lx, end.line, "%s: expected the end of the line after the value, got %s",
                                        k->name, token_describe(&end));
                r = set_value(lx, c, k, &v);
                if (r < 0)
                        return r;
                r = check_session(lx, c, k, v.line);
                if (r < 0)
                        return r;
        }
}

int config_parse(VmunitConfig *c, const char *text, size_t size, const char *filename, char **ret_error) {
        Lexer lx = { .p = text, .end = text + size, .filename = filename ?: "(config)", .line = 1 };
        int r;

        if (memchr(text, 0, size))
                r = lex_fail(&lx, 1, "the file contains a NUL byte");
        else
                r = parse_all(&lx, c);
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(lx.error);
        free(lx.error);
        return r;
}

int config_load(VmunitConfig *c, const char *path, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        r = read_file_full(path, CONFIG_FILE_SIZE_MAX, &buf, &n);
        if (r < 0)
                return r;
        return config_parse(c, buf, n, path, ret_error);
}
