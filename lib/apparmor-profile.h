/*
 * AppArmor sVirt: the per-VM profile "vmunit-UUID" and its generated include "vmunit-UUID.files".
 *
 *   1. apparmor_rules_collect(): the host paths a domain makes QEMU open, each with the AppArmor
 *      permissions it needs (pure: the model and the build options only).
 *   2. apparmor_rules_resolve(): adds what only the host can tell: the resolved target of a path
 *      reached through a symlink (AppArmor mediates the resolved path) and the VFIO group nodes.
 *   3. apparmor_files_render() / apparmor_profile_render(): the text of both files. Paths are
 *      quoted and every AppArmor glob, alternation and variable character is escaped, so that a
 *      path always means exactly itself.
 *   4. apparmor_profile_install(): writes the profile from the admin's template only when it is
 *      absent (an edited profile is kept) and always rewrites .files atomically.
 *   5. apparmor_parser_run(): apparmor_parser -r (load or replace), -Q (check only), -R (unload).
 *   6. apparmor_change_onexec() (apparmor-exec.c): in the child, before exec.
 * Nothing here logs; messages are handed out in *ret_error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "qemu-argv.h"

#define APPARMOR_PROFILE_DIR "/etc/apparmor.d/vmunit"
#define APPARMOR_TEMPLATE_PATH APPARMOR_PROFILE_DIR "/TEMPLATE.qemu"
#define APPARMOR_PARSER_PATH "/sbin/apparmor_parser"
/* The word of the template that becomes the profile name (libvirt's LIBVIRT_TEMPLATE). */
#define APPARMOR_TEMPLATE_PLACEHOLDER "VMUNIT_TEMPLATE"
#define APPARMOR_PROFILE_PREFIX "vmunit-"
/* "vmunit-" + a 36-character UUID + NUL */
#define APPARMOR_PROFILE_NAME_MAX (sizeof(APPARMOR_PROFILE_PREFIX) + 36)
#define APPARMOR_TEMPLATE_SIZE_MAX (1024U * 1024U)

typedef enum AppArmorPerm {
        APPARMOR_PERM_READ  = 1 << 0,   /* r */
        APPARMOR_PERM_WRITE = 1 << 1,   /* w: also creating it (a listening socket, an output file) */
        APPARMOR_PERM_LOCK  = 1 << 2,   /* k: QEMU's image locking (OFD locks) */
        APPARMOR_PERM_MMAP  = 1 << 3,   /* m: executable mapping (the emulator itself) */
} AppArmorPerm;

typedef struct AppArmorRule {
        char *path;                     /* as QEMU names it, unescaped; never ends in '/' (but "/") */
        unsigned perms;                 /* AppArmorPerm bits */
        bool tree;                      /* a directory: the rule covers everything below it, and
                                           the directory itself for reading */
} AppArmorRule;

typedef struct AppArmorRules {
        AppArmorRule *rules;            /* first-seen order, one per (path, tree); perms merged */
        size_t n;
} AppArmorRules;

typedef struct AppArmorOptions {
        const char *filename;           /* the domain XML, for messages; NULL: "domain" */
        const QemuBuildOptions *build;  /* runtime_dir and state_dir (required), hugetlbfs_mount,
                                           spice_tls_x509_dir: as the command line is built */
        const char *pidfile;            /* NULL: QEMU writes none */
        const char *log_path;           /* QEMU's log file; NULL: none (stderr goes to the journal) */
} AppArmorOptions;

/* Collects the paths @def makes QEMU open: disk sources (rwk; rk when read-only, for a cdrom and
 * for every backing image), network disks' unix sockets, kernel/initrd/dtb/ACPI table/fw_cfg files
 * (r), the loader (rk; rwk for a writable pflash) and nvram (rwk), character device files, sockets,
 * pipes and logs (rw), RNG, TPM, evdev, hostdev, render and vhost-net nodes, 9p directories,
 * memory backend files, huge page and shared memory files, audio files, graphics sockets and the
 * SPICE TLS directory, ROM files, the emulator (rm), and the VM's runtime and state directories
 * (rwk, whole trees), pidfile and log. @def should have been through qemu_argv_build(): its
 * preparation pass fills in the emulator, firmware and nvram paths.
 * Returns 0, -EINVAL for a path no AppArmor rule can name exactly (relative, with a control
 * character, a "." or ".." component, longer than PATH_MAX) with "FILE:LINE: <element> ..." in
 * *@ret_error, or -ENOMEM. */
int apparmor_rules_collect(const VmDef *def, const AppArmorOptions *opts, AppArmorRules *ret, char **ret_error);
void apparmor_rules_done(AppArmorRules *rules);

