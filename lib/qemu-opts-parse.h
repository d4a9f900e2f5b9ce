/*
 * Reading QEMU option strings: the parser counterpart of qemu-opts.h. "key=value,key=value"
 * (QemuOpts/keyval: an implied first key, bare "flag" = on, "noflag" = off) and the JSON form
 * of -device/-blockdev/-object/-netdev/-audiodev both become one flat list of key/value pairs,
 * nested JSON objects as dotted keys ("cache.direct") like keyval's own syntax.
 * QEMU's ",," un-escaping lives in qemu_unescape_value() and nowhere else.
 * Every accessor marks what it read as used, so that whatever an importer did not understand can
 * be found afterwards (qemu_opt_first_unused()) instead of being dropped silently.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "model.h"

typedef struct QemuOptPair {
        char *key;
        char *value;                    /* NULL only for a JSON null */
        bool used;
} QemuOptPair;

typedef struct QemuOptList {
        QemuOptPair *v;
        size_t n;
        bool json;                      /* given as a JSON object */
} QemuOptList;

/* Reads the value starting at @s up to the first ',' that is not doubled, turning ",," into ","
 * (the inverse of qemu_escape_value()). *@ret_end is set to the terminating ',' or NUL. */
int qemu_unescape_value(const char *s, char **ret, const char **ret_end);

/* Parses @s. When @s starts with '{' it must be one JSON object (nesting depth <= 8); otherwise
 * it is key=value syntax where a first element without '=' is the value of @implied_key (NULL:
 * no implied key, so it is a flag). Returns 0, or -EINVAL with a message in *@ret_error. */
int qemu_opts_parse(const char *s, const char *implied_key, QemuOptList *ret, char **ret_error);
void qemu_opt_list_done(QemuOptList *l);

/* The last value given for @key (QEMU's "last one wins"), marking every occurrence used; NULL when
 * absent or JSON null. */
const char *qemu_opt_get(QemuOptList *l, const char *key);
/* Whether @key is present at all (also as JSON null); marks it used. */
bool qemu_opt_has(QemuOptList *l, const char *key);
/* Marks @key used without reading it (values vmunit recreates itself, such as ids). */
void qemu_opt_ignore(QemuOptList *l, const char *key);
/* on/off, yes/no, true/false. 0 when absent (*@ret untouched), 1 when read, -EINVAL when malformed. */
int qemu_opt_get_bool(QemuOptList *l, const char *key, VmTristate *ret);
/* Decimal, or hex with 0x. Same return convention. */
int qemu_opt_get_u64(QemuOptList *l, const char *key, uint64_t *ret);
int qemu_opt_get_uint(QemuOptList *l, const char *key, unsigned *ret);
/* A size in bytes: a number with an optional suffix B, K, M, G, T, P, E (powers of 1024, either
 * case, fractions allowed as in "1.5G"); a number without suffix is multiplied by @default_unit. */
int qemu_parse_size(const char *s, uint64_t default_unit, uint64_t *ret);
int qemu_opt_get_size(QemuOptList *l, const char *key, uint64_t default_unit, uint64_t *ret);
/* The first key nobody read, or NULL. */
const char *qemu_opt_first_unused(const QemuOptList *l);
/* "a, b=x, c" of every unused key (malloc'd), or NULL when all were used. */
char *qemu_opt_unused_list(const QemuOptList *l);

static inline void qemu_opt_list_donep(QemuOptList *l) {
        qemu_opt_list_done(l);
}
