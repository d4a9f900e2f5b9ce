/*
 * The domain model: plain C structs for a libvirt-compatible domain definition.
 * Filled by domxml*.c (XML -> model), read by qemu-argv*.c (model -> argv) and by the
 * supervisor. No libxml2 type escapes into this header. Every string and array reachable from a
 * VmDef lives in the def's own arena (vm_def_alloc() and friends) and is freed with it, so a
 * half-parsed definition can never leak and no per-field destructor has to be kept in sync.
 * Unset numbers are 0 unless a field comment says otherwise; tri-state switches use VmTristate.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "cpuset.h"
#include "string-table.h"

typedef enum VmTristate {
        VM_TRISTATE_ABSENT = 0,
        VM_TRISTATE_ON,
        VM_TRISTATE_OFF,
} VmTristate;

typedef enum VmAddressType {
        VM_ADDRESS_NONE = 0,
        VM_ADDRESS_PCI,
        VM_ADDRESS_DRIVE,
        VM_ADDRESS_VIRTIO_SERIAL,
        VM_ADDRESS_CCID,
        VM_ADDRESS_USB,
        VM_ADDRESS_ISA,
        _VM_ADDRESS_TYPE_MAX,
} VmAddressType;

/* Where a device sits on its bus; which members matter depends on @type. */
typedef struct VmAddress {
        VmAddressType type;
        unsigned domain, bus, slot, function;   /* PCI */
        VmTristate multifunction;               /* PCI */
        unsigned controller, target, unit;      /* drive (and controller/bus for virtio-serial, ccid) */
        unsigned port;                          /* virtio-serial port, ccid slot */
        char *usb_port;                         /* USB: "1", "1.2" (hub path) */
        unsigned iobase, irq;                   /* ISA; 0 = unset */
        bool assigned;                          /* PCI: set by the XML or by pci-addr.c */
} VmAddress;

/* <driver iommu= ats= packed= page_per_vq=> of virtio devices */
typedef struct VmVirtioOpts {
        VmTristate iommu, ats, packed, page_per_vq;
} VmVirtioOpts;

/* ---- disks ---- */

typedef enum VmDiskType { VM_DISK_TYPE_FILE, VM_DISK_TYPE_BLOCK, VM_DISK_TYPE_DIR,
                          VM_DISK_TYPE_NETWORK, VM_DISK_TYPE_VOLUME, VM_DISK_TYPE_NVME,
                          _VM_DISK_TYPE_MAX, _VM_DISK_TYPE_INVALID = -EINVAL } VmDiskType;
typedef enum VmDiskDevice { VM_DISK_DEVICE_DISK, VM_DISK_DEVICE_CDROM, VM_DISK_DEVICE_FLOPPY,
                            VM_DISK_DEVICE_LUN, _VM_DISK_DEVICE_MAX,
                            _VM_DISK_DEVICE_INVALID = -EINVAL } VmDiskDevice;
typedef enum VmDiskBus { VM_DISK_BUS_IDE, VM_DISK_BUS_SCSI, VM_DISK_BUS_VIRTIO, VM_DISK_BUS_SATA,
                         VM_DISK_BUS_USB, VM_DISK_BUS_FDC, _VM_DISK_BUS_MAX,
                         _VM_DISK_BUS_INVALID = -EINVAL } VmDiskBus;

typedef struct VmDiskHost {
        char *name;                     /* host name or address */
        unsigned port;                  /* 0 = the protocol's default */
        char *transport;                /* tcp (default), unix, rdma */
        char *socket;                   /* transport='unix' */
} VmDiskHost;

typedef struct VmDiskSource {
        VmDiskType type;
        char *protocol;                 /* network disks: nbd, iscsi, rbd, gluster, nfs, http, https, ftp, ftps, tftp, ssh */
        char *name;                     /* network disks: export, pool/image, volume/path, URL path, iqn/lun */
        char *query;                    /* http(s) */
        VmDiskHost *hosts;
        unsigned n_hosts;
        unsigned timeout, readahead;    /* curl */
        VmTristate ssl_verify;
        char *nfs_user, *nfs_group;     /* <identity user='+N' group='+N'> */
        char *path;                     /* file= / dev= / dir=; NULL for an empty cdrom */
        char *format;                   /* raw, qcow2, ...; NULL = raw */
        struct VmDiskSource *backing;   /* <backingStore> chain */
        bool backing_none;              /* an empty <backingStore/>: the image has no backing file */
        char *startup_policy;           /* mandatory (default), requisite, optional: checked at start */
        unsigned metadata_cache_max_size_kib;  /* qcow2 <metadata_cache><max_size>, 0 = QEMU's default */
} VmDiskSource;

