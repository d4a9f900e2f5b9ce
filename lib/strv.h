/*
 * NULL-terminated string vectors (char **): the execv() shape. Helpers never leave a
 * vector without its terminating NULL.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

char **strv_free(char **l);
DEFINE_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l) _pure_;

/* Appends @s (taking ownership) to *@l. On -ENOMEM @s is freed and *@l is unchanged. */
int strv_consume(char ***l, char *s);

/* Appends a copy of @s to *@l. */
int strv_extend(char ***l, const char *s);

/* Is @s one of @l's strings? */
bool strv_contains(char * const *l, const char *s) _pure_;
