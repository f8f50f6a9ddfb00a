#!/usr/bin/env python3
"""fake_exchange.py - a local stand-in for Binance spot's REST API, for sath-bot's live
engine tests.  It checks what Binance checks and keeps order state:

  - X-MBX-APIKEY must be the configured key; `signature` must be the hex HMAC-SHA256,
    under the configured secret, of the exact query string (+ the form body for POST)
    that precedes it; `timestamp` within `recvWindow` (<= 60000) of our clock;
    POST bodies must be application/x-www-form-urlencoded.
  - POST /api/v3/order (LIMIT GTC): newClientOrderId must be unique among the open
    orders, else {"code":-2010,"msg":"Duplicate order sent."}.
  - GET /api/v3/order, DELETE /api/v3/order (by origClientOrderId), GET /api/v3/openOrders.
  - Fills: an open order fills completely on its FILL_AFTER-th status query.
  - Public: /api/v3/ticker/price, /api/v3/klines (a fixed walk), /api/v3/ping.
  - Fault injection: the first POST of each client order id whose number is listed in
    --slow-posts is accepted but answered after --slow-ms (longer than the bot's timeout).
  - GET /_fake/state: every order and every signature failure, for the test to inspect.

  fake_exchange.py --key K --secret S [--fill-after N] [--slow-posts 1,3]
      prints "PORT <n>" once it listens on 127.0.0.1 and exits when its stdin closes.
"""
import argparse, hashlib, hmac, os, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from json_http import JsonHandler, serve_until_stdin_closes  # noqa: E402  (tests/fixtures/json_http.py)

A = None
LOCK = threading.Lock()
ORDERS = {}          # clientOrderId -> order dict
POLLS = {}           # clientOrderId -> status queries seen
SEEN_SLOW = set()
BAD = []             # rejected requests (reason)
NEXT_ID = [1000]

def now_ms():
    return int(time.time() * 1000)

def price_of(symbol, i=0):
    base = 100.0 + (sum(map(ord, symbol)) % 50)
    return round(base * (1 + 0.001 * ((i * 7) % 13 - 6)), 2)