typedef struct VmDiskIoTune {
        uint64_t total_bytes_sec, read_bytes_sec, write_bytes_sec;
        uint64_t total_iops_sec, read_iops_sec, write_iops_sec;
        uint64_t total_bytes_sec_max, read_bytes_sec_max, write_bytes_sec_max;
        uint64_t total_iops_sec_max, read_iops_sec_max, write_iops_sec_max, size_iops_sec;
        char *group_name;
        uint64_t total_bytes_sec_max_length, read_bytes_sec_max_length, write_bytes_sec_max_length;
        uint64_t total_iops_sec_max_length, read_iops_sec_max_length, write_iops_sec_max_length;
        bool set;
} VmDiskIoTune;

/* The numeric <iotune> children: element name and offset of its uint64_t in VmDiskIoTune, one table
 * for the parser and the writer. */
typedef struct VmDiskIoTuneField {
        const char *name;
        size_t offset;
} VmDiskIoTuneField;
#define _VM_DISK_IOTUNE_FIELD_MAX 19
extern const VmDiskIoTuneField vm_disk_iotune_fields[_VM_DISK_IOTUNE_FIELD_MAX];

typedef struct VmDisk {
        unsigned line;                  /* where the <disk> element is in the XML, for messages */
        VmDiskDevice device;
        char *model;                    /* virtio, virtio-transitional, virtio-non-transitional */
        VmDiskSource src;
        VmDiskBus bus;
        char *dst;                      /* target dev: hda, vda, sdb ... */
        char *cache;                    /* none, writeback, writethrough, directsync, unsafe, default */
        char *io;                       /* native, threads, io_uring */
        char *discard;                  /* unmap, ignore */
        char *detect_zeroes;            /* on, off, unmap */
        VmTristate copy_on_read, event_idx, ioeventfd;
        char *error_policy, *rerror_policy;
        unsigned iothread;              /* 0 = none */
        unsigned queues;
        bool readonly, shareable, transient;
        bool transient_share_backing;   /* <transient shareBacking='yes'/>: hotplugged over the original, read-only */
        char *serial, *wwn, *vendor, *product;
        unsigned cyls, heads, secs;
        char *trans;                    /* geometry translation */
        unsigned logical_block_size, physical_block_size;
        unsigned rotation_rate;
        char *tray;                     /* open / closed */
        VmTristate removable;
        unsigned boot_order;            /* <boot order=N/>, 0 = none */
        VmDiskIoTune iotune;
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
} VmDisk;

/* ---- controllers ---- */

typedef enum VmControllerType { VM_CONTROLLER_IDE, VM_CONTROLLER_FDC, VM_CONTROLLER_SCSI,
                                VM_CONTROLLER_SATA, VM_CONTROLLER_VIRTIO_SERIAL,
                                VM_CONTROLLER_CCID, VM_CONTROLLER_USB, VM_CONTROLLER_PCI,
                                VM_CONTROLLER_XENBUS, VM_CONTROLLER_ISA,
                                _VM_CONTROLLER_TYPE_MAX,
                                _VM_CONTROLLER_TYPE_INVALID = -EINVAL } VmControllerType;

typedef struct VmController {
        VmControllerType type;
        unsigned index;
        bool index_auto;                /* no index= in the XML: assigned after parsing (libvirt's rule) */
        char *model;                    /* type-specific model; NULL = default */
        int ports, vectors;             /* -1 = unset */
        unsigned max_ports, max_virtserial_ports;  /* virtio-serial */
        unsigned queues, iothread;
        unsigned cmd_per_lun, max_sectors;      /* virtio-scsi <driver>; 0 = QEMU's default */
        VmTristate ioeventfd;
        /* PCI controller target */
        char *model_name;               /* <model name=...> (QEMU device of a PCI controller) */
        int chassis_nr, chassis, port, bus_nr, target_index, numa_node;  /* -1 = unset */
        bool hotplug_off;
        /* USB companions */
        bool has_master;
        unsigned master_startport;
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
} VmController;

/* ---- network ---- */

/* <virtualport>: a port profile for the switch the tap is plugged into (Open vSwitch, 802.1Qbg/h,
 * MidoNet). type NULL: parameters given, the type left to the network. */
typedef struct VmVirtualPort {
        char *type;                     /* openvswitch, 802.1Qbg, 802.1Qbh, midonet */
        char *interfaceid, *profileid, *instanceid;
        char *managerid, *typeid, *typeidversion;       /* 802.1Qbg, as given (validated numbers) */
        bool present;
} VmVirtualPort;

