/*
 * Where the system and the session instance keep their files: see instance-paths.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "instance-paths.h"

/* $VAR if it holds an absolute path, else $HOME/FALLBACK. -ENXIO if neither. */
static int xdg_dir(const char *var, const char *fallback, char **ret) {
        const char *e;

        if ((e = getenv(var)) && e[0] == '/')
                *ret = strdup(e);
        else if ((e = getenv("HOME")) && e[0] == '/') {
                if (asprintf(ret, "%s/%s", e, fallback) < 0)
                        *ret = NULL;
        } else
                return -ENXIO;
        return *ret ? 0 : -ENOMEM;
}

static int join(char **ret, const char *dir, const char *name) {
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

static int system_paths(InstancePaths *p) {
        p->config_file = strdup(VMUNIT_CONFIG_PATH);
        p->domain_dir = strdup(VMUNIT_DOMAIN_DIR);
        p->autostart_dir = strdup(VMUNIT_AUTOSTART_DIR);
        p->runtime_root = strdup(VMUNIT_RUNTIME_ROOT);
        p->state_root = strdup(VMUNIT_STATE_ROOT);
        if (!p->config_file || !p->domain_dir || !p->autostart_dir || !p->runtime_root || !p->state_root)
                return -ENOMEM;
        return 0;
}

static int session_paths(InstancePaths *p) {
        _cleanup_free_ char *config = NULL, *data = NULL;
        const char *rt;
        int r;

        r = xdg_dir("XDG_CONFIG_HOME", ".config", &config);
        if (r < 0)
                return r;
        r = xdg_dir("XDG_DATA_HOME", ".local/share", &data);
        if (r < 0)
                return r;
        if (join(&p->config_file, config, "vmunit/vmunit.conf") < 0 ||
            join(&p->domain_dir, config, "vmunit/domains") < 0 ||
            join(&p->autostart_dir, config, "vmunit/autostart") < 0 ||
            join(&p->state_root, data, "vmunit") < 0)
                return -ENOMEM;
        rt = getenv("XDG_RUNTIME_DIR");
        if (rt && rt[0] == '/' && join(&p->runtime_root, rt, "vmunit") < 0)
                return -ENOMEM;
        return 0;
}

int instance_paths_init(InstancePaths *p, bool session) {
        int r;

        *p = (InstancePaths) {};
        r = session ? session_paths(p) : system_paths(p);
        if (r < 0)
                instance_paths_done(p);
        return r;
}

void instance_paths_done(InstancePaths *p) {
        p->config_file = mfree(p->config_file);
        p->domain_dir = mfree(p->domain_dir);
        p->autostart_dir = mfree(p->autostart_dir);
        p->runtime_root = mfree(p->runtime_root);
        p->state_root = mfree(p->state_root);
}
