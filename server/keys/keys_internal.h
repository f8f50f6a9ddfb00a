/*
 * keys_internal.h - the keyring's layout, shared by keyring.c and envelope.c only.
 */
#ifndef SATHD_KEYS_INTERNAL_H
#define SATHD_KEYS_INTERNAL_H

#include <sodium.h>

#include "sathd/keyring.h"

#define SATHD_KEYS_NPURPOSES 2 /* subkeys per master key, index = purpose - 1 */

/* One master key's derived subkeys; the master key itself is not kept. */
typedef struct sathd_keyring_entry {
    char kid[SATHD_KEYS_KID_MAX + 1];
    unsigned char subkey[SATHD_KEYS_NPURPOSES][crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
} sathd_keyring_entry;

struct sathd_keyring {
    size_t n;
    sathd_keyring_entry *entries; /* sodium_malloc'd, n entries; [0] encrypts */
};

/* 1 when `kid` is a valid key id ([A-Za-z0-9_.-]{1,32}). */
int sathd_keys_kid_valid(const char *kid, size_t len);
/* The entry for `kid`, or NULL. */
const sathd_keyring_entry *sathd_keyring_find(const sathd_keyring *kr, const char *kid);

#endif