typedef struct VmVlanTag {
        unsigned id;                    /* 0..4095 */
        char *native_mode;              /* tagged, untagged; NULL = not the native VLAN */
} VmVlanTag;

typedef struct VmVlan {
        VmTristate trunk;
        VmVlanTag *tags;
        unsigned n_tags;
} VmVlan;

typedef struct VmNet {
        char *type;                     /* user, network, bridge, ethernet, server, client, udp, mcast, direct ... */
        char *model;                    /* virtio, e1000, rtl8139 ...; NULL = default */
        char *mac;
        char *source_network, *source_bridge, *source_dev, *source_mode;
        char *source_portgroup, *source_portid;
        char *source_address, *source_local_address;
        unsigned source_port, source_local_port;
        char *target_dev;
        VmTristate target_managed;      /* <target managed='no'>: an existing tap, opened as it is */
        VmTristate trust_guest_rx_filters;
        VmVirtualPort virtualport;
        VmVlan vlan;
        char *teaming_type;             /* <teaming type=>: persistent (the virtio NIC), transient (the VF) */
        char *teaming_persistent;       /* transient: the alias of its persistent twin */
        char *script;
        char *downscript;               /* ethernet <downscript path=>: run with the tap's name at stop */
        unsigned line;                  /* of <interface> in the domain XML, for messages */
        unsigned mtu;
        unsigned queues;
        char *driver_name;              /* vhost, qemu */
        VmTristate rss, rss_hash_report;        /* virtio-net receive side scaling, hash reports */
        char *link_state;
        unsigned boot_order;
        char *rom_file;
        VmTristate rom_bar, rom_enabled;
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
} VmNet;

/* ---- character devices ---- */

typedef enum VmCharKind { VM_CHAR_SERIAL, VM_CHAR_PARALLEL, VM_CHAR_CONSOLE, VM_CHAR_CHANNEL,
                          _VM_CHAR_KIND_MAX } VmCharKind;

typedef struct VmCharSource {
        char *type;                     /* pty, file, unix, tcp, udp, null, vc, stdio, dev, pipe,
                                           spicevmc, spiceport, qemu-vdagent */
        char *path;
        char *host, *service;           /* tcp/udp connect side */
        char *bind_host, *bind_service; /* udp bind side */
        bool listen;                    /* mode='bind' */
        VmTristate append;
        char *protocol;                 /* raw, telnet */
        VmTristate reconnect;
        unsigned reconnect_timeout;
        char *channel;                  /* spicevmc/spiceport name */
        char *log_file;
        VmTristate log_append;
        VmTristate tls;
} VmCharSource;

typedef struct VmChar {
        VmCharKind kind;
        VmCharSource src;
        char *target_type;              /* serial: isa-serial, usb-serial, pci-serial; console: serial, virtio;
                                           channel: virtio, guestfwd */
        char *target_model;             /* <target><model name=>: isa-serial, pci-serial ... */
        int target_port;                /* -1 = unset */
        char *target_name;              /* channel: org.qemu.guest_agent.0 */
        char *target_address;           /* guestfwd */
        VmAddress addr;
        char *alias;
        /* set by the builder: the console that duplicates serial N shares its chardev */
        int same_as_serial;             /* -1 = no */
} VmChar;

/* ---- input, graphics, video, sound, audio ---- */

typedef struct VmInput {
        char *type;                     /* mouse, keyboard, tablet, passthrough, evdev */
        char *bus;                      /* ps2, usb, virtio, xen */
        char *source_evdev;
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
} VmInput;

typedef struct VmGraphics {
        char *type;                     /* vnc, spice, sdl, egl-headless, dbus */
        int port, tls_port, websocket;  /* -1 = unset; port 0 / autoport: -2 */
        bool autoport;
        char *listen_address;
        char *listen_socket;
        char *listen_type;              /* address, socket, none */
        char *passwd, *keymap;
        char *share_policy;
        VmTristate tls;
        char *default_mode;             /* spice */
        char *audio_id;                 /* <audio id=N/> */
        char *rendernode;               /* egl-headless and spice <gl rendernode=>; NULL = the host's first */
        VmTristate gl;                  /* spice <gl enable=> */
        unsigned line;                  /* of <graphics> in the domain XML, for messages at start */
        char *image_compression, *jpeg_compression, *zlib_compression, *playback_compression;
        char *streaming_mode, *clipboard_copypaste, *mouse_mode, *filetransfer;
        unsigned n_spice_channels;
        char **spice_channel_names, **spice_channel_modes;
} VmGraphics;

