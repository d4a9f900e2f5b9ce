/*
 * Domain file -> name and <vmunit:boot>, by SAX: see domxml-scan.h. Messages are formatted like
 * xml-util.c's ("file:line: <parent><element>: message") so that both parsers read the same.
 */
#include <stdarg.h>
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "domxml-scan.h"
#include "domxml-vmunit-meta.h"
#include "domxml.h"
#include "fs-util.h"

#define SCAN_DEPTH_LABELS 8

typedef struct Scan {
        xmlParserCtxtPtr ctxt;
        const char *file;
        VmDef *def;
        VmBootParser boot;
        unsigned depth;                 /* of the next element to start; the root is 0 */
        const xmlChar *names[SCAN_DEPTH_LABELS]; /* open elements' local names (the parser's dictionary owns them) */
        long root_line, boot_line;
        bool seen_name, seen_metadata, seen_boot, in_metadata, in_boot;
        unsigned collect_depth;         /* gathering the text of the element at this depth; 0 = none */
        long collect_line;
        char *text;
        size_t text_len, text_size;
        int status;                     /* first failure, sticky */
        char *error;
} Scan;

static void silent_error(void *ctx, const char *msg, ...) {
        (void) ctx;
        (void) msg;
}

static const char *name_at(const Scan *s, unsigned d) {
        return d < SCAN_DEPTH_LABELS && s->names[d] ? (const char *) s->names[d] : "?";
}

static void scan_fail(Scan *s, unsigned d, long line, const char *fmt, ...) _printf_(4, 5);
static void scan_fail(Scan *s, unsigned d, long line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        char label[256];
        va_list ap;
        int k;

        if (s->status < 0)
                return;
        /* As xml-util.c's node_label(): the parent is named unless it is the root. */
        if (d >= 2)
                snprintf(label, sizeof(label), "<%s><%s>", name_at(s, d - 1), name_at(s, d));
        else
                snprintf(label, sizeof(label), "<%s>", name_at(s, d));
        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0 || asprintf(&s->error, "%s:%ld: %s: %s", s->file, line, label, msg) < 0) {
                s->error = NULL;
                s->status = -ENOMEM;
        } else
                s->status = -EINVAL;
        xmlStopParser(s->ctxt);
}

static void scan_oom(Scan *s) {
        if (s->status == 0)
                s->status = -ENOMEM;
        xmlStopParser(s->ctxt);
}

static bool is_vmunit(const xmlChar *uri) {
        return uri && streq((const char *) uri, VMUNIT_NS_HREF);
}

static void start_collect(Scan *s, unsigned d, long line) {
        s->collect_depth = d;
        s->collect_line = line;
        s->text_len = 0;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes) {
        Scan *s = ctx;
        unsigned d = s->depth++;
        const char *name = (const char *) localname;
        long line;

        if (s->status < 0)
                return;
        if (d < SCAN_DEPTH_LABELS)
                s->names[d] = localname;
        line = xmlSAX2GetLineNumber(s->ctxt);

        if (d == 0) {
                s->root_line = line;
                if (uri || !streq(name, "domain"))
                        scan_fail(s, d, line, "root element must be <domain>");
        } else if (s->collect_depth > 0)
                scan_fail(s, d, line, "unsupported element");  /* inside <name> or a vmunit:boot child */
        else if (d == 1 && !uri && streq(name, "name")) {
                if (s->seen_name)
                        return scan_fail(s, d, line, "element may appear only once");
                s->seen_name = true;
                start_collect(s, d, line);
        } else if (d == 1 && !uri && streq(name, "metadata")) {
                if (s->seen_metadata)
                        return scan_fail(s, d, line, "element may appear only once");
                s->seen_metadata = s->in_metadata = true;
        } else if (d == 2 && s->in_metadata && is_vmunit(uri)) {
                if (!streq(name, "boot"))
                        return scan_fail(s, d, line, "unsupported element (vmunit metadata is <vmunit:boot>)");
                if (s->seen_boot)
                        return scan_fail(s, d, line, "element may appear only once");
                if (nb_attributes > 0)  /* attributes come as (localname, prefix, URI, value, end) */
                        return scan_fail(s, d, line, "unsupported attribute '%s'", (const char *) attributes[0]);
                s->seen_boot = s->in_boot = true;
                s->boot_line = line;
        } else if (d == 3 && s->in_boot) {
                if (!is_vmunit(uri))
                        return scan_fail(s, d, line, "unsupported element (only vmunit: elements belong here)");
                if (nb_attributes > 0)
                        return scan_fail(s, d, line, "unsupported attribute '%s'", (const char *) attributes[0]);
                start_collect(s, d, line);
        }
}

