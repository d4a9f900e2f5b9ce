/*
 * VmDef life cycle: the arena that owns every string and array of a definition, the enum
 * string tables, and name validation. Parsing lives in domxml*.c, argv building in qemu-argv*.c.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct VmArenaBlock {
        struct VmArenaBlock *next, *prev;
        alignas(max_align_t) unsigned char data[];
} VmArenaBlock;

static VmArenaBlock *block_of(void *p) {
        return (VmArenaBlock *) ((unsigned char *) p - offsetof(VmArenaBlock, data));
}

static void arena_link(VmDef *def, VmArenaBlock *b) {
        b->prev = NULL;
        b->next = def->arena;
        if (def->arena)
                def->arena->prev = b;
        def->arena = b;
}

static void arena_unlink(VmDef *def, VmArenaBlock *b) {
        if (b->prev)
                b->prev->next = b->next;
        else
                def->arena = b->next;
        if (b->next)
                b->next->prev = b->prev;
}

void *vm_def_alloc(VmDef *def, size_t size) {
        VmArenaBlock *b;

        if (size > SIZE_MAX - sizeof(VmArenaBlock))
                return NULL;
        b = calloc(1, sizeof(VmArenaBlock) + size);
        if (!b)
                return NULL;
        arena_link(def, b);
        return b->data;
}

char *vm_def_strdup(VmDef *def, const char *s) {
        size_t l;
        char *c;

        if (!s)
                return NULL;
        l = strlen(s);
        c = vm_def_alloc(def, l + 1);
        if (c)
                memcpy(c, s, l + 1);
        return c;
}

void *vm_def_array_grow(VmDef *def, void **array, unsigned *n, size_t size) {
        VmArenaBlock *b = NULL, *nb;

        if (*n >= 65536)
                return NULL;            /* no domain has 65536 devices of one kind */
        if (*array) {
                b = block_of(*array);
                arena_unlink(def, b);
        }
        nb = realloc(b, sizeof(VmArenaBlock) + size * (*n + 1));
        if (!nb) {
                if (b)
                        arena_link(def, b);
                return NULL;
        }
        arena_link(def, nb);
        memset(nb->data + size * *n, 0, size);
        *array = nb->data;
        return nb->data + size * (*n)++;
}

int vm_def_new(VmDef **ret) {
        VmDef *def = new0(VmDef, 1);

        if (!def)
                return -ENOMEM;
        def->os.bootmenu_timeout = -1;
        def->os.reboot_timeout = -1;
        def->cpu.cache_level = -1;
        def->on_poweroff = VM_LIFECYCLE_DESTROY;
        def->on_reboot = VM_LIFECYCLE_RESTART;
        def->on_crash = VM_LIFECYCLE_DESTROY;
        *ret = def;
        return 0;
}

VmDef *vm_def_free(VmDef *def) {
        if (!def)
                return NULL;
        while (def->arena) {
                VmArenaBlock *b = def->arena;
                def->arena = b->next;
                free(b);
        }
        free(def);
        return NULL;
}

bool vm_hyperv_vendor_id_valid(const char *s) {
        if (!s || !*s || strlen(s) > 12)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == ',' || *s == '=')
                        return false;
        return true;
}

