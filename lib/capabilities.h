/*
 * Host capabilities, as libvirt's `virsh capabilities` shows them: the host (UUID, CPU, IOMMU,
 * one <secmodel> per active security driver) and one <guest> per QEMU emulator vmunit can use.
 * host_caps_probe() reads the host through HostCapsRoots, whose paths tests point at fake trees;
 * it never runs QEMU. host_caps_format_xml() turns the result into XML.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Where the probe looks; NULL members take the host's own paths. */
typedef struct HostCapsRoots {
        const char * const *emulator_dirs;  /* NULL-terminated; NULL: /usr/bin /usr/local/bin /usr/libexec */
        const char *dev_kvm;                /* /dev/kvm (a regular file stands in for the node in tests) */
        const char *proc_cpuinfo;           /* /proc/cpuinfo */
        const char *sysfs;                  /* /sys: module/apparmor/parameters/enabled, fs/selinux/enforce,
                                               class/dmi/id/product_uuid, kernel/iommu_groups */
        const char *machine_id;             /* /etc/machine-id, the host UUID without an SMBIOS one */
        const char *arch;                   /* the host architecture; NULL: uname() */
        const char *selinux_domain_context; /* NULL: the policy's virtual_domain_context */
        const char *selinux_image_context;  /* NULL: the policy's virtual_image_context */
} HostCapsRoots;

typedef struct HostCapsGuest {
        char *arch;                     /* libvirt's name: x86_64, i686 */
        unsigned wordsize;
        char *emulator;
        bool kvm;                       /* <domain type='kvm'/>: KVM usable and the host's architecture */
} HostCapsGuest;

typedef struct HostCapsSecmodel {
        char *model;                    /* dac, selinux, apparmor, none */
        char *baselabel_kvm;            /* NULL: none shown */
        char *baselabel_qemu;
} HostCapsSecmodel;

typedef struct HostCaps {
        char *uuid;                     /* NULL: unknown */
        char *arch;
        char *cpu_vendor, *cpu_model;   /* from /proc/cpuinfo, NULL if not there */
        unsigned sockets, dies, cores, threads;
        bool iommu;
        bool kvm;                       /* /dev/kvm can be opened read-write (and speaks the KVM API) */
        HostCapsGuest *guests;
        size_t n_guests;
        HostCapsSecmodel *secmodels;    /* in the order the drivers stack: selinux/apparmor first, dac last */
        size_t n_secmodels;
        char **notes;                   /* what the probe found but does not report as XML elements:
                                           emulators vmunit cannot use, xenner, drivers configured but
                                           not available; written as XML comments */
} HostCaps;

/* Probes the host. @config gives the security drivers (security_driver=; NULL list: detect, dac
 * always, selinux and apparmor when the host runs them; "none": none) and QEMU's user and group for
 * the DAC base label ("+UID:+GID"). Returns 0 (what cannot be found is left out, with a note), or
 * -ENOMEM. */
int host_caps_probe(const HostCapsRoots *roots, const VmunitConfig *config, HostCaps *ret);
void host_caps_done(HostCaps *c);

/* <capabilities> ... </capabilities> for @c. Returns 0, -EINVAL (a string XML cannot carry, with a
 * message in *@ret_error), or -ENOMEM. */
int host_caps_format_xml(const HostCaps *c, char **ret, char **ret_error);