typedef struct VmVideo {
        char *model;                    /* vga, cirrus, qxl, virtio, bochs, ramfb, none */
        unsigned vram_kib, ram_kib, vgamem_kib, vram64_kib;
        unsigned heads;
        VmTristate primary, accel3d;
        char *render_node;              /* <acceleration rendernode=>: for the vhost-user-gpu backend */
        char *driver_name;              /* vhostuser, qemu */
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
        unsigned line;                  /* of <video> in the domain XML, for messages at start */
} VmVideo;

typedef struct VmSound {
        char *model;                    /* ich6, ich7, ich9, ac97, es1370, sb16, usb, pcspk */
        char **codecs;                  /* duplex, micro, output */
        char *audio_id;                 /* <audio id=N/> */
        VmAddress addr;
        char *alias;
} VmSound;

typedef struct VmAudioStream {
        bool set;
        VmTristate mixing_engine, fixed_settings;
        unsigned voices, buffer_length, frequency, channels;   /* 0 = QEMU's default */
        char *format;                   /* s8, u8, s16, u16, s32, u32, f32 */
        char *name, *stream_name, *dev; /* pulseaudio / alsa, oss */
        unsigned latency, buffer_count;
        VmTristate try_poll;
} VmAudioStream;

typedef struct VmAudio {
        unsigned id;
        VmAudioStream in, out;
        char *type;                     /* none, file, pa, spice, sdl, alsa, oss, coreaudio, jack, pipewire, dbus */
        char *path;                     /* file backend */
        char *server_name;              /* pulseaudio, jack */
        VmTristate try_mmap, exclusive; /* oss */
        int dsp_policy;                 /* oss; -1 = unset */
        unsigned timer_period;
} VmAudio;

/* ---- misc devices ---- */

typedef struct VmHostdev {
        char *type;                     /* pci, usb, scsi */
        VmTristate managed;
        VmAddress source_addr;          /* pci: domain/bus/slot/function; usb: bus + unit(=device) */
        unsigned usb_vendor, usb_product;       /* usb by id; 0 = by bus/device */
        bool usb_by_id;
        VmTristate guest_reset;         /* usb: <source guestReset=>: ON off, OFF uninitialized-only... */
        char *guest_reset_mode;         /* off, uninitialized, on */
        char *scsi_adapter;             /* scsi_host0 */
        bool readonly, shareable;
        char *model;                    /* mdev: vfio-pci; scsi_host: virtio, virtio-(non-)transitional */
        char *mdev_uuid;                /* mdev <source><address uuid=> */
        VmTristate display, ramfb;      /* mdev display=, ramfb= */
        char *wwpn;                     /* scsi_host <source protocol='vhost' wwpn=> */
        unsigned line;                  /* of <hostdev> in the domain XML, for messages at start */
        VmTristate rom_bar;
        char *rom_file;
        VmAddress addr;
        unsigned boot_order;
        char *alias;
        char *failover_pair;            /* <teaming type='transient' persistent=ALIAS>: its virtio twin */
        unsigned net;                   /* 1 + the index of the <interface type='hostdev'> (an SR-IOV VF) it
                                           is, whose MAC and VLAN are set on the host; 0 = a <hostdev> */
} VmHostdev;

typedef struct VmHub {
        VmAddress addr;
} VmHub;

typedef struct VmWatchdog {
        char *model;                    /* i6300esb, ib700, diag288, itco */
        char *action;                   /* reset, shutdown, poweroff, pause, none, dump, inject-nmi */
        VmAddress addr;
} VmWatchdog;

typedef struct VmRng {
        char *model;                    /* virtio, virtio-transitional, virtio-non-transitional */
        char *backend_model;            /* random, egd, builtin */
        char *backend_path;             /* random: /dev/urandom ... */
        VmCharSource egd;               /* egd backend chardev */
        unsigned rate_bytes, rate_period;
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
} VmRng;

typedef struct VmMemballoon {
        char *model;                    /* virtio, none; NULL = virtio */
        VmTristate autodeflate, free_page_reporting;
        unsigned stats_period;
        VmAddress addr;
        bool present;
        VmVirtioOpts virtio;
} VmMemballoon;

typedef struct VmTpm {
        char *model;                    /* tpm-tis, tpm-crb, tpm-spapr */
        char *backend_type;             /* passthrough, emulator, external */
        char *backend_path;             /* passthrough device / external socket */
        char *version;
} VmTpm;

typedef struct VmPanic {
        char *model;                    /* isa, hyperv, pseries, s390; NULL = default */
        VmAddress addr;
} VmPanic;

typedef struct VmVsock {
        char *model;                    /* virtio */
        unsigned cid;
        VmTristate cid_auto;
        VmAddress addr;
        bool present;
        VmVirtioOpts virtio;
} VmVsock;

