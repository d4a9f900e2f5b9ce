/* Reading QEMU option strings, key=value and JSON (see qemu-opts-parse.h). */
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "qemu-opts-parse.h"

#define JSON_MAX_DEPTH 8

int qemu_unescape_value(const char *s, char **ret, const char **ret_end) {
        size_t n = 0;
        const char *p;
        char *out, *o;

        for (p = s; *p; p++) {
                if (*p == ',') {
                        if (p[1] != ',')
                                break;
                        p++;
                }
                n++;
        }
        out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        for (p = s, o = out; *p; p++) {
                if (*p == ',') {
                        if (p[1] != ',')
                                break;
                        p++;
                }
                *o++ = *p;
        }
        *o = 0;
        *ret = out;
        if (ret_end)
                *ret_end = p;
        return 0;
}

void qemu_opt_list_done(QemuOptList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].key);
                free(l->v[i].value);
        }
        l->v = mfree(l->v);
        l->n = 0;
        l->json = false;
}

/* Takes @key and @value (either may be NULL on a failed allocation: then -ENOMEM). */
static int list_add(QemuOptList *l, char *key, char *value, bool null_value) {
        QemuOptPair *n;

        if (!key || (!value && !null_value)) {
                free(key);
                free(value);
                return -ENOMEM;
        }
        n = realloc(l->v, (l->n + 1) * sizeof(QemuOptPair));
        if (!n) {
                free(key);
                free(value);
                return -ENOMEM;
        }
        l->v = n;
        l->v[l->n++] = (QemuOptPair) { .key = key, .value = value };
        return 0;
}

