/*
 * Model -> QEMU 7.2+ command line. qemu_argv_build() runs the preparation pass (defaults,
 * implicit controllers, drive and PCI addresses: qemu-prepare.c) on the definition, validates
 * what QEMU cannot express, and emits environment plus argv. Pure: no I/O, no logging.
 */
#pragma once

#include "model.h"

/* vmunit's own files in the runtime directory all start with "vmunit-"; channel sockets are named
 * after the channel, and channel names starting with "vmunit-" are refused. */
#define QEMU_QMP_SOCKET "vmunit-qmp.sock"
/* <launchSecurity type='sev'>: its <dhCert> and <session>, for QEMU, in the state dir */
#define QEMU_SEV_DH_CERT_FILE "dh_cert.base64"
#define QEMU_SEV_SESSION_FILE "session.base64"

typedef struct QemuBuildOptions {
        const char *runtime_dir;        /* QMP socket, pidfile, sockets; e.g. /run/vmunit/NAME */
        const char *state_dir;          /* HOME of QEMU, NUMA/memory files; e.g. /var/lib/vmunit/NAME */
        bool seccomp_sandbox;           /* QEMU's own -sandbox */
        int tap_fd_base;                /* fd number of the first file descriptor passed in (see QemuFd) */
        bool vhost_net;                 /* the spawner opens /dev/vhost-net for virtio NICs on taps (unless
                                           <driver name='qemu'>) and passes it as vhostfd */
        int64_t now;                    /* seconds since the epoch for <clock offset='variable'>; 0 = time() */
        const char *firmware_dirs;      /* firmware descriptor dirs, ':'-separated; NULL = the system's */
        const char *hugetlbfs_mount;    /* 2 MiB huge pages (vmunit.conf); NULL = /dev/hugepages */
        const char *spice_tls_x509_dir; /* SPICE TLS certificates (vmunit.conf); NULL = /etc/pki/libvirt-spice */
        int spice_port;                 /* autoport SPICE: the free port the supervisor picked; 0 = 5900,
                                           what libvirt's offline argv shows */
        int vnc_display;                /* autoport VNC: the free display the supervisor picked (0 = :0) */
        bool vnc_autoport_search;       /* autoport VNC: QEMU takes the first free display of 0..99 (to=99),
                                           not display 0 only (what libvirt's test argv shows) */
        bool transient_shared_disks;    /* emit the <transient shareBacking='yes'/> disks too: off for the
                                           start, where (as libvirt) they are left out with their PCI slots
                                           kept, to be hotplugged over an overlay (qemu-transient.h) */
} QemuBuildOptions;

/* File descriptors QEMU gets from the spawner instead of opening them itself (it may not: no
 * privileges, DevicePolicy=closed), numbered tap_fd_base, tap_fd_base + 1, ... in this order. */
typedef enum QemuFdKind {
        QEMU_FD_TAP,                    /* the tap of def->nets[net] */
        QEMU_FD_VHOST_NET,              /* /dev/vhost-net for def->nets[net] */
        QEMU_FD_VHOST_VSOCK,            /* /dev/vhost-vsock */
        QEMU_FD_SCSI_GENERIC,           /* the /dev/sgN of SCSI def->hostdevs[net] (in -add-fd's fd set) */
        QEMU_FD_VHOST_SCSI,             /* /dev/vhost-scsi for the vhost-scsi def->hostdevs[net] */
        QEMU_FD_VHOST_USER_GPU,         /* QEMU's end of the socket to the vhost-user-gpu of def->videos[net] */
} QemuFdKind;

typedef struct QemuFd {
        QemuFdKind kind;
        unsigned net;                   /* index into def->nets for taps and vhost-net, def->hostdevs for
                                           SCSI generic and vhost-scsi, def->videos for vhost-user GPUs */
        int number;                     /* the fd number the argv names */
} QemuFd;

typedef struct QemuCommand {
        char **env;                     /* "NAME=value" */
        char **argv;                    /* argv[0] is the emulator */
        QemuFd *fds;                    /* what the spawner must open and pass */
        unsigned n_fds;
} QemuCommand;

/* The first passed fd of @kind, NULL if none. */
const QemuFd *qemu_command_find_fd(const QemuCommand *c, QemuFdKind kind);

void qemu_command_done(QemuCommand *c);

/* Fills @opts with the system-instance defaults for @name (/run/vmunit/NAME, /var/lib/vmunit/NAME). */
void qemu_build_options_default(QemuBuildOptions *opts, const char *name, char *buf, size_t size);

/* Builds the command for @def (which the preparation pass completes in place). Returns 0, or
 * -EINVAL / -EOPNOTSUPP with a message in *@ret_error naming the element, or -ENOMEM. */
int qemu_argv_build(VmDef *def, const QemuBuildOptions *opts, QemuCommand *ret, char **ret_error);

/* The -chardev id QEMU knows @def->chars[@index] by ("charserial0" ...; a serial-type console answers
 * for the serial port it is), for matching query-chardev's answer. @def must have been through
 * qemu_argv_build(). Returns 0, -ENOENT when it has no chardev, -EINVAL for a bad index. */
int qemu_char_chardev_id(const VmDef *def, unsigned index, char *buf, size_t size);

/* The QMP commands to run after QEMU started paused and before 'cont', for settings QEMU only takes at
 * run time (as libvirt applies them): disk <iotune>. @def must have been through qemu_argv_build().
 * Returns a JSON array of {"execute": ..., "arguments": ...}. */
struct json_object;
int qemu_startup_commands(const VmDef *def, struct json_object **ret);

/* Huge pages: vmunit.conf's hugetlbfs_mount holds the 2 MiB ones (@size_kib 2048, or 0: the default);
 * pages of another size have their own hugetlbfs mount beside it, named with the size appended
 * ("/dev/hugepages1G", "/dev/hugepages16M"). QEMU's files go to DIR/vmunit/NAME. */
void qemu_hugetlbfs_dir(const QemuBuildOptions *opts, uint64_t size_kib, char *buf, size_t size);
/* The huge page size (KiB) guest NUMA cell @cell gets (-1: a guest without cells), 0 for normal pages. */
uint64_t qemu_cell_hugepage_kib(const VmDef *def, int cell);
/* The same for a <memory> device: its <source><pagesize>, else its node's; 0 for file or normal pages. */
uint64_t qemu_memory_device_hugepage_kib(const VmDef *def, const VmMemoryDevice *m);

/* The qdev id of @d's guest device. */
void qemu_disk_device_id(const VmDef *def, const VmDisk *d, char *buf, size_t size);

/* Shell-quotes one word so that it can be pasted into a POSIX shell. */
char *shell_quote(const char *s);
