/*
 * The domain store (lib/domain-store.c) and the atomic file replacement under it (lib/fs-util.c),
 * in a temporary directory: atomic replace and its failure paths, bounded reads, listing, the
 * autostart entries, refused names, the user instance's paths.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-store.h"
#include "fs-util.h"
#include "strv.h"

static char tmpdir[] = "/tmp/vmunit-test-store.XXXXXX";
static DomainStore store;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void setup(void) {
        _cleanup_free_ char *d = NULL, *a = NULL;

        cr_assert_not_null(mkdtemp(tmpdir));
        cr_assert(asprintf(&d, "%s/etc/domains", tmpdir) > 0 && asprintf(&a, "%s/etc/autostart", tmpdir) > 0);
        cr_assert_eq(domain_store_init_dirs(&store, d, a), 0);
}

static void teardown(void) {
        domain_store_done(&store);
        cr_assert_eq(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Names in @dir, sorted, joined by ' ' ("" when empty). */
static char *dir_listing(const char *dir) {
        _cleanup_strv_free_ char **names = NULL;
        struct dirent **list;
        char *out = NULL;
        size_t len = 0;
        FILE *f;
        int n;

        n = scandir(dir, &list, NULL, alphasort);
        cr_assert(n >= 0, "scandir %s", dir);
        f = open_memstream(&out, &len);
        for (int i = 0; i < n; i++) {
                if (!streq(list[i]->d_name, ".") && !streq(list[i]->d_name, ".."))
                        fprintf(f, "%s%s", len > 0 || ftell(f) > 0 ? " " : "", list[i]->d_name);
                free(list[i]);
        }
        free(list);
        fclose(f);
        return out;
}

static char *slurp(const char *path) {
        char *t = NULL;

        cr_assert_eq(read_file_full(path, 1 << 20, &t, NULL), 0, "read %s", path);
        return t;
}

TestSuite(fs_util, .init = setup, .fini = teardown);
TestSuite(domain_store, .init = setup, .fini = teardown);

Test(fs_util, atomic_write_creates_and_replaces) {
        _cleanup_free_ char *path = NULL, *t = NULL, *t2 = NULL, *ls = NULL;
        struct stat st;

        cr_assert(asprintf(&path, "%s/f", tmpdir) > 0);
        cr_assert_eq(write_file_atomic(tmpdir, "f", "one\n", 4, 0640), 0);
        t = slurp(path);
        cr_expect_str_eq(t, "one\n");
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0640);

        cr_assert_eq(write_file_atomic(tmpdir, "f", "two", 3, 0600), 0);
        t2 = slurp(path);
        cr_expect_str_eq(t2, "two");
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0600);
        ls = dir_listing(tmpdir);
        cr_expect_str_eq(ls, "f", "a temporary file was left: %s", ls);
}

/* rename() over a directory fails: the error comes back, the directory is as it was, no
 * temporary file is left behind. */
Test(fs_util, atomic_write_failure_changes_nothing) {
        _cleanup_free_ char *sub = NULL, *inner = NULL, *ls = NULL, *ls_sub = NULL;

        cr_assert(asprintf(&sub, "%s/d", tmpdir) > 0 && asprintf(&inner, "%s/d/keep", tmpdir) > 0);
        cr_assert_eq(mkdir(sub, 0755), 0);
        cr_assert_eq(write_file_atomic(sub, "keep", "x", 1, 0644), 0);
        cr_expect_eq(write_file_atomic(tmpdir, "d", "data", 4, 0644), -EISDIR);
        ls = dir_listing(tmpdir);
        cr_expect_str_eq(ls, "d");
        ls_sub = dir_listing(sub);
        cr_expect_str_eq(ls_sub, "keep");

        cr_expect_eq(write_file_atomic("/nonexistent-vmunit-dir", "f", "x", 1, 0644), -ENOENT);
}

Test(fs_util, read_file_full_limits) {
        _cleanup_free_ char *path = NULL, *t = NULL;
        char *none = NULL;
        size_t len = 0;

        cr_assert(asprintf(&path, "%s/f", tmpdir) > 0);
        cr_assert_eq(write_file_atomic(tmpdir, "f", "0123456789", 10, 0644), 0);
        cr_expect_eq(read_file_full(path, 9, &none, NULL), -EFBIG);
        cr_expect_null(none);
        cr_assert_eq(read_file_full(path, 10, &t, &len), 0);
        cr_expect_eq(len, 10);
        cr_expect_str_eq(t, "0123456789");
        cr_expect_eq(read_file_full(tmpdir, 100, &none, NULL), -EBADFD);
        cr_expect_eq(read_file_full("/nonexistent-vmunit-file", 100, &none, NULL), -ENOENT);
        cr_expect_null(none);
}

Test(domain_store, missing_directory_is_an_empty_store) {
        _cleanup_strv_free_ char **names = NULL;

        cr_assert_eq(domain_store_list(&store, &names), 0);
        cr_assert_not_null(names);
        cr_expect_eq(strv_length(names), 0);
        cr_expect_eq(domain_store_read(&store, "web", &(char *) { NULL }, NULL), -ENOENT);
        cr_expect_eq(domain_store_remove(&store, "web"), -ENOENT);
        cr_expect_eq(domain_store_get_autostart(&store, "web"), 0);
        cr_expect_eq(domain_store_set_autostart(&store, "web", true), -ENOENT);
        cr_expect_eq(domain_store_set_autostart(&store, "web", false), 0);
}

