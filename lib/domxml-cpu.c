/* Domain XML -> VmDef: <cpu> with its model, features, topology and guest NUMA cells. */
#include <stdio.h>

#include "domxml-internal.h"

static int parse_numa(XmlCtx *c, xmlNode *numa, VmCpu *cpu) {
        XML_FOREACH_ELEMENT(n, numa) {
                VmNumaCell *cell;
                char *mem = NULL;
                xmlNode *d;

                if (!xml_is(n, "cell"))
                        continue;
                xml_mark(n);
                cell = VM_ARRAY_NEW(c->def, cpu->cells, cpu->n_cells);
                if (!cell)
                        return xml_oom(c);
                cell->id = cpu->n_cells - 1;
                (void) xml_prop_uint(c, n, "id", &cell->id);
                (void) xml_prop(c, n, "cpus", &cell->cpus);
                (void) xml_prop(c, n, "memory", &mem);
                (void) xml_scaled_kib(c, n, mem, "unit", "KiB", &cell->memory_kib);
                (void) xml_prop_choice(c, n, "memAccess", (const char * const[]) { "shared", "private", NULL },
                                       &cell->mem_access);
                (void) xml_prop_yesno(c, n, "discard", &cell->discard);
                if (cell->id != cpu->n_cells - 1)
                        return xml_fail(c, n, "NUMA cell ids must be 0, 1, 2 ... in order");
                d = xml_child(c, n, "distances");
                if (d)
                        XML_FOREACH_ELEMENT(s, d) {
                                unsigned *id, *val, k;
                                if (!xml_is(s, "sibling"))
                                        continue;
                                xml_mark(s);
                                k = cell->n_distances;
                                id = VM_ARRAY_NEW(c->def, cell->distance_ids, k);
                                k = cell->n_distances;
                                val = VM_ARRAY_NEW(c->def, cell->distance_values, cell->n_distances);
                                if (!id || !val)
                                        return xml_oom(c);
                                if (xml_prop_uint(c, s, "id", id) <= 0 || xml_prop_uint(c, s, "value", val) <= 0)
                                        return xml_fail(c, s, "needs attributes 'id' and 'value'");
                                if (*val < 10 || *val > 255)
                                        return xml_fail(c, s, "distance must be 10..255");
                        }
        }
        return xml_status(c);
}

int domxml_parse_cpu(XmlCtx *c, xmlNode *n, VmCpu *cpu) {
        static const char * const modes[] = { "custom", "host-model", "host-passthrough", "maximum", NULL };
        static const char * const matches[] = { "minimum", "exact", "strict", NULL };
        static const char * const checks[] = { "none", "partial", "full", NULL };
        static const char * const policies[] = { "force", "require", "optional", "disable", "forbid", NULL };
        xmlNode *m;

        (void) xml_prop_choice(c, n, "mode", modes, &cpu->mode);
        (void) xml_prop_choice(c, n, "match", matches, &cpu->match);
        (void) xml_prop_choice(c, n, "check", checks, &cpu->check);
        (void) xml_prop_onoff(c, n, "migratable", &cpu->migratable);

        m = xml_child(c, n, "model");
        if (m) {
                (void) xml_prop_choice(c, m, "fallback", (const char * const[]) { "allow", "forbid", NULL },
                                       &cpu->fallback);
                (void) xml_text(c, m, &cpu->model);
                if (cpu->model && strpbrk(cpu->model, ",= \n"))
                        return xml_fail(c, m, "invalid CPU model name '%s'", cpu->model);
        }
        m = xml_child(c, n, "topology");
        if (m) {
                cpu->dies = 1;
                (void) xml_prop_uint(c, m, "sockets", &cpu->sockets);
                (void) xml_prop_uint(c, m, "dies", &cpu->dies);
                (void) xml_prop_uint(c, m, "cores", &cpu->cores);
                (void) xml_prop_uint(c, m, "threads", &cpu->threads);
                if (!cpu->sockets || !cpu->dies || !cpu->cores || !cpu->threads)
                        return xml_fail(c, m, "sockets, dies, cores and threads must all be at least 1");
        }
        XML_FOREACH_ELEMENT(f, n) {
                VmCpuFeature *ft;
                if (!xml_is(f, "feature"))
                        continue;
                xml_mark(f);
                ft = VM_ARRAY_NEW(c->def, cpu->features, cpu->n_features);
                if (!ft)
                        return xml_oom(c);
                if (xml_prop(c, f, "name", &ft->name) <= 0)
                        return xml_fail(c, f, "missing attribute 'name'");
                if (strspn(ft->name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(ft->name) || !*ft->name ||
                    !strchr("abcdefghijklmnopqrstuvwxyz0123456789", ft->name[0]))
                        return xml_fail(c, f, "invalid CPU feature name '%s'", ft->name);
                ft->policy = (char *) "require";
                (void) xml_prop_choice(c, f, "policy", policies, &ft->policy);
        }
        m = xml_child(c, n, "numa");
        if (m)
                (void) parse_numa(c, m, cpu);
        m = xml_child(c, n, "cache");
        if (m) {
                (void) xml_prop_choice(c, m, "mode", (const char * const[]) { "emulate", "passthrough",
                                                                              "disable", NULL },
                                       &cpu->cache_mode);
                (void) xml_prop_int(c, m, "level", &cpu->cache_level);
        }
        m = xml_child(c, n, "maxphysaddr");
        if (m) {
                (void) xml_prop_choice(c, m, "mode", (const char * const[]) { "emulate", "passthrough", NULL },
                                       &cpu->maxphysaddr_mode);
                (void) xml_prop_uint(c, m, "bits", &cpu->maxphysaddr_bits);
        }
        return xml_status(c);
}
