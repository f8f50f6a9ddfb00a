#!/usr/bin/python3
"""fake_stripe.py - a local stand-in for Stripe's API, for sathd's billing tests.

It CHECKS what Stripe checks, so a request the real Stripe would refuse fails here too:
  * `Authorization: Bearer <secret key>` must carry the key it was started with (401);
  * `Stripe-Version` must be the version sathd pins (400);
  * POST bodies must be application/x-www-form-urlencoded, strictly (every pair has '=',
    percent escapes valid, keys of the form name or name[a][0][b]) and hold the
    parameters the endpoint requires, parsed into nested objects like Stripe does (400);
  * Idempotency-Key (required on every POST here, since sathd promises to send one):
    the same key with the same body replays the first answer (Idempotent-Replayed:
    true) without acting again; the same key with a different body is an
    idempotency_error (400).
API subset: POST /v1/customers, POST /v1/checkout/sessions, GET|POST|DELETE
/v1/subscriptions/<id>, GET /v1/invoices.

Test control (no auth, under /_test/, JSON bodies), which also SENDS signed webhooks to
sathd (Stripe-Signature t=..,v1=HMAC-SHA256(secret, "t.body")) and reports the HTTP
status sathd answered for each:
  POST /_test/config        {"webhook_url": ...}
  POST /_test/complete      {"session": cs_id}            -> checkout paid: subscription
                            active, invoice paid; sends checkout.session.completed,
                            invoice.paid
  POST /_test/fail_payment  {"subscription": id}           -> past_due; invoice.payment_failed
  POST /_test/pay           {"subscription": id}           -> active again; invoice.paid
  POST /_test/delete        {"subscription": id}           -> canceled; customer.subscription.deleted
  POST /_test/send          {"type", "subscription", "object_status", "event_id",
                             "bad_signature", "age_s", "times", "parallel"}
                                                           -> one crafted event (delivered
                                                           `times` times, at once if parallel)
  POST /_test/fail_next     {"method", "path", "status"}   -> the next such API request fails
  GET  /_test/log           every API request seen: method, path, idempotency key, replayed
Binds 127.0.0.1 on a port the kernel picks, prints "PORT <n>", exits with its parent.
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.request
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from json_http import JsonHandler  # noqa: E402  (tests/fixtures/json_http.py)

API_VERSION = "2024-06-20"
SECRET_KEY = os.environ.get("FAKE_STRIPE_SECRET_KEY", "sk_test_fake_0123456789")
WEBHOOK_SECRET = os.environ.get("FAKE_STRIPE_WEBHOOK_SECRET", "whsec_fake_0123456789")
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[A-Za-z0-9_]*\])*$")

LOCK = threading.RLock()
STATE = {"webhook_url": None, "customers": {}, "sessions": {}, "subs": {}, "invoices": [],
         "idem": {}, "log": [], "seq": 0, "fail_next": {}}


def new_id(prefix):
    with LOCK:
        STATE["seq"] += 1
        return f"{prefix}_{STATE['seq']:06d}{secrets.token_hex(4)}"


class BadRequest(Exception):
    def __init__(self, status, code, message, etype="invalid_request_error"):
        super().__init__(message)
        self.status, self.code, self.message, self.etype = status, code, message, etype


def parse_form(body):
    """Strict x-www-form-urlencoded -> nested dict (Stripe's a[b][0][c] keys)."""
    out = {}
    if not body:
        return out
    text = body.decode("ascii")  # percent-encoded forms are ASCII
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise BadRequest(400, "parameter_invalid", "malformed percent escape")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError as e:
        raise BadRequest(400, "parameter_invalid", f"malformed form body: {e}")
    for k, v in pairs:
        if not KEY_RE.match(k):
            raise BadRequest(400, "parameter_unknown", f"malformed key {k!r}")
        head = k.split("[", 1)[0]
        keys = [head] + [p for p in re.findall(r"\[([^\]]*)\]", k)]
        node = out
        for i, part in enumerate(keys):
            last = i == len(keys) - 1
            if last:
                if part in node:
                    raise BadRequest(400, "parameter_invalid", f"duplicate key {k!r}")
                node[part] = v
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise BadRequest(400, "parameter_invalid", f"conflicting key {k!r}")
    return out


def need(form, *path):
    node = form
    for p in path:
        if not isinstance(node, dict) or p not in node:
            raise BadRequest(400, "parameter_missing", "Missing required param: " + "".join(
                [path[0]] + [f"[{x}]" for x in path[1:]]))
        node = node[p]
    return node


def sub_object(s):
    return {"id": s["id"], "object": "subscription", "customer": s["customer"],
            "status": s["status"], "start_date": s["start_date"],
            "current_period_end": s["current_period_end"],
            "cancel_at_period_end": s["cancel_at_period_end"], "metadata": s["metadata"],
            "items": {"object": "list", "data": [
                {"id": s["item_id"], "object": "subscription_item",
                 "price": {"id": s["price"], "object": "price"}, "quantity": 1}]}}


def make_invoice(s, status):
    now = int(time.time())
    inv = {"id": new_id("in"), "object": "invoice", "customer": s["customer"],
           "subscription": s["id"], "status": status, "total": 7900, "currency": "usd",
           "created": now, "period_start": now, "period_end": s["current_period_end"],
           "hosted_invoice_url": "https://invoice.stripe.test/i/" + s["id"],
           "status_transitions": {"paid_at": now if status == "paid" else None}}
    with LOCK:
        STATE["invoices"].insert(0, inv)
    return inv


def sign(body, t, secret=None):
    mac = hmac.new((secret or WEBHOOK_SECRET).encode(), f"{t}.".encode() + body,
                   hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def deliver(body, header):
    rq = urllib.request.Request(STATE["webhook_url"], data=body, method="POST",
                                headers={"Content-Type": "application/json",
                                         "Stripe-Signature": header})
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            return {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode()}


def send_event(etype, obj, event_id=None, bad_signature=False, age_s=0, times=1, parallel=False):
    ev = {"id": event_id or new_id("evt"), "object": "event", "type": etype,
          "api_version": API_VERSION, "created": int(time.time()) - age_s,
          "data": {"object": obj}}
    body = json.dumps(ev).encode()
    t = int(time.time()) - age_s
    header = sign(body, t, "whsec_wrong_secret" if bad_signature else None)
    if not parallel:
        return {"id": ev["id"], "results": [deliver(body, header) for _ in range(times)]}
    codes = [None] * times
    barrier = threading.Barrier(times)

    def one(i):
        barrier.wait()
        codes[i] = deliver(body, header)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"id": ev["id"], "results": codes}


class Handler(JsonHandler):
    def error(self, e):
        self.reply(e.status, {"error": {"type": e.etype, "code": e.code, "message": e.message}})

    # ---- Stripe API ----
    def api(self, method):
        raw = self.body()
        path = urlsplit(self.path).path
        idem = self.headers.get("Idempotency-Key")
        entry = {"method": method, "path": path, "idempotency_key": idem, "replayed": False,
                 "body": raw.decode("ascii", "replace")}
        with LOCK:
            STATE["log"].append(entry)
        try:
            with LOCK:
                injected = STATE["fail_next"].pop((method, path), None)
            if injected:
                raise BadRequest(injected, "injected_failure", "failure injected by the test",
                                 "api_error")
            if self.headers.get("Authorization") != "Bearer " + SECRET_KEY:
                raise BadRequest(401, "api_key_invalid", "Invalid API Key provided")
            if self.headers.get("Stripe-Version") != API_VERSION:
                raise BadRequest(400, "invalid_api_version",
                                 f"Stripe-Version must be {API_VERSION}")
            form = {}
            if method == "POST":
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if ctype != "application/x-www-form-urlencoded":
                    raise BadRequest(400, "invalid_content_type",
                                     "body must be application/x-www-form-urlencoded")
                if not idem:
                    raise BadRequest(400, "idempotency_key_missing",
                                     "this fake requires Idempotency-Key on every POST")
                digest = hashlib.sha256(method.encode() + path.encode() + raw).hexdigest()
                with LOCK:
                    seen = STATE["idem"].get(idem)
                if seen:
                    if seen["digest"] != digest:
                        raise BadRequest(400, "idempotency_key_in_use",
                                         "Keys for idempotent requests can only be used with "
                                         "the same parameters they were first used with.",
                                         "idempotency_error")
                    entry["replayed"] = True
                    return self.reply(seen["status"], seen["obj"], {"Idempotent-Replayed": "true"})
                form = parse_form(raw)
            status, obj = self.route(method, path, form)
            if method == "POST":
                with LOCK:
                    STATE["idem"][idem] = {"digest": digest, "status": status, "obj": obj}
            self.reply(status, obj)
        except BadRequest as e:
            self.error(e)

    def route(self, method, path, form):
        if method == "POST" and path == "/v1/customers":
            cid = new_id("cus")
            c = {"id": cid, "object": "customer", "email": form.get("email"),
                 "metadata": form.get("metadata", {})}
            with LOCK:
                STATE["customers"][cid] = c
            return 200, c
        if method == "POST" and path == "/v1/checkout/sessions":
            if need(form, "mode") != "subscription":
                raise BadRequest(400, "parameter_invalid_string", "mode must be subscription")
            cust = need(form, "customer")
            if cust not in STATE["customers"]:
                raise BadRequest(400, "resource_missing", "No such customer")
            price = need(form, "line_items", "0", "price")
            if need(form, "line_items", "0", "quantity") != "1":
                raise BadRequest(400, "parameter_invalid_integer", "quantity")
            need(form, "success_url")
            need(form, "cancel_url")
            sid = new_id("cs_test")
            s = {"id": sid, "object": "checkout.session", "mode": "subscription",
                 "customer": cust, "price": price, "subscription": None, "status": "open",
                 "client_reference_id": form.get("client_reference_id"),
                 "metadata": form.get("metadata", {}),
                 "subscription_metadata": form.get("subscription_data", {}).get("metadata", {}),
                 "url": f"https://checkout.stripe.test/c/pay/{sid}"}
            with LOCK:
                STATE["sessions"][sid] = s
            return 200, {k: v for k, v in s.items() if k not in ("price", "subscription_metadata")}
        m = re.match(r"^/v1/subscriptions/([A-Za-z0-9_]+)$", path)
        if m:
            with LOCK:
                s = STATE["subs"].get(m.group(1))
            if not s:
                raise BadRequest(404, "resource_missing", "No such subscription")
            if method == "GET":
                return 200, sub_object(s)
            if method == "DELETE":
                s["status"] = "canceled"
                return 200, sub_object(s)
            if method == "POST":
                if "items" in form:
                    if need(form, "items", "0", "id") != s["item_id"]:
                        raise BadRequest(400, "resource_missing", "No such subscription item")
                    s["price"] = need(form, "items", "0", "price")
                    if form.get("proration_behavior") not in ("create_prorations", "none",
                                                              "always_invoice"):
                        raise BadRequest(400, "parameter_invalid_string", "proration_behavior")
                if "cancel_at_period_end" in form:
                    if form["cancel_at_period_end"] not in ("true", "false"):
                        raise BadRequest(400, "parameter_invalid_boolean", "cancel_at_period_end")
                    s["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
                return 200, sub_object(s)
        if method == "GET" and path == "/v1/invoices":
            q = dict(parse_qsl(urlsplit(self.path).query))
            cust = q.get("customer")
            limit = int(q.get("limit", "10"))
            if not 1 <= limit <= 100:
                raise BadRequest(400, "parameter_invalid_integer", "limit")
            with LOCK:
                mine = [i for i in STATE["invoices"] if i["customer"] == cust]
            after = q.get("starting_after")
            if after:
                ids = [i["id"] for i in mine]
                if after not in ids:
                    raise BadRequest(400, "resource_missing", "starting_after")
                mine = mine[ids.index(after) + 1:]
            return 200, {"object": "list", "data": mine[:limit], "has_more": len(mine) > limit}
        raise BadRequest(404, "resource_missing", f"Unrecognized request URL ({method} {path})")

    # ---- test control ----
    def control(self, method):
        path = urlsplit(self.path).path
        if method == "GET" and path == "/_test/log":
            with LOCK:
                return self.reply(200, {"log": STATE["log"]})
        args = json.loads(self.body() or b"{}")
        now = int(time.time())
        if path == "/_test/fail_next":
            with LOCK:
                STATE["fail_next"][(args["method"], args["path"])] = int(args["status"])
            return self.reply(200, {})
        if path == "/_test/config":
            STATE["webhook_url"] = args["webhook_url"]
            return self.reply(200, {})
        if path == "/_test/complete":
            with LOCK:
                cs = STATE["sessions"][args["session"]]
                s = {"id": new_id("sub"), "customer": cs["customer"], "status": "active",
                     "start_date": now, "current_period_end": now + 30 * 86400,
                     "cancel_at_period_end": False, "item_id": new_id("si"),
                     "price": cs["price"], "metadata": cs["subscription_metadata"]}
                STATE["subs"][s["id"]] = s
                cs["subscription"], cs["status"] = s["id"], "complete"
            inv = make_invoice(s, "paid")
            done = {k: v for k, v in cs.items() if k not in ("price", "subscription_metadata")}
            evs = [send_event("checkout.session.completed", done),
                   send_event("invoice.paid", inv)]
            return self.reply(200, {"subscription": s["id"], "events": evs})
        s = STATE["subs"].get(args.get("subscription", ""))
        if path == "/_test/fail_payment":
            s["status"] = "past_due"
            return self.reply(200, {"events": [send_event("invoice.payment_failed",
                                                          make_invoice(s, "open"))]})
        if path == "/_test/pay":
            s["status"] = "active"
            return self.reply(200, {"events": [send_event("invoice.paid", make_invoice(s, "paid"))]})
        if path == "/_test/delete":
            s["status"] = "canceled"
            return self.reply(200, {"events": [send_event("customer.subscription.deleted",
                                                          sub_object(s))]})
        if path == "/_test/send":
            obj = sub_object(s) if s else {"id": args.get("subscription", "sub_unknown")}
            if args.get("object_status"):
                obj["status"] = args["object_status"]  # what a stale event would say
            r = send_event(args["type"], obj, event_id=args.get("event_id"),
                           bad_signature=args.get("bad_signature", False),
                           age_s=args.get("age_s", 0), times=args.get("times", 1),
                           parallel=args.get("parallel", False))
            return self.reply(200, r)
        self.reply(404, {"error": "unknown control path"})

    def dispatch(self, method):
        if self.path.startswith("/_test/"):
            return self.control(method)
        return self.api(method)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(f"PORT {srv.server_address[1]}", flush=True)
    parent = os.getppid()

    def watchdog():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
