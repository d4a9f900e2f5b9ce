/*
 * Host capabilities: see capabilities.h. The probe reads files only (cpuinfo, sysfs, the emulator
 * directories, /dev/kvm); the XML goes through the domain writer's XmlWriter.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libxml/xmlstring.h>

#include "capabilities.h"
#include "cleanup.h"
#include "domxml-write-internal.h"
#include "fs-util.h"
#include "security-selinux.h"
#include "strv.h"
#include "user-lookup.h"

#define CPUINFO_SIZE_MAX (8U * 1024U * 1024U)
#define SMALL_FILE_MAX 4096U


static const char * const default_emulator_dirs[] = { "/usr/bin", "/usr/local/bin", "/usr/libexec", NULL };

/* qemu-system-SUFFIX -> libvirt's architecture name and word size. */
static const struct {
        const char *suffix, *arch;
        unsigned wordsize;
} qemu_archs[] = {
        { "aarch64", "aarch64", 64 },   { "alpha", "alpha", 64 },       { "arm", "armv7l", 32 },
        { "cris", "cris", 32 },         { "hppa", "parisc", 32 },       { "i386", "i686", 32 },
        { "loongarch64", "loongarch64", 64 }, { "m68k", "m68k", 32 },   { "microblaze", "microblaze", 32 },
        { "microblazeel", "microblazeel", 32 }, { "mips", "mips", 32 }, { "mipsel", "mipsel", 32 },
        { "mips64", "mips64", 64 },     { "mips64el", "mips64el", 64 }, { "or1k", "or32", 32 },
        { "ppc", "ppc", 32 },           { "ppc64", "ppc64", 64 },       { "riscv32", "riscv32", 32 },
        { "riscv64", "riscv64", 64 },   { "s390x", "s390x", 64 },       { "sh4", "sh4", 32 },
        { "sh4eb", "sh4eb", 32 },       { "sparc", "sparc", 32 },       { "sparc64", "sparc64", 64 },
        { "x86_64", "x86_64", 64 },     { "xtensa", "xtensa", 32 },     { "xtensaeb", "xtensaeb", 32 },
};

/* The guest architectures qemu-argv*.c builds for (qemu-prepare.c refuses the others). */
static bool arch_supported(const char *arch) {
        return streq(arch, "x86_64") || streq(arch, "i686");
}

static int note(HostCaps *c, const char *fmt, ...) _printf_(2, 3);
static int note(HostCaps *c, const char *fmt, ...) {
        char *s;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return strv_consume(&c->notes, s);
}

static char *path_join(const char *root, const char *dflt_root, const char *rel) {
        char *s;

        return asprintf(&s, "%s/%s", root ?: dflt_root, rel) < 0 ? NULL : s;
}

/* The file's first line (of at most SMALL_FILE_MAX bytes), without its line end. */
static int read_line(const char *path, char **ret) {
        int r;

        r = read_file_full(path, SMALL_FILE_MAX, ret, NULL);
        if (r < 0)
                return r;
        (*ret)[strcspn(*ret, "\n")] = 0;
        return 0;
}

/* ---- host ---- */

typedef struct CpuInfo {
        char *vendor, *model;
        unsigned processors, cores, siblings;
        int ids[256];                   /* distinct "physical id"s seen */
        unsigned n_ids;
} CpuInfo;

static void cpuinfo_line(CpuInfo *ci, const char *key, const char *value) {
        if (streq(key, "processor"))
                ci->processors++;
        else if (streq(key, "vendor_id") && !ci->vendor)
                ci->vendor = strdup(streq(value, "GenuineIntel") ? "Intel" :
                                    streq(value, "AuthenticAMD") ? "AMD" :
                                    streq(value, "HygonGenuine") ? "Hygon" : value);
        else if (streq(key, "model name") && !ci->model)
                ci->model = strdup(value);
        else if (streq(key, "cpu cores") && !ci->cores)
                ci->cores = (unsigned) strtoul(value, NULL, 10);
        else if (streq(key, "siblings") && !ci->siblings)
                ci->siblings = (unsigned) strtoul(value, NULL, 10);
        else if (streq(key, "physical id")) {
                int id = (int) strtol(value, NULL, 10);
                for (unsigned i = 0; i < ci->n_ids; i++)
                        if (ci->ids[i] == id)
                                return;
                if (ci->n_ids < ELEMENTSOF(ci->ids))
                        ci->ids[ci->n_ids++] = id;
        }
}

