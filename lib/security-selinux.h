/*
 * The SELinux sVirt driver: QEMU runs under a confined process context with a pair of MCS
 * categories of its own (svirt_t:s0:cX,cY), and the files it uses carry the matching image
 * context (svirt_image_t:s0:cX,cY), so that one VM's QEMU cannot open another VM's disks.
 *
 * What the supervisor does with it, in order:
 *   1. security_selinux_base_load(): the policy's base contexts (virtual_domain_context,
 *      virtual_image_context), or built-in ones where the host runs no SELinux.
 *   2. security_selinux_validate(): every context the domain XML gives is well-formed.
 *   3. security_selinux_needs_mcs() → security_selinux_mcs_allocate(): a category pair unique
 *      among the host's running VMs (a flock-protected registry in /run/vmunit/selinux).
 *   4. security_selinux_labels_compute(): process, image, shared and read-only contexts.
 *   5. security_selinux_prepare(): labels the domain's files, each journalled first (security.h),
 *      undone by security_restore() on stop, a failed start, or after a crash.
 *   6. In the child, between fork and exec: security_selinux_exec_label().
 *   7. security_selinux_seclabel_fill(): the live XML shows the assigned <seclabel>.
 *   8. On stop: security_restore(), then security_selinux_mcs_release().
 *
 * Builds without libselinux (-Dselinux=disabled) get security-selinux-fallback.c: the labels can
 * still be computed and written, the driver is never detected, the exec label is refused.
 */
#pragma once

#include <stdbool.h>

#include "model.h"
#include "security.h"

#define SELINUX_MCS_REGISTRY_DIR "/run/vmunit/selinux"
#define SELINUX_CATEGORY_MAX 1023U      /* categories c0..c1023, as in the MCS policy */

/* ---- base contexts ---- */

typedef struct SelinuxBaseContexts {
        char *domain;           /* QEMU's process context: first line of virtual_domain_context */
        char *domain_tcg;       /* its second line, for <domain type='qemu'> (TCG), NULL if none */
        char *image;            /* first line of virtual_image_context: images (exclusive ones get the
                                 * VM's categories, <shareable/> ones stay as they are) */
        char *content;          /* its second line: read-only images, kernels, backing files */
} SelinuxBaseContexts;

typedef struct SelinuxBaseOptions {
        const char *domain_file;        /* NULL: the policy's, selinux_virtual_domain_context_path() */
        const char *image_file;         /* NULL: the policy's, selinux_virtual_image_context_path() */
        bool required;                  /* a missing file is an error (pass security_selinux_enabled());
                                         * otherwise built-in contexts take its place */
} SelinuxBaseOptions;

/* Reads the base contexts. Returns 0, or -ENOENT (a required file is missing), -EINVAL (a line is
 * not a valid context) with *@ret_error naming the file and line. */
int security_selinux_base_load(const SelinuxBaseOptions *o, SelinuxBaseContexts *ret, char **ret_error);
void security_selinux_base_done(SelinuxBaseContexts *b);

/* ---- contexts and the domain's <seclabel> ---- */

/* Is @context "user:role:type:level" with identifiers of [A-Za-z0-9_.-] and an MLS level such as
 * s0, s0:c1,c2 or s0-s0:c0.c1023 (sensitivities s0..s15, categories c0..c1023)? Returns 0, or
 * -EINVAL with a static reason in *@ret_reason. */
int security_selinux_context_check(const char *context, const char **ret_reason);

/* Does the domain run under a dynamic label (an MCS pair to allocate)? True for a domain without
 * a <seclabel> for SELinux, or with type='dynamic'. */
bool security_selinux_needs_mcs(const VmDef *def);

/* Checks the contexts the domain's <seclabel> gives (label, imagelabel, baselabel), before anything
 * changes. Returns 0, or -EINVAL with "DOMAIN:LINE: <seclabel>: invalid label '...': WHY". */
int security_selinux_validate(const VmDef *def, const char *domain_path, char **ret_error);

/* ---- MCS category pairs ---- */

typedef struct SelinuxMcs {
        unsigned c1, c2;                /* c1 < c2 <= SELINUX_CATEGORY_MAX */
} SelinuxMcs;

/* Registers a category pair for VM @name in @dir (created if absent): a random pair no other VM
 * holds, or the one @name holds already (a supervisor restarted after a crash gets its pair back).
 * Safe against any number of processes allocating at once. Returns 1 for a new pair, 0 for the
 * VM's existing one, -EINVAL for a bad name, -ENOSPC when every pair is taken. */
