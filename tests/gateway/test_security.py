#!/usr/bin/python3
"""test_security.py - issue 12's findings over REST (the gRPC side is
tests/integration/torture_security.c): re-authentication for email change and DeleteMe,
password strength, logout with someone else's refresh token, rate limits with 429 +
Retry-After + the IETF RateLimit-Policy/RateLimit headers, X-Forwarded-For only from
trusted proxies, security headers.  Starts its own sathd processes through test_rest.py's
Servers (real PostgreSQL and Redis from SATH_TEST_DATABASE_URL / SATH_TEST_REDIS_URL).
"""
import http.client
import json
import os
import resource
import selectors
import socket
import sys
import tempfile
import threading
import time
import unittest
import uuid

import grpc
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_rest as base  # noqa: E402

PW = "Kx7-maple-orbit"
SERVERS = {}


def setUpModule():
    SERVERS["main"] = base.Servers(cors=False)
    SERVERS["tight"] = base.Servers(cors=False, extra_env={
        "SATH_RL_LOGIN_IP": "8/600", "SATH_RL_LOGIN_ACCOUNT": "5/600",
        "SATH_RL_REGISTER_IP": "5/600", "SATH_RL_REGISTER_ACCOUNT": "2/600",
    })
    SERVERS["docs_dir"] = tempfile.mkdtemp(prefix="secdocs")
    with open(os.path.join(SERVERS["docs_dir"], "index.html"), "w") as f:
        f.write("<!DOCTYPE html><title>docs</title>")
    SERVERS["slow"] = base.Servers(cors=False, extra_env={
        "SATH_HTTP_HEADER_TIMEOUT_MS": "3000", "SATH_HTTP_REQUEST_TIMEOUT_MS": "60000",
        "SATH_DOCS_DIR": SERVERS["docs_dir"],
    })
    base.STANDALONE = True  # sathd behind a separate sath-gateway
    try:
        SERVERS["gateway"] = base.Servers(cors=False, extra_env={
            "SATH_RL_LOGIN_IP": "3/600", "SATH_RL_LOGIN_ACCOUNT": "1000/600",
            "SATH_TRUSTED_PROXIES": "127.0.0.1",
        })
    finally:
        base.STANDALONE = False
    SERVERS["proxied"] = base.Servers(cors=False, extra_env={
        "SATH_RL_LOGIN_IP": "2/600", "SATH_RL_LOGIN_ACCOUNT": "1000/600",
        "SATH_TRUSTED_PROXIES": "127.0.0.1", "SATH_GRPC_REFLECTION": "off",
    })


def tearDownModule():
    codes = []
    for s in SERVERS.values():
        if isinstance(s, base.Servers):
            codes += s.stop()
    assert all(c == 0 for c in codes), f"servers exited with {codes}"


def call(server, method, path, **kw):
    return requests.request(method, SERVERS[server].base + path, timeout=30, **kw)


def register(server, email=None, password=PW, **kw):
    email = email or f"s{uuid.uuid4().hex[:10]}@example.com"
    r = call(server, "POST", "/api/v1/auth/register",
             json={"email": email, "password": password, "name": "Sec"}, **kw)
    return email, r


def login(server, email, password=PW, **kw):
    return call(server, "POST", "/api/v1/auth/login", json={"email": email, "password": password},
                **kw)


def bearer(tok):
    return {"Authorization": "Bearer " + tok["access_token"]}


def new_session(server="main"):
    email, r = register(server)
    assert r.status_code == 201, r.text
    r = login(server, email)
    assert r.status_code == 200, r.text
    return email, r.json()


