/*
 * How QEMU 7.2 itself splits option values, for tests that must prove that no value added an
 * option or property: QemuOpts' "key=value,key=value" (where ",," is a literal comma and a first
 * item without '=' is the implied key), and -cpu's own splitting (strtok on ',', no escaping).
 */
#pragma once

#include <stddef.h>

typedef struct OptItem {
        char *key;              /* NULL for the implied (positional) first item */
        char *value;            /* NULL for a bare flag ("telnet") */
} OptItem;

typedef struct OptList {
        OptItem *items;
        size_t n;
} OptList;

/* QemuOpts (util/qemu-option.c get_opt_name_value()): returns 0 or -ENOMEM. */
int qemu_opts_split(const char *s, OptList *ret);
/* -cpu MODEL,FEATURES (target/i386/cpu.c x86_cpu_parse_featurestr()): the model is the positional
 * item, each feature "k=v" or a flag, and one starting with '+' or '-' is QEMU's legacy
 * "+feat"/"-feat" syntax (kept whole as the key); no ",," escaping exists there. */
int qemu_cpu_split(const char *s, OptList *ret);
void opt_list_done(OptList *l);
