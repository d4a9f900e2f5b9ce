/*
 * virtiofs (lib/virtiofs.c and the <filesystem> parser): virtiofsd's command line from the
 * <binary> settings, the socket path, the vhost-user descriptor lookup, and what the parser refuses
 * (shared memory per NUMA cell, the tag's length, queue='0').
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domxml-write.h"
#include "strv.h"
#include "test-util.h"
#include "virtiofs.h"

#define DOMAIN_HEAD                                                                             \
        "<domain type='qemu'><name>fs</name><uuid>6a2c1e1e-3d4f-4b7a-9c0e-0000f5f5000a</uuid>" \
        "<memory unit='MiB'>256</memory>"                                             \
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>"

static void build(const char *xml, TestBuild *t) {
        test_build(xml, strlen(xml), "fs.xml", t);
}

static char *joined(char **argv) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        cr_assert(f);
        STRV_FOREACH(a, argv)
                fprintf(f, "%s%s", a == argv ? "" : " ", *a);
        fclose(f);
        return s;
}

Test(virtiofs, daemon_argv_all_settings) {
        static const char xml[] = DOMAIN_HEAD
                "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking><devices>"
                "<filesystem type='mount'><driver type='virtiofs' queue='512'/>"
                "<binary path='/opt/virtiofsd' xattr='off'><cache mode='none'/><sandbox mode='namespace'/>"
                "<lock posix='on' flock='off'/><thread_pool size='4'/></binary>"
                "<source dir='/srv/a,b\\c'/><target dir='tag'/></filesystem></devices></domain>";
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *s = NULL;
        TestBuild t;

        build(xml, &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        const VmFilesystem *f = &t.def->filesystems[0];
        cr_assert(virtiofs_is(f));
        cr_assert_eq(f->queue_size, 512);
        cr_assert_str_eq(f->binary, "/opt/virtiofsd");
        cr_assert(virtiofs_daemon_argv(f, f->binary, "/run/x/fs0-fs.sock", &argv) == 0);
        s = joined(argv);
        /* libvirt's option order; the comma and backslash of the path escaped for libfuse's parser */
        cr_assert_str_eq(s, "/opt/virtiofsd --socket-path=/run/x/fs0-fs.sock "
                         "-o source=/srv/a\\,b\\\\c,cache=none,sandbox=namespace,no_xattr,no_flock,posix_lock "
                         "--thread-pool-size=4");
        test_build_done(&t);
        test_assert_no_leaks();
}