typedef struct VmRedirdev {
        char *bus;                      /* usb */
        VmCharSource src;
        VmAddress addr;
} VmRedirdev;

typedef struct VmSmartcard {
        char *mode;                     /* host, host-certificates, passthrough */
        char **certificates;
        char *database;
        VmCharSource src;               /* passthrough */
        VmAddress addr;
} VmSmartcard;

/* <launchSecurity type='sev'>: an AMD SEV guest (QEMU's sev-guest object). */
typedef struct VmLaunchSecurity {
        char *type;                     /* sev; NULL = none */
        unsigned cbitpos, reduced_phys_bits, policy;
        char *dh_cert, *session;        /* base64, written to files in the state dir for QEMU */
        VmTristate kernel_hashes;
        unsigned line;
} VmLaunchSecurity;

typedef struct VmIommu {
        char *model;                    /* intel, virtio, smmuv3 */
        VmTristate intremap, caching_mode, eim, iotlb;
        unsigned aw_bits;
        VmAddress addr;
        bool present;
} VmIommu;

typedef struct VmShmem {
        char *name, *model, *role;
        uint64_t size;
        char *server_path;
        bool server;
        unsigned msi_vectors;
        VmTristate msi, msi_ioeventfd;
        VmAddress addr;
} VmShmem;

typedef struct VmFilesystem {
        char *type;                     /* mount */
        char *model;                    /* virtio, virtio-transitional, virtio-non-transitional; NULL = virtio */
        char *accessmode;               /* passthrough, mapped, squash */
        char *driver;                   /* path, handle; NULL = path */
        char *wrpolicy;                 /* immediate */
        char *source_dir, *target_dir;
        bool readonly;
        char *multidevs;                /* default, remap, forbid, warn */
        unsigned fmode, dmode;          /* 0 = unset */
        VmAddress addr;
        char *alias;
        VmVirtioOpts virtio;
        /* driver 'virtiofs': a vhost-user-fs-pci served by virtiofsd (lib/virtiofs.h) */
        unsigned queue_size;            /* <driver queue=>; 0 = QEMU's default */
        char *binary;                   /* <binary path=>; NULL = the vhost-user descriptor's */
        VmTristate xattr, posix_lock, flock;
        char *cache_mode;               /* <binary><cache mode=>: none, always */
        char *sandbox_mode;             /* <binary><sandbox mode=>: namespace, chroot */
        unsigned thread_pool_size;      /* <binary><thread_pool size=>, if thread_pool_set */
        bool thread_pool_set;
        char *source_socket;            /* <source socket=>: a virtiofsd someone else started */
        unsigned boot_order;
        unsigned line;                  /* of <filesystem> in the domain XML, for messages at start */
} VmFilesystem;

typedef struct VmMemoryDevice {
        char *model;                    /* dimm, nvdimm, virtio-pmem, virtio-mem */
        char *access;                   /* shared, private */
        VmTristate discard;
        char *source_path;              /* nvdimm, virtio-pmem (and file-backed dimm) */
        uint64_t source_pagesize_kib;   /* hugepage size for dimm/virtio-mem; 0 = normal pages */
        char *source_nodemask;
        uint64_t source_alignsize_kib;
        bool source_pmem;
        uint64_t size_kib;
        int node;                       /* guest NUMA node; -1 = unset */
        uint64_t label_size_kib;        /* nvdimm */
        uint64_t block_kib, requested_kib;      /* virtio-mem */
        bool readonly;                  /* nvdimm */
        VmAddress addr;                 /* dimm: slot (in .slot) and base; virtio: PCI */
        uint64_t dimm_base;
        bool dimm_slot_set;
        char *alias;
        unsigned line;
} VmMemoryDevice;

typedef struct VmNumaMemnode {
        unsigned cellid;
        char *mode;                     /* strict, preferred, interleave, restrictive */
        char *nodeset;
} VmNumaMemnode;

typedef struct VmNumatune {
        char *mode;                     /* strict (default), preferred, interleave, restrictive */
        char *nodeset;
        char *placement;                /* static, auto */
        VmNumaMemnode *memnodes;
        unsigned n_memnodes;
        bool present;
        unsigned line;                  /* of <memory>, for messages at start */
} VmNumatune;

/* ---- CPU, NUMA, OS, features, clock ---- */

typedef struct VmCpuFeature {
        char *name;
        char *policy;                   /* force, require, optional, disable, forbid */
} VmCpuFeature;

typedef struct VmNumaCell {
        unsigned id;
        char *cpus;                     /* cpulist, e.g. "0-3,8" */
        uint64_t memory_kib;
        char *mem_access;               /* shared, private */
        VmTristate discard;
        unsigned n_distances;
        unsigned *distance_ids, *distance_values;
} VmNumaCell;