static int probe_cpu(HostCaps *c, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        CpuInfo ci = {};
        char line[4096];
        size_t total = 0;

        if (!f)
                return note(c, "%s: %m; no CPU model or topology", path);
        while (fgets(line, sizeof(line), f) && (total += strlen(line)) < CPUINFO_SIZE_MAX) {
                char *colon = strchr(line, ':'), *key = line, *value, *end;
                if (!colon)
                        continue;
                *colon = 0;
                value = colon + 1 + strspn(colon + 1, " \t");
                value[strcspn(value, "\n")] = 0;
                for (end = colon; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
                        ;
                *end = 0;
                cpuinfo_line(&ci, key, value);
        }
        c->cpu_vendor = ci.vendor;
        c->cpu_model = ci.model;
        /* libvirt's topology: sockets, dies in a socket, cores in a die, threads in a core */
        c->sockets = MAX(ci.n_ids, 1U);
        c->dies = 1;
        c->cores = ci.cores ?: MAX(ci.processors / c->sockets, 1U);
        c->threads = ci.cores && ci.siblings >= ci.cores ? ci.siblings / ci.cores : 1;
        return 0;
}

static bool uuid_shape(const char *s) {
        if (strlen(s) != 36)
                return false;
        for (size_t i = 0; i < 36; i++)
                if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
                        return false;
        return strspn(s, "0-") != 36;   /* firmware that leaves it unset fills in zeros */
}

/* SMBIOS's system UUID when readable (root only), else the machine ID in UUID form. */
static int probe_uuid(HostCaps *c, const HostCapsRoots *roots) {
        _cleanup_free_ char *smbios = path_join(roots->sysfs, "/sys", "class/dmi/id/product_uuid"), *line = NULL;
        int r;

        if (!smbios)
                return -ENOMEM;
        r = read_line(smbios, &line);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && uuid_shape(line)) {
                for (char *p = line; *p; p++)
                        *p = (char) tolower((unsigned char) *p);
                c->uuid = TAKE_PTR(line);
                return 0;
        }
        line = mfree(line);
        r = read_line(roots->machine_id ?: "/etc/machine-id", &line);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || strlen(line) != 32 || strspn(line, "0123456789abcdef") != 32)
                return note(c, "no host UUID: neither the SMBIOS system UUID nor a machine ID could be read");
        if (asprintf(&c->uuid, "%.8s-%.4s-%.4s-%.4s-%.12s", line, line + 8, line + 12, line + 16, line + 20) < 0) {
                c->uuid = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int probe_iommu(HostCaps *c, const HostCapsRoots *roots) {
        _cleanup_free_ char *path = path_join(roots->sysfs, "/sys", "kernel/iommu_groups");
        struct dirent *de;
        DIR *d;

        if (!path)
                return -ENOMEM;
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        c->iommu = true;
                        break;
                }
        closedir(d);
        return 0;
}

/* KVM is usable when /dev/kvm opens read-write and answers KVM_GET_API_VERSION with the one API
 * there is; a regular file in its place (tests) counts as usable. */
