/*
 * Argv: an execv()-shaped argument vector with a sticky error (libvirt's virCommand idea,
 * git's strvec invariant). Call sites read like the command line; the first failure is kept
 * and reported once by argv_steal(). QEMU option syntax lives in qemu-opts.h, not here.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct Argv {
        char **v;               /* always NULL-terminated once anything was added */
        size_t n;
        int error;              /* first failure (-errno), sticky; 0 if none */
        const char *error_option, *error_key;   /* constants: where the first failure came from, if known */
} Argv;

void argv_add(Argv *a, const char *arg);                  /* copies @arg */
void argv_addf(Argv *a, const char *fmt, ...) _printf_(2, 3);
void argv_consume(Argv *a, char *arg);                    /* takes @arg; NULL means -ENOMEM */
void argv_fail(Argv *a, int error);                       /* records @error unless one is set */

/* Returns a->error (freeing the vector) or hands the vector to @ret and returns 0. */
int argv_steal(Argv *a, char ***ret);
void argv_done(Argv *a);