typedef struct VmCpu {
        char *mode;                     /* custom, host-model, host-passthrough, maximum; NULL = none given */
        char *match, *check;
        char *model;
        char *fallback;                 /* allow, forbid */
        VmTristate migratable;
        unsigned sockets, dies, cores, threads;  /* 0 = no <topology> */
        VmCpuFeature *features;
        unsigned n_features;
        VmNumaCell *cells;
        unsigned n_cells;
        char *cache_mode;
        int cache_level;                /* -1 = unset */
        char *maxphysaddr_mode;
        unsigned maxphysaddr_bits;
} VmCpu;

typedef struct VmTimer {
        char *name;                     /* rtc, pit, hpet, kvmclock, tsc, hypervclock, platform, armvtimer */
        VmTristate present;
        char *tickpolicy;               /* delay, catchup, merge, discard */
        char *track;                    /* boot, guest, wall, realtime */
        uint64_t frequency;
        char *mode;
} VmTimer;

typedef struct VmClock {
        char *offset;                   /* utc, localtime, timezone, variable, absolute; NULL = utc */
        char *timezone;
        int64_t adjustment;
        bool adjustment_set;
        char *basis;                    /* utc, localtime */
        int64_t start;                  /* absolute */
        VmTimer *timers;
        unsigned n_timers;
} VmClock;

typedef struct VmSysinfoEntry {
        char *name, *value, *file;
} VmSysinfoEntry;

typedef struct VmSysinfo {
        bool smbios, fwcfg;             /* which <sysinfo type=...> blocks were given (one of each at most) */
        VmSysinfoEntry *bios, *system, *base_board, *chassis, *oem_strings, *fw_cfg;
        unsigned n_bios, n_system, n_base_board, n_chassis, n_oem_strings, n_fw_cfg;
        bool present;
} VmSysinfo;

typedef enum VmBootDev { VM_BOOT_FD, VM_BOOT_CDROM, VM_BOOT_HD, VM_BOOT_NETWORK,
                         _VM_BOOT_DEV_MAX, _VM_BOOT_DEV_INVALID = -EINVAL } VmBootDev;

typedef struct VmOs {
        char *type;                     /* hvm */
        char *arch;                     /* x86_64, i686 */
        char *machine;                  /* as given (pc, q35, pc-i440fx-7.2 ...) */
        VmBootDev boot[_VM_BOOT_DEV_MAX];
        unsigned n_boot;
        VmTristate bootmenu;
        int bootmenu_timeout;           /* -1 = unset */
        int reboot_timeout;             /* -1 = unset; <bios rebootTimeout=> */
        char *kernel, *initrd, *cmdline, *dtb;
        char *loader, *loader_type;     /* rom, pflash */
        VmTristate loader_readonly, loader_secure, loader_stateless;
        char *nvram, *nvram_template;
        char *firmware;                 /* efi, bios (auto-selection) */
        char **firmware_feature_names;
        bool *firmware_feature_enabled;
        unsigned n_firmware_features;
        char *smbios_mode;              /* emulate, host, sysinfo */
        char *acpi_table;               /* <acpi><table type='slic'> */
} VmOs;

typedef struct VmHypervFeature {
        char *name;
        VmTristate state;
        unsigned value;                 /* spinlocks retries */
        char *string;                   /* vendor_id value */
} VmHypervFeature;

typedef struct VmFeatures {
        bool acpi, apic, pae, hap, viridian, privnet, vmcoreinfo;
        VmTristate pmu, smm, vmport, pvspinlock, htm, ioapic_set;
        char *ioapic_driver;
        char *hyperv_mode;              /* custom, passthrough; NULL = no <hyperv> */
        VmHypervFeature *hyperv;
        unsigned n_hyperv;
        VmHypervFeature *kvm;
        unsigned n_kvm;
} VmFeatures;

/* <hugepages><page size= nodeset=>: huge pages of one size for some guest NUMA nodes. */
typedef struct VmHugepage {
        uint64_t size_kib;              /* 0 = the default huge pages */
        char *nodeset;                  /* guest NUMA cells, "0,2-3" */
        unsigned line;
} VmHugepage;

typedef struct VmMemoryBacking {
        bool hugepages, nosharepages, locked, discard;
        uint64_t hugepage_size_kib;     /* of the <page> without nodeset=; 0 = the default huge pages */
        unsigned hugepages_line;
        VmHugepage *pages;              /* the <page>s with nodeset=, for the cells they name */
        unsigned n_pages;
        char *source_type;              /* file, anonymous, memfd */
        char *access_mode;              /* shared, private */
        char *allocation_mode;          /* immediate, ondemand */
        unsigned allocation_threads;
} VmMemoryBacking;

