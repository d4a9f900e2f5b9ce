/*
 * Scope-bound cleanup (__attribute__((cleanup))) for every owning type vmunit uses.
 * Each helper skips the type's "empty" value and resets the variable afterwards, so a
 * TAKE_PTR()/TAKE_FD() hand-off is always safe. libsystemd's own sd_*_unrefp helpers
 * come from its public headers and are not redefined here.
 */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "macro.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

#define DEFINE_CLEANUP_FUNC(type, func)                                 \
        static inline void func##p(type *p) {                           \
                if (*p) {                                               \
                        (void) func(*p);                                \
                        *p = NULL;                                      \
                }                                                       \
        }

static inline void freep(void *p) {
        free(*(void **) p);
        *(void **) p = NULL;
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -EBADF;
}

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
        *f = NULL;
}

DEFINE_CLEANUP_FUNC(DIR *, closedir);

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
