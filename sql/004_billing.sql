-- 004_billing.sql - billing on Stripe (issue 11): what a plan costs at Stripe and allows,
-- who each user is at Stripe, the subscription's provider-side facts, and the ledger of
-- webhook events (each stored once).
--
-- users.plan_id stays THE effective plan every other part of sathd reads (bot limits
-- included); only the billing layer writes it, in the same transaction as the
-- subscription change that causes it (server/billing/billing_apply.c).

-- Live trading is what separates the free plan from the paid ones.  003_bots.sql adds
-- the same column (the bot limits need it too); whichever of the two runs first makes it.
ALTER TABLE plans ADD COLUMN IF NOT EXISTS live_trading boolean NOT NULL DEFAULT false;
UPDATE plans SET live_trading = (name <> 'free');

-- Stripe Price ids (price_...) per period; NULL = not sold through Stripe.  Operators set
-- them for their Stripe account (ids are per account, so none are seeded).
ALTER TABLE plans ADD COLUMN stripe_price_monthly text UNIQUE
    CHECK (stripe_price_monthly ~ '^price_[A-Za-z0-9_]{1,200}$');
ALTER TABLE plans ADD COLUMN stripe_price_yearly text UNIQUE
    CHECK (stripe_price_yearly ~ '^price_[A-Za-z0-9_]{1,200}$');

-- One Stripe customer per user, created on the first Subscribe and kept.
ALTER TABLE users ADD COLUMN stripe_customer_id text UNIQUE
    CHECK (stripe_customer_id ~ '^cus_[A-Za-z0-9_]{1,200}$');

-- Provider-side facts of a subscription.  past_due_since starts the grace period (see
-- the state machine in server/billing/billing_state.c); stripe_status is Stripe's own
-- word (trialing, unpaid, incomplete_expired, ...) for support.
ALTER TABLE subscriptions ADD COLUMN past_due_since timestamptz;
ALTER TABLE subscriptions ADD COLUMN stripe_status text;
ALTER TABLE subscriptions ADD COLUMN stripe_checkout_session_id text;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_past_due_since_check
    CHECK ((status = 'past_due') = (past_due_since IS NOT NULL));

-- Every webhook event accepted, once: the primary key is Stripe's event id, inserted in
-- the same transaction as the state change it causes, so a duplicate delivery finds
-- the row and does nothing, and a crash before COMMIT leaves no row (Stripe's retry
-- then processes it again).
CREATE TABLE billing_events (
    id              text        PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9_]{1,200}$'),
    type            text        NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL,          -- Stripe's `created`
    received_at     timestamptz NOT NULL DEFAULT now(),
    subscription_id text,                          -- Stripe subscription it concerned
    outcome         text        NOT NULL DEFAULT '' CHECK (length(outcome) <= 200)
);
CREATE INDEX billing_events_subscription_idx ON billing_events (subscription_id);