/* Adds, for every rule whose path (or the longest existing prefix of it) leads through a
 * symlink, the same rule for the resolved path; and for every PCI <hostdev> the node of its
 * IOMMU group, /dev/vfio/N, read from @sysfs (NULL: "/sys") bus/pci/devices/ADDR/iommu_group.
 * Returns 0, -ENODEV when a PCI device has no IOMMU group (message in *@ret_error), or -errno. */
int apparmor_rules_resolve(AppArmorRules *rules, const VmDef *def, const char *sysfs, char **ret_error);

/* Quotes @path for an AppArmor rule: "...", with \ " * ? [ ] { } ^ @ escaped by a backslash.
 * @path must have passed the collector's checks (no control characters). */
char *apparmor_quote_path(const char *path);

/* "vmunit-UUID" into @ret. Returns 0, or -EINVAL when @uuid is not a canonical UUID. */
int apparmor_profile_name(const char *uuid, char ret[static APPARMOR_PROFILE_NAME_MAX]);

/* The text of vmunit-UUID.files: one rule per line ("path" perms,); a tree as two, "DIR/" r, and
 * DIR followed by the "/" "**" glob with its perms. Returns 0, -EINVAL for a bad @uuid, or -ENOMEM. */
int apparmor_files_render(const AppArmorRules *rules, const char *uuid, char **ret);

/* The profile from @template_text (named @template_name in messages): every VMUNIT_TEMPLATE
 * becomes @profile_name, and "#include \"@files_path\"" is added before the last '}'.
 * Returns 0, -EINVAL with a message when the template has no placeholder or no closing brace or
 * @files_path cannot be included (relative, '"', '\\', control characters), or -ENOMEM. */
int apparmor_profile_render(const char *template_text, const char *template_name, const char *profile_name,
                            const char *files_path, char **ret, char **ret_error);

/* Writes @dir/vmunit-UUID from @template_path (NULL: APPARMOR_TEMPLATE_PATH) when it does not
 * exist yet (kept as it is otherwise: the admin may have edited it), then @dir/vmunit-UUID.files
 * with @files_text, atomically (temporary file, fsync, rename). @dir is created when missing.
 * *@ret_created (when non-NULL) tells whether the profile was written now. On failure nothing is
 * left changed: a profile written by this call is removed again. Returns 0, -ENOENT when the
 * template is missing, -EINVAL for a bad template (message in *@ret_error), or -errno. */
int apparmor_profile_install(const char *dir, const char *template_path, const char *uuid, const char *files_text,
                             bool *ret_created, char **ret_error);

/* Removes @dir/vmunit-UUID.files and, with @profile_too (the domain is undefined), the profile.
 * Files already gone are fine. Returns 0 or -errno. */
int apparmor_profile_delete(const char *dir, const char *uuid, bool profile_too);

/* @dir/vmunit-UUID (and "@dir/vmunit-UUID.files" with @files) into *@ret. 0, -EINVAL or -ENOMEM. */
int apparmor_profile_path(const char *dir, const char *uuid, bool files, char **ret);

typedef enum AppArmorParserAction {
        APPARMOR_PARSER_REPLACE,        /* -r: load the profile, or replace the loaded one */
        APPARMOR_PARSER_CHECK,          /* -Q: parse and compile only; no kernel needed */
        APPARMOR_PARSER_REMOVE,         /* -R: unload it */
        _APPARMOR_PARSER_ACTION_MAX,
        _APPARMOR_PARSER_ACTION_INVALID = -EINVAL,
} AppArmorParserAction;

typedef struct AppArmorParserOptions {
        const char *parser;             /* NULL: APPARMOR_PARSER_PATH */
        const char *base;               /* --base (where <...> includes start); NULL: the parser's */
        const char * const *include_dirs; /* -I for each, NULL-terminated; NULL: none */
} AppArmorParserOptions;

/* Runs apparmor_parser (never the cache: -K) for @action on @profile_path and waits for it.
 * Its output (stdout and stderr, at most 64 KiB) goes to *@ret_output when non-NULL, also on
 * success. Returns 0, -ENOENT when the parser is not installed, -EINVAL when it refused the
 * profile (non-zero exit), or -errno. @opts may be NULL. */
int apparmor_parser_run(const AppArmorParserOptions *opts, AppArmorParserAction action, const char *profile_path,
                        char **ret_output);

/* apparmor-exec.c (libapparmor; apparmor-exec-fallback.c without it) */

/* Is AppArmor enabled in the running kernel (aa_is_enabled())? */
bool apparmor_is_enabled(void);
/* In the child between fork and exec: the next exec runs confined by @profile_name (from
 * apparmor_profile_name(), computed before fork; libapparmor formats one small string, which is
 * safe in the single-threaded supervisor's child). Returns 0,
 * -EOPNOTSUPP when vmunit was built without libapparmor, or -errno from aa_change_onexec(). */
int apparmor_change_onexec(const char *profile_name);
