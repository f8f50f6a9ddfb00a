#!/usr/bin/python3
"""interop_grpcio.py - talks to the sathd RPC runtime with a client nobody here wrote
(python3-grpcio), then stops the server with SIGTERM (sigwait + graceful shutdown).

usage: interop_grpcio.py BENCH_RPC_BINARY PROTO_DIR GOOGLEAPIS_DIR GRPC_PROTO_DIR
Checks health Check, a unary round trip with x-request-id, UNAUTHENTICATED,
UNIMPLEMENTED, and reflection whose answers must load into a protobuf DescriptorPool
(proving the transitive dependencies are complete).
"""
import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_tools import protoc


def gen_python(out, proto_dir, googleapis, grpc_proto):
    protos = [os.path.join("sath/v1", p) for p in sorted(os.listdir(os.path.join(proto_dir, "sath/v1")))]
    protos += ["google/api/annotations.proto", "google/api/http.proto",
               "grpc/health/v1/health.proto", "grpc/reflection/v1alpha/reflection.proto"]
    args = ["protoc", "-I" + proto_dir, "-I" + googleapis, "-I" + grpc_proto, "-I/usr/include",
            "--python_out=" + out] + protos
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, out)


def load(tmp, rel):
    """Loads a generated module by path: the `grpc` package name is taken by grpcio."""
    name = "gen_" + rel[:-3].replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, os.path.join(tmp, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def expect(cond, what="check failed"):
    """A check that, unlike `assert`, still runs under python3 -O."""
    if not cond:
        raise AssertionError(what)


def raw(ch, method, msg_cls, resp_cls):
    return ch.unary_unary(method, request_serializer=msg_cls.SerializeToString,
                          response_deserializer=resp_cls.FromString)


def main():
    binary, proto_dir, googleapis, grpc_proto = sys.argv[1:5]
    tmp = tempfile.mkdtemp()
    gen_python(tmp, proto_dir, googleapis, grpc_proto)
    health = load(tmp, "grpc/health/v1/health_pb2.py")
    refl = load(tmp, "grpc/reflection/v1alpha/reflection_pb2.py")
    auth = importlib.import_module("sath.v1.auth_pb2")
    user = importlib.import_module("sath.v1.user_pb2")

    env = dict(os.environ, SATH_BENCH_QUIET="1")
    srv = subprocess.Popen([binary], stdout=subprocess.PIPE, env=env, text=True)
    try:
        port = int(srv.stdout.readline().split()[1])
        ch = grpc.insecure_channel("127.0.0.1:%d" % port)

        check = raw(ch, "/grpc.health.v1.Health/Check", health.HealthCheckRequest, health.HealthCheckResponse)
        expect(check(health.HealthCheckRequest(service=""), timeout=5).status == health.HealthCheckResponse.SERVING)
        expect(check(health.HealthCheckRequest(service="sath.v1.AuthService"), timeout=5).status == 1)

        login = raw(ch, "/sath.v1.AuthService/Login", auth.LoginRequest, auth.LoginResponse)
        resp, call = login.with_call(auth.LoginRequest(email="py@example.com", password="x"),
                                     metadata=[("x-request-id", "py-req-1")], timeout=5)
        expect(resp.access_token == "tok-py@example.com", resp)
        expect(resp.token_type == "py-req-1", resp)
        expect(("x-request-id", "py-req-1") in call.initial_metadata(), call.initial_metadata())

        getme = raw(ch, "/sath.v1.UserService/GetMe", user.GetMeRequest, user.User)
        try:
            getme(user.GetMeRequest(), timeout=5)
            raise AssertionError("GetMe without token succeeded")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.UNAUTHENTICATED and e.details() == "missing bearer token", e)
        me = getme(user.GetMeRequest(), metadata=[("authorization", "Bearer good-token")], timeout=5)
        expect(me.id == "user-42", me)

        nope = raw(ch, "/sath.v1.Nope/Nothing", health.HealthCheckRequest, health.HealthCheckResponse)
        try:
            nope(health.HealthCheckRequest(), timeout=5)
            raise AssertionError("unknown method succeeded")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.UNIMPLEMENTED, e)

        info = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                request_serializer=refl.ServerReflectionRequest.SerializeToString,
                                response_deserializer=refl.ServerReflectionResponse.FromString)
        reqs = [refl.ServerReflectionRequest(list_services="*"),
                refl.ServerReflectionRequest(file_containing_symbol="sath.v1.AuthService")]
        answers = list(info(iter(reqs), timeout=5))
        names = {s.name for s in answers[0].list_services_response.service}
        expect({"sath.v1.AuthService", "sath.v1.UserService", "grpc.health.v1.Health",
               "grpc.reflection.v1alpha.ServerReflection"} <= names, names)
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in answers[1].file_descriptor_response.file_descriptor_proto]
        expect(files[0].name == "sath/v1/auth.proto", [f.name for f in files])
        pool = descriptor_pool.DescriptorPool()
        pending = list(files)
        while pending:  # add in dependency order
            f = next(f for f in pending if all(d in {p.name for p in files if p not in pending} for d in f.dependency))
            pool.Add(f)
            pending.remove(f)
        svc = pool.FindServiceByName("sath.v1.AuthService")
        expect([m.name for m in svc.methods] == ["Register", "Login", "Refresh", "Logout"])
        ch.close()
    finally:
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(timeout=10)
    expect(rc == 0, "server exit code %d" % rc)
    print("interop ok")


if __name__ == "__main__":
    main()