/* <cputune><vcpupin vcpu= cpuset=> or <iothreadpin iothread= cpuset=>: host CPUs for one thread. */
typedef struct VmCpuPin {
        unsigned id;                    /* vCPU index (from 0), or iothread id (from 1) */
        CpuSet *cpus;                   /* never empty */
        unsigned line;                  /* of the element in the domain XML, for messages at start */
} VmCpuPin;

typedef struct VmTune {
        uint64_t hard_limit_kib, soft_limit_kib, swap_hard_limit_kib, min_guarantee_kib;
        uint64_t cpu_shares, cpu_period, cpu_quota;
        unsigned blkio_weight;
        /* Host CPU pinning, applied per thread by the supervisor (lib/cpu-pin.h). NULL/none: the
         * thread follows <vcpu cpuset>, else all host CPUs the VM may use. */
        CpuSet *emulatorpin;            /* QEMU's threads other than vCPUs and iothreads */
        unsigned emulatorpin_line;
        VmCpuPin *vcpupins;             /* in XML order, each vCPU at most once */
        unsigned n_vcpupins;
        VmCpuPin *iothreadpins;         /* in XML order, each iothread at most once */
        unsigned n_iothreadpins;
} VmTune;

typedef struct VmSeclabel {
        char *type;                     /* dynamic, static, none */
        char *model;                    /* selinux, apparmor, dac, none */
        VmTristate relabel;
        char *label, *imagelabel, *baselabel;
        bool present;
        unsigned line;                  /* of <seclabel> in the domain XML, for messages */
} VmSeclabel;

typedef struct VmQemuEnv {
        char *name, *value;
} VmQemuEnv;

typedef enum VmLifecycleAction { VM_LIFECYCLE_DESTROY, VM_LIFECYCLE_RESTART, VM_LIFECYCLE_PRESERVE,
                                 VM_LIFECYCLE_RENAME_RESTART, VM_LIFECYCLE_COREDUMP_DESTROY,
                                 VM_LIFECYCLE_COREDUMP_RESTART, _VM_LIFECYCLE_ACTION_MAX,
                                 _VM_LIFECYCLE_ACTION_INVALID = -EINVAL } VmLifecycleAction;

/* <metadata><vmunit:boot> (lib/domxml-vmunit-meta.c): how the VM takes part in boot and host
 * shutdown, turned into a drop-in for vm@NAME.service by vmunit-generator. */
typedef enum VmShutdownPolicy { VM_SHUTDOWN_POLICY_SHUTDOWN, VM_SHUTDOWN_POLICY_KILL, VM_SHUTDOWN_POLICY_LEAVE,
                                _VM_SHUTDOWN_POLICY_MAX,
                                _VM_SHUTDOWN_POLICY_INVALID = -EINVAL } VmShutdownPolicy;

typedef struct VmBoot {
        char **after;                   /* VM names: ordering only (After=) */
        unsigned n_after;
        char **wants;                   /* VM names: Wants= and After= */
        unsigned n_wants;
        char **requires;                /* VM names: Requires= and After= */
        unsigned n_requires;
        uint64_t start_delay_usec;      /* wait before the start, 0 = none */
        VmShutdownPolicy shutdown_policy; /* when machines.target stops; default shutdown */
} VmBoot;

#define DEVICE_ARRAY(type, name) type *name; unsigned n_##name