class Reauthentication(unittest.TestCase):
    def test_email_change_needs_current_password(self):
        email, mine = new_session()
        r = login("main", email)
        other = r.json()
        new = f"n{uuid.uuid4().hex[:10]}@example.com"
        for body in ({"email": new}, {"email": new, "current_password": "wrong one 123"}):
            r = call("main", "PUT", "/api/v1/users/me", headers=bearer(mine), json=body)
            self.assertEqual(r.status_code, 403, r.text)
            self.assertIn("current password", r.json()["message"])
        r = call("main", "GET", "/api/v1/users/me", headers=bearer(mine))
        self.assertEqual(r.json()["email"], email)
        r = call("main", "PUT", "/api/v1/users/me", headers=bearer(mine),
                 json={"email": new, "current_password": PW})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["email"], new)
        # the other session ended, mine goes on
        self.assertEqual(call("main", "GET", "/api/v1/users/me", headers=bearer(other)).status_code, 401)
        self.assertEqual(call("main", "POST", "/api/v1/auth/refresh",
                              json={"refresh_token": other["refresh_token"]}).status_code, 401)
        self.assertEqual(call("main", "GET", "/api/v1/users/me", headers=bearer(mine)).status_code, 200)

    def test_delete_me_needs_password(self):
        email, tok = new_session()
        r = call("main", "DELETE", "/api/v1/users/me", headers=bearer(tok))
        self.assertEqual(r.status_code, 403, r.text)
        r = call("main", "DELETE", "/api/v1/users/me", headers=bearer(tok),
                 json={"password": "not it at all 9"})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(call("main", "GET", "/api/v1/users/me", headers=bearer(tok)).status_code, 200)
        r = call("main", "DELETE", "/api/v1/users/me", headers=bearer(tok), json={"password": PW})
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(login("main", email).status_code, 401)


class PasswordStrength(unittest.TestCase):
    def test_weak_passwords_refused(self):
        for pw in ("password", "12345678", " " * 8, "qwerty123", "Password1!"):
            _, r = register("main", password=pw)
            self.assertEqual(r.status_code, 400, f"{pw!r}: {r.text}")
            self.assertIn("too easy to guess", r.json()["message"])
        email = f"zelda.quokka{uuid.uuid4().hex[:4]}@example.com"
        _, r = register("main", email=email, password=email.split("@")[0] + "!")
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn("email or name", r.json()["message"])

    def test_weak_new_password_refused(self):
        _, tok = new_session()
        r = call("main", "PUT", "/api/v1/users/me", headers=bearer(tok),
                 json={"new_password": "letmein1", "current_password": PW})
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn("new_password is too easy to guess", r.json()["message"])


class Sessions(unittest.TestCase):
    def test_logout_with_foreign_refresh_token(self):
        _, victim = new_session()
        _, attacker = new_session()
        r = call("main", "POST", "/api/v1/auth/logout", headers=bearer(attacker),
                 json={"refresh_token": victim["refresh_token"]})
        self.assertEqual(r.status_code, 200, r.text)  # as for an unknown token
        self.assertEqual(call("main", "GET", "/api/v1/users/me", headers=bearer(victim)).status_code, 200)
        r = call("main", "POST", "/api/v1/auth/refresh", json={"refresh_token": victim["refresh_token"]})
        self.assertEqual(r.status_code, 200, r.text)


