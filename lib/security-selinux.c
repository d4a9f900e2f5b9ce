/*
 * The SELinux sVirt driver (see security-selinux.h): the policy's base contexts, the checks on the
 * contexts a domain XML gives, the labels of one VM, its files labelled and restored, and the live
 * <seclabel>. The MCS registry is in security-selinux-mcs.c, the libselinux calls in
 * security-selinux-host.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "security-selinux.h"

#define CONTEXT_MAX 1024                /* as libvirt's MAX_CONTEXT */
#define SELINUX_XATTR "security.selinux"
#define SENSITIVITY_MAX 15U             /* s0..s15, as MLS policies define them */

/* Where the host runs no SELinux policy (no context files): the contexts of Debian's and Fedora's
 * policies. The read-only one follows the issue that asked for this driver, svirt_content_t; the
 * policies themselves name it virt_content_t (second line of virtual_image_context, Debian 12's
 * selinux-policy-default 2:2.20221101), and a policy file, when there is one, always wins. */
#define DEFAULT_DOMAIN_CONTEXT "system_u:system_r:svirt_t:s0"
#define DEFAULT_IMAGE_CONTEXT "system_u:object_r:svirt_image_t:s0"
#define DEFAULT_CONTENT_CONTEXT "system_u:object_r:svirt_content_t:s0"

/* ---- contexts ---- */

static bool ident_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
}

static bool has_space_or_control(const char *s) {
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c <= ' ' || *c == 0x7f)
                        return true;
        return false;
}

/* "s12", "c1023": @prefix and a number without leading zeros, at most @max. */
static bool parse_number(const char **p, char prefix, unsigned max, unsigned *ret) {
        const char *s = *p;
        unsigned v = 0;

        if (*s++ != prefix || *s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned) (*s - '0');
                if (v > max)
                        return false;
        }
        *p = s;
        *ret = v;
        return true;
}

/* One level: "s0", "s0:c1,c2", "s0:c0.c1023,c1030"... */
static const char *parse_level(const char **p, unsigned *ret_sens) {
        unsigned c, hi;

        if (!parse_number(p, 's', SENSITIVITY_MAX, ret_sens))
                return "the level must start with a sensitivity s0..s15";
        if (**p != ':')
                return NULL;
        (*p)++;
        for (;;) {
                if (!parse_number(p, 'c', SELINUX_CATEGORY_MAX, &c))
                        return "categories are c0..c1023, separated by ',' (a range as cX.cY)";
                if (**p == '.') {
                        (*p)++;
                        if (!parse_number(p, 'c', SELINUX_CATEGORY_MAX, &hi) || hi <= c)
                                return "a category range cX.cY needs X < Y <= 1023";
                }
                if (**p != ',')
                        return NULL;
                (*p)++;
        }
}

int security_selinux_context_check(const char *context, const char **ret_reason) {
        const char *p = context, *why;
        unsigned lo, hi;

        if (strlen(context) > CONTEXT_MAX)
                why = "longer than 1024 characters";
        else if (has_space_or_control(context))
                why = "contains whitespace or control characters";
        else {
                why = NULL;
                for (unsigned field = 0; field < 3 && !why; field++) {
                        const char *start = p;
                        while (ident_char(*p))
                                p++;
                        if (*p != ':' || p == start)
                                why = "expected user:role:type:level, each of user, role and type made of letters, "
                                      "digits, '_', '.' and '-'";
                        else
                                p++;
                }
                if (!why)
                        why = parse_level(&p, &lo);
                if (!why && *p == '-') {
                        p++;
                        why = parse_level(&p, &hi);
                        if (!why && hi < lo)
                                why = "the high level of a range is below its low level";
                }
                if (!why && *p)
                        why = "unexpected characters after the MLS level";
        }
        if (why) {
                if (ret_reason)
                        *ret_reason = why;
                return -EINVAL;
        }
        return 0;
}

/* The part after "user:role:type:" of a valid context. */
static const char *context_level(const char *context) {
        const char *p = context;

        for (unsigned i = 0; i < 3 && p; i++) {
                p = strchr(p, ':');
                if (p)
                        p++;
        }
        return p;
}

/* @context with its level replaced by @level. */
static int context_with_level(const char *context, const char *level, char **ret) {
        const char *l = context_level(context);

        if (!l)
                return -EINVAL;
        if (asprintf(ret, "%.*s%s", (int) (l - context), context, level) < 0)
                return -ENOMEM;
        return 0;
}

/* User input, printable: control characters as \xNN. */
static char *escape(const char *s) {
        char *e = malloc(strlen(s) * 4 + 1), *o = e;

        if (!e)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        o += sprintf(o, "\\x%02x", *c);
                else
                        *o++ = (char) *c;
        *o = 0;
        return e;
}

