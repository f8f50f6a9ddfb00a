#!/usr/bin/python3
"""test_billing.py - billing on Stripe end to end: a real sathd (its own database, REST
gateway and gRPC on port 0) against tests/billing/fake_stripe.py, which checks what Stripe
checks (secret key, Stripe-Version, form encoding, idempotency keys) and sends signed
webhooks.  A second sathd runs with provider none.

Covers: subscribe -> checkout -> webhook -> ACTIVE -> plan (limits) raised; retried
Subscribe replays the same checkout; duplicate, out-of-order, badly signed and stale
webhooks; payment failed -> PAST_DUE (plan kept in grace) -> paid -> ACTIVE; plan change
in place; deleted -> CANCELED -> free plan, over-limit bot handed to the bot stopper;
cancel at period end / now; invoices paged; sathctl billing; provider none; production
refusing provider none.  Environment: SATHD_BIN, FAKE_STRIPE, SATH_TEST_DATABASE_URL,
SATH_TEST_REDIS_URL (fails, never skips, when missing).
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
import test_rest as rest  # noqa: E402  (Servers, _psql, _db_url, _need)

SECRET_KEY = "sk_test_" + uuid.uuid4().hex
WEBHOOK_SECRET = "whsec_" + uuid.uuid4().hex
STRIPE_VERSION = "2024-06-20"
PRICES = {"starter": ("price_starter_m", "price_starter_y"), "pro": ("price_pro_m", "price_pro_y")}
S = {}


def fake_start():
    env = dict(os.environ, FAKE_STRIPE_SECRET_KEY=SECRET_KEY, FAKE_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    p = subprocess.Popen(["/usr/bin/python3", rest._need("FAKE_STRIPE")], env=env,
                         stdout=subprocess.PIPE)
    line = p.stdout.readline().decode()
    if not line.startswith("PORT "):
        raise RuntimeError("fake_stripe.py did not start")
    return p, f"http://127.0.0.1:{int(line.split()[1])}"


def ensure(cond, what):
    """A check that survives python -O (unlike assert)."""
    if not cond:
        raise AssertionError(what)


def fake(control, **body):
    r = requests.post(S["fake"] + control, json=body, timeout=60)
    ensure(r.status_code == 200, r.text)
    return r.json()


def fake_log():
    return requests.get(S["fake"] + "/_test/log", timeout=10).json()["log"]


class Sathd:
    """One sathd with its database, billing configured by `extra` environment."""

    def __init__(self, extra):
        saved = dict(os.environ)
        os.environ.update(extra)
        try:
            self.srv = rest.Servers(cors=False)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.base = self.srv.base
        self.db = rest._db_url(rest._need("SATH_TEST_DATABASE_URL"), self.srv.dbname)
        self.s = requests.Session()

    def sql(self, q):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.db, "-c", q],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def req(self, method, path, tok=None, **kw):
        h = kw.pop("headers", {})
        if tok:
            h["Authorization"] = "Bearer " + tok["access_token"]
        return self.s.request(method, self.base + path, headers=h, timeout=60, **kw)

    def user(self):
        email = f"b{uuid.uuid4().hex[:10]}@example.com"
        r = self.req("POST", "/api/v1/auth/register",
                     json={"email": email, "password": "correct horse 9", "name": "Payer"})
        ensure(r.status_code == 201, r.text)
        r = self.req("POST", "/api/v1/auth/login", json={"email": email, "password": "correct horse 9"})
        ensure(r.status_code == 200, r.text)
        tok = r.json()
        r = self.req("GET", "/api/v1/users/me", tok)
        tok["user_id"] = r.json().get("user", r.json())["id"]
        tok["email"] = email
        return tok

    def sub(self, tok):
        r = self.req("GET", "/api/v1/billing/subscription", tok)
        ensure(r.status_code == 200, r.text)
        return r.json()

    def plan(self, tok):
        r = self.req("GET", "/api/v1/users/me", tok)
        return r.json().get("user", r.json())["plan"]

    def log(self):
        with open(self.srv.sathd_log, encoding="utf-8", errors="replace") as f:
            return f.read()


def setUpModule():
    S["fake_proc"], S["fake"] = fake_start()
    S["stripe"] = Sathd({"SATH_BILLING_PROVIDER": "stripe", "SATH_STRIPE_SECRET_KEY": SECRET_KEY,
                         "SATH_STRIPE_WEBHOOK_SECRET": "whsec_rotated_old," + WEBHOOK_SECRET,
                         "SATH_STRIPE_URL": S["fake"], "SATH_PLANS_CACHE_TTL_MS": "0",
                         "SATH_BILLING_RETURN_URL": "https://app.example/billing"})
    for name, (m, y) in PRICES.items():
        S["stripe"].sql(f"UPDATE plans SET stripe_price_monthly = '{m}', "
                        f"stripe_price_yearly = '{y}' WHERE name = '{name}'")
    fake("/_test/config", webhook_url=S["stripe"].base + "/api/v1/billing/webhook")
    S["none"] = Sathd({"SATH_BILLING_PROVIDER": "none"})


def tearDownModule():
    codes = [S[k].srv.stop() for k in ("stripe", "none") if k in S]
    if "fake_proc" in S:
        S["fake_proc"].terminate()
        S["fake_proc"].wait()
    ensure(all(c == 0 for cs in codes for c in cs), f"sathd exited with {codes}")


def stripe_api(method, path, key=SECRET_KEY, version=STRIPE_VERSION, body=None, idem=None,
               ctype="application/x-www-form-urlencoded"):
    h = {"Stripe-Version": version}
    if key:
        h["Authorization"] = "Bearer " + key
    if idem:
        h["Idempotency-Key"] = idem
    if body is not None:
        h["Content-Type"] = ctype
    return requests.request(method, S["fake"] + path, data=body, headers=h, timeout=10)


class FakeStripeChecks(unittest.TestCase):
    """The fake refuses what Stripe refuses (so sathd passing against it means something)."""

    def test_refusals_and_idempotency(self):
        self.assertEqual(stripe_api("GET", "/v1/invoices?customer=cus_x", key="sk_test_wrong").status_code, 401)
        self.assertEqual(stripe_api("GET", "/v1/invoices?customer=cus_x", key=None).status_code, 401)
        self.assertEqual(stripe_api("GET", "/v1/invoices?customer=cus_x", version="2020-08-27").status_code, 400)
        r = stripe_api("POST", "/v1/customers", body='{"email":"a@b.c"}', idem="k1", ctype="application/json")
        self.assertEqual(r.json()["error"]["code"], "invalid_content_type")
        r = stripe_api("POST", "/v1/customers", body="email=a%40b.c")
        self.assertEqual(r.json()["error"]["code"], "idempotency_key_missing")
        r = stripe_api("POST", "/v1/customers", body="email=a%4", idem="k2")
        self.assertEqual(r.status_code, 400)
        r = stripe_api("POST", "/v1/customers", body="email", idem="k3")
        self.assertEqual(r.status_code, 400)
        k = "idem-" + uuid.uuid4().hex
        a = stripe_api("POST", "/v1/customers", body="email=x%40y.z&metadata[user_id]=u1", idem=k)
        b = stripe_api("POST", "/v1/customers", body="email=x%40y.z&metadata[user_id]=u1", idem=k)
        self.assertEqual(a.status_code, 200, a.text)
        self.assertEqual(a.json()["id"], b.json()["id"])  # replayed, not a second customer
        self.assertEqual(b.headers.get("Idempotent-Replayed"), "true")
        c = stripe_api("POST", "/v1/customers", body="email=other%40y.z", idem=k)
        self.assertEqual(c.status_code, 400)
        self.assertEqual(c.json()["error"]["type"], "idempotency_error")
        r = stripe_api("POST", "/v1/checkout/sessions", body="mode=subscription", idem="k4" + k)
        self.assertEqual(r.json()["error"]["code"], "parameter_missing")


def signed_post(base, body, t=None, secret=WEBHOOK_SECRET):
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return requests.post(base + "/api/v1/billing/webhook", data=body, timeout=30,
                         headers={"Content-Type": "application/json",
                                  "Stripe-Signature": f"t={t},v1={sig}"})


class StripeFlow(unittest.TestCase):
    def test_subscribe_webhook_lifecycle(self):
        d = S["stripe"]
        tok = d.user()
        sub = d.sub(tok)
        self.assertEqual((sub["id"], sub["plan"]["name"], sub["status"]), ("", "free", "SUBSCRIPTION_STATUS_ACTIVE"))
        # on the free plan a live bot with 3 symbols is refused (BotService reads the plan)
        r = d.req("POST", "/api/v1/keys/exchange", tok,
                  json={"exchange": "EXCHANGE_BINANCE", "label": "bot", "api_key": "ABCDEFGHIJKLMNOP",
                        "api_secret": "s3cr3t-" + uuid.uuid4().hex, "is_testnet": True})
        self.assertEqual(r.status_code, 201, r.text)
        bot_cfg = {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"], "mode": "BOT_MODE_LIVE",
                   "exchange_key_id": r.json()["id"], "capital_cents": "500000", "risk_per_trade_bps": 100}
        r = d.req("PUT", "/api/v1/bot/config", tok, json=bot_cfg)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn("plan limit", r.json()["message"])

        # Subscribe: a customer, then a checkout; INCOMPLETE, plan unchanged
        rid = "sub-" + uuid.uuid4().hex
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "pro"},
                  headers={"X-Request-Id": rid})
        self.assertEqual(r.status_code, 200, r.text)
        first = r.json()
        self.assertTrue(first["checkout_url"].startswith("https://checkout.stripe.test/"))
        self.assertEqual(first["subscription"]["status"], "SUBSCRIPTION_STATUS_INCOMPLETE")
        self.assertEqual(first["subscription"]["plan"]["name"], "pro")
        self.assertEqual(d.plan(tok), "free")
        # retried with the same request id: Stripe replays the same checkout session
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "pro"},
                  headers={"X-Request-Id": rid})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["checkout_url"], first["checkout_url"])
        posts = [e for e in fake_log() if e["method"] == "POST" and e["path"] == "/v1/checkout/sessions"
                 and tok["user_id"] in e["body"]]
        self.assertEqual(len(posts), 2)
        self.assertEqual(posts[0]["idempotency_key"], posts[1]["idempotency_key"])
        self.assertEqual([p["replayed"] for p in posts], [False, True])
        self.assertIn("line_items%5B0%5D%5Bprice%5D=price_pro_m", posts[0]["body"])
        self.assertIn("subscription_data%5Bmetadata%5D%5Buser_id%5D=" + tok["user_id"], posts[0]["body"])
        custs = [e for e in fake_log() if e["path"] == "/v1/customers" and tok["user_id"] in e["body"]]
        self.assertEqual(len(custs), 1)  # one Stripe customer per user
        session = first["checkout_url"].rsplit("/", 1)[1]

        # payment: checkout.session.completed + invoice.paid, both accepted
        done = fake("/_test/complete", session=session)
        self.assertEqual([e["results"][0]["status"] for e in done["events"]], [200, 200])
        stripe_sub = done["subscription"]
        sub = d.sub(tok)
        self.assertEqual(sub["status"], "SUBSCRIPTION_STATUS_ACTIVE")
        self.assertEqual(sub["plan"]["name"], "pro")
        self.assertEqual(d.plan(tok), "pro")  # limits raised: pro's 10 symbols, live trading
        self.assertEqual(sub["plan"]["max_symbols"], 10)
        self.assertTrue(sub["plan"]["live_trading"])
        r = d.req("PUT", "/api/v1/bot/config", tok, json=bot_cfg)
        self.assertEqual(r.status_code, 200, r.text)  # the same config now fits
        r = d.req("POST", "/api/v1/bot/start", tok, json={})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["desired_state"], "BOT_STATE_RUNNING")
        self.assertEqual(d.sql(f"SELECT stripe_subscription_id FROM subscriptions WHERE user_id = '{tok['user_id']}' "
                               "AND status = 'active'"), stripe_sub)
        # subscribing again to the plan in force: nothing happens
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "pro"})
        self.assertEqual((r.status_code, r.json()["checkout_url"]), (200, ""))
        self.assertIn("nothing changed", r.json()["message"])

        # the same event delivered twice: stored once, second answer says duplicate
        ev = "evt_dup" + uuid.uuid4().hex[:16]
        dup = fake("/_test/send", type="customer.subscription.updated", subscription=stripe_sub,
                   event_id=ev, times=2)
        self.assertEqual([x["status"] for x in dup["results"]], [200, 200])
        self.assertIn('"duplicate"', dup["results"][1]["body"])
        self.assertEqual(d.sql(f"SELECT count(*) FROM billing_events WHERE id = '{ev}'"), "1")
        # the same event delivered 4 times at once: processed once, the others duplicates
        ev = "evt_par" + uuid.uuid4().hex[:16]
        par = fake("/_test/send", type="customer.subscription.updated", subscription=stripe_sub,
                   event_id=ev, times=4, parallel=True)
        self.assertEqual([x["status"] for x in par["results"]], [200] * 4)
        self.assertEqual(sum('"duplicate"' in x["body"] for x in par["results"]), 3)
        self.assertEqual(d.sql(f"SELECT count(*) FROM billing_events WHERE id = '{ev}'"), "1")
        # Stripe failing while the event is processed: 503, nothing kept (the event row is
        # rolled back with the rest), so Stripe's retry of the same event completes it
        ev = "evt_retry" + uuid.uuid4().hex[:16]
        fake("/_test/fail_next", method="GET", path=f"/v1/subscriptions/{stripe_sub}", status=500)
        r = fake("/_test/send", type="customer.subscription.updated", subscription=stripe_sub, event_id=ev)
        self.assertEqual(r["results"][0]["status"], 503)
        self.assertEqual(d.sql(f"SELECT count(*) FROM billing_events WHERE id = '{ev}'"), "0")
        r = fake("/_test/send", type="customer.subscription.updated", subscription=stripe_sub, event_id=ev)
        self.assertEqual(r["results"][0]["status"], 200)
        self.assertIn('"updated"', r["results"][0]["body"])
        self.assertEqual(d.sql(f"SELECT outcome FROM billing_events WHERE id = '{ev}'"), "updated")
        # out of order: a late `created` saying incomplete; sathd fetches the truth (active)
        late = fake("/_test/send", type="customer.subscription.created", subscription=stripe_sub,
                    object_status="incomplete", age_s=120)
        self.assertEqual(late["results"][0]["status"], 200)
        self.assertEqual(d.sub(tok)["status"], "SUBSCRIPTION_STATUS_ACTIVE")
        # bad signature and stale timestamp: 400, nothing stored
        bad = fake("/_test/send", type="invoice.paid", subscription=stripe_sub, bad_signature=True)
        self.assertEqual(bad["results"][0]["status"], 400)
        stale = fake("/_test/send", type="invoice.paid", subscription=stripe_sub, age_s=301)
        self.assertEqual(stale["results"][0]["status"], 400)
        for x in (bad, stale):
            self.assertEqual(d.sql(f"SELECT count(*) FROM billing_events WHERE id = '{x['id']}'"), "0")
        self.assertIn('msg="webhook rejected"', d.log())
        self.assertNotIn(stripe_sub + '","object"', d.log())  # bodies are never logged

        # payment fails: PAST_DUE, plan kept during the grace period; then paid again
        r = fake("/_test/fail_payment", subscription=stripe_sub)
        self.assertEqual(r["events"][0]["results"][0]["status"], 200)
        self.assertEqual(d.sub(tok)["status"], "SUBSCRIPTION_STATUS_PAST_DUE")
        self.assertEqual(d.plan(tok), "pro")
        # grace over (moved back in time in the database): the free plan applies
        d.sql(f"UPDATE subscriptions SET past_due_since = now() - interval '8 days' "
              f"WHERE stripe_subscription_id = '{stripe_sub}'")
        self.assertEqual(d.sub(tok)["status"], "SUBSCRIPTION_STATUS_PAST_DUE")
        self.assertEqual(d.plan(tok), "free")
        r = d.req("GET", "/api/v1/bot/status", tok)  # and the live bot was stopped with it
        self.assertEqual(r.json()["desired_state"], "BOT_STATE_STOPPED")
        self.assertEqual(r.json()["message"], "stopped: the free plan does not include live trading")
        fake("/_test/pay", subscription=stripe_sub)
        self.assertEqual(d.sub(tok)["status"], "SUBSCRIPTION_STATUS_ACTIVE")
        self.assertEqual(d.plan(tok), "pro")
        r = d.req("POST", "/api/v1/bot/start", tok, json={})  # paid again: the user restarts it
        self.assertEqual((r.status_code, r.json()["desired_state"]), (200, "BOT_STATE_RUNNING"))

        # change plan while active: the Stripe subscription is updated, not a second one
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "starter", "period": "BILLING_PERIOD_YEARLY"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["checkout_url"], "")
        self.assertEqual(r.json()["subscription"]["plan"]["name"], "starter")
        self.assertEqual(r.json()["subscription"]["period"], "BILLING_PERIOD_YEARLY")
        upd = [e for e in fake_log() if e["path"] == f"/v1/subscriptions/{stripe_sub}" and e["method"] == "POST"]
        self.assertEqual(len(upd), 1)
        self.assertIn("items%5B0%5D%5Bprice%5D=price_starter_y", upd[0]["body"])
        self.assertIn("proration_behavior=create_prorations", upd[0]["body"])
        self.assertEqual(d.plan(tok), "starter")
        # a downgrade the bot still fits (3 symbols, live, 5000 USD) leaves it running
        r = d.req("GET", "/api/v1/bot/status", tok)
        self.assertEqual(r.json()["desired_state"], "BOT_STATE_RUNNING")

        # invoices, paged
        r = d.req("GET", "/api/v1/billing/invoices?page_size=1", tok)
        self.assertEqual(r.status_code, 200, r.text)
        page1 = r.json()
        self.assertEqual(len(page1["invoices"]), 1)
        self.assertTrue(page1["next_page_token"].startswith("in_"))
        r = d.req("GET", "/api/v1/billing/invoices?page_size=1&page_token=" + page1["next_page_token"], tok)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertNotEqual(r.json()["invoices"][0]["id"], page1["invoices"][0]["id"])
        self.assertEqual(d.req("GET", "/api/v1/billing/invoices?page_size=101", tok).status_code, 400)
        # the same page again within the cache time: served from Redis, not from Stripe
        before = len([e for e in fake_log() if e["path"] == "/v1/invoices"])
        r2 = d.req("GET", "/api/v1/billing/invoices?page_size=1", tok)
        self.assertEqual(r2.json(), page1)
        self.assertEqual(len([e for e in fake_log() if e["path"] == "/v1/invoices"]), before)

        # the subscription is deleted at Stripe: free plan, and the live bot is stopped
        r = fake("/_test/delete", subscription=stripe_sub)
        self.assertEqual(r["events"][0]["results"][0]["status"], 200)
        sub = d.sub(tok)
        self.assertEqual((sub["id"], sub["plan"]["name"]), ("", "free"))
        self.assertEqual(d.plan(tok), "free")
        self.assertEqual(d.sql(f"SELECT status FROM subscriptions WHERE stripe_subscription_id = '{stripe_sub}'"),
                         "canceled")
        # the over-limit bot was stopped through the bots domain's desired-state write, in
        # the same transaction, with the reason as its status message
        r = d.req("GET", "/api/v1/bot/status", tok)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["desired_state"], "BOT_STATE_STOPPED")
        self.assertEqual(r.json()["message"], "stopped: the free plan does not include live trading")

    def test_cancel_at_period_end_then_now(self):
        d = S["stripe"]
        tok = d.user()
        r = d.req("POST", "/api/v1/billing/cancel", tok, json={})
        self.assertEqual(r.status_code, 400, r.text)  # FAILED_PRECONDITION: nothing to cancel
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "starter"})
        session = r.json()["checkout_url"].rsplit("/", 1)[1]
        fake("/_test/complete", session=session)
        self.assertEqual(d.plan(tok), "starter")
        r = d.req("POST", "/api/v1/billing/cancel", tok, json={})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.json()["cancel_at_period_end"])
        self.assertEqual(r.json()["status"], "SUBSCRIPTION_STATUS_ACTIVE")
        self.assertEqual(d.plan(tok), "starter")  # paid until the period ends
        r = d.req("POST", "/api/v1/billing/cancel", tok, json={"immediately": True})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["status"], "SUBSCRIPTION_STATUS_CANCELED")
        self.assertEqual(d.plan(tok), "free")

    def test_bad_input(self):
        d = S["stripe"]
        tok = d.user()
        for body, code in (({}, 400), ({"plan_id": "nope"}, 404), ({"plan_id": "free"}, 400),
                           ({"plan_id": "enterprise"}, 400)):  # enterprise has no Stripe price
            r = d.req("POST", "/api/v1/billing/subscribe", tok, json=body)
            self.assertEqual(r.status_code, code, r.text)
        self.assertEqual(d.req("GET", "/api/v1/billing/subscription").status_code, 401)
        # unsigned / malformed webhooks
        r = requests.post(d.base + "/api/v1/billing/webhook", data=b"{}", timeout=10)
        self.assertEqual(r.status_code, 400)
        r = signed_post(d.base, b"not json")
        self.assertEqual(r.status_code, 400)
        r = signed_post(d.base, b'{"id":"evt_x","object":"event"}', secret="whsec_rotated_old")
        self.assertEqual(r.status_code, 400)  # signed, but not an event (no type/created/data)
        r = signed_post(d.base, json.dumps({"id": "evt_ok" + uuid.uuid4().hex[:8], "type": "charge.refunded",
                                            "created": int(time.time()), "data": {"object": {}}}).encode())
        self.assertEqual(r.status_code, 200, r.text)  # unhandled types are stored and ignored
        self.assertIn("not handled", r.json()["outcome"])


class SathctlBilling(unittest.TestCase):
    def test_commands(self):
        d = S["stripe"]
        tok = d.user()
        home = tempfile.mkdtemp(prefix="sathctl")
        env = {"HOME": home, "XDG_CONFIG_HOME": home, "PATH": os.environ.get("PATH", ""),
               "SATH_SERVER": f"127.0.0.1:{d.srv.grpc_port}", "SATH_PASSWORD": "correct horse 9"}
        ctl = os.path.join(os.path.dirname(rest._need("SATHD_BIN")), "..", "..", "client", "sathctl")
        ctl = os.environ.get("SATHCTL_BIN", ctl)

        def run(*args):
            p = subprocess.run([ctl, "--json", *args], env=env, capture_output=True, text=True, timeout=60)
            return p.returncode, (json.loads(p.stdout) if p.stdout.strip().startswith("{") else p.stdout), p.stderr

        self.assertEqual(run("login", "--email", tok["email"])[0], 0)
        rc, out, _ = run("billing", "plans")
        self.assertEqual(rc, 0)
        self.assertEqual([p["name"] for p in out["plans"]], ["free", "starter", "pro", "enterprise"])
        rc, out, _ = run("billing", "subscribe", "--plan", "pro", "--yearly")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["subscription"]["status"], "incomplete")
        self.assertEqual(out["subscription"]["period"], "yearly")
        fake("/_test/complete", session=out["checkout_url"].rsplit("/", 1)[1])
        rc, out, _ = run("billing", "subscription")
        self.assertEqual((rc, out["status"], out["plan"]["name"]), (0, "active", "pro"))
        rc, out, _ = run("billing", "invoices")
        self.assertEqual((rc, [i["status"] for i in out["invoices"]]), (0, ["paid"]))
        rc, out, _ = run("billing", "cancel", "--now")
        self.assertEqual((rc, out["status"]), (0, "canceled"))
        rc, out, err = run("billing", "subscribe")
        self.assertEqual(rc, 2, err)  # usage: --plan is required
        rc, out, _ = run("billing", "cancel")
        self.assertEqual(rc, 3)  # server error: nothing to cancel


class ProviderNone(unittest.TestCase):
    def test_activates_at_once_and_says_so(self):
        d = S["none"]
        tok = d.user()
        r = d.req("POST", "/api/v1/billing/subscribe", tok, json={"plan_id": "pro"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn("nothing was charged", r.json()["message"])
        self.assertEqual(r.json()["checkout_url"], "")
        self.assertEqual(r.json()["subscription"]["status"], "SUBSCRIPTION_STATUS_ACTIVE")
        self.assertEqual(d.plan(tok), "pro")
        r = d.req("GET", "/api/v1/billing/invoices", tok)
        self.assertEqual((r.status_code, r.json().get("invoices", [])), (200, []))
        r = d.req("POST", "/api/v1/billing/cancel", tok, json={"immediately": True})
        self.assertEqual(r.json()["status"], "SUBSCRIPTION_STATUS_CANCELED")
        self.assertEqual(d.plan(tok), "free")
        self.assertEqual(signed_post(d.base, b"{}").status_code, 404)  # no webhooks without Stripe
        self.assertIn("billing provider none", d.log())

    def test_production_refuses_none_and_missing_keys(self):
        key = base64.b64encode(os.urandom(32)).decode()
        base = {"PATH": os.environ.get("PATH", ""), "SATH_ENV": "production",
                "SATH_GRPC_ADDR": "127.0.0.1:0", "SATH_HTTP_ADDR": "127.0.0.1:0",
                "SATH_JWT_ED25519_KEY": key, "SATH_ENCRYPTION_KEYS": "k1:" + key,
                "SATH_DATABASE_URL": S["none"].db, "SATH_REDIS_URL": rest._need("SATH_TEST_REDIS_URL")}
        for extra, needle in (({"SATH_BILLING_PROVIDER": "none"}, "SATH_BILLING_PROVIDER: none is refused"),
                              ({"SATH_BILLING_PROVIDER": "stripe"}, "SATH_STRIPE_SECRET_KEY: required"),
                              ({"SATH_BILLING_PROVIDER": "stripe", "SATH_STRIPE_SECRET_KEY": "sk_live_x"},
                               "SATH_STRIPE_WEBHOOK_SECRET: required")):
            p = subprocess.run([rest._need("SATHD_BIN"), "serve"], env={**base, **extra},
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(needle, p.stderr + p.stdout)
            self.assertNotIn("sk_live_x", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
