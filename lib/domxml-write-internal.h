/* Shared between domxml-write*.c; not a public interface. */
#pragma once

#include <libxml/xmlwriter.h>

#include "model.h"

/* xmlTextWriter with a sticky error (the Argv idea): call sites read like the document and the
 * first failure is reported once, at the end. Strings are checked before they reach libxml2,
 * which would otherwise write control characters that no parser reads back. */
typedef struct XmlWriter {
        xmlTextWriterPtr w;
        int error;                      /* first failure (-EINVAL, -ENOMEM), sticky; 0 if none */
        char *message;                  /* for the first -EINVAL: "<elem> attribute 'x': ..." */
        char *element;                  /* the innermost open element, for messages */
        unsigned depth;
} XmlWriter;

/* A whole document, in libvirt's style (two-space indent, single quotes), written by @write into a
 * string: 0 with it in *@ret (no final newline), or the writer's sticky error with its message in
 * *@ret_error. */
int xw_document(void (*write)(XmlWriter *x, const void *userdata), const void *userdata, char **ret,
                char **ret_error);

void xw_start(XmlWriter *x, const char *element);
/* <prefix:element>, declaring xmlns:prefix=@href on it when @href is non-NULL. */
void xw_start_ns(XmlWriter *x, const char *prefix, const char *element, const char *href);
void xw_end(XmlWriter *x);
/* Empty element helpers: start, attributes, end. */
#define xw_empty(x, element) do { xw_start((x), (element)); xw_end(x); } while (0)

/* Attributes; a NULL @value is skipped. */
void xw_attr(XmlWriter *x, const char *name, const char *value);
void xw_attrf(XmlWriter *x, const char *name, const char *fmt, ...) _printf_(3, 4);
void xw_attr_uint(XmlWriter *x, const char *name, unsigned value);
void xw_attr_u64(XmlWriter *x, const char *name, uint64_t value);
void xw_attr_int(XmlWriter *x, const char *name, int value);
/* Writes @yes or @no for ON/OFF; nothing for ABSENT. */
void xw_attr_tristate(XmlWriter *x, const char *name, VmTristate t, const char *yes, const char *no);
#define xw_attr_yesno(x, name, t) xw_attr_tristate((x), (name), (t), "yes", "no")
#define xw_attr_onoff(x, name, t) xw_attr_tristate((x), (name), (t), "on", "off")

/* Text content of the open element. */
void xw_text(XmlWriter *x, const char *text);
/* <element>text</element>; nothing when @text is NULL. */
void xw_text_element(XmlWriter *x, const char *element, const char *text);
void xw_u64_element(XmlWriter *x, const char *element, uint64_t value);

/* Shared pieces, in domxml-write-devices.c */
void xw_address(XmlWriter *x, const VmAddress *a);
void xw_alias(XmlWriter *x, const char *alias);
void xw_boot_order(XmlWriter *x, unsigned order);
void xw_char_source(XmlWriter *x, const VmCharSource *s);
void xw_devices(XmlWriter *x, const VmDef *def);

/* in domxml-vmunit-meta.c: <metadata><vmunit:boot>, nothing when @b holds only defaults */
void xw_vmunit_metadata(XmlWriter *x, const VmBoot *b);

/* in domxml-write-more.c */
bool xw_virtio_opts_set(const VmVirtioOpts *o);
void xw_virtio_opts(XmlWriter *x, const VmVirtioOpts *o);      /* attributes of an open <driver> */
void xw_virtio_driver(XmlWriter *x, const VmVirtioOpts *o);    /* a <driver> with only those */
void xw_network_source(XmlWriter *x, const VmDiskSource *src);
void xw_numatune(XmlWriter *x, const VmNumatune *t);
void xw_more_devices(XmlWriter *x, const VmDef *def);

/* A host PCI device's <source><address .../> (inside an open <source>), and the <rom>, <boot>,
 * <alias> and <address> that end a <hostdev> or an <interface type='hostdev'>. */
void xw_pci_source(XmlWriter *x, const VmAddress *s);
void xw_hostdev_tail(XmlWriter *x, const VmHostdev *h);
