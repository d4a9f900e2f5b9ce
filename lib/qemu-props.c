/* JSON property sets for QEMU options (see qemu-props.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "cleanup.h"
#include "qemu-props.h"

void props_init(Props *p) {
        p->o = json_object_new_object();
        p->error = p->o ? 0 : -ENOMEM;
}

static void props_add(Props *p, const char *key, json_object *v) {
        if (p->error < 0) {
                json_object_put(v);
                return;
        }
        if (!v || json_object_object_add(p->o, key, v) < 0) {
                json_object_put(v);
                p->error = -ENOMEM;
        }
}

void props_str(Props *p, const char *key, const char *value) {
        if (!value)
                return;
        props_add(p, key, json_object_new_string(value));
}

void props_strf(Props *p, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                if (p->error == 0)
                        p->error = -ENOMEM;
                return;
        }
        props_str(p, key, s);
}

void props_int(Props *p, const char *key, int64_t value) {
        props_add(p, key, json_object_new_int64(value));
}

void props_uint(Props *p, const char *key, uint64_t value) {
        if (value > INT64_MAX)
                props_add(p, key, json_object_new_uint64(value));
        else
                props_add(p, key, json_object_new_int64((int64_t) value));
}

void props_bool(Props *p, const char *key, bool value) {
        props_add(p, key, json_object_new_boolean(value));
}

void props_obj(Props *p, const char *key, Props *sub) {
        if (sub->error < 0 && p->error == 0)
                p->error = sub->error;
        props_add(p, key, TAKE_PTR(sub->o));
        props_done(sub);
}

void props_done(Props *p) {
        json_object_put(p->o);
        p->o = NULL;
        p->error = 0;
}

void argv_add_props(Argv *a, const char *option, Props *p) {
        const char *s;

        if (p->error < 0)
                argv_fail(a, p->error);
        else {
                s = json_object_to_json_string_ext(p->o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                if (!s)
                        argv_fail(a, -ENOMEM);
                else {
                        argv_add(a, option);
                        argv_add(a, s);
                }
        }
        props_done(p);
}

void props_add_null(Props *p, const char *key) {
        if (p->error < 0)
                return;
        if (json_object_object_add(p->o, key, NULL) < 0)
                p->error = -ENOMEM;
}