Test(domain_store, write_list_read_remove) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *t = NULL, *junk = NULL, *ls = NULL, *path = NULL;
        size_t len;
        struct stat st;

        cr_assert_eq(domain_store_write(&store, "web", "<domain/>", 9), 0);
        cr_assert_eq(domain_store_write(&store, "my vm \"q\"", "A", 1), 0);
        cr_assert_eq(domain_store_write(&store, "Alpha", "B", 1), 0);
        /* not domains: a hidden name, another suffix, a temporary file */
        cr_assert(asprintf(&junk, "%s/.hidden.xml", store.domain_dir) > 0);
        cr_assert_eq(write_file_atomic(store.domain_dir, ".hidden.xml", "x", 1, 0644), 0);
        cr_assert_eq(write_file_atomic(store.domain_dir, "notes.txt", "x", 1, 0644), 0);
        cr_assert_eq(write_file_atomic(store.domain_dir, ".#web.xml.AbCdEf", "x", 1, 0644), 0);

        cr_assert_eq(domain_store_list(&store, &names), 0);
        cr_assert_eq(strv_length(names), 3);
        cr_expect_str_eq(names[0], "Alpha");
        cr_expect_str_eq(names[1], "my vm \"q\"");
        cr_expect_str_eq(names[2], "web");

        cr_assert_eq(domain_store_read(&store, "web", &t, &len), 0);
        cr_expect_str_eq(t, "<domain/>");
        cr_expect_eq(len, 9);
        cr_assert_eq(domain_store_path(&store, "web", &path), 0);
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 07777, 0600, "a definition may hold passwords");

        cr_assert_eq(domain_store_remove(&store, "web"), 0);
        cr_expect_eq(domain_store_read(&store, "web", &(char *) { NULL }, NULL), -ENOENT);
        ls = dir_listing(store.domain_dir);
        cr_expect_str_eq(ls, ".#web.xml.AbCdEf .hidden.xml Alpha.xml my vm \"q\".xml notes.txt");
}

Test(domain_store, autostart_entries) {
        _cleanup_free_ char *link = NULL, *ls = NULL, *ls2 = NULL;
        char target[256];
        ssize_t n;

        cr_assert_eq(domain_store_write(&store, "web", "x", 1), 0);
        cr_expect_eq(domain_store_get_autostart(&store, "web"), 0);
        cr_assert_eq(domain_store_set_autostart(&store, "web", true), 0);
        cr_expect_eq(domain_store_get_autostart(&store, "web"), 1);
        cr_assert_eq(domain_store_set_autostart(&store, "web", true), 0);         /* again: still one */
        cr_assert(asprintf(&link, "%s/web", store.autostart_dir) > 0);
        n = readlink(link, target, sizeof(target) - 1);
        cr_assert(n > 0);
        target[n] = 0;
        cr_expect_str_eq(target, "../domains/web.xml");
        ls = dir_listing(store.autostart_dir);
        cr_expect_str_eq(ls, "web");
        /* the link resolves to the definition */
        cr_expect_eq(access(link, R_OK), 0);

        cr_assert_eq(domain_store_set_autostart(&store, "web", false), 0);
        cr_expect_eq(domain_store_get_autostart(&store, "web"), 0);
        cr_assert_eq(domain_store_set_autostart(&store, "web", false), 0);

        /* undefine takes the entry along */
        cr_assert_eq(domain_store_set_autostart(&store, "web", true), 0);
        cr_assert_eq(domain_store_remove(&store, "web"), 0);
        ls2 = dir_listing(store.autostart_dir);
        cr_expect_str_eq(ls2, "");
}

Test(domain_store, refuses_invalid_names) {
        static const char * const bad[] = { "", "a/b", "../x", "..", ".x", "nl\n" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                cr_expect_eq(domain_store_write(&store, bad[i], "x", 1), -EINVAL, "#%zu", i);
                cr_expect_eq(domain_store_read(&store, bad[i], &(char *) { NULL }, NULL), -EINVAL);
                cr_expect_eq(domain_store_remove(&store, bad[i]), -EINVAL);
                cr_expect_eq(domain_store_get_autostart(&store, bad[i]), -EINVAL);
                cr_expect_eq(domain_store_set_autostart(&store, bad[i], true), -EINVAL);
        }
        cr_expect_eq(access(store.domain_dir, F_OK), -1, "nothing was created");
}

Test(domain_store, user_paths) {
        DomainStore u;
        _cleanup_free_ char *old_xdg = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
        _cleanup_free_ char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

        cr_assert_eq(setenv("XDG_CONFIG_HOME", "/x/cfg", 1), 0);
        cr_assert_eq(domain_store_init(&u, true), 0);
        cr_expect_str_eq(u.domain_dir, "/x/cfg/vmunit/domains");
        cr_expect_str_eq(u.autostart_dir, "/x/cfg/vmunit/autostart");
        domain_store_done(&u);

        cr_assert_eq(unsetenv("XDG_CONFIG_HOME"), 0);
        cr_assert_eq(setenv("HOME", "/home/u", 1), 0);
        cr_assert_eq(domain_store_init(&u, true), 0);
        cr_expect_str_eq(u.domain_dir, "/home/u/.config/vmunit/domains");
        domain_store_done(&u);

        cr_assert_eq(unsetenv("HOME"), 0);
        cr_expect_eq(domain_store_init(&u, true), -ENXIO);

        cr_assert_eq(domain_store_init(&u, false), 0);
        cr_expect_str_eq(u.domain_dir, "/etc/vmunit/domains");
        cr_expect_str_eq(u.autostart_dir, "/etc/vmunit/autostart");
        domain_store_done(&u);

        if (old_xdg)
                setenv("XDG_CONFIG_HOME", old_xdg, 1);
        if (old_home)
                setenv("HOME", old_home, 1);
}
