/*
 * token.c - run tokens: minted per run attempt by the orchestrator, given to the bot
 * out of band (the backend's fd / file, never argv or env), stored only as SHA-256 in
 * bot_runs.token_hash.  BotAgentService (issue 9) hashes what a bot presents and looks
 * the run up by it, so no signing key is shared between processes; the token dies with
 * the run (hash cleared) or at token_expires_at.
 */
#include <string.h>

#include <sodium.h>

#include "orch.h"

void orch_token_mint(char *token, size_t len, char hash[65])
{
    unsigned char raw[32], h[crypto_hash_sha256_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, "sathrt_", 8);
    sodium_bin2base64(token + 7, len - 7, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hash, 65, h, sizeof h);
}
