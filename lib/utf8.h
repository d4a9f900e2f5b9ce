/*
 * UTF-8 validation without libxml2 (the lean supervisor links none): what D-Bus requires of
 * every string it carries.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

/* Is @s well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF? */
bool utf8_is_valid(const char *s) _pure_;
