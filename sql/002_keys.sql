-- 002_keys.sql - what KeysService needs beyond 001: test outcomes of AI keys,
-- loopback base URLs for OpenAI-compatible providers in development tests, and
-- indexes for `sathd rotate-keys` (rows still under an old key id).
--
-- Every encrypted_* column holds a versioned envelope "v1:<kid>:<base64>" whose key
-- id is also in key_id (rotation selects on it); key_hint is the masked API key.

ALTER TABLE ai_keys ADD COLUMN permissions text[] NOT NULL DEFAULT '{}';
ALTER TABLE ai_keys ADD COLUMN warnings    text[] NOT NULL DEFAULT '{}';

-- https only, except the loopback address sathd accepts in development (SATH_ENV)
-- for local fakes; the service enforces which of the two applies.
ALTER TABLE ai_keys DROP CONSTRAINT ai_keys_base_url_check;
ALTER TABLE ai_keys ADD CONSTRAINT ai_keys_base_url_check
    CHECK (base_url IS NULL OR base_url ~ '^https://' OR base_url ~ '^http://127\.0\.0\.1(:[0-9]{1,5})?(/|$)');

CREATE INDEX api_keys_key_id_idx ON api_keys (key_id);
CREATE INDEX ai_keys_key_id_idx ON ai_keys (key_id);