class InternalNames(unittest.TestCase):
    """Item 6: database constraint names never reach the client."""

    def test_constraint_named_by_field(self):
        _, tok = new_session()
        r = call("main", "POST", "/api/v1/keys/ai", headers=bearer(tok),
                 json={"provider": "AI_PROVIDER_OPENAI_COMPATIBLE", "api_key": "sk-test-123456",
                       "base_url": "http://127.0.0.1:abc/v1"})
        self.assertEqual(r.status_code, 400, r.text)
        msg = r.json()["message"]
        self.assertIn("base_url", msg)
        for leak in ("ai_keys", "_check", "constraint"):
            self.assertNotIn(leak, msg)


    def test_json_nul_named_for_the_client(self):
        r = call("main", "POST", "/api/v1/auth/login", data='{"email":"a\\u0000b@x.io","password":"p"}',
                 headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn("NUL", r.json()["message"])
        self.assertNotIn("JSON_ALLOW_NUL", r.json()["message"])


class RateLimits(unittest.TestCase):
    def assert_429(self, r, policy):
        self.assertEqual(r.status_code, 429, r.text)
        self.assertEqual(r.json()["code"], 8)
        self.assertIn(policy, r.json()["message"])
        self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
        self.assertRegex(r.headers["RateLimit-Policy"], rf'^"{policy}";q=\d+;w=\d+$')
        self.assertRegex(r.headers["RateLimit"], rf'^"{policy}";r=0;t=\d+$')
        self.assertTrue(r.headers.get("X-Request-Id"))

    def test_brute_force_and_floods(self):
        email, r = register("tight")
        self.assertEqual(r.status_code, 201)
        # a successful call says where it stands
        self.assertRegex(r.headers["RateLimit"], r'^"register-account";r=1;t=\d+$')
        # 5 guesses per account, then even the right password waits
        for _ in range(5):
            self.assertEqual(login("tight", email, "wrong guess 77").status_code, 401)
        self.assert_429(login("tight", email, "wrong guess 77"), "login-account")
        self.assert_429(login("tight", email), "login-account")
        # X-Forwarded-For from an untrusted peer changes nothing
        other, r = register("tight")
        for i in range(3):
            r = login("tight", other, headers={"X-Forwarded-For": f"198.51.100.{i}"})
            self.assertEqual(r.status_code, 200, r.text)
        self.assert_429(login("tight", other, headers={"X-Forwarded-For": "198.51.100.99"}), "login-ip")
        # registrations per address (2 used) and per email, the 409 for a taken one included
        _, r = register("tight", email=email)
        self.assertEqual(r.status_code, 409, r.text)
        codes = [register("tight")[1].status_code for _ in range(5)]
        self.assertEqual(codes, [201, 201, 429, 429, 429])

    def test_trusted_proxy_forwarded_for(self):
        email, r = register("proxied")
        self.assertEqual(r.status_code, 201)
        for client in ("203.0.113.1", "203.0.113.2"):
            h = {"X-Forwarded-For": f"6.6.6.6, {client}"}  # the left part is the client's own
            for _ in range(2):
                r = login("proxied", email, headers=h)
                self.assertEqual(r.status_code, 200, r.text)
            self.assert_429(login("proxied", email, headers=h), "login-ip")
        # the proxy's own address has its own bucket
        self.assertEqual(login("proxied", email).status_code, 200)


def post_from(server, source, path, body, headers=None):
    """POST from a given loopback source address (requests cannot bind one)."""
    c = http.client.HTTPConnection("127.0.0.1", SERVERS[server].http_port, timeout=30,
                                   source_address=(source, 0))
    try:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request("POST", path, body=json.dumps(body), headers=h)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


class BehindSathGateway(unittest.TestCase):
    """sath-gateway appends its client to X-Forwarded-For and passes the limiter's answer
    on: sathd (trusting the gateway) limits each real client, not the gateway."""

    def test_limits_per_real_client(self):
        email = f"gw{uuid.uuid4().hex[:10]}@example.com"
        st, _, body = post_from("gateway", "127.0.0.2", "/api/v1/auth/register",
                                {"email": email, "password": PW, "name": "Gw"})
        self.assertEqual(st, 201, body)
        creds = {"email": email, "password": PW}
        for i in range(3):  # a forged X-Forwarded-For from the client does not help
            st, _, body = post_from("gateway", "127.0.0.2", "/api/v1/auth/login", creds,
                                    {"X-Forwarded-For": f"203.0.113.{i}"})
            self.assertEqual(st, 200, body)
        st, h, body = post_from("gateway", "127.0.0.2", "/api/v1/auth/login", creds)
        self.assertEqual(st, 429, body)
        self.assertIn("login-ip", json.loads(body)["message"])
        self.assertGreater(int(h["Retry-After"]), 1)  # sathd's figure, not a default
        self.assertEqual(h["RateLimit-Policy"], '"login-ip";q=3;w=600')
        self.assertRegex(h["RateLimit"], r'^"login-ip";r=0;t=\d+$')
        st, _, body = post_from("gateway", "127.0.0.3", "/api/v1/auth/login", creds)
        self.assertEqual(st, 200, body)


class Reflection(unittest.TestCase):
    """Item 8: reflection can be turned off (production's default; torture_config checks
    the default itself)."""

    def list_services(self, server):
        ch = grpc.insecure_channel(f"127.0.0.1:{SERVERS[server].grpc_port}")
        try:
            call = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
            return list(call(iter([b"\x3a\x00"]), timeout=10))  # list_services: ""
        finally:
            ch.close()

    def test_on_in_development_off_when_asked(self):
        out = self.list_services("main")
        self.assertEqual(len(out), 1)
        self.assertIn(b"sath.v1.AuthService", out[0])
        with self.assertRaises(grpc.RpcError) as e:
            self.list_services("proxied")
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED)


