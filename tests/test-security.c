/*
 * The security drivers' common half and the DAC driver (lib/security*.c), on real files: a
 * temporary directory on /var/tmp (ext4 or whatever the host has; the trusted.vmunit.* xattrs need
 * root and a file system with trusted xattrs, which every test here checks it got).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "domxml.h"
#include "security.h"

#define OWNER_UID 1234
#define OWNER_GID 1235
#define QEMU_UID 4321
#define QEMU_GID 4322

static char tmp[] = "/var/tmp/vmunit-security-XXXXXX";
static char journal_a[PATH_MAX], journal_b[PATH_MAX];
static const SecurityUser qemu_user = { .uid = QEMU_UID, .gid = QEMU_GID, .name = "qemu-test" };

static void setup(void) {
        cr_assert_not_null(mkdtemp(tmp));
        cr_assert_eq(chmod(tmp, 0755), 0);
        snprintf(journal_a, sizeof(journal_a), "%s/journal-a", tmp);
        snprintf(journal_b, sizeof(journal_b), "%s/journal-b", tmp);
}

static void teardown(void) {
        char *cmd = NULL;
        cr_assert_gt(asprintf(&cmd, "rm -rf '%s'", tmp), 0);
        cr_assert_eq(system(cmd), 0);
        free(cmd);
        strcpy(tmp, "/var/tmp/vmunit-security-XXXXXX");
}

TestSuite(security, .init = setup, .fini = teardown);

static char *mkfile(const char *name, mode_t mode, uid_t uid, gid_t gid) {
        char *p = NULL;
        int fd;

        cr_assert_gt(asprintf(&p, "%s/%s", tmp, name), 0);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        cr_assert_geq(fd, 0, "%s: %m", p);
        cr_assert_eq(fchmod(fd, mode), 0);
        cr_assert_eq(fchown(fd, uid, gid), 0);
        close(fd);
        return p;
}

static void assert_owner(const char *path, uid_t uid, gid_t gid) {
        struct stat st;
        cr_assert_eq(stat(path, &st), 0, "%s: %m", path);
        cr_assert_eq(st.st_uid, uid, "%s: uid %u, expected %u", path, (unsigned) st.st_uid, (unsigned) uid);
        cr_assert_eq(st.st_gid, gid, "%s: gid %u, expected %u", path, (unsigned) st.st_gid, (unsigned) gid);
}

static bool has_remembered(const char *path) {
        char buf[256];
        return getxattr(path, "trusted.vmunit.dac", buf, sizeof(buf)) >= 0;
}

static SecurityResource resource(char *path, bool readonly, bool shared) {
        return (SecurityResource) { .path = path, .kind = SECURITY_RESOURCE_IMAGE, .element = "disk", .line = 7,
                                    .readonly = readonly, .shared = shared, .relabel = true };
}

static int prepare(SecurityResource *items, size_t n, const char *journal, char **error) {
        SecurityResources res = { .items = items, .n = n };
        SecurityDacOptions o = { .user = &qemu_user, .remember_owner = true, .journal = journal,
                                 .domain_path = "/etc/vmunit/domains/t.xml" };
        return security_dac_prepare(&res, &o, error);
}

Test(security, trusted_xattrs_available) {
        char *p = mkfile("probe", 0600, 0, 0);
        /* Everything below relies on it; say so plainly if the host cannot. */
        cr_assert_eq(setxattr(p, "trusted.vmunit.probe", "1", 1, 0), 0,
                     "trusted xattrs are not available on %s (not root, or the file system lacks them): %m", tmp);
        free(p);
}

Test(security, owner_changed_then_restored) {
        char *disk = mkfile("disk.img", 0600, OWNER_UID, OWNER_GID);
        SecurityResource r = resource(disk, false, false);
        char *error = NULL;

        cr_assert_eq(prepare(&r, 1, journal_a, &error), 0, "%s", error ?: "?");
        assert_owner(disk, QEMU_UID, QEMU_GID);
        cr_assert(has_remembered(disk));
        cr_assert_eq(access(journal_a, F_OK), 0);

        cr_assert_eq(security_restore(journal_a, &error), 0, "%s", error ?: "?");
        assert_owner(disk, OWNER_UID, OWNER_GID);
        cr_assert_not(has_remembered(disk));
        cr_assert_neq(access(journal_a, F_OK), 0, "the journal is removed after the restore");
        /* A second restore (say after a crash during the first) has nothing to do. */
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        free(disk);
}

