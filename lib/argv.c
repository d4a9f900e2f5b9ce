/* The sticky-error argument vector (see argv.h). */
#include <stdio.h>
#include <stdlib.h>

#include "argv.h"
#include "strv.h"

void argv_fail(Argv *a, int error) {
        assert(error < 0);
        if (a->error == 0)
                a->error = error;
}

void argv_consume(Argv *a, char *arg) {
        char **c;

        if (a->error < 0) {
                free(arg);
                return;
        }
        if (!arg)
                return argv_fail(a, -ENOMEM);

        c = realloc(a->v, sizeof(char *) * (a->n + 2));
        if (!c) {
                free(arg);
                return argv_fail(a, -ENOMEM);
        }
        c[a->n++] = arg;
        c[a->n] = NULL;
        a->v = c;
}

void argv_add(Argv *a, const char *arg) {
        if (a->error < 0)
                return;
        argv_consume(a, strdup(arg));
}

void argv_addf(Argv *a, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int r;

        if (a->error < 0)
                return;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return argv_fail(a, -ENOMEM);
        argv_consume(a, s);
}

void argv_done(Argv *a) {
        a->v = strv_free(a->v);
        a->n = 0;
        a->error = 0;
}

int argv_steal(Argv *a, char ***ret) {
        int r = a->error;

        if (r < 0) {
                argv_done(a);
                return r;
        }
        if (!a->v) {
                a->v = new0(char *, 1);
                if (!a->v)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(a->v);
        a->n = 0;
        return 0;
}
