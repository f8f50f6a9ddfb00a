/*
 * keys_rotate.h - moving stored secrets to the current master key (keys_rotate.c).
 */
#ifndef SATHD_KEYS_ROTATE_H
#define SATHD_KEYS_ROTATE_H

#include "sathd/keyring.h"
#include "sathd/pg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Re-encrypts, table by table (api_keys, ai_keys), every row whose key_id is not the
 * keyring's current one, in batches of 100 rows per transaction on `c` (which the
 * caller owns); rows locked by live requests are skipped and counted as left.  Prints
 * per table the rows re-encrypted and left (stdout) and the reason of a failure
 * (stderr, never a secret).  0 when every batch committed, 1 when one was rolled back
 * (a row that cannot be decrypted, or a database failure). */
int sathd_keys_rotate_all(sathd_pg_conn *c, const sathd_keyring *kr);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_KEYS_ROTATE_H */
