/*
 * The two instances of vmunit and where each keeps its files. Every path that differs between the
 * system instance (vm@.service of the system manager, qemu:///system) and the session instance
 * (vm@.service of a user's own manager, qemu:///session, no privilege anywhere) is derived here,
 * once, for the supervisor, the manager and vmctl alike:
 *
 *                  system                   session (XDG base directories; ~ is $HOME)
 *   config_file    /etc/vmunit/vmunit.conf  $XDG_CONFIG_HOME/vmunit/vmunit.conf  (~/.config)
 *   domain_dir     /etc/vmunit/domains      $XDG_CONFIG_HOME/vmunit/domains
 *   autostart_dir  /etc/vmunit/autostart    $XDG_CONFIG_HOME/vmunit/autostart
 *   runtime_root   /run/vmunit              $XDG_RUNTIME_DIR/vmunit
 *   state_root     /var/lib/vmunit          $XDG_DATA_HOME/vmunit                (~/.local/share)
 *
 * A VM's runtime dir is RUNTIME_ROOT/NAME, its state dir STATE_ROOT/NAME. As the XDG specification
 * says, a variable that holds a relative path counts as unset.
 */
#pragma once

#include <stdbool.h>

#define VMUNIT_CONFIG_PATH "/etc/vmunit/vmunit.conf"
#define VMUNIT_DOMAIN_DIR "/etc/vmunit/domains"
#define VMUNIT_AUTOSTART_DIR "/etc/vmunit/autostart"
#define VMUNIT_RUNTIME_ROOT "/run/vmunit"
#define VMUNIT_STATE_ROOT "/var/lib/vmunit"
#define VMUNIT_NETWORK_DIR "/etc/vmunit/networks"   /* NAME.xml: libvirt network XML, for type='network' */

typedef struct InstancePaths {
        char *config_file;
        char *domain_dir;
        char *autostart_dir;
        char *runtime_root;             /* session: NULL when $XDG_RUNTIME_DIR is unset */
        char *state_root;
} InstancePaths;

/* The paths of the system instance, or with @session those of the calling user's. Returns 0,
 * -ENXIO with @session when neither $XDG_CONFIG_HOME nor $HOME is an absolute path (nor
 * $XDG_DATA_HOME nor $HOME), or -ENOMEM. $XDG_RUNTIME_DIR has no default: without it runtime_root
 * is NULL, and the callers that need it (the supervisor, the paths of a command line) refuse to
 * work, since the user's systemd always sets it. */
int instance_paths_init(InstancePaths *p, bool session);
void instance_paths_done(InstancePaths *p);
