/*
 * The domain store: persistent definitions as DIR/NAME.xml (/etc/vmunit/domains/ for the system
 * instance, $XDG_CONFIG_HOME/vmunit/domains/ for a user's), and the autostart entries beside them,
 * AUTOSTART_DIR/NAME -> ../domains/NAME.xml, which vmunit-generator turns into
 * machines.target.wants/vm@NAME.service at boot. Only the entry's name matters to the generator;
 * the symlink shows an admin where it points.
 * Files only: what a definition must contain is domxml.h's business, who may change it the
 * caller's (the manager, behind polkit).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "instance-paths.h"       /* VMUNIT_DOMAIN_DIR, VMUNIT_AUTOSTART_DIR */

typedef struct DomainStore {
        char *domain_dir;
        char *autostart_dir;
} DomainStore;

/* The system store, or with @user the one under $XDG_CONFIG_HOME (default ~/.config, from $HOME):
 * instance-paths.h. Returns -ENXIO with @user when neither variable is set, -ENOMEM. */
int domain_store_init(DomainStore *s, bool user);
/* A store in the given directories (tests, --domain-dir). */
int domain_store_init_dirs(DomainStore *s, const char *domain_dir, const char *autostart_dir);
void domain_store_done(DomainStore *s);

/* DIR/NAME.xml. -EINVAL if @name is not a valid VM name (vm_name_validate()). */
int domain_store_path(const DomainStore *s, const char *name, char **ret);

/* The names of the defined domains (NAME.xml with a valid NAME; temporaries and other files are
 * ignored), sorted bytewise. A missing directory is an empty store. */
int domain_store_list(const DomainStore *s, char ***ret);

/* The definition of @name, whole. -ENOENT if there is none, -EINVAL for an invalid name, -EFBIG
 * beyond DOMXML_MAX_SIZE. */
int domain_store_read(const DomainStore *s, const char *name, char **ret, size_t *ret_len);

/* Writes the definition of @name atomically and durably (fs-util.h: write_file_atomic()),
 * creating the directory if needed. On failure the old definition, if any, is untouched. */
int domain_store_write(const DomainStore *s, const char *name, const char *text, size_t len);

/* Removes the definition and the autostart entry of @name. -ENOENT if there was no definition. */
int domain_store_remove(const DomainStore *s, const char *name);

/* 1 if @name has an autostart entry, 0 if not, -EINVAL for an invalid name. */
int domain_store_get_autostart(const DomainStore *s, const char *name);
/* Adds (replacing whatever was there) or removes the entry. Adding needs the definition (-ENOENT);
 * removing one that is not there is no error. */
int domain_store_set_autostart(const DomainStore *s, const char *name, bool on);