/* The gathered text as the tree parser's xml_text() gives it: NULL when empty. */
static const char *collected(Scan *s) {
        return s->text_len > 0 ? s->text : NULL;
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
        _cleanup_free_ char *error = NULL;
        Scan *s = ctx;
        unsigned d = --s->depth;
        int r;

        if (s->status < 0)
                return;
        if (s->collect_depth > 0 && d == s->collect_depth) {
                s->collect_depth = 0;
                if (d == 1) {
                        s->def->name = vm_def_strdup(s->def, collected(s));
                        if (s->text_len > 0 && !s->def->name)
                                return scan_oom(s);
                        if (vm_name_validate(s->def->name) < 0)
                                return scan_fail(s, d, s->collect_line, "invalid domain name '%s'",
                                                 strempty(s->def->name));
                        return;
                }
                r = vm_boot_parse_element(&s->boot, (const char *) localname, collected(s), &error);
                if (r == -ENOMEM)
                        return scan_oom(s);
                if (r < 0)
                        return scan_fail(s, d, s->collect_line, "%s", error);
        } else if (d == 1 && s->in_metadata)
                s->in_metadata = false;
        else if (d == 2 && s->in_boot)
                s->in_boot = false;
}

static void on_text(void *ctx, const xmlChar *ch, int len) {
        Scan *s = ctx;

        if (s->status < 0 || s->collect_depth == 0 || len <= 0)
                return;
        if (s->text_len + (size_t) len + 1 > s->text_size) {
                size_t size = MAX(s->text_size * 2, s->text_len + (size_t) len + 1);
                char *t = realloc(s->text, MAX(size, 256u));
                if (!t)
                        return scan_oom(s);
                s->text = t;
                s->text_size = MAX(size, 256u);
        }
        memcpy(s->text + s->text_len, ch, (size_t) len);
        s->text_len += (size_t) len;
        s->text[s->text_len] = 0;
}

DEFINE_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt);

int domxml_scan_memory(const char *buf, size_t len, const char *filename, VmDef **ret, char **ret_error) {
        _cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
        _cleanup_(vm_def_freep) VmDef *def = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        xmlSAXHandler sax = {
                .initialized = XML_SAX2_MAGIC,
                .startElementNs = on_start,
                .endElementNs = on_end,
                .characters = on_text,
                .cdataBlock = on_text,
        };
        Scan s = { .file = filename };
        int r;

        if (len > DOMXML_MAX_SIZE || len > INT_MAX) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: document larger than %u bytes", filename, DOMXML_MAX_SIZE);
                return -E2BIG;
        }
        r = vm_def_new(&def);
        if (r < 0)
                return r;
        s.def = s.boot.def = def;

        if (len == 0) {         /* libxml2 makes no parser for that */
                if (ret_error)
                        (void) asprintf(ret_error, "%s:1: malformed XML: Document is empty", filename);
                return -EINVAL;
        }
        ctxt = xmlCreateMemoryParserCtxt(buf, (int) len);
        if (!ctxt)
                return -ENOMEM;
        *ctxt->sax = sax;
        ctxt->userData = &s;
        s.ctxt = ctxt;
        /* untrusted input, as in domxml.c: no network, no entities, no DTD, nothing on stderr */
        (void) xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlGenericErrorFunc old_handler = xmlGenericError;
        void *old_context = xmlGenericErrorContext;
        xmlSetGenericErrorFunc(NULL, silent_error);
        (void) xmlParseDocument(ctxt);
        xmlSetGenericErrorFunc(old_context, old_handler);
        text = s.text;
        error = s.error;

        if (s.status == 0 && !ctxt->wellFormed) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                size_t l = e && e->message ? strlen(e->message) : 0;

                if (ret_error)
                        (void) asprintf(ret_error, "%s:%d: malformed XML: %.*s", filename, e ? e->line : 0,
                                        (int) (l > 0 && e->message[l - 1] == '\n' ? l - 1 : l),
                                        l > 0 ? e->message : "unknown error");
                return -EINVAL;
        }
        if (s.status == 0 && !s.seen_name) {
                s.names[0] = (const xmlChar *) "domain";
                scan_fail(&s, 0, s.root_line, "missing <name>");
                error = s.error;
        }
        if (s.status == 0) {
                r = vm_boot_check(def, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (ret_error)
                                (void) asprintf(ret_error, "%s:%ld: <metadata><boot>: %s", filename, s.boot_line,
                                                error);
                        return r;
                }
        }
        if (s.status < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return s.status;
        }
        *ret = TAKE_PTR(def);
        return 0;
}

int domxml_scan_file(int dir_fd, const char *path, const char *filename, VmDef **ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_file_fullat(dir_fd, path, DOMXML_MAX_SIZE, &buf, &len);
        if (r == -EFBIG) {
                if (ret_error)
                        (void) asprintf(ret_error, "%s: document larger than %u bytes", filename, DOMXML_MAX_SIZE);
                return -E2BIG;
        }
        if (r < 0)
                return r;
        return domxml_scan_memory(buf, len, filename, ret, ret_error);
}
