/*
 * Splitting one command line into words the way a POSIX shell does, without running anything:
 * blanks separate words; single quotes keep everything literally; double quotes keep everything
 * but \" \\ \$ \` and backslash-newline; an unquoted backslash quotes the next character; a '#'
 * starting a word begins a comment. Anything that would need the shell to *do* something
 * (expansions, redirections, pipes, command separators, background jobs) is refused, because the
 * words it would produce cannot be known here. Pure: no I/O.
 */
#pragma once

#include <stddef.h>

#define SHELL_WORDS_MAX_INPUT (16U * 1024U * 1024U)
#define SHELL_WORDS_MAX_WORDS 100000U

/* Splits @len bytes of @line into a NULL-terminated vector in *@ret. Returns 0, or -EINVAL with a
 * message ("column N: unterminated single quote") in *@ret_error when non-NULL: for unbalanced
 * quotes, a NUL byte, a trailing backslash, or a shell operator or expansion; -E2BIG past the
 * limits above; -ENOMEM. */
int shell_split(const char *line, size_t len, char ***ret, char **ret_error);