Test(security, shared_disk_restored_by_last_user_only) {
        char *disk = mkfile("shared.img", 0640, OWNER_UID, OWNER_GID);
        SecurityResource r = resource(disk, false, true);
        char buf[64];
        ssize_t n;

        cr_assert_eq(prepare(&r, 1, journal_a, NULL), 0);
        cr_assert_eq(prepare(&r, 1, journal_b, NULL), 0);
        assert_owner(disk, QEMU_UID, QEMU_GID);
        n = getxattr(disk, "trusted.vmunit.dac", buf, sizeof(buf) - 1);
        cr_assert_gt(n, 0);
        buf[n] = 0;
        cr_assert_str_eq(buf, "2 1234:1235");

        /* A stops first: B still runs, the disk stays QEMU's. */
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        assert_owner(disk, QEMU_UID, QEMU_GID);
        cr_assert(has_remembered(disk));
        /* B stops: the original owner comes back, not QEMU's user that B saw. */
        cr_assert_eq(security_restore(journal_b, NULL), 0);
        assert_owner(disk, OWNER_UID, OWNER_GID);
        cr_assert_not(has_remembered(disk));
        free(disk);
}

Test(security, without_remember_owner_journal_restores) {
        char *disk = mkfile("plain.img", 0600, OWNER_UID, OWNER_GID);
        SecurityResource r = resource(disk, false, false);
        SecurityResources res = { .items = &r, .n = 1 };
        SecurityDacOptions o = { .user = &qemu_user, .remember_owner = false, .journal = journal_a,
                                 .domain_path = "t.xml" };

        cr_assert_eq(security_dac_prepare(&res, &o, NULL), 0);
        assert_owner(disk, QEMU_UID, QEMU_GID);
        cr_assert_not(has_remembered(disk));
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        assert_owner(disk, OWNER_UID, OWNER_GID);
        free(disk);
}

Test(security, readonly_never_made_writable) {
        char *world = mkfile("world.iso", 0644, OWNER_UID, OWNER_GID);
        char *grp = mkfile("group.iso", 0640, OWNER_UID, OWNER_GID);
        char *own = mkfile("owner.iso", 0400, OWNER_UID, OWNER_GID);
        SecurityResource r[] = { resource(world, true, false), resource(grp, true, false), resource(own, true, false) };
        char *error = NULL;

        cr_assert_eq(prepare(r, 3, journal_a, &error), 0, "%s", error ?: "?");
        assert_owner(world, OWNER_UID, OWNER_GID);      /* readable already: untouched */
        assert_owner(grp, OWNER_UID, QEMU_GID);         /* the group may read, not write */
        assert_owner(own, QEMU_UID, OWNER_GID);         /* the owner may read, not write */
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        assert_owner(grp, OWNER_UID, OWNER_GID);
        assert_owner(own, OWNER_UID, OWNER_GID);
        free(world);
        free(grp);
        free(own);
}

Test(security, failure_leaves_nothing_changed) {
        char *a = mkfile("a.img", 0600, OWNER_UID, OWNER_GID);
        char *b = mkfile("b.iso", 0600, OWNER_UID, OWNER_GID);     /* read-only, but only the owner may write */
        SecurityResource r[] = { resource(a, false, false), resource(b, true, false) };
        char *error = NULL;

        cr_assert_eq(prepare(r, 2, journal_a, &error), -EACCES);
        cr_assert_not_null(error);
        cr_assert_not_null(strstr(error, "/etc/vmunit/domains/t.xml:7: <disk> '"), "%s", error);
        cr_assert_not_null(strstr(error, "b.iso': QEMU's user 'qemu-test' may not read it (mode 0600"), "%s", error);
        cr_assert_not_null(strstr(error, "chmod o+r"), "%s", error);
        assert_owner(a, OWNER_UID, OWNER_GID);
        assert_owner(b, OWNER_UID, OWNER_GID);
        cr_assert_not(has_remembered(a));
        cr_assert_neq(access(journal_a, F_OK), 0);
        free(error);
        free(a);
        free(b);
}

Test(security, crash_journal_reclaimed) {
        char *disk = mkfile("crash.img", 0600, OWNER_UID, OWNER_GID);
        SecurityResource r = resource(disk, false, false);

        cr_assert_eq(prepare(&r, 1, journal_a, NULL), 0);
        /* The supervisor dies here; its successor finds the journal. A record cut short by the
         * crash is ignored. */
        int fd = open(journal_a, O_WRONLY | O_APPEND);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "dac\0/nonexist", 13), 13);
        close(fd);
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        assert_owner(disk, OWNER_UID, OWNER_GID);
        free(disk);
}