typedef struct VmDef {
        char *virt_type;                /* qemu, kvm */
        char *name;
        char *uuid;                     /* canonical 36-char form */
        char *title, *description;
        char *genid;                    /* NULL = none; "" = auto */
        bool genid_set;
        int live_id;                    /* a running VM's QEMU pid: <domain id=> of the live XML; 0 otherwise */
        VmBoot boot;                    /* <metadata><vmunit:boot> */
        uint64_t memory_kib, current_memory_kib, max_memory_kib;
        unsigned max_memory_slots;
        unsigned vcpus, vcpus_current;  /* current 0 = all */
        CpuSet *vcpu_cpuset;            /* <vcpu cpuset>: the default of every pinning; NULL = none */
        unsigned vcpu_line;             /* of <vcpu>, for messages about its cpuset */
        char *vcpu_placement;
        unsigned iothreads;
        VmCpu cpu;
        VmOs os;
        VmFeatures features;
        VmClock clock;
        VmLifecycleAction on_poweroff, on_reboot, on_crash;
        VmTristate pm_suspend_to_mem, pm_suspend_to_disk;
        VmMemoryBacking mem;
        VmNumatune numatune;
        VmTune tune;
        VmSeclabel seclabel;
        VmSysinfo sysinfo;
        char *emulator;
        DEVICE_ARRAY(VmDisk, disks);
        DEVICE_ARRAY(VmController, controllers);
        DEVICE_ARRAY(VmFilesystem, filesystems);
        DEVICE_ARRAY(VmNet, nets);
        DEVICE_ARRAY(VmChar, chars);    /* serials, parallels, consoles, channels in XML order */
        DEVICE_ARRAY(VmInput, inputs);
        DEVICE_ARRAY(VmGraphics, graphics);
        DEVICE_ARRAY(VmVideo, videos);
        DEVICE_ARRAY(VmSound, sounds);
        DEVICE_ARRAY(VmAudio, audios);
        DEVICE_ARRAY(VmHostdev, hostdevs);
        DEVICE_ARRAY(VmHub, hubs);
        DEVICE_ARRAY(VmWatchdog, watchdogs);
        DEVICE_ARRAY(VmRng, rngs);
        DEVICE_ARRAY(VmTpm, tpms);
        DEVICE_ARRAY(VmPanic, panics);
        DEVICE_ARRAY(VmRedirdev, redirdevs);
        DEVICE_ARRAY(VmSmartcard, smartcards);
        DEVICE_ARRAY(VmShmem, shmems);
        DEVICE_ARRAY(VmMemoryDevice, memory_devices);
        VmMemballoon memballoon;
        VmVsock vsock;
        VmIommu iommu;
        VmLaunchSecurity launch_security;
        char **qemu_args;               /* NULL-terminated */
        unsigned n_qemu_args;
        DEVICE_ARRAY(VmQemuEnv, qemu_env);

        struct VmArenaBlock *arena;     /* owns everything above */
} VmDef;

int vm_def_new(VmDef **ret);
VmDef *vm_def_free(VmDef *def);
DEFINE_CLEANUP_FUNC(VmDef *, vm_def_free);

/* Arena allocation: zeroed, owned by @def, freed by vm_def_free(). NULL on out of memory. */
void *vm_def_alloc(VmDef *def, size_t size);
char *vm_def_strdup(VmDef *def, const char *s);        /* NULL in, NULL out */
/* Grows an arena array of @n elements of @size by one zeroed element, returns it (NULL on ENOMEM). */
void *vm_def_array_grow(VmDef *def, void **array, unsigned *n, size_t size);
#define VM_ARRAY_NEW(def, arr, count) \
        ((typeof(arr)) vm_def_array_grow((def), (void **) &(arr), &(count), sizeof(*(arr))))
#define VM_DEVICE_NEW(def, name) VM_ARRAY_NEW(def, (def)->name, (def)->n_##name)

/* Valid names: 1..200 bytes, no '/', no leading '.', no control characters, valid UTF-8 not required
 * beyond ASCII control checks. Returns 0 or -EINVAL. */
int vm_name_validate(const char *name);
/* virtio, virtio-transitional, virtio-non-transitional: a virtio device's model=, and the QEMU device
 * name's suffix for it ("", "-transitional", "-non-transitional"). A transitional device is
 * conventional PCI: on Q35 it goes behind a pcie-pci-bridge. */
bool vm_model_is_virtio(const char *model) _pure_;
const char *vm_virtio_model_suffix(const char *model) _pure_;
#define VM_VIRTIO_MODELS "virtio", "virtio-transitional", "virtio-non-transitional"

/* libvirt's UUID syntax (32 hex digits, dashes or spaces between them allowed) into the canonical
 * lower-case 8-4-4-4-12 form. Returns false for anything else. */
bool vm_uuid_canonicalize(const char *s, char out[static 37]);
/* <hyperv><vendor_id value=>: 1-12 printable ASCII characters, no ',' or '=' (-cpu has no ',,' escape). */
bool vm_hyperv_vendor_id_valid(const char *s) _pure_;

DECLARE_STRING_TABLE_LOOKUP(vm_disk_type, VmDiskType);
DECLARE_STRING_TABLE_LOOKUP(vm_disk_device, VmDiskDevice);
DECLARE_STRING_TABLE_LOOKUP(vm_disk_bus, VmDiskBus);
DECLARE_STRING_TABLE_LOOKUP(vm_controller_type, VmControllerType);
DECLARE_STRING_TABLE_LOOKUP(vm_boot_dev, VmBootDev);
DECLARE_STRING_TABLE_LOOKUP(vm_lifecycle_action, VmLifecycleAction);
DECLARE_STRING_TABLE_LOOKUP(vm_shutdown_policy, VmShutdownPolicy);
DECLARE_STRING_TABLE_LOOKUP(vm_char_kind, VmCharKind);