int vm_name_validate(const char *name) {
        size_t l;

        if (!name)
                return -EINVAL;
        l = strlen(name);
        if (l == 0 || l > 200)
                return -EINVAL;
        if (name[0] == '.' || strchr(name, '/'))
                return -EINVAL;
        for (const unsigned char *p = (const unsigned char *) name; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return -EINVAL;
        return 0;
}

static const char * const vm_disk_type_table[_VM_DISK_TYPE_MAX] = {
        [VM_DISK_TYPE_FILE] = "file",
        [VM_DISK_TYPE_BLOCK] = "block",
        [VM_DISK_TYPE_DIR] = "dir",
        [VM_DISK_TYPE_NETWORK] = "network",
        [VM_DISK_TYPE_VOLUME] = "volume",
        [VM_DISK_TYPE_NVME] = "nvme",
};
DEFINE_STRING_TABLE_LOOKUP(vm_disk_type, VmDiskType);

static const char * const vm_disk_device_table[_VM_DISK_DEVICE_MAX] = {
        [VM_DISK_DEVICE_DISK] = "disk",
        [VM_DISK_DEVICE_CDROM] = "cdrom",
        [VM_DISK_DEVICE_FLOPPY] = "floppy",
        [VM_DISK_DEVICE_LUN] = "lun",
};
DEFINE_STRING_TABLE_LOOKUP(vm_disk_device, VmDiskDevice);

static const char * const vm_disk_bus_table[_VM_DISK_BUS_MAX] = {
        [VM_DISK_BUS_IDE] = "ide",
        [VM_DISK_BUS_SCSI] = "scsi",
        [VM_DISK_BUS_VIRTIO] = "virtio",
        [VM_DISK_BUS_SATA] = "sata",
        [VM_DISK_BUS_USB] = "usb",
        [VM_DISK_BUS_FDC] = "fdc",
};
DEFINE_STRING_TABLE_LOOKUP(vm_disk_bus, VmDiskBus);

static const char * const vm_controller_type_table[_VM_CONTROLLER_TYPE_MAX] = {
        [VM_CONTROLLER_IDE] = "ide",
        [VM_CONTROLLER_FDC] = "fdc",
        [VM_CONTROLLER_SCSI] = "scsi",
        [VM_CONTROLLER_SATA] = "sata",
        [VM_CONTROLLER_VIRTIO_SERIAL] = "virtio-serial",
        [VM_CONTROLLER_CCID] = "ccid",
        [VM_CONTROLLER_USB] = "usb",
        [VM_CONTROLLER_PCI] = "pci",
        [VM_CONTROLLER_XENBUS] = "xenbus",
        [VM_CONTROLLER_ISA] = "isa",
};
DEFINE_STRING_TABLE_LOOKUP(vm_controller_type, VmControllerType);

static const char * const vm_boot_dev_table[_VM_BOOT_DEV_MAX] = {
        [VM_BOOT_FD] = "fd",
        [VM_BOOT_CDROM] = "cdrom",
        [VM_BOOT_HD] = "hd",
        [VM_BOOT_NETWORK] = "network",
};
DEFINE_STRING_TABLE_LOOKUP(vm_boot_dev, VmBootDev);

static const char * const vm_lifecycle_action_table[_VM_LIFECYCLE_ACTION_MAX] = {
        [VM_LIFECYCLE_DESTROY] = "destroy",
        [VM_LIFECYCLE_RESTART] = "restart",
        [VM_LIFECYCLE_PRESERVE] = "preserve",
        [VM_LIFECYCLE_RENAME_RESTART] = "rename-restart",
        [VM_LIFECYCLE_COREDUMP_DESTROY] = "coredump-destroy",
        [VM_LIFECYCLE_COREDUMP_RESTART] = "coredump-restart",
};
DEFINE_STRING_TABLE_LOOKUP(vm_lifecycle_action, VmLifecycleAction);

static const char * const vm_char_kind_table[_VM_CHAR_KIND_MAX] = {
        [VM_CHAR_SERIAL] = "serial",
        [VM_CHAR_PARALLEL] = "parallel",
        [VM_CHAR_CONSOLE] = "console",
        [VM_CHAR_CHANNEL] = "channel",
};
DEFINE_STRING_TABLE_LOOKUP(vm_char_kind, VmCharKind);

const VmDiskIoTuneField vm_disk_iotune_fields[_VM_DISK_IOTUNE_FIELD_MAX] = {
#define F(x) { #x, offsetof(VmDiskIoTune, x) }
        F(total_bytes_sec), F(read_bytes_sec), F(write_bytes_sec),
        F(total_iops_sec), F(read_iops_sec), F(write_iops_sec),
        F(total_bytes_sec_max), F(read_bytes_sec_max), F(write_bytes_sec_max),
        F(total_iops_sec_max), F(read_iops_sec_max), F(write_iops_sec_max), F(size_iops_sec),
        F(total_bytes_sec_max_length), F(read_bytes_sec_max_length), F(write_bytes_sec_max_length),
        F(total_iops_sec_max_length), F(read_iops_sec_max_length), F(write_iops_sec_max_length),
#undef F
};

bool vm_uuid_canonicalize(const char *s, char out[static 37]) {
        size_t k = 0;

        for (const char *p = s; *p; p++) {
                if (*p == '-' || *p == ' ')
                        continue;
                if (!strchr("0123456789abcdefABCDEF", *p) || k >= 32)
                        return false;
                k++;
        }
        if (k != 32)
                return false;
        k = 0;
        for (const char *p = s; *p; p++) {
                if (*p == '-' || *p == ' ')
                        continue;
                if (k == 8 || k == 13 || k == 18 || k == 23)
                        out[k++] = '-';
                out[k++] = (char) (*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
        }
        out[36] = 0;
        return true;
}

bool vm_model_is_virtio(const char *model) {
        return streq_ptr(model, "virtio") || streq_ptr(model, "virtio-transitional") ||
                streq_ptr(model, "virtio-non-transitional");
}

const char *vm_virtio_model_suffix(const char *model) {
        return streq_ptr(model, "virtio-transitional") ? "-transitional" :
                streq_ptr(model, "virtio-non-transitional") ? "-non-transitional" : "";
}