Test(security, chardev_output_created_for_qemu) {
        char *log = NULL;
        SecurityResource r = { .kind = SECURITY_RESOURCE_CHARDEV_FILE, .element = "serial", .relabel = true };

        cr_assert_gt(asprintf(&log, "%s/serial.log", tmp), 0);
        r.path = log;
        cr_assert_eq(prepare(&r, 1, journal_a, NULL), 0);
        assert_owner(log, QEMU_UID, QEMU_GID);
        cr_assert_eq(security_restore(journal_a, NULL), 0);
        assert_owner(log, 0, 0);        /* the output stays, the supervisor's */
        free(log);
}

Test(security, parent_directory_not_traversable) {
        char *dir = NULL, *disk = NULL, *error = NULL;
        SecurityResource r;
        SecurityResources res = { .items = &r, .n = 1 };

        cr_assert_gt(asprintf(&dir, "%s/private", tmp), 0);
        cr_assert_eq(mkdir(dir, 0700), 0);
        cr_assert_gt(asprintf(&disk, "%s/private/disk.img", tmp), 0);
        r = resource(disk, false, false);
        cr_assert_eq(security_check_access(&res, &qemu_user, true, "/etc/vmunit/domains/t.xml", &error), -EACCES);
        cr_assert_not_null(strstr(error, "/etc/vmunit/domains/t.xml:7: <disk> '"), "%s", error);
        cr_assert_not_null(strstr(error, "cannot reach it: directory '"), "%s", error);
        cr_assert_not_null(strstr(error, "private' (mode 0700, owner 0:0)"), "%s", error);
        cr_assert_not_null(strstr(error, "'chmod o+x "), "%s", error);
        free(error);
        error = NULL;

        /* Searchable by QEMU's group is enough. */
        cr_assert_eq(chown(dir, 0, QEMU_GID), 0);
        cr_assert_eq(chmod(dir, 0710), 0);
        cr_assert_eq(security_check_access(&res, &qemu_user, true, "t.xml", &error), 0, "%s", error ?: "?");
        free(dir);
        free(disk);
}

Test(security, access_check_without_dynamic_ownership) {
        char *disk = mkfile("mine.img", 0600, OWNER_UID, OWNER_GID), *error = NULL;
        SecurityResource r = resource(disk, false, false);
        SecurityResources res = { .items = &r, .n = 1 };

        cr_assert_eq(security_check_access(&res, &qemu_user, false, "t.xml", &error), -EACCES);
        cr_assert_not_null(strstr(error, "may not write it (mode 0600, owner 1234:1235)"), "%s", error);
        free(error);
        cr_assert_eq(chown(disk, QEMU_UID, 0), 0);
        cr_assert_eq(security_check_access(&res, &qemu_user, false, "t.xml", NULL), 0);
        free(disk);
}

static VmDef *parse(const char *devices, const char *os_extra) {
        char *xml = NULL, *err = NULL;
        VmDef *def = NULL;

        cr_assert_gt(asprintf(&xml,
                "<domain type='qemu'><name>t</name><memory unit='MiB'>128</memory>"
                "<os><type arch='x86_64' machine='q35'>hvm</type>%s</os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices></domain>",
                os_extra, devices), 0);
        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "test.xml", 0, &def, &err, NULL), 0, "%s", err ?: "?");
        free(xml);
        return def;
}