int security_selinux_mcs_allocate(const char *dir, const char *name, SelinuxMcs *ret);
/* The pair @name holds. Returns 0, or -ENOENT. */
int security_selinux_mcs_lookup(const char *dir, const char *name, SelinuxMcs *ret);
/* Frees the pair of @name. Returns 0, or -ENOENT when it holds none. */
int security_selinux_mcs_release(const char *dir, const char *name);
/* Frees the pairs of VMs that are gone (@alive returns false for them) and entries a crash left
 * half-written. Returns the number of pairs freed, or -errno. */
typedef bool (*SelinuxMcsAlive)(const char *name, void *userdata);
int security_selinux_mcs_reclaim(const char *dir, SelinuxMcsAlive alive, void *userdata);

/* ---- labels ---- */

typedef struct SelinuxLabels {
        bool confined;          /* false: <seclabel type='none'/>: QEMU runs as the supervisor does */
        bool dynamic;           /* type='dynamic' (the default): categories from the registry */
        bool relabel;           /* the domain's files get labels (dynamic; static with relabel='yes') */
        char *process;          /* QEMU's exec context; NULL when not confined */
        char *image;            /* exclusive images, nvram, chardev files, sockets: with the VM's level */
        char *shared;           /* <shareable/> images: the policy's image context as it is */
        char *content;          /* read-only images and boot files: the policy's content context */
} SelinuxLabels;

/* The contexts for @def: validates the <seclabel> first (see security_selinux_validate()). @mcs is the
 * VM's pair when security_selinux_needs_mcs(), else NULL. */
int security_selinux_labels_compute(const VmDef *def, const SelinuxBaseContexts *base, const SelinuxMcs *mcs,
                                    const char *domain_path, SelinuxLabels *ret, char **ret_error);
void security_selinux_labels_done(SelinuxLabels *l);

/* The live XML: puts the assigned contexts into @def->seclabel (strings in @def's arena), as libvirt
 * shows them: <seclabel type='dynamic' model='selinux' relabel='yes'><label/><imagelabel/>. A
 * <seclabel> for another model (dac, apparmor) is left as it is: the model holds one. */
int security_selinux_seclabel_fill(VmDef *def, const SelinuxLabels *l);

/* ---- files ---- */

/* The one place that reads and writes file labels: the security.selinux xattr itself (setfilecon()
 * would refuse on a host without SELinux; the raw xattr works on ext4 and tmpfs there too). A file
 * without a label reads as "", and writing "" removes it. Symlinks are followed.
 * Returns -EOPNOTSUPP for file systems without labels. */
int security_selinux_file_label_get(const char *path, char **ret);
int security_selinux_file_label_set(const char *path, const char *label);
/* Tests only: read and write @xattr (a trusted.* name) instead of security.selinux, for kernels that
 * refuse security.selinux writes. NULL goes back to security.selinux. */
void security_selinux_file_label_xattr_for_tests(const char *xattr);

typedef struct SecuritySelinuxOptions {
        const SelinuxLabels *labels;
        bool remember;                  /* keep trusted.vmunit.selinux (shared refcount), as remember_owner */
        const char *journal;            /* RUNTIME_DIR/security */
        const char *domain_path;        /* for messages */
} SecuritySelinuxOptions;

/* Labels every resource QEMU uses (nothing when !labels->relabel): exclusive ones with the VM's image
 * context, <shareable/> ones with the shared one, read-only ones and boot files with the content
 * context. Host-wide devices (/dev/urandom), directories for listening sockets and files that do
 * not exist yet are left alone. On failure everything the journal records is restored and
 * *@ret_error names the file. */
int security_selinux_prepare(const SecurityResources *res, const SecuritySelinuxOptions *o, char **ret_error);

/* For security_restore(): puts @original back on @path ("" removes the label). */
int security_selinux_restore_file(const char *path, const char *original);

/* ---- the host ---- */

/* Does the host run SELinux (is_selinux_enabled())? */
bool security_selinux_enabled(void);

/* In the child between fork and exec: QEMU starts under @l->process (setexeccon_raw()). Does nothing
 * when the domain is not confined. The supervisor is single-threaded, so libselinux's allocation
 * here is safe. Returns 0, or -errno (-EOPNOTSUPP without libselinux). */
int security_selinux_exec_label(const SelinuxLabels *l);

/* The policy's context files (libselinux), NULL without libselinux. */
const char *security_selinux_policy_domain_file(void);
const char *security_selinux_policy_image_file(void);
