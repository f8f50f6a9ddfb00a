/*
 * keyring.h - the sathd_keys layer: master keys for encryption at rest (keyring.c),
 * the versioned envelope format (envelope.c), request signing helpers (sign.c) and
 * the per-provider connection testers (tester*.c).
 *
 * Keyring model: SATH_ENCRYPTION_KEYS = "kid:base64key[,kid2:base64key2...]"; every
 * master key is 32 bytes; the FIRST one encrypts, all of them decrypt.  Each master
 * key is never used directly: one subkey per purpose (which table the value lives in)
 * is derived with crypto_kdf_derive_from_key, so a ciphertext of one purpose can never
 * be opened as another even before the associated data is checked.
 *
 * A keyring is immutable after creation and safe to share between threads.  Its key
 * material lives in sodium_malloc'd memory (guard pages, wiped on free).
 */
#ifndef SATHD_KEYS_KEYRING_H
#define SATHD_KEYS_KEYRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_keyring sathd_keyring;

/* What a ciphertext is for; each purpose has its own subkey (KDF subkey id = value). */
typedef enum sathd_keys_purpose {
    SATHD_KEYS_API_KEYS = 1, /* table api_keys */
    SATHD_KEYS_AI_KEYS = 2,  /* table ai_keys */
} sathd_keys_purpose;

/* Outcome of the envelope functions. */
typedef enum sathd_keys_rc {
    SATHD_KEYS_OK = 0,
    SATHD_KEYS_EMALFORMED = -1,   /* not a well-formed v1 envelope */
    SATHD_KEYS_EUNKNOWN_KID = -2, /* names a key id the keyring does not hold */
    SATHD_KEYS_EAUTH = -3,        /* authentication failed: tampered, or moved to another row/column */
    SATHD_KEYS_ENOMEM = -4,
    SATHD_KEYS_EINVAL = -5, /* bad arguments (purpose, too long AD or plaintext) */
} sathd_keys_rc;

#define SATHD_KEYS_KID_MAX 32          /* key id: [A-Za-z0-9_.-]{1,32} */
#define SATHD_KEYS_MASTER_BYTES 32     /* crypto_kdf_KEYBYTES */
#define SATHD_KEYS_MAX_PLAINTEXT 4096  /* longest value we encrypt */
#define SATHD_KEYS_MAX_ENVELOPE 6000   /* longest envelope we parse */
#define SATHD_KEYS_AD_MAX 256          /* longest associated data */

/* Parses `spec` ("kid:base64key,..."; standard or URL-safe base64, 32 bytes decoded;
 * key ids unique).  Returns the keyring (free with sathd_keyring_free), or NULL with a
 * reason in `err` that never contains key material. */
sathd_keyring *sathd_keyring_parse(const char *spec, char *err, size_t errlen);
/* A keyring of one random key named `kid` (development without a configured key). */
sathd_keyring *sathd_keyring_ephemeral(const char *kid);
/* Wipes and frees; NULL is fine. */
void sathd_keyring_free(sathd_keyring *kr);
/* The key id that encrypts (the first one); owned by the keyring. */
const char *sathd_keyring_current_kid(const sathd_keyring *kr);
/* 1 when the keyring holds `kid`, else 0. */
int sathd_keyring_has_kid(const sathd_keyring *kr, const char *kid);
/* Number of master keys. */
size_t sathd_keyring_count(const sathd_keyring *kr);

/* Associated data of one stored value: "sath.v1|<table>|<user_id>|<row_id>|<column>"
 * written into `out` (at least SATHD_KEYS_AD_MAX bytes).  Returns its length, or -1
 * when it does not fit or a part contains '|'. */
int sathd_keys_ad(char *out, size_t outlen, sathd_keys_purpose purpose, const char *user_id,
                  const char *row_id, const char *column);

/* Encrypts `pt` (len bytes) under the current key for `purpose`, bound to `ad`.  On
 * success *envelope is a malloc'd "v1:<kid>:<base64(nonce||ciphertext)>" string that
 * the caller frees with free(). */
sathd_keys_rc sathd_envelope_seal(const sathd_keyring *kr, sathd_keys_purpose purpose,
                                  const char *ad, const unsigned char *pt, size_t len,
                                  char **envelope);
/* Decrypts an envelope.  On success *pt is a NUL-terminated plaintext of *len bytes,
 * allocated with sodium_malloc: release it with sathd_keys_secret_free().  `kid_out`
 * (may be NULL, SATHD_KEYS_KID_MAX + 1 bytes) receives the envelope's key id whenever
 * the envelope was well-formed, so callers can name it in errors. */
sathd_keys_rc sathd_envelope_open(const sathd_keyring *kr, sathd_keys_purpose purpose,
                                  const char *ad, const char *envelope, char **pt, size_t *len,
                                  char *kid_out);
/* Parses an envelope without decrypting: the key id into `kid` (SATHD_KEYS_KID_MAX + 1
 * bytes) and the decoded nonce||ciphertext into `blob` (cap bytes), its length into
 * *blob_len.  SATHD_KEYS_OK or SATHD_KEYS_EMALFORMED. */
sathd_keys_rc sathd_envelope_parse(const char *envelope, char *kid, unsigned char *blob,
                                   size_t cap, size_t *blob_len);
/* Wipes and frees a plaintext from sathd_envelope_open; NULL is fine. */
void sathd_keys_secret_free(char *pt);
/* Short English description of a return code. */
const char *sathd_keys_strerror(sathd_keys_rc rc);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_KEYS_KEYRING_H */
