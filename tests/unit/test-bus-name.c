/*
 * The VM name -> bus name rule (lib/bus-name.c): the examples of the documentation, validity of
 * every result as a D-Bus well-known name, injectivity and the inverse on tricky and random names,
 * the length limit and its hashed fallback, refused names; SHA-256 (lib/sha256.c) against the
 * FIPS 180-4 test vectors; UTF-8 validation (lib/utf8.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-name.h"
#include "cleanup.h"
#include "model.h"
#include "sha256.h"
#include "utf8.h"

/* The D-Bus specification's rule for well-known bus names, written out independently. */
static bool dbus_well_known_name_valid(const char *s) {
        size_t n_elements = 0, len = strlen(s);
        bool start = true;

        if (len == 0 || len > 255 || s[0] == ':' || s[0] == '.')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (start)
                                return false;           /* empty element */
                        start = true;
                        continue;
                }
                if (start && *p >= '0' && *p <= '9')
                        return false;
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-'))
                        return false;
                if (start)
                        n_elements++;
                start = false;
        }
        return !start && n_elements >= 2;
}

static char *bus_name_of(const char *vm) {
        char *b = NULL;

        cr_assert_eq(vm_bus_name(vm, &b), 0, "refused '%s'", vm);
        cr_assert(dbus_well_known_name_valid(b), "'%s' -> '%s' is not a valid bus name", vm, b);
        cr_assert(startswith(b, "org.vmunit.vm."), "'%s' -> '%s'", vm, b);
        return b;
}

