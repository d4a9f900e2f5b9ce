/*
 * QEMU's "key=value,key=value" option syntax (QemuOpts/keyval), built safely.
 * The comma escaper lives here and only here: keys are compile-time constants, every
 * value goes through qemu_escape_value(), so no XML value can add a property.
 */
#pragma once

#include "argv.h"
#include "macro.h"

/* QEMU's option parser splits on ',' and reads ",," as one literal comma. A newline cannot
 * be carried through -readconfig or QMP and an empty value is never what the user meant,
 * so both are refused (-EINVAL). Returns 0 and a newly allocated string in @ret. */
int qemu_escape_value(const char *s, char **ret);

typedef struct QemuOpts {
        char *buf;              /* NUL-terminated, NULL while empty */
        size_t len;
        int error;              /* sticky, like Argv */
        const char *error_key;  /* constant: the key whose value failed, if known */
} QemuOpts;

/* Appends "key=escaped(value)"; @key must be a constant. A NULL @value is skipped. */
void qemu_opts_add(QemuOpts *o, const char *key, const char *value);
void qemu_opts_addf(QemuOpts *o, const char *key, const char *fmt, ...) _printf_(3, 4);
/* Appends "key=" plus the escaped value, allowing an empty value (udp's host=, localaddr=). */
void qemu_opts_add_empty_ok(QemuOpts *o, const char *key, const char *value);
/* Appends a bare positional value (-cpu MODEL): escaped, and refused if it contains '=' (which
 * would turn it into a key). */
void qemu_opts_add_positional(QemuOpts *o, const char *value);
/* Appends a constant flag or fixed "key=value" text that contains no user data. */
void qemu_opts_add_literal(QemuOpts *o, const char *text);

/* Adds "@option" and the option string to @a, moving errors over; frees @o's contents. */
void argv_add_opts(Argv *a, const char *option, QemuOpts *o);
void qemu_opts_done(QemuOpts *o);
