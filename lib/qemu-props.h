/*
 * JSON property sets for -device/-blockdev/-object/-netdev/-audiodev (json-c). Keys are
 * constants; values are typed, so the JSON serialiser does all quoting and no XML value can
 * add a property. Sticky error like Argv. The same props are meant for QMP hotplug.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "argv.h"

typedef struct Props {
        json_object *o;
        int error;
} Props;

void props_init(Props *p);
void props_str(Props *p, const char *key, const char *value);      /* NULL value: skipped */
void props_strf(Props *p, const char *key, const char *fmt, ...) _printf_(3, 4);
void props_int(Props *p, const char *key, int64_t value);
void props_uint(Props *p, const char *key, uint64_t value);
void props_bool(Props *p, const char *key, bool value);
/* Nests @sub (taking its object) under @key. */
void props_obj(Props *p, const char *key, Props *sub);
/* Adds "@option" and the serialised JSON to @a; releases @p. */
void argv_add_props(Argv *a, const char *option, Props *p);
void props_done(Props *p);
void props_add_null(Props *p, const char *key);
