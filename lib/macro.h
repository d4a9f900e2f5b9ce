/*
 * vmunit's small macro kit: the handful of helpers every file uses (array size, zeroed
 * allocation, ownership hand-off, string equality). Written for vmunit; modelled on the
 * behaviour of systemd's macros, not copied from them.
 */
#pragma once

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _noreturn_ __attribute__((noreturn))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define new0(t, n) ((t *) calloc((n) ?: 1, sizeof(t)))

/* Hand an owned pointer/fd out of a cleanup scope: returns the value, leaves the "empty" one. */
#define TAKE_PTR(p)                             \
        ({                                      \
                typeof(p) _p_ = (p);            \
                (p) = NULL;                     \
                _p_;                            \
        })
#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -EBADF;                  \
                _fd_;                           \
        })

#define ASSERT_PTR(p)                           \
        ({                                      \
                typeof(p) _q_ = (p);            \
                assert(_q_);                    \
                _q_;                            \
        })

/* Public-API argument check: returns @r from the calling function when @expr is false. */
#define assert_return(expr, r)                  \
        do {                                    \
                if (!(expr))                    \
                        return (r);             \
        } while (false)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
