-- 007_bot_node.sql - where a bot runs, for backends that place bots on several hosts
-- (swarm): the host name of the node whose task runs the current run, as
-- sath-orchestrator observed it ('' for single-host backends and while not running).
-- GetBotStatus shows it as BotStatus.node.
ALTER TABLE bot_instances
    ADD COLUMN node text NOT NULL DEFAULT '' CHECK (length(node) <= 255);
