/*
 * SHA-256 (FIPS 180-4), one-shot. Small and dependency-free so that every binary, also the lean
 * supervisor that links no crypto library, can derive the same names from it (lib/bus-name.c).
 * Not for secrets: no constant-time guarantees are needed or given.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

void sha256(const void *data, size_t len, uint8_t ret[static SHA256_DIGEST_SIZE]);
