/*
 * Enum <-> string tables: DEFINE_STRING_TABLE_LOOKUP(name, type) gives
 * name_to_string(type) (NULL when out of range) and name_from_string(const char*)
 * (-EINVAL when unknown), over a designated-initializer table name_table[].
 */
#pragma once

#include "macro.h"

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                  \
        const char *name##_to_string(type i) {                                  \
                if ((int) i < 0 || (size_t) i >= ELEMENTSOF(name##_table))      \
                        return NULL;                                            \
                return name##_table[i];                                         \
        }                                                                       \
        type name##_from_string(const char *s) {                                \
                if (!s)                                                         \
                        return (type) -EINVAL;                                  \
                for (size_t _i = 0; _i < ELEMENTSOF(name##_table); _i++)        \
                        if (name##_table[_i] && streq(name##_table[_i], s))     \
                                return (type) _i;                               \
                return (type) -EINVAL;                                          \
        }

#define DECLARE_STRING_TABLE_LOOKUP(name, type)                                 \
        const char *name##_to_string(type i) _pure_;                            \
        type name##_from_string(const char *s) _pure_
