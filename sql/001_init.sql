-- 001_init.sql - SATH Platform's initial schema: the original platform's six tables
-- (plans, users, subscriptions, bot_instances, api_keys, ai_keys) with real types and
-- constraints, plus the seeded plan catalogue.
--
-- Embedded into sathd at build time and run by `sathd migrate` in one transaction
-- together with its schema_migrations row.  Never edit this file once released: its
-- checksum is recorded; add 002_*.sql instead.
-- gen_random_uuid() is built into PostgreSQL 13+ (no pgcrypto needed).
-- Money is in integer cents of `currency`; every timestamp is timestamptz (UTC).

CREATE TABLE plans (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text        NOT NULL UNIQUE
                                    CHECK (name = lower(name) AND name ~ '^[a-z][a-z0-9_-]{0,31}$'),
    price_monthly_cents bigint      NOT NULL CHECK (price_monthly_cents >= 0),
    price_yearly_cents  bigint      NOT NULL CHECK (price_yearly_cents >= 0),
    currency            char(3)     NOT NULL DEFAULT 'USD'
                                    CHECK (currency = upper(currency) AND currency ~ '^[A-Z]{3}$'),
    max_symbols         integer     NOT NULL CHECK (max_symbols > 0),
    max_capital_cents   bigint      NOT NULL CHECK (max_capital_cents > 0),
    features            text[]      NOT NULL DEFAULT '{}',
    sort_order          integer     NOT NULL DEFAULT 0,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- stored lower-cased by the service; the CHECK makes a forgotten lower() an error
    email               text        NOT NULL
                                    CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254
                                           AND position('@' IN email) > 1),
    password_hash       text        NOT NULL CHECK (length(password_hash) > 0),
    name                text        NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    is_active           boolean     NOT NULL DEFAULT true,
    plan_id             uuid        REFERENCES plans (id) ON DELETE RESTRICT,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deactivated_at      timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (is_active OR deactivated_at IS NOT NULL)
);
-- case-insensitive uniqueness, whatever a writer does about case
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_plan_id_idx ON users (plan_id);

CREATE TABLE subscriptions (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id                uuid        NOT NULL REFERENCES plans (id) ON DELETE RESTRICT,
    status                 text        NOT NULL DEFAULT 'incomplete'
                                       CHECK (status IN ('incomplete', 'active', 'past_due', 'canceled')),
    period                 text        NOT NULL DEFAULT 'monthly'
                                       CHECK (period IN ('monthly', 'yearly')),
    stripe_subscription_id text        UNIQUE,
    started_at             timestamptz NOT NULL DEFAULT now(),
    current_period_end     timestamptz,
    cancel_at_period_end   boolean     NOT NULL DEFAULT false,
    canceled_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (current_period_end IS NULL OR current_period_end >= started_at)
);
-- at most one live (not canceled) subscription per user
CREATE UNIQUE INDEX subscriptions_one_live_per_user
    ON subscriptions (user_id) WHERE status <> 'canceled';
CREATE INDEX subscriptions_user_id_idx ON subscriptions (user_id);
CREATE INDEX subscriptions_plan_id_idx ON subscriptions (plan_id);

CREATE TABLE api_keys (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    exchange             text        NOT NULL CHECK (exchange IN ('binance', 'bybit', 'other')),
    label                text        NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    -- ciphertexts (base64) of the exchange credentials; key_id names the server key
    -- that encrypted them, so keys can be rotated
    encrypted_key        text        NOT NULL,
    encrypted_secret     text        NOT NULL,
    encrypted_passphrase text,
    key_id               text        NOT NULL DEFAULT '',
    -- first and last 4 characters of the API key, for listings without decryption
    key_hint             text        NOT NULL DEFAULT '',
    is_testnet           boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    last_tested_at       timestamptz,
    last_test_ok         boolean,
    last_test_message    text,
    permissions          text[]      NOT NULL DEFAULT '{}',
    warnings             text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

CREATE TABLE ai_keys (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider          text        NOT NULL
                                  CHECK (provider IN ('openai', 'anthropic', 'openai_compatible')),
    label             text        NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    base_url          text        CHECK (base_url IS NULL OR base_url ~ '^https://'),
    encrypted_key     text        NOT NULL,
    key_id            text        NOT NULL DEFAULT '',
    key_hint          text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_tested_at    timestamptz,
    last_test_ok      boolean,
    last_test_message text,
    CHECK (provider <> 'openai_compatible' OR base_url IS NOT NULL)
);
CREATE INDEX ai_keys_user_id_idx ON ai_keys (user_id);

CREATE TABLE bot_instances (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    container_id text,
    status       text        NOT NULL DEFAULT 'stopped'
                             CHECK (status IN ('starting', 'running', 'stopping', 'stopped', 'failed')),
    mode         text        NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
    -- BotConfig: symbols, exchange_key_id, ai_key_id, capital_cents, risk, strategy
    config       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    message      text        NOT NULL DEFAULT '',
    started_at   timestamptz,
    stopped_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- user_id's UNIQUE constraint is its index (one bot per user)

INSERT INTO plans (name, price_monthly_cents, price_yearly_cents, currency, max_symbols,
                   max_capital_cents, features, sort_order) VALUES
    ('free', 0, 0, 'USD', 1, 100000,
     ARRAY['1 trading symbol', 'Paper trading', 'Community support'], 0),
    ('starter', 2900, 29000, 'USD', 3, 1000000,
     ARRAY['3 trading symbols', 'Paper and live trading', 'AI signals', 'Email support'], 1),
    ('pro', 7900, 79000, 'USD', 10, 10000000,
     ARRAY['10 trading symbols', 'Paper and live trading', 'AI signals', 'Advanced risk controls',
           'Priority support'], 2),
    ('enterprise', 24900, 249000, 'USD', 50, 100000000,
     ARRAY['50 trading symbols', 'Paper and live trading', 'AI signals', 'Advanced risk controls',
           'Custom strategies', 'Dedicated support'], 3);
