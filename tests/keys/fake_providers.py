#!/usr/bin/python3
"""fake_providers.py - one local HTTP server playing Binance, Bybit v5, OpenAI and
Anthropic for KeysService's TestKey tests.

Each provider lives under its own path prefix (/binance, /bybit, /openai, /anthropic)
and VERIFIES what the real one would: required headers, the HMAC-SHA256 signature
with the secret it knows for the key, and the timestamp window (recvWindow).  The
scenario comes from the credentials themselves:

  key (any provider)   secret        behaviour
  good-*               the table's   accepted; trade only
  withdraw-*           the table's   accepted; can withdraw
  skew-*               the table's   provider clock 60 s ahead: timestamp outside recvWindow
  slow-*               the table's   answers after 3 s (beyond the test's timeout)
  anything else                      unknown key

A key stored in sathd with a different secret than the table's gets "bad signature".
Binds 127.0.0.1 on a port the kernel picks and prints "PORT <n>" on stdout; exits
when its parent (the test) goes away.
"""
import hashlib
import hmac
import os
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from json_http import JsonHandler  # noqa: E402  (tests/fixtures/json_http.py)

SECRETS = {
    "good-binance-key-0001": "binance-secret-good-0001",
    "withdraw-binance-key-0002": "binance-secret-withdraw-0002",
    "skew-binance-key-0003": "binance-secret-skew-0003",
    "slow-binance-key-0004": "binance-secret-slow-0004",
    "good-bybit-key-0001": "bybit-secret-good-0001",
    "withdraw-bybit-key-0002": "bybit-secret-withdraw-0002",
    "skew-bybit-key-0003": "bybit-secret-skew-0003",
}
AI_KEYS = {"good-openai-sk-0001", "slow-openai-sk-0004", "good-anthropic-sk-0001"}


def now_ms(key):
    skew = 60000 if key.startswith("skew-") else 0
    return int(time.time() * 1000) + skew


class Handler(JsonHandler):
    def slow(self, key):
        if key.startswith("slow-"):
            time.sleep(3)

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/binance/api/v3/account":
            return self.binance(u.query)
        if u.path == "/bybit/v5/user/query-api":
            return self.bybit(u.query)
        if u.path in ("/openai/v1/models", "/compat/v1/models"):
            return self.openai()
        if u.path == "/anthropic/v1/models":
            return self.anthropic()
        self.reply(404, {"error": {"message": "no such path " + u.path}})

    def binance(self, query):
        key = self.headers.get("X-MBX-APIKEY")
        if not key:
            return self.reply(401, {"code": -2014, "msg": "API-key format invalid."})
        if key not in SECRETS:
            return self.reply(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        self.slow(key)
        if "&signature=" not in query:
            return self.reply(400, {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent."})
        payload, sig = query.rsplit("&signature=", 1)
        params = dict(p.split("=", 1) for p in payload.split("&") if "=" in p)
        if "timestamp" not in params:
            return self.reply(400, {"code": -1102, "msg": "Mandatory parameter 'timestamp' was not sent."})
        want = hmac.new(SECRETS[key].encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            return self.reply(400, {"code": -1022, "msg": "Signature for this request is not valid."})
        ts, window, server = int(params["timestamp"]), int(params.get("recvWindow", "5000")), now_ms(key)
        if ts >= server + 1000 or server - ts > window:
            return self.reply(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
        withdraw = key.startswith("withdraw-")
        self.reply(200, {"makerCommission": 10, "canTrade": True, "canWithdraw": withdraw,
                         "canDeposit": True, "accountType": "SPOT", "balances": [],
                         "permissions": ["SPOT"] + (["MARGIN"] if withdraw else [])})

    def bybit(self, query):
        h = self.headers
        key, ts, recv, sig = (h.get("X-BAPI-API-KEY"), h.get("X-BAPI-TIMESTAMP"),
                              h.get("X-BAPI-RECV-WINDOW"), h.get("X-BAPI-SIGN"))
        if not key or not ts or not sig:
            return self.reply(200, {"retCode": 10001, "retMsg": "missing required headers", "result": {}})
        if key not in SECRETS:
            return self.reply(200, {"retCode": 10003, "retMsg": "API key is invalid.", "result": {}})
        origin = ts + key + (recv or "") + query
        want = hmac.new(SECRETS[key].encode(), origin.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            # the real Bybit echoes the signed string, API key included
            return self.reply(200, {"retCode": 10004, "retMsg": "error sign! origin_string[" + origin + "]",
                                    "result": {}})
        server, window = now_ms(key), int(recv or "5000")
        if int(ts) >= server + 1000 or server - int(ts) > window:
            return self.reply(200, {"retCode": 10002, "retMsg": "invalid request, please check your server "
                                    "timestamp or recv_window param", "result": {}})
        perms = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
                 "Wallet": ["AccountTransfer"], "Options": [], "Derivatives": []}
        if key.startswith("withdraw-"):
            perms["Wallet"].append("Withdraw")
        self.reply(200, {"retCode": 0, "retMsg": "", "result": {"id": "1", "apiKey": key, "readOnly": 0,
                                                                 "permissions": perms}})

    def openai(self):
        auth = self.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        if key not in AI_KEYS or "openai" not in key:
            # the real OpenAI quotes (part of) the key it was given
            return self.reply(401, {"error": {"message": "Incorrect API key provided: " + key + ".",
                                              "type": "invalid_request_error", "code": "invalid_api_key"}})
        self.slow(key)
        self.reply(200, {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})

    def anthropic(self):
        if self.headers.get("anthropic-version") != "2023-06-01":
            return self.reply(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                               "message": "anthropic-version header is required"}})
        key = self.headers.get("x-api-key", "")
        if key not in AI_KEYS or "anthropic" not in key:
            return self.reply(401, {"type": "error", "error": {"type": "authentication_error",
                                                               "message": "invalid x-api-key"}})
        self.reply(200, {"data": [{"id": "claude-3-5-sonnet", "type": "model"}], "has_more": False})


def watchdog(parent):
    """Exit when the test that started us is gone (even if it crashed), and after
    10 minutes at most: a fake must never outlive its test."""
    deadline = time.monotonic() + 600
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    os._exit(0)


def main():
    threading.Thread(target=watchdog, args=(os.getppid(),), daemon=True).start()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
