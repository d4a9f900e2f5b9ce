/*
 * Runtime directory and state file: see state.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "state.h"

static int mkdir_ok(const char *path, mode_t mode) {
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int state_runtime_dir_lock(const char *root, const char *dir, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mkdir_ok(root, 0755);
        if (r < 0)
                return r;
        r = mkdir_ok(dir, 0700);
        if (r < 0)
                return r;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The missing parents of @path, 0755 (/var/lib/vmunit, or ~/.local/share/vmunit of a fresh home). */
static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        int r;

        if (!p)
                return -ENOMEM;
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                r = mkdir_ok(p, 0755);
                *slash = '/';
                if (r < 0)
                        return r;
        }
        return 0;
}

int state_runtime_dir_prepare(const char *runtime_dir, const char *state_dir, const SandboxUser *user) {
        int r;

        /* Ours (root's, or the user's in the session instance), QEMU's by group. */
        if (chown(runtime_dir, getuid(), user->gid) < 0 || chmod(runtime_dir, 01770) < 0)
                return -errno;

        r = mkdir_parents(state_dir);
        if (r < 0)
                return r;
        r = mkdir_ok(state_dir, 0750);
        if (r < 0)
                return r;
        if (chown(state_dir, user->uid, user->gid) < 0 || chmod(state_dir, 0750) < 0)
                return -errno;
        return 0;
}

int state_runtime_dir_clean(const char *dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        r = -errno;
        }
        return r;
}

int state_runtime_dir_remove(const char *dir) {
        int r;

        r = state_runtime_dir_clean(dir);
        if (rmdir(dir) < 0 && errno != ENOENT)
                return -errno;
        return r;
}

int state_write(const char *path, pid_t pid, uint64_t pid_start, const char *unit) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "wxe");
        if (!f && errno == EEXIST) {
                (void) unlink(tmp);
                f = fopen(tmp, "wxe");
        }
        if (!f)
                return -errno;
        fprintf(f, "PID=%d\nPID_START=%llu\nUNIT=%s\n", (int) pid, (unsigned long long) pid_start, unit);
        if (fflush(f) != 0 || ferror(f) || fchmod(fileno(f), 0644) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r ?: -EIO;
        }
        if (rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int state_read(const char *path, StateInfo *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        StateInfo st = {};
        char line[512];

        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                const char *v;
                if ((v = startswith(line, "PID=")))
                        st.pid = (pid_t) strtol(v, NULL, 10);
                else if ((v = startswith(line, "PID_START=")))
                        st.pid_start = strtoull(v, NULL, 10);
                else if ((v = startswith(line, "UNIT="))) {
                        free(st.unit);
                        st.unit = strdup(v);
                        if (!st.unit)
                                return -ENOMEM;
                }
        }
        if (st.pid <= 1 || !st.unit || strchr(st.unit, '/')) {
                free(st.unit);
                return -EBADMSG;
        }
        *ret = st;
        return 0;
}

int state_read_pid_start(pid_t pid, uint64_t *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], buf[1024], *p;
        unsigned long long start;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof(buf), f))
                return -EIO;
        /* comm may contain anything, ')' included: the fields start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        /* field 3 is state; starttime is field 22 */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &start) != 1)
                return -EBADMSG;
        if (p[2] == 'Z')
                return -ESRCH;
        *ret = start;
        return 0;
}

bool state_pid_matches(pid_t pid, uint64_t pid_start, const char *unit) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], line[4096];
        uint64_t start;
        size_t ul = strlen(unit);

        if (state_read_pid_start(pid, &start) < 0 || start != pid_start)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                size_t l = strcspn(line, "\n");
                line[l] = 0;
                /* "0::/machine.slice/machine-NAME.scope" (cgroup v2 entry) */
                if (!startswith(line, "0::"))
                        continue;
                if (l > ul && line[l - ul - 1] == '/' && streq(line + l - ul, unit))
                        return true;
        }
        return false;
}
