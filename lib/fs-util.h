/*
 * Whole-file I/O with the guarantees a definition store needs: a file is replaced atomically
 * and durably, or not at all.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes @len bytes of @data to @dir/@name with @mode: a temporary file beside it (".#NAME.XXXXXX"),
 * written and fsync()ed, renamed over @name, and then @dir fsync()ed so that the rename itself
 * survives a crash. Readers see the old file or the new one, never a mixture. On failure the
 * temporary file is gone and @name is as it was. Returns 0 or -errno. */
int write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* Reads the regular file @path whole, NUL-terminated, refusing more than @max bytes (-EFBIG) and
 * anything but a regular file (-EBADFD; symlinks are followed). Returns 0 or -errno (-ENOENT). */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_len);
/* Reads @fd (a file, a pipe, standard input) to its end, NUL-terminated; -EFBIG beyond @max bytes. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_len);
/* The same, @path relative to the directory @dir_fd (or AT_FDCWD). */
int read_file_fullat(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_len);