/* ---- base contexts ---- */

/* The first and second line of @path (without their line ends), the second NULL if absent. */
static int read_two_lines(const char *path, char **ret_first, char **ret_second) {
        _cleanup_fclose_ FILE *f = NULL;
        char buf[2 * CONTEXT_MAX + 2], *lines[2] = {};

        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (unsigned i = 0; i < 2; i++) {
                if (!fgets(buf, sizeof(buf), f))
                        break;
                buf[strcspn(buf, "\r\n")] = 0;
                if (!buf[0])
                        break;
                lines[i] = strdup(buf);
                if (!lines[i]) {
                        free(lines[0]);
                        return -ENOMEM;
                }
        }
        if (ferror(f)) {
                free(lines[0]);
                free(lines[1]);
                return -EIO;
        }
        *ret_first = lines[0];
        *ret_second = lines[1];
        return 0;
}

/* Reads @path into two contexts; a missing file gives the defaults unless @required. */
static int base_file(const char *path, bool required, const char *what, const char *def_first,
                     const char *def_second, char **first, char **second, char **ret_error) {
        const char *why;
        int r;

        r = path ? read_two_lines(path, first, second) : -ENOENT;
        if (r == -ENOENT && !required) {
                *first = strdup(def_first);
                *second = def_second ? strdup(def_second) : NULL;
                return !*first || (def_second && !*second) ? -ENOMEM : 0;
        }
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "cannot read the SELinux %s context file '%s': %s", what,
                                          path ?: "(none)", strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        for (unsigned i = 0; i < 2; i++) {
                const char *c = i == 0 ? *first : *second;
                if (!c) {
                        if (i > 0)
                                break;
                        why = "the file is empty";
                } else if (security_selinux_context_check(c, &why) >= 0)
                        continue;
                if (ret_error && asprintf(ret_error, "%s:%u: invalid SELinux %s context '%s': %s", path, i + 1,
                                          what, strempty(c), why) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        return 0;
}

int security_selinux_base_load(const SelinuxBaseOptions *o, SelinuxBaseContexts *ret, char **ret_error) {
        SelinuxBaseContexts b = {};
        int r;

        r = base_file(o->domain_file ?: security_selinux_policy_domain_file(), o->required, "virtual domain",
                      DEFAULT_DOMAIN_CONTEXT, NULL, &b.domain, &b.domain_tcg, ret_error);
        if (r >= 0)
                r = base_file(o->image_file ?: security_selinux_policy_image_file(), o->required, "virtual image",
                              DEFAULT_IMAGE_CONTEXT, DEFAULT_CONTENT_CONTEXT, &b.image, &b.content, ret_error);
        if (r >= 0 && !b.content) {
                /* A policy file with one line: the read-only context from the defaults. */
                b.content = strdup(DEFAULT_CONTENT_CONTEXT);
                if (!b.content)
                        r = -ENOMEM;
        }
        if (r < 0) {
                security_selinux_base_done(&b);
                return r;
        }
        *ret = b;
        return 0;
}

void security_selinux_base_done(SelinuxBaseContexts *b) {
        free(b->domain);
        free(b->domain_tcg);
        free(b->image);
        free(b->content);
        *b = (SelinuxBaseContexts) {};
}

/* ---- the domain's <seclabel> ---- */

/* The <seclabel> that speaks for SELinux: NULL when there is none (or it names another model, whose
 * driver it is for): then the default, dynamic, applies. */
static const VmSeclabel *selinux_seclabel(const VmDef *def) {
        const VmSeclabel *s = &def->seclabel;

        if (!s->present)
                return NULL;
        if (s->model && !streq(s->model, "selinux") && !streq(s->model, "none"))
                return NULL;
        return s;
}

static bool seclabel_is(const VmSeclabel *s, const char *type) {
        if (!s)
                return streq(type, "dynamic");
        if (streq_ptr(s->model, "none"))
                return streq(type, "none");
        return streq_ptr(s->type, type);
}

bool security_selinux_needs_mcs(const VmDef *def) {
        return seclabel_is(selinux_seclabel(def), "dynamic");
}

static int check_one(const VmSeclabel *s, const char *element, const char *context, const char *domain_path,
                     char **ret_error) {
        _cleanup_free_ char *shown = NULL, *where = NULL;
        const char *why;
        int k;

        if (!context || security_selinux_context_check(context, &why) >= 0)
                return 0;
        if (!ret_error)
                return -EINVAL;
        shown = escape(context);
        k = s->line > 0 ? asprintf(&where, "%s:%u", domain_path, s->line) : asprintf(&where, "%s", domain_path);
        if (k < 0 || !shown ||
            asprintf(ret_error, "%s: <seclabel>: invalid %s '%s': %s", where, element, shown, why) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int security_selinux_validate(const VmDef *def, const char *domain_path, char **ret_error) {
        const VmSeclabel *s = selinux_seclabel(def);
        int r;

        if (!s)
                return 0;
        /* Every context given is checked, also those a dynamic label replaces (a live XML fed back). */
        r = check_one(s, "label", s->label, domain_path, ret_error);
        if (r >= 0)
                r = check_one(s, "imagelabel", s->imagelabel, domain_path, ret_error);
        if (r >= 0)
                r = check_one(s, "baselabel", s->baselabel, domain_path, ret_error);
        return r;
}

/* ---- labels ---- */

/* "s0" of "s0-s0:c0.c1023" */
static char *low_sensitivity(const char *context) {
        const char *l = context_level(context);
        return l ? strndup(l, strcspn(l, ":-")) : NULL;
}

static int labels_dynamic(const VmDef *def, const VmSeclabel *s, const SelinuxBaseContexts *base,
                          const SelinuxMcs *mcs, SelinuxLabels *l) {
        _cleanup_free_ char *sens = NULL, *level = NULL;
        const char *process_base;
        int r;

        sens = low_sensitivity(base->domain);
        if (!sens)
                return -ENOMEM;
        if (asprintf(&level, "%s:c%u,c%u", sens, mcs->c1, mcs->c2) < 0)
                return -ENOMEM;
        /* <baselabel> replaces the policy's domain context; TCG gets its own type where the policy
         * has one (libvirt does the same with the second line of virtual_domain_context). */
        process_base = s && s->baselabel ? s->baselabel :
                       streq_ptr(def->virt_type, "qemu") && base->domain_tcg ? base->domain_tcg : base->domain;
        r = context_with_level(process_base, level, &l->process);
        if (r >= 0)
                r = context_with_level(base->image, level, &l->image);
        l->dynamic = true;
        /* relabel='no' with a dynamic label (libvirt takes it where type= is left out): confined, files
         * left as they are. */
        l->relabel = !s || s->relabel != VM_TRISTATE_OFF;
        return r;
}

static int labels_static(const VmSeclabel *s, const SelinuxBaseContexts *base, SelinuxLabels *l) {
        l->process = strdup(s->label);
        if (!l->process)
                return -ENOMEM;
        /* The image context at the process's level, unless the XML says which. */
        if (s->imagelabel) {
                l->image = strdup(s->imagelabel);
                if (!l->image)
                        return -ENOMEM;
        } else {
                int r = context_with_level(base->image, context_level(s->label), &l->image);
                if (r < 0)
                        return r;
        }
        /* As libvirt: a static label leaves the files alone unless relabel='yes'. */
        l->relabel = s->relabel == VM_TRISTATE_ON;
        return 0;
}

int security_selinux_labels_compute(const VmDef *def, const SelinuxBaseContexts *base, const SelinuxMcs *mcs,
                                    const char *domain_path, SelinuxLabels *ret, char **ret_error) {
        const VmSeclabel *s = selinux_seclabel(def);
        SelinuxLabels l = {};
        int r;

        r = security_selinux_validate(def, domain_path, ret_error);
        if (r < 0)
                return r;
        if (seclabel_is(s, "none")) {
                *ret = l;
                return 0;
        }
        l.confined = true;
        if (seclabel_is(s, "static"))
                r = labels_static(s, base, &l);
        else {
                assert(mcs);
                r = labels_dynamic(def, s, base, mcs, &l);
        }
        if (r >= 0) {
                l.shared = strdup(base->image);
                l.content = strdup(base->content);
                if (!l.shared || !l.content)
                        r = -ENOMEM;
        }
        if (r < 0) {
                security_selinux_labels_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void security_selinux_labels_done(SelinuxLabels *l) {
        free(l->process);
        free(l->image);
        free(l->shared);
        free(l->content);
        *l = (SelinuxLabels) {};
}

int security_selinux_seclabel_fill(VmDef *def, const SelinuxLabels *l) {
        VmSeclabel *s = &def->seclabel;

        if (s->present && s->model && !streq(s->model, "selinux"))
                return 0;
        s->present = true;
        s->model = vm_def_strdup(def, "selinux");
        if (!s->model)
                return -ENOMEM;
        if (!l->confined) {
                s->type = (char *) "none";
                s->label = s->imagelabel = NULL;
                return 0;
        }
        s->type = (char *) (l->dynamic ? "dynamic" : "static");
        s->relabel = l->relabel ? VM_TRISTATE_ON : VM_TRISTATE_OFF;
        s->label = vm_def_strdup(def, l->process);
        /* libvirt shows <imagelabel> only where files are labelled with it. */
        s->imagelabel = l->relabel ? vm_def_strdup(def, l->image) : NULL;
        if (!s->label || (l->relabel && !s->imagelabel))
                return -ENOMEM;
        return 0;
}

/* ---- files ---- */

static const char *label_xattr = SELINUX_XATTR;

void security_selinux_file_label_xattr_for_tests(const char *xattr) {
        label_xattr = xattr ?: SELINUX_XATTR;
}

int security_selinux_file_label_get(const char *path, char **ret) {
        char buf[CONTEXT_MAX + 2];
        ssize_t n;

        n = getxattr(path, label_xattr, buf, sizeof(buf) - 1);
        if (n < 0) {
                if (errno == ENODATA)
                        n = 0;
                else
                        return errno == ENOTSUP ? -EOPNOTSUPP : errno == ERANGE ? -E2BIG : -errno;
        }
        /* The kernel and libselinux store the context with its terminating NUL. */
        while (n > 0 && buf[n - 1] == 0)
                n--;
        buf[n] = 0;
        if (memchr(buf, 0, n))
                return -EBADMSG;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int security_selinux_file_label_set(const char *path, const char *label) {
        int r;

        if (!*label)
                r = removexattr(path, label_xattr) < 0 && errno != ENODATA ? -errno : 0;
        else
                r = setxattr(path, label_xattr, label, strlen(label) + 1, 0) < 0 ? -errno : 0;
        return r == -ENOTSUP ? -EOPNOTSUPP : r;
}

/* The context @res gets, NULL when it is left alone. */
static const char *target_label(const SecurityResource *res, const SelinuxLabels *l) {
        switch (res->kind) {
        case SECURITY_RESOURCE_IMAGE:
                /* <shareable/> first, as libvirt: several VMs may write it. */
                return res->shared ? l->shared : res->readonly ? l->content : l->image;
        case SECURITY_RESOURCE_BOOT:
                return l->content;
        case SECURITY_RESOURCE_NVRAM:
        case SECURITY_RESOURCE_CHARDEV_FILE:
        case SECURITY_RESOURCE_SOCKET:
                return l->image;
        case SECURITY_RESOURCE_SOCKET_DIR:
                return NULL;    /* QEMU's listening socket is labelled by the policy's type transition */
        case SECURITY_RESOURCE_DEVICE:
                /* /dev/urandom and the like keep their label: every host process needs it, and the
                 * policy lets svirt_t read them. A device of this VM alone (a tty, a TPM) is its own. */
                return res->shared ? NULL : l->image;
        case _SECURITY_RESOURCE_KIND_MAX:
                break;
        }
        return NULL;
}

static int prepare_one(const SecurityResource *res, const void *options, char **ret_error) {
        const SecuritySelinuxOptions *o = options;
        _cleanup_free_ char *original = NULL;
        const char *label = target_label(res, o->labels);
        int r;

        if (!label)
                return 0;
        r = security_selinux_file_label_get(res->path, &original);
        if (r == -ENOENT || r == -EOPNOTSUPP)
                return 0;       /* not there yet (optional), or a file system without labels (NFS ...) */
        if (r < 0)
                return security_resource_fail(ret_error, r, o->domain_path, res,
                                              "cannot read its SELinux label: %s", strerror(-r));
        /* Write-ahead, as the DAC driver: "" stands for "had no label" and restores as its removal. */
        r = security_journal_append(o->journal, "selinux", res->path, original);
        if (r < 0)
                return security_resource_fail(ret_error, r, o->domain_path, res,
                                              "cannot record its SELinux label in '%s': %s", o->journal, strerror(-r));
        if (o->remember) {
                r = security_remember_acquire(res->path, "selinux", original);
                if (r == 0)
                        return 0;       /* another running VM labelled it already */
                if (r < 0 && r != -EOPNOTSUPP)
                        return security_resource_fail(ret_error, r, o->domain_path, res,
                                                      "cannot remember its SELinux label: %s", strerror(-r));
        }
        r = security_selinux_file_label_set(res->path, label);
        if (r < 0)
                return security_resource_fail(ret_error, r, o->domain_path, res,
                                              "cannot label it '%s': %s", label, strerror(-r));
        return 0;
}

int security_selinux_prepare(const SecurityResources *res, const SecuritySelinuxOptions *o, char **ret_error) {
        int r;

        if (!o->labels->confined || !o->labels->relabel)
                return 0;
        /* Also the supervisor's to call once for all drivers; here it costs little and guards this
         * driver on its own. */
        r = security_check_relabel_allowed(res, o->domain_path, ret_error);
        if (r < 0)
                return r;
        return security_prepare_each(res, o->journal, prepare_one, o, ret_error);
}

int security_selinux_restore_file(const char *path, const char *original) {
        int r = security_selinux_file_label_set(path, original);
        return r == -ENOENT ? 0 : r;
}