static int probe_kvm(HostCaps *c, const HostCapsRoots *roots) {
        const char *path = roots->dev_kvm ?: "/dev/kvm";
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return note(c, "KVM is not usable: %s: %m; guests run with TCG (<domain type='qemu'>) only", path);
        if (fstat(fd, &st) < 0)
                return note(c, "KVM is not usable: %s: %m", path);
        if (S_ISCHR(st.st_mode) && ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
                return note(c, "KVM is not usable: %s does not speak KVM API version %d", path, KVM_API_VERSION);
        if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
                return note(c, "KVM is not usable: %s is not a device node", path);
        c->kvm = true;
        return 0;
}

/* ---- emulators ---- */

static bool executable(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISREG(st.st_mode) && access(path, X_OK) >= 0;
}

static bool kvm_for(const HostCaps *c, const char *arch) {
        return c->kvm && (streq(arch, c->arch) || (streq(c->arch, "x86_64") && streq(arch, "i686")));
}

static int add_guest(HostCaps *c, const char *arch, unsigned wordsize, const char *emulator) {
        HostCapsGuest *g = realloc(c->guests, (c->n_guests + 1) * sizeof(*g));

        if (!g)
                return -ENOMEM;
        c->guests = g;
        g = &c->guests[c->n_guests];
        *g = (HostCapsGuest) { .arch = strdup(arch), .wordsize = wordsize, .emulator = strdup(emulator),
                               .kvm = kvm_for(c, arch) };
        c->n_guests++;
        return g->arch && g->emulator ? 0 : -ENOMEM;
}

static const HostCapsGuest *guest_for(const HostCaps *c, const char *arch) {
        for (size_t i = 0; i < c->n_guests; i++)
                if (streq(c->guests[i].arch, arch))
                        return &c->guests[i];
        return NULL;
}

static int consider_emulator(HostCaps *c, const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;
        const char *suffix = startswith(name, "qemu-system-"), *arch = NULL;
        const HostCapsGuest *have;
        unsigned wordsize = 0;

        if (!suffix && !streq(name, "qemu-kvm"))
                return 0;
        /* names land in the XML: anything unusual is not an emulator of ours */
        if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != strlen(name))
                return 0;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (!executable(path))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(qemu_archs); i++)
                if (suffix ? streq(suffix, qemu_archs[i].suffix) : streq(c->arch, qemu_archs[i].arch)) {
                        arch = qemu_archs[i].arch;
                        wordsize = qemu_archs[i].wordsize;
                }
        if (!arch)
                return note(c, "%s: not an emulator for an architecture vmunit knows", path);
        if (!arch_supported(arch))
                return note(c, "%s: %s guests are not supported by vmunit", path, arch);
        have = guest_for(c, arch);
        if (have)
                return note(c, "%s: another emulator for %s guests; %s is the one listed", path, arch, have->emulator);
        return add_guest(c, arch, wordsize, path);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static int scan_dir(HostCaps *c, const char *dir) {
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        DIR *d = opendir(dir);
        int r = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if ((startswith(de->d_name, "qemu-system-") || streq(de->d_name, "qemu-kvm")) &&
                    (r = strv_extend(&names, de->d_name)) < 0)
                        break;
        closedir(d);
        if (r < 0)
                return r;
        /* readdir() order is the file system's: sort, so that the output is stable */
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_names);
        STRV_FOREACH(n, names) {
                r = consider_emulator(c, dir, *n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int probe_emulators(HostCaps *c, const HostCapsRoots *roots) {
        const char * const *dirs = roots->emulator_dirs ?: default_emulator_dirs;
        const char *xenner = NULL;
        int r;

        for (const char * const *d = dirs; *d; d++) {
                _cleanup_free_ char *x = NULL;
                r = scan_dir(c, *d);
                if (r < 0)
                        return r;
                if (asprintf(&x, "%s/xenner", *d) < 0)
                        return -ENOMEM;
                if (!xenner && executable(x))
                        xenner = *d;
        }
        /* As libvirt does: i686 guests run on qemu-system-x86_64 when there is no qemu-system-i386. */
        if (!guest_for(c, "i686") && guest_for(c, "x86_64")) {
                r = add_guest(c, "i686", 32, guest_for(c, "x86_64")->emulator);
                if (r < 0)
                        return r;
        }
        /* xenner ran Xen PV guests on KVM (libvirt's os_type 'xen'); vmunit has no Xen guests. */
        if (xenner)
                return note(c, "xenner: found in %s, but Xen guests (os_type xen) are not supported by vmunit", xenner);
        return note(c, "xenner: not found; Xen guests (os_type xen) are not supported by vmunit");
}

/* ---- security models ---- */

static int add_secmodel(HostCaps *c, const char *model, const char *kvm, const char *qemu) {
        HostCapsSecmodel *s = realloc(c->secmodels, (c->n_secmodels + 1) * sizeof(*s));

        if (!s)
                return -ENOMEM;
        c->secmodels = s;
        s = &c->secmodels[c->n_secmodels++];
        *s = (HostCapsSecmodel) { .model = strdup(model), .baselabel_kvm = kvm ? strdup(kvm) : NULL,
                                  .baselabel_qemu = qemu ? strdup(qemu) : NULL };
        return s->model && (!kvm || s->baselabel_kvm) && (!qemu || s->baselabel_qemu) ? 0 : -ENOMEM;
}

static bool file_starts_with(const char *path, const char *prefix) {
        _cleanup_free_ char *line = NULL;

        return read_line(path, &line) >= 0 && startswith(line, prefix);
}

static bool selinux_on(const HostCapsRoots *roots) {
        _cleanup_free_ char *p = path_join(roots->sysfs, "/sys", "fs/selinux/enforce");

        return p && access(p, F_OK) >= 0;
}

static bool apparmor_on(const HostCapsRoots *roots) {
        _cleanup_free_ char *p = path_join(roots->sysfs, "/sys", "module/apparmor/parameters/enabled");

        return p && file_starts_with(p, "Y");
}

static int secmodel_dac(HostCaps *c, const VmunitConfig *config) {
        char label[64];
        uid_t uid;
        gid_t gid;
        int r;

        r = user_lookup(config->user, config->group, &uid, &gid, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = note(c, "dac: no base label: QEMU's %s '%s' (vmunit.conf) does not exist on this host",
                         r == -ENXIO ? "group" : "user", r == -ENXIO ? config->group : config->user);
                return r < 0 ? r : add_secmodel(c, "dac", NULL, NULL);
        }
        snprintf(label, sizeof(label), "+%u:+%u", (unsigned) uid, (unsigned) gid);
        return add_secmodel(c, "dac", label, label);
}

static int secmodel_selinux(HostCaps *c, const HostCapsRoots *roots) {
        SelinuxBaseOptions o = { .domain_file = roots->selinux_domain_context,
                                 .image_file = roots->selinux_image_context, .required = true };
        _cleanup_free_ char *error = NULL;
        SelinuxBaseContexts base = {};
        int r;

        r = security_selinux_base_load(&o, &base, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = note(c, "selinux: no base labels: %s", error ?: strerror(-r));
                return r < 0 ? r : add_secmodel(c, "selinux", NULL, NULL);
        }
        /* virtual_domain_context: the first line for KVM, the second (svirt_tcg_t) for TCG */
        r = add_secmodel(c, "selinux", base.domain, base.domain_tcg ?: base.domain);
        security_selinux_base_done(&base);
        return r;
}

static int probe_secmodels(HostCaps *c, const HostCapsRoots *roots, const VmunitConfig *config) {
        static const char * const detect[] = { "selinux", "apparmor", "dac", NULL };
        bool explicit = config->security_driver;
        int r = 0;

        STRV_FOREACH(d, explicit ? config->security_driver : (char **) detect) {
                if (streq(*d, "none"))
                        r = add_secmodel(c, "none", NULL, NULL);
                else if (streq(*d, "dac"))
                        r = secmodel_dac(c, config);
                else if (streq(*d, "selinux") && selinux_on(roots))
                        r = secmodel_selinux(c, roots);
                else if (streq(*d, "apparmor") && apparmor_on(roots))
                        r = add_secmodel(c, "apparmor", NULL, NULL);
                else if (explicit)
                        r = note(c, "%s: named in vmunit.conf's security_driver, but not enabled on this host", *d);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- probe ---- */

void host_caps_done(HostCaps *c) {
        free(c->uuid);
        free(c->arch);
        free(c->cpu_vendor);
        free(c->cpu_model);
        for (size_t i = 0; i < c->n_guests; i++) {
                free(c->guests[i].arch);
                free(c->guests[i].emulator);
        }
        free(c->guests);
        for (size_t i = 0; i < c->n_secmodels; i++) {
                free(c->secmodels[i].model);
                free(c->secmodels[i].baselabel_kvm);
                free(c->secmodels[i].baselabel_qemu);
        }
        free(c->secmodels);
        strv_free(c->notes);
        *c = (HostCaps) {};
}

int host_caps_probe(const HostCapsRoots *roots, const VmunitConfig *config, HostCaps *ret) {
        const HostCapsRoots none = {};
        _cleanup_free_ char *cpuinfo = NULL;
        HostCaps c = {};
        int r;

        assert(config && ret);
        roots = roots ?: &none;
        if (roots->arch)
                c.arch = strdup(roots->arch);
        else {
                struct utsname u;
                (void) uname(&u);
                c.arch = strdup(u.machine);
        }
        cpuinfo = strdup(roots->proc_cpuinfo ?: "/proc/cpuinfo");
        if (!c.arch || !cpuinfo)
                r = -ENOMEM;
        else if ((r = probe_uuid(&c, roots)) >= 0 &&
                 (r = probe_cpu(&c, cpuinfo)) >= 0 &&
                 (r = probe_iommu(&c, roots)) >= 0 &&
                 (r = probe_kvm(&c, roots)) >= 0 &&
                 (r = probe_emulators(&c, roots)) >= 0)
                r = probe_secmodels(&c, roots, config);
        if (r < 0) {
                host_caps_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

/* ---- XML ---- */

/* A note as an XML comment: no "--" and no control characters (they would end or break it). */
static void xw_comment(XmlWriter *x, const char *text) {
        _cleanup_free_ char *s = malloc(2 * strlen(text) + 4);
        bool utf8 = xmlCheckUTF8((const xmlChar *) text);
        char *p = s;

        if (x->error < 0)
                return;
        if (!s) {
                x->error = -ENOMEM;
                return;
        }
        *p++ = ' ';
        for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
                if (*c < 0x20 || *c == 0x7f || (*c >= 0x80 && !utf8))
                        *p++ = '?';
                else if (*c == '-' && p[-1] == '-') {
                        *p++ = ' ';
                        *p++ = '-';
                } else
                        *p++ = (char) *c;
        }
        if (p[-1] == '-')
                *p++ = ' ';
        *p++ = ' ';
        *p = 0;
        if (xmlTextWriterWriteComment(x->w, (const xmlChar *) s) < 0)
                x->error = -ENOMEM;
}

static void write_host(XmlWriter *x, const HostCaps *c) {
        xw_start(x, "host");
        xw_text_element(x, "uuid", c->uuid);
        xw_start(x, "cpu");
        xw_text_element(x, "arch", c->arch);
        xw_text_element(x, "model", c->cpu_model);
        xw_text_element(x, "vendor", c->cpu_vendor);
        xw_start(x, "topology");
        xw_attr_uint(x, "sockets", c->sockets);
        xw_attr_uint(x, "dies", c->dies);
        xw_attr_uint(x, "cores", c->cores);
        xw_attr_uint(x, "threads", c->threads);
        xw_end(x);
        xw_end(x);
        xw_start(x, "iommu");
        xw_attr(x, "support", c->iommu ? "yes" : "no");
        xw_end(x);
        for (size_t i = 0; i < c->n_secmodels; i++) {
                const HostCapsSecmodel *s = &c->secmodels[i];
                xw_start(x, "secmodel");
                xw_text_element(x, "model", s->model);
                xw_text_element(x, "doi", "0");
                for (unsigned k = 0; k < 2; k++) {
                        const char *label = k == 0 ? s->baselabel_kvm : s->baselabel_qemu;
                        if (!label)
                                continue;
                        xw_start(x, "baselabel");
                        xw_attr(x, "type", k == 0 ? "kvm" : "qemu");
                        xw_text(x, label);
                        xw_end(x);
                }
                xw_end(x);
        }
        xw_end(x);
}

static void write_guest(XmlWriter *x, const HostCapsGuest *g) {
        xw_start(x, "guest");
        xw_text_element(x, "os_type", "hvm");
        xw_start(x, "arch");
        xw_attr(x, "name", g->arch);
        xw_u64_element(x, "wordsize", g->wordsize);
        xw_text_element(x, "emulator", g->emulator);
        xw_start(x, "domain");
        xw_attr(x, "type", "qemu");
        xw_end(x);
        if (g->kvm) {
                xw_start(x, "domain");
                xw_attr(x, "type", "kvm");
                xw_end(x);
        }
        xw_end(x);
        xw_end(x);
}

static void write_capabilities(XmlWriter *x, const void *userdata) {
        const HostCaps *c = userdata;

        xw_start(x, "capabilities");
        write_host(x, c);
        for (size_t i = 0; i < c->n_guests; i++)
                write_guest(x, &c->guests[i]);
        STRV_FOREACH(n, c->notes)
                xw_comment(x, *n);
        xw_end(x);
}

int host_caps_format_xml(const HostCaps *c, char **ret, char **ret_error) {
        return xw_document(write_capabilities, c, ret, ret_error);
}
