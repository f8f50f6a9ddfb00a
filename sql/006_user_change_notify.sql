-- 006_user_change_notify.sql - every change to a user's row, whoever makes it (a
-- handler, billing, an operator with psql), is announced on the channel
-- sath_user_changed with the user id as payload, in the same transaction: LISTEN
-- delivers it only if the change commits, and in commit order.  sathd's user-row
-- cache (server/users/users_cache.c, rules in server/auth/include/sathd/authsync.h)
-- drops what it holds for that user.  A renamed or deleted plan changes what every
-- row shows, so it announces '*' (drop everything).

CREATE FUNCTION sath_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sath_user_changed', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION sath_user_changed();

CREATE FUNCTION sath_plans_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sath_user_changed', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER plans_changed AFTER UPDATE OR DELETE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION sath_plans_changed();
