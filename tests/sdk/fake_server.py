"""fake_server.py - a small real gRPC server (python3-grpcio) for torture_client.c.

It speaks raw protobuf bytes through generic handlers, so no generated Python code is
needed.  `fake_server.py --tls CERT.pem KEY.pem` serves TLS instead of plaintext.  It prints "PORT <n>" once it listens on 127.0.0.1 and exits when its stdin
closes (the test process ending closes it too).

Methods:
  /grpc.health.v1.Health/Check      service "" -> SERVING; "slow" -> SERVING after 1.5 s;
                                     "fail" -> NOT_FOUND; "garbage" -> undecodable reply
  /sath.v1.AuthService/Login        password "correct horse" -> tokens (access is a JWT-shaped
                                     token whose exp is now + x-access-ttl, default 3600 s)
  /sath.v1.AuthService/Refresh      rotates a valid refresh token (slowly, 0.3 s)
  /sath.v1.AuthService/Logout       needs a valid access token; revokes everything
  /sath.v1.AuthService/Register     answers the new User (email, name from the request)
  /sath.v1.UserService/GetMe        needs a valid access token
  /sath.v1.UserService/UpdateMe     needs a valid access token; a new password needs
                                     current_password "correct horse"; answers the changed User
  /sath.v1.BillingService/ListPlans  (a read) and /Subscribe (a write): with metadata
                                     x-flaky-id and x-fail-times N, the first N calls of
                                     that id answer UNAVAILABLE; every answer carries
                                     trailing metadata x-attempts (calls of that id so far)
  /sath.test.Control/Echo           trailing metadata echo-<key> for every x-* and authorization
  /sath.test.Control/Revoke         invalidates every access token (not refresh tokens)
  /sath.test.Control/Stats          trailing metadata x-refresh-count, x-login-count
  /sath.test.Control/Reset          forgets all tokens and counters
"""
import base64
import json
import sys
import threading
import time
from concurrent import futures

import grpc


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_str(num, s):
    data = s.encode() if isinstance(s, str) else s  # bytes: an embedded message
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_int(num, n):
    return varint(num << 3) + varint(n)


def parse(buf):
    """Returns {field: value} for varint and length-delimited fields."""
    out, i = {}, 0
    while i < len(buf):
        key, shift = 0, 0
        while True:
            b = buf[i]; i += 1
            key |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80:
                break
        num, wt = key >> 3, key & 7
        val, shift = 0, 0
        while True:
            b = buf[i]; i += 1
            val |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80:
                break
        if wt == 2:
            out[num] = buf[i:i + val].decode(); i += val
        elif wt == 0:
            out[num] = val
        else:
            raise ValueError("wire type %d" % wt)
    return out


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.access = {}      # token -> exp
        self.refresh = set()
        self.serial = 0
        self.refreshes = 0
        self.logins = 0

    def issue(self, ttl):
        self.serial += 1
        exp = int(time.time()) + ttl
        head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        body = b64url(json.dumps({"sub": "u-1", "exp": exp, "jti": self.serial}).encode())
        access = "%s.%s.sig%d" % (head, body, self.serial)
        refresh = "r-%d" % self.serial
        self.access[access] = exp
        self.refresh.add(refresh)
        return field_str(1, access) + field_str(2, refresh) + field_str(3, "bearer") + field_int(4, ttl)


STATE = State()


def md(context):
    return {k: v for k, v in context.invocation_metadata()}


def authorised(context):
    auth = md(context).get("authorization", "")
    if not auth.startswith("Bearer "):
        return False
    with STATE.lock:
        exp = STATE.access.get(auth[7:])
    return exp is not None and exp > time.time()


def health_check(req, context):
    service = parse(req).get(1, "")
    if service == "slow":
        time.sleep(1.5)
    elif service == "fail":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such service: fail")
    elif service == "garbage":
        return b"\xff\xff\xff"
    return field_int(1, 1)


def login(req, context):
    f = parse(req)
    if f.get(2) != "correct horse":
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid email or password")
    ttl = int(md(context).get("x-access-ttl", "3600"))
    with STATE.lock:
        STATE.logins += 1
        return STATE.issue(ttl)


def refresh(req, context):
    token = parse(req).get(1, "")
    time.sleep(0.3)  # widen the window in which concurrent callers could refresh twice
    with STATE.lock:
        if token not in STATE.refresh:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "refresh token revoked")
        STATE.refresh.discard(token)
        STATE.refreshes += 1
        return STATE.issue(3600)


def logout(req, context):
    if not authorised(context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid token")
    with STATE.lock:
        STATE.access.clear()
        STATE.refresh.clear()
    return b""


def get_me(req, context):
    if not authorised(context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid token")
    return user()


def user(email="ada@example.org", name="Ada"):
    return field_str(1, "u-1") + field_str(2, email) + field_str(3, name) + field_int(4, 1)


def register(req, context):
    f = parse(req)
    if len(f.get(2, "")) < 8:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "password too short")
    return field_str(1, user(f.get(1, ""), f.get(3, "")))  # RegisterResponse{user}


def update_me(req, context):
    if not authorised(context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid token")
    f = {k: parse(v.encode()).get(1, "") for k, v in parse(req).items()}  # StringValue wrappers
    if 3 in f and f.get(4) != "correct horse":
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "current password is wrong")
    return user(f.get(2, "ada@example.org"), f.get(1, "Ada"))


def echo(req, context):
    context.set_trailing_metadata(tuple(
        ("echo-" + k, v) for k, v in md(context).items() if k.startswith("x-") or k == "authorization"))
    return b""


def revoke(req, context):
    with STATE.lock:
        STATE.access.clear()
    return b""


def stats(req, context):
    with STATE.lock:
        context.set_trailing_metadata((("x-refresh-count", str(STATE.refreshes)),
                                       ("x-login-count", str(STATE.logins))))
    return b""


def reset(req, context):
    with STATE.lock:
        STATE.reset()
    return b""


FLAKY = {}
FLAKY_LOCK = threading.Lock()


def flaky(req, context):
    m = md(context)
    key = m.get("x-flaky-id", "")
    with FLAKY_LOCK:
        FLAKY[key] = FLAKY.get(key, 0) + 1
        n = FLAKY[key]
    context.set_trailing_metadata((("x-attempts", str(n)),))
    if n <= int(m.get("x-fail-times", "0")):
        context.abort(grpc.StatusCode.UNAVAILABLE, "flaky: attempt %d fails" % n)
    return b""


def unary(fn):
    return grpc.unary_unary_rpc_method_handler(fn)  # no (de)serializers: raw bytes


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": unary(health_check)}),
        grpc.method_handlers_generic_handler("sath.v1.AuthService", {
            "Register": unary(register), "Login": unary(login), "Refresh": unary(refresh),
            "Logout": unary(logout)}),
        grpc.method_handlers_generic_handler("sath.v1.UserService", {
            "GetMe": unary(get_me), "UpdateMe": unary(update_me)}),
        grpc.method_handlers_generic_handler("sath.v1.BillingService", {
            "ListPlans": unary(flaky), "Subscribe": unary(flaky)}),
        grpc.method_handlers_generic_handler("sath.test.Control", {
            "Echo": unary(echo), "Revoke": unary(revoke), "Stats": unary(stats), "Reset": unary(reset)}),
    ))
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        with open(sys.argv[2], "rb") as c, open(sys.argv[3], "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.stop(0)


if __name__ == "__main__":
    main()