Test(security_resources, collected_with_access) {
        _cleanup_(vm_def_freep) VmDef *def = parse(
                "<disk type='file' device='disk'><source file='/img/a.qcow2'/>"
                "<backingStore type='file'><format type='raw'/><source file='/img/base.raw'/></backingStore>"
                "<target dev='vda' bus='virtio'/></disk>\n"
                "<disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='sda' bus='sata'/>"
                "<readonly/></disk>\n"
                "<disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdb' bus='virtio'/>"
                "<shareable/></disk>\n"
                "<disk type='network' device='disk'><source protocol='nbd' name='e'><host name='h' port='1'/>"
                "</source><target dev='vdc' bus='virtio'/></disk>\n"
                "<serial type='file'><source path='/var/log/t.log'/><target port='0'/></serial>"
                "<channel type='unix'><source mode='bind' path='/srv/sock/ga.sock'/>"
                "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
                "<kernel>/boot/vmlinuz</kernel><initrd>/boot/initrd</initrd>");
        SecurityResources res;
        static const struct { const char *path; SecurityResourceKind kind; bool ro, shared; } want[] = {
                { "/img/a.qcow2", SECURITY_RESOURCE_IMAGE, false, false },
                { "/img/base.raw", SECURITY_RESOURCE_IMAGE, true, false },
                { "/iso/x.iso", SECURITY_RESOURCE_IMAGE, true, false },
                { "/dev/sdz", SECURITY_RESOURCE_IMAGE, false, true },
                { "/boot/vmlinuz", SECURITY_RESOURCE_BOOT, true, true },
                { "/boot/initrd", SECURITY_RESOURCE_BOOT, true, true },
                { "/var/log/t.log", SECURITY_RESOURCE_CHARDEV_FILE, false, false },
                { "/srv/sock", SECURITY_RESOURCE_SOCKET_DIR, false, false },
        };

        cr_assert_eq(security_resources_collect(def, &res), 0);
        cr_assert_eq(res.n, ELEMENTSOF(want), "%zu resources", res.n);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                cr_expect_str_eq(res.items[i].path, want[i].path);
                cr_expect_eq(res.items[i].kind, want[i].kind, "%s", want[i].path);
                cr_expect_eq(res.items[i].readonly, want[i].ro, "%s", want[i].path);
                cr_expect_eq(res.items[i].shared, want[i].shared, "%s", want[i].path);
                cr_expect(res.items[i].relabel);
        }
        cr_expect_eq(res.items[0].line, 1);
        cr_expect_eq(res.items[2].line, 2);
        security_resources_done(&res);
}

Test(security_resources, relabel_no) {
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        const char *xml =
                "<domain type='qemu'><name>t</name><memory unit='MiB'>128</memory>"
                "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                "<disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
                "</devices><seclabel type='none' model='dac' relabel='no'/></domain>";
        SecurityResources res;

        cr_assert_eq(domxml_parse_memory(xml, strlen(xml), "t.xml", 0, &def, NULL, NULL), 0);
        cr_assert_eq(security_resources_collect(def, &res), 0);
        cr_assert_eq(res.n, 1);
        cr_assert_not(res.items[0].relabel);
        security_resources_done(&res);
}

Test(security_drivers, select) {
        char *none[] = { "none", NULL }, *dac[] = { "dac", NULL }, *se[] = { "dac", "selinux", NULL },
             *aa[] = { "apparmor", NULL };
        VmSeclabel sl = { .present = true, .line = 9 };
        char *error = NULL;
        unsigned m;

        /* detect: DAC always, MAC where the host runs it */
        cr_assert_eq(security_drivers_select(NULL, false, false, NULL, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC);
        cr_assert_eq(security_drivers_select(NULL, true, true, NULL, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC | SECURITY_DRIVER_SELINUX | SECURITY_DRIVER_APPARMOR);
        cr_assert_eq(security_drivers_select(none, true, true, NULL, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, 0);
        cr_assert_eq(security_drivers_select(dac, true, true, NULL, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC);
        cr_assert_eq(security_drivers_select(se, true, false, NULL, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC | SECURITY_DRIVER_SELINUX);

        /* configured but not on this host */
        cr_assert_eq(security_drivers_select(aa, true, false, NULL, "/etc/vmunit/vmunit.conf", "d", &m, &error),
                     -EOPNOTSUPP);
        cr_expect_str_eq(error, "/etc/vmunit/vmunit.conf: security_driver 'apparmor': AppArmor is not enabled on this host.");
        free(error);
        error = NULL;

        /* <seclabel model=> must name an active driver */
        sl.model = "selinux";
        sl.type = "dynamic";
        cr_assert_eq(security_drivers_select(NULL, false, false, &sl, "vmunit.conf", "/etc/vmunit/domains/x.xml", &m, &error),
                     -EOPNOTSUPP);
        cr_expect_str_eq(error, "/etc/vmunit/domains/x.xml:9: <seclabel>: model 'selinux' is not an active security driver "
                         "on this host (see security_driver in vmunit.conf)");
        free(error);
        error = NULL;
        cr_assert_eq(security_drivers_select(NULL, true, false, &sl, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC | SECURITY_DRIVER_SELINUX);

        /* type='none' switches its model off; without a model, every MAC driver */
        sl.type = "none";
        cr_assert_eq(security_drivers_select(NULL, true, true, &sl, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC | SECURITY_DRIVER_APPARMOR);
        sl.model = NULL;
        cr_assert_eq(security_drivers_select(NULL, true, true, &sl, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_DAC);
        sl.model = "dac";
        cr_assert_eq(security_drivers_select(NULL, true, false, &sl, "c", "d", &m, NULL), 0);
        cr_expect_eq(m, SECURITY_DRIVER_SELINUX);
}