class H(JsonHandler):

    def err(self, http, code, msg):
        with LOCK:
            BAD.append(msg)
        self.reply(http, {"code": code, "msg": msg})

    def signed(self, method):
        """Returns the parameters when the request is correctly signed, else None (answered)."""
        url = urllib.parse.urlsplit(self.path)
        query = url.query
        body = ""
        if method == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode()
            if body and self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                self.err(400, -1102, "body is not form-encoded")
                return None
        if self.headers.get("X-MBX-APIKEY") != A.key:
            self.err(401, -2015, "Invalid API-key, IP, or permissions for action.")
            return None
        total = query + body
        if "&signature=" not in total:
            self.err(400, -1102, "Mandatory parameter 'signature' was not sent")
            return None
        payload, sig = total.rsplit("&signature=", 1)
        want = hmac.new(A.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            self.err(400, -1022, "Signature for this request is not valid.")
            return None
        p = dict(urllib.parse.parse_qsl(payload, keep_blank_values=True))
        rw = int(p.get("recvWindow", "5000"))
        ts = int(p.get("timestamp", "0"))
        if rw > 60000 or ts > now_ms() + 1000 or now_ms() - ts > rw:
            self.err(400, -1021, "Timestamp for this request is outside of the recvWindow.")
            return None
        return p

    def public(self, url):
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/api/v3/ping":
            return self.reply(200, {})
        if url.path == "/api/v3/ticker/price":
            with LOCK:
                i = POLLS.setdefault("__ticks__" + q.get("symbol", ""), 0)
                POLLS["__ticks__" + q.get("symbol", "")] = i + 1
            return self.reply(200, {"symbol": q.get("symbol"), "price": "%.2f" % price_of(q.get("symbol", ""), i)})
        if url.path == "/api/v3/klines":
            n = min(int(q.get("limit", "500")), 1000)
            t0 = now_ms() - n * 60000
            rows = [[t0 + k * 60000, "1", "1", "1", "%.2f" % price_of(q.get("symbol", ""), k), "1",
                     t0 + k * 60000 + 59999, "1", 1, "1", "1", "0"] for k in range(n)]
            return self.reply(200, rows)
        if url.path == "/_fake/state":
            with LOCK:
                return self.reply(200, {"orders": list(ORDERS.values()), "bad": BAD})
        return self.reply(404, {"code": -1, "msg": "not found"})

    def view(self, o):
        return dict(o)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/api/v3/order", "/api/v3/openOrders"):
            return self.public(url)
        p = self.signed("GET")
        if p is None:
            return
        with LOCK:
            if url.path == "/api/v3/openOrders":
                return self.reply(200, [o for o in ORDERS.values()
                                       if o["status"] == "NEW" and o["symbol"] == p.get("symbol")])
            o = ORDERS.get(p.get("origClientOrderId", ""))
            if not o or o["symbol"] != p.get("symbol"):
                return self.reply(400, {"code": -2013, "msg": "Order does not exist."})
            cid = o["clientOrderId"]
            POLLS[cid] = POLLS.get(cid, 0) + 1
            if o["status"] == "NEW" and POLLS[cid] >= A.fill_after:
                o["status"] = "FILLED"
                o["executedQty"] = o["origQty"]
                o["cummulativeQuoteQty"] = "%.8f" % (float(o["origQty"]) * float(o["price"]))
            return self.reply(200, self.view(o))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/v3/order":
            return self.reply(404, {"code": -1, "msg": "not found"})
        p = self.signed("POST")
        if p is None:
            return
        for k in ("symbol", "side", "type", "quantity", "price", "newClientOrderId", "timeInForce"):
            if k not in p:
                return self.err(400, -1102, "Mandatory parameter '%s' was not sent" % k)
        cid = p["newClientOrderId"]
        slow = False
        with LOCK:
            if cid in ORDERS and ORDERS[cid]["status"] == "NEW":
                return self.reply(400, {"code": -2010, "msg": "Duplicate order sent."})
            if cid in ORDERS:
                return self.reply(400, {"code": -2010, "msg": "Duplicate order sent."})
            NEXT_ID[0] += 1
            o = {"symbol": p["symbol"], "orderId": NEXT_ID[0], "clientOrderId": cid,
                 "price": p["price"], "origQty": p["quantity"], "executedQty": "0",
                 "cummulativeQuoteQty": "0", "status": "NEW", "timeInForce": p["timeInForce"],
                 "type": p["type"], "side": p["side"], "posts": 1}
            ORDERS[cid] = o
            num = cid.rsplit("-", 1)[-1]
            if num in A.slow_posts and cid not in SEEN_SLOW:
                SEEN_SLOW.add(cid)
                slow = True
        if slow:
            time.sleep(A.slow_ms / 1000.0)
        with LOCK:
            return self.reply(200, self.view(o))

    def do_DELETE(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/v3/order":
            return self.reply(404, {"code": -1, "msg": "not found"})
        p = self.signed("DELETE")
        if p is None:
            return
        with LOCK:
            o = ORDERS.get(p.get("origClientOrderId", ""))
            if not o or o["symbol"] != p.get("symbol"):
                return self.reply(400, {"code": -2011, "msg": "Unknown order sent."})
            if o["status"] != "NEW":
                return self.reply(400, {"code": -2011, "msg": "Unknown order sent."})
            o["status"] = "CANCELED"
            return self.reply(200, self.view(o))

def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--fill-after", type=int, default=2)
    ap.add_argument("--slow-posts", default="")
    ap.add_argument("--slow-ms", type=int, default=1500)
    A = ap.parse_args()
    A.slow_posts = set(x for x in A.slow_posts.split(",") if x)
    serve_until_stdin_closes(H)

if __name__ == "__main__":
    main()
