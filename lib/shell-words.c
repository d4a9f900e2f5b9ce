/* POSIX shell word splitting without execution (see shell-words.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "shell-words.h"
#include "strv.h"

typedef struct Splitter {
        const char *s;
        size_t len, pos;
        char *word;                     /* the word being built */
        size_t word_len, word_cap;
        bool in_word;                   /* a word was started (it may be empty: '' is a word) */
        char **words;
        size_t n_words, cap_words;
        char *error;
} Splitter;

static int fail(Splitter *sp, size_t at, const char *fmt, ...) _printf_(3, 4);
static int fail(Splitter *sp, size_t at, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&sp->error, "column %zu: %s", at + 1, m) < 0)
                sp->error = NULL;
        return -EINVAL;
}

static int put(Splitter *sp, char c) {
        if (sp->word_len + 1 >= sp->word_cap) {
                size_t cap = sp->word_cap ? sp->word_cap * 2 : 64;
                char *n = realloc(sp->word, cap);
                if (!n)
                        return -ENOMEM;
                sp->word = n;
                sp->word_cap = cap;
        }
        sp->word[sp->word_len++] = c;
        sp->in_word = true;
        return 0;
}

static int end_word(Splitter *sp) {
        char *w;

        if (!sp->in_word)
                return 0;
        if (sp->n_words >= SHELL_WORDS_MAX_WORDS) {
                if (asprintf(&sp->error, "more than %u words", SHELL_WORDS_MAX_WORDS) < 0)
                        sp->error = NULL;
                return -E2BIG;
        }
        if (sp->n_words + 2 > sp->cap_words) {
                size_t cap = sp->cap_words ? sp->cap_words * 2 : 32;
                char **n = realloc(sp->words, cap * sizeof(char *));
                if (!n)
                        return -ENOMEM;
                sp->words = n;
                sp->cap_words = cap;
        }
        w = strndup(sp->word ?: "", sp->word_len);
        if (!w)
                return -ENOMEM;
        sp->words[sp->n_words++] = w;
        sp->words[sp->n_words] = NULL;
        sp->word_len = 0;
        sp->in_word = false;
        return 0;
}

static bool is_name_start(char c) {
        return c == '_' || c == '{' || c == '(' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || strchr("@*#?$!-", c);
}

/* '$' starts an expansion when a name, a special parameter, '{' or '(' follows; alone it is literal. */
static int check_dollar(Splitter *sp) {
        if (sp->pos + 1 < sp->len && is_name_start(sp->s[sp->pos + 1]))
                return fail(sp, sp->pos, "'$' expansion is not supported: write the value out");
        return 0;
}

static bool rest_is_blank(const Splitter *sp, size_t from) {
        for (size_t i = from; i < sp->len; i++)
                if (!strchr(" \t\r\n", sp->s[i]))
                        return false;
        return true;
}

static int split_single_quoted(Splitter *sp) {
        size_t start = sp->pos;
        int r;

        sp->in_word = true;
        for (sp->pos++; sp->pos < sp->len; sp->pos++) {
                if (sp->s[sp->pos] == '\'')
                        return 0;
                r = put(sp, sp->s[sp->pos]);
                if (r < 0)
                        return r;
        }
        return fail(sp, start, "unterminated single quote");
}

static int split_double_quoted(Splitter *sp) {
        size_t start = sp->pos;
        int r;

        sp->in_word = true;
        for (sp->pos++; sp->pos < sp->len; sp->pos++) {
                char c = sp->s[sp->pos];

                if (c == '"')
                        return 0;
                if (c == '`')
                        return fail(sp, sp->pos, "command substitution is not supported");
                if (c == '$') {
                        r = check_dollar(sp);
                        if (r < 0)
                                return r;
                }
                if (c == '\\' && sp->pos + 1 < sp->len && strchr("$`\"\\\n", sp->s[sp->pos + 1])) {
                        sp->pos++;
                        if (sp->s[sp->pos] == '\n')
                                continue;       /* line continuation */
                        c = sp->s[sp->pos];
                }
                r = put(sp, c);
                if (r < 0)
                        return r;
        }
        return fail(sp, start, "unterminated double quote");
}

int shell_split(const char *line, size_t len, char ***ret, char **ret_error) {
        Splitter sp = { .s = line, .len = len };
        int r = 0;

        assert(line || len == 0);
        if (len > SHELL_WORDS_MAX_INPUT) {
                if (ret_error && asprintf(ret_error, "the line is longer than %u bytes", SHELL_WORDS_MAX_INPUT) < 0)
                        *ret_error = NULL;
                return -E2BIG;
        }
        {
                const char *nul = memchr(line, 0, len);
                if (nul) {
                        r = fail(&sp, (size_t) (nul - line), "NUL byte in the command line");
                        goto finish;
                }
        }

        for (sp.pos = 0; sp.pos < len; sp.pos++) {
                char c = line[sp.pos];

                switch (c) {
                case ' ':
                case '\t':
                case '\r':
                        r = end_word(&sp);
                        break;
                case '\n':
                        r = end_word(&sp);
                        if (r == 0 && !rest_is_blank(&sp, sp.pos + 1))
                                r = fail(&sp, sp.pos, "the command continues on another line: put it on one line, "
                                         "or end the line with '\\'");
                        break;
                case '\'':
                        r = split_single_quoted(&sp);
                        break;
                case '"':
                        r = split_double_quoted(&sp);
                        break;
                case '\\':
                        if (sp.pos + 1 >= len) {
                                r = fail(&sp, sp.pos, "trailing backslash");
                                break;
                        }
                        sp.pos++;
                        if (line[sp.pos] != '\n')       /* backslash-newline continues the line */
                                r = put(&sp, line[sp.pos]);
                        break;
                case '#':
                        if (sp.in_word) {
                                r = put(&sp, c);
                                break;
                        }
                        while (sp.pos + 1 < len && line[sp.pos + 1] != '\n')
                                sp.pos++;       /* a comment, up to the end of the line */
                        break;
                case '|':
                case '&':
                case ';':
                case '<':
                case '>':
                case '(':
                case ')':
                        r = fail(&sp, sp.pos, "shell operator '%c' is not supported: give only the QEMU command "
                                 "(quote the character if it is part of an argument)", c);
                        break;
                case '`':
                        r = fail(&sp, sp.pos, "command substitution is not supported");
                        break;
                case '$':
                        r = check_dollar(&sp);
                        if (r == 0)
                                r = put(&sp, c);
                        break;
                case '~':
                        if (!sp.in_word) {
                                r = fail(&sp, sp.pos, "tilde expansion is not supported: write the path out");
                                break;
                        }
                        r = put(&sp, c);
                        break;
                default:
                        r = put(&sp, c);
                        break;
                }
                if (r < 0)
                        goto finish;
        }
        r = end_word(&sp);
        if (r < 0)
                goto finish;
        if (!sp.words) {
                sp.words = calloc(1, sizeof(char *));
                if (!sp.words) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        *ret = TAKE_PTR(sp.words);

finish:
        free(sp.word);
        if (sp.words) {
                for (size_t i = 0; i < sp.n_words; i++)
                        free(sp.words[i]);
                free(sp.words);
        }
        if (ret_error)
                *ret_error = TAKE_PTR(sp.error);
        free(sp.error);
        return r;
}
