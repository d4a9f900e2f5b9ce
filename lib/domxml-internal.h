/* Shared between the domxml*.c parser files; not a public interface. */
#pragma once

#include "xml-util.h"

int domxml_parse_devices(XmlCtx *c, xmlNode *devices);
int domxml_parse_address(XmlCtx *c, xmlNode *parent, VmAddress *ret);
int domxml_parse_char_source(XmlCtx *c, xmlNode *parent, const char *type, VmCharSource *src);
int domxml_parse_boot_order(XmlCtx *c, xmlNode *parent, unsigned *ret);
int domxml_parse_alias(XmlCtx *c, xmlNode *parent, char **ret);
/* <driver name='vfio'/> of a host PCI device (the only one there is); the name in *@ret. */
int domxml_parse_vfio_driver(XmlCtx *c, xmlNode *parent, char **ret);
/* <source><address domain= bus= slot= function=/> of a host PCI device (type='pci' optional). */
int domxml_parse_pci_source(XmlCtx *c, xmlNode *source, VmAddress *ret);
/* <driver iommu= ats= packed= page_per_vq=>: virtio options vmunit cannot honour are refused. */
int domxml_parse_cpu(XmlCtx *c, xmlNode *n, VmCpu *cpu);
int domxml_parse_virtio_opts(XmlCtx *c, xmlNode *driver, VmVirtioOpts *o);
int domxml_parse_more_devices(XmlCtx *c, xmlNode *n, bool *handled);
int domxml_parse_chardev(XmlCtx *c, xmlNode *n, VmCharKind kind);
/* <metadata>: <vmunit:boot> into def->boot (domxml-vmunit-meta.c); other applications' metadata is skipped. */
int domxml_parse_metadata(XmlCtx *c, xmlNode *metadata);
