-- 005_botagent.sql - what a running bot reports back (issue 9, BotAgentService).
--
-- sathd writes these columns on every Heartbeat of the run's bot (authenticated by the
-- run token, sql/003_bots.sql): the last report as sent (a packed sath.v1.BotReport, so
-- a restarted run resumes from it), when it came, and the headline figures GetBotStatus
-- shows.  The time series (every report, every trade) live in InfluxDB, not here.
-- A report older than the stored one (lower seq, e.g. delivered late after a sathd
-- restart) never replaces it.

ALTER TABLE bot_runs
    ADD COLUMN last_heartbeat_at timestamptz,
    ADD COLUMN last_report       bytea,
    ADD COLUMN last_report_seq   bigint           NOT NULL DEFAULT 0,
    ADD COLUMN equity            double precision,
    ADD COLUMN realized_pnl      double precision,
    ADD COLUMN unrealized_pnl    double precision,
    ADD COLUMN trades            bigint,
    ADD COLUMN max_drawdown      double precision;

-- GetRunConfig's resume lookup: the newest reported run of a bot in a mode.
CREATE INDEX bot_runs_reported_idx ON bot_runs (bot_id, mode, last_heartbeat_at DESC)
    WHERE last_report IS NOT NULL;
