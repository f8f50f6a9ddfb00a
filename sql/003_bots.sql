-- 003_bots.sql - the bot control plane (issue 8): desired vs observed state of each
-- user's bot, its runs, its configuration versions, and the plans' live-trading flag.
--
-- Who writes what:
--   sathd (BotService)     bot_instances.desired_*, config, bot_config_versions, new
--                          bot_runs rows (state 'pending'); then NOTIFY sath_bots.
--   sath-orchestrator      bot_instances.status/container_id/started_at/... (observed),
--                          bot_runs state, token_hash, exit figures, log cursor.
-- sathd answers from the observed columns; the orchestrator acts on the desired ones.
-- Changing desired state always goes through sath_bot_desire() below, so every writer
-- (BotService, billing's downgrade, DeleteMe) bumps the generation and notifies alike.

ALTER TABLE plans ADD COLUMN live_trading boolean NOT NULL DEFAULT false;
UPDATE plans SET live_trading = true WHERE name IN ('starter', 'pro', 'enterprise');

-- Every accepted configuration, numbered per bot; bot_instances.config is the newest.
CREATE TABLE bot_config_versions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    bot_id      uuid        NOT NULL REFERENCES bot_instances (id) ON DELETE CASCADE,
    version     integer     NOT NULL CHECK (version > 0),
    mode        text        NOT NULL CHECK (mode IN ('paper', 'live')),
    config      jsonb       NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bot_id, version)
);

ALTER TABLE bot_instances
    ADD COLUMN desired_state     text        NOT NULL DEFAULT 'stopped'
                                             CHECK (desired_state IN ('running', 'stopped')),
    -- bumped by every start / stop / restart request; the orchestrator records the
    -- generation it has acted on, so "requested but not yet seen" is observable
    ADD COLUMN generation        bigint      NOT NULL DEFAULT 0,
    ADD COLUMN observed_generation bigint    NOT NULL DEFAULT 0,
    ADD COLUMN config_version    integer     NOT NULL DEFAULT 0,
    ADD COLUMN current_run_id    uuid,
    ADD COLUMN restarts          integer     NOT NULL DEFAULT 0,
    ADD COLUMN last_exit_code    integer,
    ADD COLUMN oom_killed        boolean     NOT NULL DEFAULT false,
    ADD COLUMN backend           text        NOT NULL DEFAULT '',
    ADD COLUMN observed_at       timestamptz;

-- One row per start (or restart) request; crash restarts of the same run are attempts.
CREATE TABLE bot_runs (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    bot_id            uuid        NOT NULL REFERENCES bot_instances (id) ON DELETE CASCADE,
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    config_version_id uuid        REFERENCES bot_config_versions (id) ON DELETE SET NULL,
    mode              text        NOT NULL CHECK (mode IN ('paper', 'live')),
    state             text        NOT NULL DEFAULT 'pending'
                                  CHECK (state IN ('pending', 'starting', 'running', 'backoff',
                                                   'stopping', 'stopped', 'failed')),
    requested_at      timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    ended_at          timestamptz,
    attempts          integer     NOT NULL DEFAULT 0,
    -- failures inside the current restart window, and when that window began
    failures          integer     NOT NULL DEFAULT 0,
    window_started_at timestamptz,
    next_attempt_at   timestamptz,
    handle            text,
    exit_code         integer,
    oom_killed        boolean     NOT NULL DEFAULT false,
    last_error        text        NOT NULL DEFAULT '',
    -- the run token: only its SHA-256 (hex) is stored, minted by the orchestrator per
    -- attempt; revoked (NULL hash + revoked_at) when the run ends
    token_hash        text        CHECK (token_hash IS NULL OR token_hash ~ '^[0-9a-f]{64}$'),
    token_expires_at  timestamptz,
    token_revoked_at  timestamptz,
    -- backend log position already shipped to Redis (opaque to SQL)
    log_cursor        bigint      NOT NULL DEFAULT 0
);
CREATE INDEX bot_runs_bot_id_idx ON bot_runs (bot_id, requested_at DESC);
CREATE INDEX bot_runs_user_id_idx ON bot_runs (user_id);
CREATE UNIQUE INDEX bot_runs_token_hash_key ON bot_runs (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX bot_runs_config_version_id_idx ON bot_runs (config_version_id);

ALTER TABLE bot_instances ADD CONSTRAINT bot_instances_current_run_fk
    FOREIGN KEY (current_run_id) REFERENCES bot_runs (id) ON DELETE SET NULL;
CREATE INDEX bot_instances_current_run_id_idx ON bot_instances (current_run_id);

-- What the orchestrator polls: bots it must act on or watch.
CREATE INDEX bot_instances_active_idx ON bot_instances (id)
    WHERE desired_state = 'running' OR status IN ('starting', 'running', 'stopping');

-- The one way to change a bot's desired state.  'running' with p_new_run creates a run
-- (mode p_mode, current config version) and makes it current; 'stopped' leaves the run
-- for the orchestrator to end.  Bumps the generation and notifies sath-orchestrator
-- (NOTIFY is delivered at COMMIT, so callers may wrap this in a larger transaction).
-- Returns the bot id, or NULL when the user has no bot row.  Billing's downgrade:
--     SELECT sath_bot_desire($user, 'stopped', false, NULL, 'plan downgraded');
CREATE FUNCTION sath_bot_desire(p_user uuid, p_state text, p_new_run boolean, p_mode text,
                                p_reason text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    b bot_instances%ROWTYPE;
    v uuid;
    r uuid;
BEGIN
    SELECT * INTO b FROM bot_instances WHERE user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF p_state = 'running' AND p_new_run THEN
        SELECT id INTO v FROM bot_config_versions WHERE bot_id = b.id AND version = b.config_version;
        INSERT INTO bot_runs (bot_id, user_id, config_version_id, mode)
            VALUES (b.id, p_user, v, coalesce(p_mode, b.mode)) RETURNING id INTO r;
        UPDATE bot_instances SET current_run_id = r, mode = coalesce(p_mode, b.mode),
               restarts = 0, last_exit_code = NULL, oom_killed = false
         WHERE id = b.id;
    END IF;
    UPDATE bot_instances
       SET desired_state = p_state, generation = generation + 1, updated_at = now(),
           message = CASE WHEN p_reason IS NULL OR p_reason = '' THEN message ELSE p_reason END
     WHERE id = b.id;
    PERFORM pg_notify('sath_bots', b.id::text);
    RETURN b.id;
END $$;