Test(bus_name, documented_examples) {
        static const struct { const char *vm, *bus; } cases[] = {
                { "web-01", "org.vmunit.vm.web-01" },
                { "my vm", "org.vmunit.vm.my_20vm" },
                { "1st", "org.vmunit.vm._31st" },
                { "a_b", "org.vmunit.vm.a_5fb" },
                { "a.b", "org.vmunit.vm.a_2eb" },
                { "-", "org.vmunit.vm.-" },
                { "x1", "org.vmunit.vm.x1" },
                { "O'Brien \"q\"", "org.vmunit.vm.O_27Brien_20_22q_22" },
                { "caf\xc3\xa9", "org.vmunit.vm.caf_c3_a9" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *b = bus_name_of(cases[i].vm), *back = NULL;

                cr_expect_str_eq(b, cases[i].bus, "for '%s'", cases[i].vm);
                cr_expect_eq(vm_bus_name_to_vm_name(b, &back), 0, "no inverse for '%s'", b);
                cr_expect_str_eq(back, cases[i].vm);
        }
}

Test(bus_name, refuses_what_is_no_vm_name) {
        char long_name[202];
        static const char * const bad[] = {
                "", "a/b", "/", "..", ".hidden", "tab\there", "nl\n", "del\x7f",
                "\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *b = NULL;
                cr_expect_eq(vm_bus_name(bad[i], &b), -EINVAL, "accepted bad name #%zu", i);
                cr_expect_null(b);
        }
        cr_expect_eq(vm_bus_name(NULL, &(char *) { NULL }), -EINVAL);

        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;           /* 201 bytes: one too many */
        cr_expect_eq(vm_bus_name(long_name, &(char *) { NULL }), -EINVAL);
        long_name[200] = 0;                             /* 200: the longest VM name */
        free(bus_name_of(long_name));
}

/* The escaped form is used up to exactly 255 bytes; one more and the hash takes over. */
Test(bus_name, length_limit_and_fallback) {
        char name[201];
        size_t room = 255 - strlen("org.vmunit.vm.");         /* 241 */
        _cleanup_free_ char *fits = NULL, *over = NULL, *back = NULL, *again = NULL;

        /* 80 spaces (3 bytes each) + "a" = 241 bytes escaped */
        memset(name, ' ', 80);
        strcpy(name + 80, "a");
        fits = bus_name_of(name);
        cr_expect_eq(strlen(fits), 255);
        cr_expect_eq(strlen(fits) - strlen("org.vmunit.vm."), room);
        cr_expect_eq(vm_bus_name_to_vm_name(fits, &back), 0);
        cr_expect_str_eq(back, name);

        strcpy(name + 80, "aa");                              /* 242: hashed */
        over = bus_name_of(name);
        cr_expect_eq(strlen(over), strlen("org.vmunit.vm.__") + 64);
        cr_expect(startswith(over, "org.vmunit.vm.__"));
        cr_expect_eq(vm_bus_name_to_vm_name(over, &(char *) { NULL }), -ENODATA);

        /* the hash is of the VM name's bytes: SHA-256 of the same string */
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[2 * SHA256_DIGEST_SIZE + 1];
        sha256(name, strlen(name), d);
        for (size_t i = 0; i < sizeof(d); i++)
                sprintf(hex + 2 * i, "%02x", d[i]);
        cr_expect_str_eq(over + strlen("org.vmunit.vm.__"), hex);

        /* stable: the same name gives the same bus name */
        again = bus_name_of(name);
        cr_expect_str_eq(again, over);

        /* the worst case: 200 bytes that all need escaping */
        memset(name, '"', 200);
        name[200] = 0;
        free(bus_name_of(name));
}

/* Names built to collide under a careless escaping: every one must map to a different bus name,
 * and back. */
Test(bus_name, injective_on_tricky_names) {
        static const char * const names[] = {
                "a_b", "a_5fb", "a_5Fb", "a b", "a_20b", "a-b", "a.b", "a_2eb", "_", "__", "_5f", "_5f_5f",
                "1", "_31", "11", "1a", "a1", "A", "a", "ab", "aB", "Ab", "-", "--", "-1", "x_", "x__",
                "caf\xc3\xa9", "caf_c3_a9", "cafe\xcc\x81", "\xe2\x80\x8b", "'", "\"", "\\", "$(x)", "a@b",
                "a:b", "a,b", "a=b", " ", "  ", "a ", " a", "\xf0\x9f\x98\x80", "\xef\xbf\xbd",
        };
        char *out[ELEMENTSOF(names)];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *back = NULL;

                out[i] = bus_name_of(names[i]);
                cr_assert_eq(vm_bus_name_to_vm_name(out[i], &back), 0, "no inverse for '%s'", out[i]);
                cr_expect_str_eq(back, names[i]);
                for (size_t j = 0; j < i; j++)
                        cr_expect_str_neq(out[i], out[j], "'%s' and '%s' collide", names[i], names[j]);
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                free(out[i]);
}

/* A random valid UTF-8 name of 1..200 bytes, not starting with '.', no '/' or controls. */
static void random_name(char *buf, unsigned *seed) {
        static const char * const pieces[] = { "a", "Z", "0", "_", "-", ".", " ", "'", "\"", "\xc3\xa9",
                                                "\xe2\x82\xac", "\xf0\x9f\x98\x80", "_5f", "_2e", "9" };
        size_t n = 0, want = 1 + (size_t) rand_r(seed) % 200;

        while (n < want) {
                const char *p = pieces[(size_t) rand_r(seed) % ELEMENTSOF(pieces)];
                if (n + strlen(p) > 200 || (n == 0 && p[0] == '.'))
                        break;
                memcpy(buf + n, p, strlen(p));
                n += strlen(p);
        }
        if (n == 0)
                buf[n++] = 'x';
        buf[n] = 0;
}

Test(bus_name, random_names_round_trip) {
        unsigned seed = 20240501;
        char name[201];

        for (unsigned i = 0; i < 20000; i++) {
                _cleanup_free_ char *b = NULL, *back = NULL;
                int r;

                random_name(name, &seed);
                b = bus_name_of(name);
                r = vm_bus_name_to_vm_name(b, &back);
                if (startswith(b, "org.vmunit.vm.__")) {
                        cr_assert_eq(r, -ENODATA);
                        continue;
                }
                cr_assert_eq(r, 0, "no inverse for '%s'", b);
                cr_assert_str_eq(back, name);
        }
}

Test(bus_name, inverse_refuses_non_canonical) {
        static const char * const bad[] = {
                "org.vmunit.vm.",               /* empty VM name */
                "org.vmunit.Manager1",
                "org.vmunit.vmx",
                "com.example.vm.web",
                "org.vmunit.vm.my_2Fvm",        /* upper-case hex */
                "org.vmunit.vm.my_2fvm",        /* '/' */
                "org.vmunit.vm._61",            /* 'a' escaped although plain */
                "org.vmunit.vm.1st",            /* leading digit unescaped */
                "org.vmunit.vm.a_2",            /* truncated escape */
                "org.vmunit.vm.a_zz",
                "org.vmunit.vm.a_00b",          /* NUL */
                "org.vmunit.vm._2ehidden",      /* leading '.' */
                "org.vmunit.vm._ff",            /* not UTF-8 */
                "org.vmunit.vm.a.b",            /* a second element */
                "org.vmunit.vm.__abc",          /* hash of the wrong length */
                "org.vmunit.vm.__0000000000000000000000000000000000000000000000000000000000000g",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *n = NULL;
                cr_expect_eq(vm_bus_name_to_vm_name(bad[i], &n), -EINVAL, "accepted '%s'", bad[i]);
                cr_expect_null(n);
        }
}

static void expect_sha256(const void *data, size_t len, const char *hex) {
        uint8_t d[SHA256_DIGEST_SIZE];
        char got[2 * SHA256_DIGEST_SIZE + 1];

        sha256(data, len, d);
        for (size_t i = 0; i < sizeof(d); i++)
                sprintf(got + 2 * i, "%02x", d[i]);
        cr_expect_str_eq(got, hex, "length %zu", len);
}

Test(sha256, fips_180_4_vectors) {
        char *million;

        expect_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        expect_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        expect_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        expect_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
                      "lmnopqrsmnopqrstnopqrstu", 112,
                      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
        million = malloc(1000000);
        cr_assert_not_null(million);
        memset(million, 'a', 1000000);
        expect_sha256(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        free(million);
        /* block boundaries: 55, 63, 64 bytes */
        expect_sha256("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55,
                      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
        expect_sha256("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 63,
                      "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
        expect_sha256("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64,
                      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

Test(utf8, validation) {
        cr_expect(utf8_is_valid(""));
        cr_expect(utf8_is_valid("plain ascii"));
        cr_expect(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf"));
        cr_expect_not(utf8_is_valid("\x80"));                   /* lone continuation */
        cr_expect_not(utf8_is_valid("\xc3"));                   /* truncated */
        cr_expect_not(utf8_is_valid("\xc3("));
        cr_expect_not(utf8_is_valid("\xc0\xaf"));               /* overlong '/' */
        cr_expect_not(utf8_is_valid("\xc1\xbf"));
        cr_expect_not(utf8_is_valid("\xe0\x9f\xbf"));           /* overlong 3-byte */
        cr_expect_not(utf8_is_valid("\xf0\x8f\xbf\xbf"));       /* overlong 4-byte */
        cr_expect_not(utf8_is_valid("\xed\xa0\x80"));           /* surrogate */
        cr_expect_not(utf8_is_valid("\xf4\x90\x80\x80"));       /* above U+10FFFF */
        cr_expect_not(utf8_is_valid("\xf5\x80\x80\x80"));
        cr_expect_not(utf8_is_valid("\xff"));
        cr_expect_not(utf8_is_valid("\xe2\x82"));               /* truncated 3-byte */
}
