/* QEMU's option-value splitting, re-implemented for tests (see qemu-cmdline-parse.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-cmdline-parse.h"

static int add(OptList *l, char *key, char *value) {
        OptItem *n = realloc(l->items, (l->n + 1) * sizeof(OptItem));

        if (!n) {
                free(key);
                free(value);
                return -ENOMEM;
        }
        l->items = n;
        l->items[l->n++] = (OptItem) { key, value };
        return 0;
}

/* get_opt_value(): up to a single ',' (",," is one literal comma). */
static const char *opt_value(const char *p, char **ret) {
        size_t len = strlen(p);
        char *out = malloc(len + 1), *o = out;

        if (!out) {
                *ret = NULL;
                return NULL;
        }
        while (*p) {
                if (*p == ',') {
                        if (p[1] != ',')
                                break;
                        p++;
                }
                *o++ = *p++;
        }
        *o = 0;
        *ret = out;
        return p;
}

int qemu_opts_split(const char *s, OptList *ret) {
        OptList l = {};
        bool first = true;
        const char *p = s;

        for (;;) {
                size_t len = strcspn(p, "=,");
                char *key = NULL, *value = NULL;
                bool oom;
                int r;

                if (p[len] == '=') {
                        key = strndup(p, len);
                        p = opt_value(p + len + 1, &value);
                        oom = !key || !p;
                } else if (first) {
                        p = opt_value(p, &value);       /* the implied first option */
                        oom = !p;
                } else {
                        key = strndup(p, len);          /* a bare flag */
                        p += len;
                        oom = !key;
                }
                if (oom) {
                        free(key);
                        free(value);
                        opt_list_done(&l);
                        return -ENOMEM;
                }
                r = add(&l, key, value);
                if (r < 0) {
                        opt_list_done(&l);
                        return r;
                }
                first = false;
                if (*p != ',')
                        break;
                p++;
        }
        *ret = l;
        return 0;
}

int qemu_cpu_split(const char *s, OptList *ret) {
        OptList l = {};
        char *dup = strdup(s), *save = NULL, *model, *features;
        int r;

        if (!dup)
                return -ENOMEM;
        features = strchr(dup, ',');
        if (features)
                *features++ = 0;
        model = strdup(dup);
        r = model ? add(&l, NULL, model) : -ENOMEM;
        for (char *t = features ? strtok_r(features, ",", &save) : NULL; r >= 0 && t; t = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(t, '=');
                if (t[0] == '+' || t[0] == '-')
                        r = add(&l, strdup(t), NULL);   /* legacy "+feat"/"-feat": the rest is the name */
                else if (eq)
                        r = add(&l, strndup(t, (size_t) (eq - t)), strdup(eq + 1));
                else
                        r = add(&l, strdup(t), NULL);
        }
        free(dup);
        if (r < 0) {
                opt_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void opt_list_done(OptList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].key);
                free(l->items[i].value);
        }
        free(l->items);
        *l = (OptList) {};
}