class Headers(unittest.TestCase):
    """Item 6: caching, sniffing, /docs, and 414/431 answered like every other error."""

    def test_tokens_never_cached(self):
        email, r = register("main")
        r = login("main", email)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
        r = call("main", "POST", "/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        r = call("main", "GET", "/api/v1/users/me")  # errors too
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")

    def test_docs_policy(self):
        r = call("slow", "GET", "/docs/")
        self.assertEqual(r.status_code, 200, r.text)
        csp = r.headers.get("Content-Security-Policy", "")
        for part in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
            self.assertIn(part, csp)
        self.assertNotIn("unsafe-eval", csp)
        # the build's Swagger UI (when npm could fetch it) keeps no token in the browser
        r = call("main", "GET", "/docs/sath-swagger-init.js")
        if r.status_code == 200:
            self.assertNotIn("persistAuthorization: true", r.text)

    def test_414_and_431_are_json(self):
        for path, headers, status in (
                ("/api/v1/users/me?x=" + "a" * 20000, {}, 414),
                ("/api/v1/users/me", {"X-Big": "b" * 20000}, 431)):
            r = call("main", "GET", path, headers=headers)
            self.assertEqual(r.status_code, status, r.text[:200])
            self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"))
            self.assertTrue(r.headers.get("X-Request-Id"))
            self.assertEqual(r.json()["code"], 3)


def _open_trickler(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((source, 0))
    s.connect_ex(("127.0.0.1", port))
    return s


class SlowClients(unittest.TestCase):
    """Item 5: 1,100 connections trickling a request head from one address neither starve
    another client nor keep their connections past the head deadline (3 s here)."""

    def test_trickling_clients(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
        port = SERVERS["slow"].http_port
        socks = [_open_trickler(port) for _ in range(1100)]
        sel = selectors.DefaultSelector()
        time.sleep(0.5)
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
        alive_at_start = 0
        for s in socks:
            try:
                s.send(head)
                alive_at_start += 1
            except OSError:
                pass
        stop = threading.Event()
        open_since = {s: time.time() for s in socks}
        lifetimes = []

        def trickle():
            while not stop.is_set():
                for s in list(open_since):
                    try:
                        s.send(b"a")
                    except OSError:
                        lifetimes.append(time.time() - open_since.pop(s))
                stop.wait(1.0)

        t = threading.Thread(target=trickle)
        t.start()
        other = []
        try:
            end = time.time() + 8
            while time.time() < end:
                c = socket.create_connection(("127.0.0.1", port), timeout=3,
                                             source_address=("127.0.0.2", 0))
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                other.append(c.recv(64).split(b"\r\n")[0])
                c.close()
                time.sleep(0.25)
        finally:
            stop.set()
            t.join()
            for s in socks:
                s.close()
            sel.close()
        self.assertGreater(len(other), 10)
        self.assertTrue(all(line == b"HTTP/1.1 200 OK" for line in other), other[:5])
        # every trickler lost its connection: the ones over the per-address cap at once,
        # the others at the head deadline however much they kept sending
        self.assertEqual(len(open_since), 0, f"{len(open_since)} connections still open")
        self.assertLess(max(lifetimes), 7.5)


if __name__ == "__main__":
    unittest.main(verbosity=1)
