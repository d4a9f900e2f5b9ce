/*
 * Host SCSI generic nodes (see host-scsi.h): a directory read in sysfs, nothing opened.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "host-scsi.h"
#include "macro.h"

int host_scsi_generic_node(const char *sysfs, const VmHostdev *h, char **ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *dir = NULL;
        const char *host;
        struct dirent *de;

        host = h->scsi_adapter ? startswith(h->scsi_adapter, "scsi_host") : NULL;
        if (!host || !*host || strspn(host, "0123456789") != strlen(host))
                return -EINVAL;
        if (asprintf(&dir, "%s/bus/scsi/devices/%s:%u:%u:%u/scsi_generic", sysfs, host, h->source_addr.bus,
                     h->source_addr.target, h->source_addr.unit) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOTDIR ? -ENOENT : -errno;
        while ((de = readdir(d)))
                if (startswith(de->d_name, "sg") && de->d_name[2] &&
                    strspn(de->d_name + 2, "0123456789") == strlen(de->d_name + 2))
                        return asprintf(ret, "/dev/%s", de->d_name) < 0 ? -ENOMEM : 0;
        return -ENOENT;
}