Test(virtiofs, daemon_argv_defaults_and_socket_paths) {
        static const char xml[] = DOMAIN_HEAD
                "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                "<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv/share'/>"
                "<target dir='share'/></filesystem>"
                "<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv/home'/>"
                "<target dir='home'/><alias name='ua-home'/></filesystem>"
                "<filesystem type='mount'><driver type='virtiofs'/><source socket='/run/ext.sock'/>"
                "<target dir='ext'/></filesystem>"
                "<filesystem type='mount'><source dir='/srv/9p'/><target dir='ninep'/></filesystem>"
                "</devices></domain>";
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *s = NULL, *p0 = NULL, *p1 = NULL, *p2 = NULL;
        TestBuild t;

        build(xml, &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        cr_assert(virtiofs_daemon_argv(&t.def->filesystems[0], "/usr/lib/qemu/virtiofsd", "/r/fs0-fs.sock",
                                       &argv) == 0);
        s = joined(argv);
        cr_assert_str_eq(s, "/usr/lib/qemu/virtiofsd --socket-path=/r/fs0-fs.sock -o source=/srv/share");
        cr_assert(virtiofs_socket_path(&t.def->filesystems[0], 0, "/r", &p0) == 0);
        cr_assert(virtiofs_socket_path(&t.def->filesystems[1], 1, "/r", &p1) == 0);
        cr_assert(virtiofs_socket_path(&t.def->filesystems[2], 2, "/r", &p2) == 0);
        cr_assert_str_eq(p0, "/r/fs0-fs.sock");
        cr_assert_str_eq(p1, "/r/ua-home-fs.sock");
        cr_assert_str_eq(p2, "/run/ext.sock");
        cr_assert(!virtiofs_is(&t.def->filesystems[3]));
        test_build_done(&t);
        test_assert_no_leaks();
}

static void write_text(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = test_strdupf("%s/%s", dir, name);
        cr_assert(test_write_file(p, text) == 0, "%s", p);
}

static void remove_tree(const char *root, const char * const *rel) {
        for (const char * const *r = rel; *r; r++) {
                _cleanup_free_ char *p = test_strdupf("%s/%s", root, *r);
                (void) unlink(p);
                (void) rmdir(p);
        }
        (void) rmdir(root);
}

/* The admin's descriptor hides the package's of the same name; names sort; other types, broken
 * JSON and relative binaries are passed over. */
Test(virtiofs, find_binary) {
        static const char * const files[] = {
                "etc/50-qemu-virtiofsd.json", "etc/10-broken.json", "usr/50-qemu-virtiofsd.json",
                "usr/20-gpu.json", "usr/30-relative.json", "usr/60-other-fs.json", "etc", "usr", NULL };
        char root[] = "/tmp/vmunit-virtiofs-XXXXXX";
        _cleanup_free_ char *etc = NULL, *usr = NULL, *dirs = NULL, *missing = NULL;
        char *b = NULL;

        cr_assert(mkdtemp(root));
        etc = test_strdupf("%s/etc", root);
        usr = test_strdupf("%s/usr", root);
        cr_assert(mkdir(etc, 0755) == 0 && mkdir(usr, 0755) == 0);
        dirs = test_strdupf("%s:%s", etc, usr);
        missing = test_strdupf("%s/none:%s/nothing", root, root);

        cr_assert_eq(virtiofs_find_binary(dirs, &b), -ENOENT);
        write_text(usr, "50-qemu-virtiofsd.json", "{ \"type\": \"fs\", \"binary\": \"/usr/lib/qemu/virtiofsd\" }");
        write_text(usr, "60-other-fs.json", "{ \"type\": \"fs\", \"binary\": \"/usr/bin/other\" }");
        write_text(usr, "20-gpu.json", "{ \"type\": \"gpu\", \"binary\": \"/usr/bin/vhost-user-gpu\" }");
        write_text(usr, "30-relative.json", "{ \"type\": \"fs\", \"binary\": \"virtiofsd\" }");
        write_text(etc, "10-broken.json", "{ not json");
        cr_assert(virtiofs_find_binary(dirs, &b) == 0);
        cr_assert_str_eq(b, "/usr/lib/qemu/virtiofsd");
        b = mfree(b);
        write_text(etc, "50-qemu-virtiofsd.json", "{ \"type\": \"fs\", \"binary\": \"/usr/local/bin/virtiofsd\" }");
        cr_assert(virtiofs_find_binary(dirs, &b) == 0);
        cr_assert_str_eq(b, "/usr/local/bin/virtiofsd");
        b = mfree(b);
        cr_assert_eq(virtiofs_find_binary(missing, &b), -ENOENT);
        remove_tree(root, files);
        cr_assert(access(root, F_OK) < 0, "%s left behind", root);
        test_assert_no_leaks();
}

static void assert_refused(const char *xml, const char *message) {
        TestBuild t;

        build(xml, &t);
        cr_assert_eq(t.r, -EINVAL, "accepted: %s", xml);
        cr_assert_str_eq(t.stage, "parse");
        cr_assert(t.error && strstr(t.error, message), "'%s' does not contain '%s'", strempty(t.error), message);
        test_build_done(&t);
}

#define FS_VIRTIOFS(tag) "<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv/s'/>" \
        "<target dir='" tag "'/></filesystem>"
#define NUMA(a0, a1) "<vcpu>2</vcpu><cpu><numa>"                                        \
        "<cell id='0' cpus='0' memory='128' unit='MiB'" a0 "/>"                         \
        "<cell id='1' cpus='1' memory='128' unit='MiB'" a1 "/></numa></cpu>"

/* libvirt's rule: every NUMA cell's memory shared, by its own memAccess or the global access mode. */
Test(virtiofs, shared_memory_per_cell) {
        TestBuild t;

        build(DOMAIN_HEAD NUMA(" memAccess='shared'", " memAccess='shared'") "<devices>" FS_VIRTIOFS("t")
              "</devices></domain>", &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        test_build_done(&t);
        build(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking>" NUMA("", "")
              "<devices>" FS_VIRTIOFS("t") "</devices></domain>", &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        test_build_done(&t);
        assert_refused(DOMAIN_HEAD NUMA(" memAccess='shared'", "") "<devices>" FS_VIRTIOFS("t")
                       "</devices></domain>", "fs.xml:1: <filesystem>: virtiofs requires shared memory");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking>"
                       NUMA("", " memAccess='private'") "<devices>" FS_VIRTIOFS("t") "</devices></domain>",
                       "virtiofs requires shared memory");
        assert_refused(DOMAIN_HEAD "<memoryBacking><source type='memfd'/></memoryBacking><devices>"
                       FS_VIRTIOFS("t") "</devices></domain>", "virtiofs requires shared memory");
        test_assert_no_leaks();
}

Test(virtiofs, refusals) {
        /* a 36-byte tag is QEMU's limit */
        static const char ok[] = DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                FS_VIRTIOFS("abcdefghijklmnopqrstuvwxyz0123456789") "</devices></domain>";
        TestBuild t;

        build(ok, &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        test_build_done(&t);
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       FS_VIRTIOFS("abcdefghijklmnopqrstuvwxyz0123456789X") "</devices></domain>",
                       "<filesystem>: the virtiofs mount tag 'abcdefghijklmnopqrstuvwxyz0123456789X' is longer than 36 bytes");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       "<filesystem type='mount'><driver type='virtiofs' queue='0'/><source dir='/srv/s'/>"
                       "<target dir='t'/></filesystem></devices></domain>",
                       "<filesystem><driver>: queue must be a positive number");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       "<filesystem type='mount'><driver type='virtiofs'/><binary path='virtiofsd'/>"
                       "<source dir='/srv/s'/><target dir='t'/></filesystem></devices></domain>",
                       "<filesystem><binary>: path must be absolute");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       "<filesystem type='mount'><driver type='virtiofs'/><binary><cache mode='auto'/></binary>"
                       "<source dir='/srv/s'/><target dir='t'/></filesystem></devices></domain>",
                       "attribute 'mode': unsupported value 'auto'");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       "<filesystem type='mount'><driver type='virtiofs'/><source/>"
                       "<target dir='t'/></filesystem></devices></domain>",
                       "needs <source dir='/absolute/path'> or <source socket='/path'>");
        assert_refused(DOMAIN_HEAD "<memoryBacking><access mode='shared'/></memoryBacking><devices>"
                       "<filesystem type='mount'><source dir='/srv/s'/><target dir='t'/><boot order='1'/>"
                       "</filesystem></devices></domain>", "<filesystem><boot>: unsupported element");
        test_assert_no_leaks();
}