static int set_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static int json_flatten(QemuOptList *l, const char *prefix, json_object *o, unsigned depth, char **ret_error) {
        int r;

        if (depth > JSON_MAX_DEPTH)
                return set_error(ret_error, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
        json_object_object_foreach(o, k, v) {
                _cleanup_free_ char *key = NULL;

                if (!*k || strchr(k, '.'))
                        return set_error(ret_error, "invalid JSON key '%s'", k);
                if (asprintf(&key, "%s%s%s", strempty(prefix), prefix ? "." : "", k) < 0)
                        return -ENOMEM;
                switch (json_object_get_type(v)) {
                case json_type_null:
                        r = list_add(l, TAKE_PTR(key), NULL, true);
                        break;
                case json_type_boolean:
                        r = list_add(l, TAKE_PTR(key), strdup(json_object_get_boolean(v) ? "on" : "off"), false);
                        break;
                case json_type_int:
                case json_type_double:
                case json_type_string:
                        r = list_add(l, TAKE_PTR(key), strdup(json_object_get_string(v)), false);
                        break;
                case json_type_object:
                        r = json_flatten(l, key, v, depth + 1, ret_error);
                        break;
                case json_type_array: {
                        size_t n = json_object_array_length(v);
                        r = 0;
                        for (size_t i = 0; i < n && r >= 0; i++) {
                                json_object *e = json_object_array_get_idx(v, i);
                                _cleanup_free_ char *ik = NULL;
                                if (asprintf(&ik, "%s.%zu", key, i) < 0)
                                        return -ENOMEM;
                                if (json_object_is_type(e, json_type_object))
                                        r = json_flatten(l, ik, e, depth + 1, ret_error);
                                else if (json_object_is_type(e, json_type_array))
                                        r = set_error(ret_error, "nested JSON arrays under '%s' are not supported", key);
                                else
                                        r = list_add(l, TAKE_PTR(ik), e ? strdup(json_object_get_string(e)) : NULL, !e);
                        }
                        break;
                }
                default:
                        r = set_error(ret_error, "unexpected JSON value for '%s'", key);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_json(const char *s, QemuOptList *l, char **ret_error) {
        json_tokener *tok;
        json_object *o;
        size_t len = strlen(s), end;
        int r;

        if (len > INT_MAX)
                return set_error(ret_error, "JSON too long");
        tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, s, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                r = set_error(ret_error, "invalid JSON: %s",
                              json_tokener_error_desc(json_tokener_get_error(tok) == json_tokener_continue
                                                      ? json_tokener_error_parse_eof : json_tokener_get_error(tok)));
                json_object_put(o);
                json_tokener_free(tok);
                return r;
        }
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (s[end + strspn(s + end, " \t\r\n")] != 0) {
                json_object_put(o);
                return set_error(ret_error, "trailing characters after the JSON object");
        }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return set_error(ret_error, "the JSON value is not an object");
        }
        l->json = true;
        r = json_flatten(l, NULL, o, 1, ret_error);
        json_object_put(o);
        return r;
}

int qemu_opts_parse(const char *s, const char *implied_key, QemuOptList *ret, char **ret_error) {
        QemuOptList l = {};
        const char *p = s;
        bool first = true;
        int r = 0;

        assert(s);
        if (s[0] == '{') {
                r = parse_json(s, &l, ret_error);
                goto finish;
        }
        while (*p) {
                size_t n = strcspn(p, "=,");
                char *key, *value;

                if (first && implied_key && p[n] != '=') {
                        r = qemu_unescape_value(p, &value, &p);
                        if (r < 0)
                                goto finish;
                        r = list_add(&l, strdup(implied_key), value, false);
                } else if (p[n] != '=') {
                        /* a bare flag: "server" is server=on, and (as QEMU reads it) "nowait" is wait=off */
                        if (n == 0) {
                                r = set_error(ret_error, "empty option in '%s'", s);
                                goto finish;
                        }
                        if (n > 2 && startswith(p, "no"))
                                r = list_add(&l, strndup(p + 2, n - 2), strdup("off"), false);
                        else
                                r = list_add(&l, strndup(p, n), strdup("on"), false);
                        p += n;
                } else {
                        if (n == 0) {
                                r = set_error(ret_error, "empty key in '%s'", s);
                                goto finish;
                        }
                        key = strndup(p, n);
                        r = qemu_unescape_value(p + n + 1, &value, &p);
                        if (r < 0) {
                                free(key);
                                goto finish;
                        }
                        r = list_add(&l, key, value, false);
                }
                if (r < 0)
                        goto finish;
                if (*p == ',')
                        p++;
                first = false;
        }

finish:
        if (r < 0) {
                qemu_opt_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

static QemuOptPair *find_last(QemuOptList *l, const char *key) {
        QemuOptPair *last = NULL;

        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i].key, key)) {
                        l->v[i].used = true;
                        last = &l->v[i];
                }
        return last;
}

const char *qemu_opt_get(QemuOptList *l, const char *key) {
        QemuOptPair *p = find_last(l, key);

        return p ? p->value : NULL;
}

bool qemu_opt_has(QemuOptList *l, const char *key) {
        return find_last(l, key) != NULL;
}

void qemu_opt_ignore(QemuOptList *l, const char *key) {
        (void) find_last(l, key);
}

int qemu_opt_get_bool(QemuOptList *l, const char *key, VmTristate *ret) {
        const char *v = qemu_opt_get(l, key);

        if (!v)
                return 0;
        if (streq(v, "on") || streq(v, "yes") || streq(v, "true"))
                *ret = VM_TRISTATE_ON;
        else if (streq(v, "off") || streq(v, "no") || streq(v, "false"))
                *ret = VM_TRISTATE_OFF;
        else
                return -EINVAL;
        return 1;
}

static int parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!*s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int qemu_opt_get_u64(QemuOptList *l, const char *key, uint64_t *ret) {
        const char *v = qemu_opt_get(l, key);

        if (!v)
                return 0;
        return parse_u64(v, ret) < 0 ? -EINVAL : 1;
}

int qemu_opt_get_uint(QemuOptList *l, const char *key, unsigned *ret) {
        uint64_t v;
        int r;

        r = qemu_opt_get_u64(l, key, &v);
        if (r <= 0)
                return r;
        if (v > UINT_MAX)
                return -EINVAL;
        *ret = (unsigned) v;
        return 1;
}

int qemu_parse_size(const char *s, uint64_t default_unit, uint64_t *ret) {
        static const char suffixes[] = "BKMGTPE";
        uint64_t unit = default_unit;
        long double v;
        char *end;
        const char *sfx;

        if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtold(s, &end);
        if (errno != 0 || end == s || isnan(v) || v < 0)
                return -EINVAL;
        if (*end) {
                if (end[1] != 0 || !(sfx = strchr(suffixes, (char) (*end >= 'a' && *end <= 'z' ? *end - 32 : *end))))
                        return -EINVAL;
                unit = 1;
                for (const char *q = suffixes + 1; q <= sfx; q++)
                        unit *= 1024;
        }
        v *= (long double) unit;
        if (v >= 18446744073709551615.0L)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

int qemu_opt_get_size(QemuOptList *l, const char *key, uint64_t default_unit, uint64_t *ret) {
        const char *v = qemu_opt_get(l, key);

        if (!v)
                return 0;
        return qemu_parse_size(v, default_unit, ret) < 0 ? -EINVAL : 1;
}

const char *qemu_opt_first_unused(const QemuOptList *l) {
        for (size_t i = 0; i < l->n; i++)
                if (!l->v[i].used)
                        return l->v[i].key;
        return NULL;
}

char *qemu_opt_unused_list(const QemuOptList *l) {
        char *out = NULL;
        size_t len = 0;
        FILE *f;
        bool first = true;

        if (!qemu_opt_first_unused(l))
                return NULL;
        f = open_memstream(&out, &len);
        if (!f)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].used)
                        continue;
                fprintf(f, "%s%s", first ? "" : ", ", l->v[i].key);
                first = false;
        }
        if (fclose(f) != 0)
                return mfree(out);
        return out;
}
