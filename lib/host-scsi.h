/*
 * The SCSI generic node of a host SCSI device, as libvirt finds it for <hostdev type='scsi'>:
 * <adapter name='scsi_hostH'/> plus <address bus='B' target='T' unit='U'/> is sysfs'
 * bus/scsi/devices/H:B:T:U, whose scsi_generic/ directory holds one entry, sgN.
 */
#pragma once

#include "model.h"

/* Sets *@ret to "/dev/sgN" for SCSI hostdev @h, looking in @sysfs ("/sys"). Returns 0, -ENOENT when the
 * host has no such device (or it has no generic node: the sg module), -EINVAL for a malformed adapter
 * name, -ENOMEM. */
int host_scsi_generic_node(const char *sysfs, const VmHostdev *h, char **ret);