/* The writer gives back every virtiofs setting, in libvirt's layout. */
Test(virtiofs, written_back) {
        _cleanup_free_ char *path = test_data_path("domxml-write/virtiofs.xml"), *xml = NULL, *out = NULL,
                            *error = NULL;
        size_t len;
        TestBuild t;

        cr_assert(test_read_file(path, &xml, &len) == 0, "%s", path);
        build(xml, &t);
        cr_assert(t.r == 0, "%s: %s", t.stage, strempty(t.error));
        cr_assert(domxml_write(t.def, &out, &error) == 0, "%s", strempty(error));
        cr_assert(strstr(out, "<driver type='virtiofs' queue='1024' iommu='on'/>\n"
                         "      <binary path='/usr/lib/qemu/virtiofsd' xattr='on'>\n"
                         "        <cache mode='always'/>\n"
                         "        <sandbox mode='chroot'/>\n"
                         "        <lock posix='off' flock='on'/>\n"
                         "        <thread_pool size='16'/>\n"
                         "      </binary>\n"
                         "      <source dir='/srv/share'/>\n"
                         "      <target dir='share'/>\n"
                         "      <boot order='2'/>\n"
                         "      <alias name='ua-share'/>"), "%s", out);
        cr_assert(strstr(out, "<source socket='/run/virtiofsd/ext.sock'/>"), "%s", out);
        test_build_done(&t);
        test_assert_no_leaks();
}
