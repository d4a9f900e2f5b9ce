/*
 * UTF-8 validation: see utf8.h. The ranges are those of RFC 3629's table, which rules out
 * overlong forms and surrogates by bounding the second byte.
 */
#include "utf8.h"

bool utf8_is_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; ) {
                unsigned char lo = 0x80, hi = 0xbf;
                unsigned n;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if (*p >= 0xc2 && *p <= 0xdf)
                        n = 1;
                else if (*p >= 0xe0 && *p <= 0xef) {
                        n = 2;
                        if (*p == 0xe0)
                                lo = 0xa0;      /* overlong below U+0800 */
                        else if (*p == 0xed)
                                hi = 0x9f;      /* surrogates U+D800..U+DFFF */
                } else if (*p >= 0xf0 && *p <= 0xf4) {
                        n = 3;
                        if (*p == 0xf0)
                                lo = 0x90;      /* overlong below U+10000 */
                        else if (*p == 0xf4)
                                hi = 0x8f;      /* above U+10FFFF */
                } else
                        return false;
                p++;
                if (*p < lo || *p > hi)
                        return false;
                for (p++; --n > 0; p++)
                        if (*p < 0x80 || *p > 0xbf)
                                return false;
        }
        return true;
}
