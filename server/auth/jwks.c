/*
 * jwks.c - the JSON Web Key Set (RFC 7517) that publishes the public halves of the
 * Ed25519 keys, so other services can verify sathd's access tokens.  The signing key
 * comes first, then the public-only keys kept for rotation.  HS256 publishes nothing.
 */
#include "jwt_internal.h"

#include <jansson.h>

static json_t *okp_key(const sathd_jwt_pub *pub)
{
    char x[64];
    sathd_b64url_encode(x, sizeof x, pub->pk, sizeof pub->pk);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", x,
                     "kid", pub->kid, "use", "sig", "alg", "EdDSA");
}

char *sathd_jwks_json(const sathd_jwt_keys *k)
{
    json_t *arr = json_array();
    char *out = NULL;
    if (!arr)
        return NULL;
    if (k && k->alg == SATHD_JWT_ALG_EDDSA) {
        for (size_t i = 0; i < k->n_keys; i++) {
            if (json_array_append_new(arr, okp_key(&k->keys[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
    }
    json_t *doc = json_pack("{s:o}", "keys", arr); /* steals arr, even on failure */
    if (doc)
        out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return out;
}
