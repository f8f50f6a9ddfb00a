#!/usr/bin/python3
"""oracle_pbjson.py - checks our proto3 JSON mapping (server/json) against python3-protobuf's
json_format, both directions, on randomly built messages with edge cases: the test-only
sathtest.json.All (hand-written filler: every scalar kind, maps, oneof, well-known types)
and every request and response type of the sath.v1 contract (descriptor-driven filler).

usage: oracle_pbjson.py <pbjson_tool> <dir holding json_test_pb2.py> [count] [seed]

1. message -> JSON: pbjson_tool's JSON of the message bytes must equal
   MessageToDict(preserving_proto_field_name=True, including_default_value_fields=True)
   (compared as JSON values; numbers numerically, int64 as strings).
2. JSON -> message: python's JSON of the message (camelCase names, as MessageToJson
   writes it, and proto names) decoded by pbjson_tool must give the bytes python's own
   Parse gives (deterministic serialization of the parsed messages).
3. Our JSON must parse in python to the same message as python's own round trip.
"""
import json
import math
import random
import struct
import subprocess
import sys

sys.path.insert(0, sys.argv[2])
import json_test_pb2 as pb  # noqa: E402
from google.protobuf import json_format, symbol_database  # noqa: E402
from google.protobuf.descriptor import FieldDescriptor as FD  # noqa: E402
from sath.v1 import auth_pb2, billing_pb2, bot_pb2, keys_pb2, user_pb2  # noqa: E402

R = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1234)
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 400


def rint(bits, signed):
    edges = [0, 1, -1, 2 ** (bits - 1) - 1, -(2 ** (bits - 1))] if signed else [0, 1, 2 ** bits - 1, 2 ** (bits - 1)]
    if R.random() < 0.4:
        return R.choice(edges)
    return R.randint(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else R.randint(0, 2 ** bits - 1)


# FLT_MAX itself is left out: python's json_format prints it as 3.4028235e+38 and then
# refuses to read that back ("Float value too large"); we accept it.
def rfloat32():
    c = R.random()
    if c < 0.05:
        return float("nan")
    if c < 0.1:
        return R.choice([float("inf"), float("-inf")])
    if c < 0.2:
        return R.choice([0.0, -0.0, 0.1, 1e-45, 1e38, -1.5])
    return struct.unpack("<f", struct.pack("<f", R.uniform(-1e6, 1e6) * 10 ** R.randint(-20, 20)))[0]


def rdouble(special=True):
    c = R.random()
    if special and c < 0.05:
        return float("nan")
    if special and c < 0.1:
        return R.choice([float("inf"), float("-inf")])
    if c < 0.2:
        return R.choice([0.0, 0.1, 5e-324, 1.7976931348623157e308, -2.5, 1e21, 123456789.0])
    return R.uniform(-1, 1) * 10 ** R.randint(-300, 300)


ALPHABET = "abcXYZ019 \"\\/\n\t\x01\x7f\u00e9\u4e2d\U0001F600"


def rstr(n=6):
    return "".join(R.choice(ALPHABET) for _ in range(R.randint(0, n)))


def rbytes():
    return bytes(R.randint(0, 255) for _ in range(R.randint(0, 9)))


def renum():
    return R.choice([0, 1, 2])


def fill_inner(m, depth=0):
    m.id = rint(32, True)
    m.label = rstr()
    m.symbols.extend(rstr() for _ in range(R.randint(0, 3)))
    if depth < 2 and R.random() < 0.4:
        fill_inner(m.child, depth + 1)


def fill_scalars(s):
    s.f_int32 = rint(32, True)
    s.f_int64 = rint(64, True)
    s.f_uint32 = rint(32, False)
    s.f_uint64 = rint(64, False)
    s.f_sint32 = rint(32, True)
    s.f_sint64 = rint(64, True)
    s.f_fixed32 = rint(32, False)
    s.f_fixed64 = rint(64, False)
    s.f_sfixed32 = rint(32, True)
    s.f_sfixed64 = rint(64, True)
    s.f_float = rfloat32()
    s.f_double = rdouble()
    s.f_bool = R.random() < 0.5
    s.f_string = rstr(12)
    s.f_bytes = rbytes()
    s.f_enum = renum()


def fill_repeats(r):
    n = lambda: R.randint(0, 3)  # noqa: E731
    r.r_int32.extend(rint(32, True) for _ in range(n()))
    r.r_int64.extend(rint(64, True) for _ in range(n()))
    r.r_uint64.extend(rint(64, False) for _ in range(n()))
    r.r_double.extend(rdouble() for _ in range(n()))
    r.r_float.extend(rfloat32() for _ in range(n()))
    r.r_bool.extend(R.random() < 0.5 for _ in range(n()))
    r.r_string.extend(rstr() for _ in range(n()))
    r.r_bytes.extend(rbytes() for _ in range(n()))
    r.r_enum.extend(renum() for _ in range(n()))
    for _ in range(n()):
        fill_inner(r.r_inner.add())


def fill_maps(m):
    for _ in range(R.randint(0, 3)):
        m.str_int[rstr()] = rint(32, True)
        m.int_str[rint(32, True)] = rstr()
        fill_inner(m.long_inner[rint(64, True)])
        m.bool_color[R.random() < 0.5] = renum()
        m.uint_bytes[rint(32, False)] = rbytes()
        m.str_double[rstr()] = rdouble()


def fill_value(v, depth=0):
    c = R.randint(0, 5 if depth < 3 else 3)
    if c == 0:
        v.null_value = 0
    elif c == 1:
        v.number_value = rdouble(special=False)
    elif c == 2:
        v.string_value = rstr()
    elif c == 3:
        v.bool_value = R.random() < 0.5
    elif c == 4:
        for _ in range(R.randint(0, 3)):
            fill_value(v.struct_value.fields[rstr()], depth + 1)
    else:
        v.list_value.SetInParent()
        for _ in range(R.randint(0, 3)):
            fill_value(v.list_value.values.add(), depth + 1)


def rnanos():
    return R.choice([0, 21000000, 340000, 1, 999999999, R.randint(0, 999999999)])


def fill_wkt(w):
    if R.random() < 0.7:
        w.ts.seconds = R.choice([-62135596800, 253402300799, 0, -1, R.randint(-62135596800, 253402300799)])
        w.ts.nanos = rnanos()
    if R.random() < 0.7:
        s = R.choice([0, 1, -1, 315576000000, -315576000000, R.randint(-315576000000, 315576000000)])
        n = rnanos() if abs(s) < 315576000000 else 0
        w.dur.seconds = s
        w.dur.nanos = -n if s < 0 or (s == 0 and R.random() < 0.5) else n
    for name, gen in [("w_double", rdouble), ("w_float", rfloat32), ("w_int64", lambda: rint(64, True)),
                      ("w_uint64", lambda: rint(64, False)), ("w_int32", lambda: rint(32, True)),
                      ("w_uint32", lambda: rint(32, False)), ("w_bool", lambda: R.random() < 0.5),
                      ("w_string", rstr), ("w_bytes", rbytes)]:
        if R.random() < 0.5:
            getattr(w, name).value = gen()
    if R.random() < 0.5:
        w.st.SetInParent()
        for _ in range(R.randint(0, 3)):
            fill_value(w.st.fields[rstr()])
    if R.random() < 0.5:
        fill_value(w.val)
    if R.random() < 0.5:
        w.list.SetInParent()
        for _ in range(R.randint(0, 3)):
            fill_value(w.list.values.add())
    if R.random() < 0.5:
        w.mask.SetInParent()
        for _ in range(R.randint(0, 3)):
            w.mask.paths.append(".".join("_".join(R.choice(["a", "foo", "bar2", "x"]) for _ in range(R.randint(1, 3)))
                                         for _ in range(R.randint(1, 2))))
    if R.random() < 0.5:
        w.empty.SetInParent()
    for _ in range(R.randint(0, 2)):
        t = w.r_ts.add()
        t.seconds = R.randint(-62135596800, 253402300799)
        t.nanos = rnanos()


def fill_choice(c):
    c.name = rstr()
    k = R.randint(0, 4)
    if k == 1:
        c.number = rint(32, True)
    elif k == 2:
        c.text = rstr()
    elif k == 3:
        fill_inner(c.inner)
    elif k == 4:
        c.when.seconds = R.randint(0, 2 ** 31)


def build():
    a = pb.All()
    for name, fill in [("scalars", fill_scalars), ("repeats", fill_repeats), ("maps", fill_maps),
                       ("choice", fill_choice), ("wkt", fill_wkt), ("inner", fill_inner)]:
        if R.random() < 0.85:
            fill(getattr(a, name))
    return a


SCALAR_GEN = {
    FD.TYPE_INT32: lambda: rint(32, True), FD.TYPE_SINT32: lambda: rint(32, True),
    FD.TYPE_SFIXED32: lambda: rint(32, True), FD.TYPE_INT64: lambda: rint(64, True),
    FD.TYPE_SINT64: lambda: rint(64, True), FD.TYPE_SFIXED64: lambda: rint(64, True),
    FD.TYPE_UINT32: lambda: rint(32, False), FD.TYPE_FIXED32: lambda: rint(32, False),
    FD.TYPE_UINT64: lambda: rint(64, False), FD.TYPE_FIXED64: lambda: rint(64, False),
    FD.TYPE_FLOAT: rfloat32, FD.TYPE_DOUBLE: rdouble, FD.TYPE_BOOL: lambda: R.random() < 0.5,
    FD.TYPE_STRING: rstr, FD.TYPE_BYTES: rbytes,
}


def rscalar(f):
    if f.type == FD.TYPE_ENUM:
        return R.choice(f.enum_type.values).number
    return SCALAR_GEN[f.type]()


def fill_generic(msg, depth=0):
    """Random values for any message of the contract, by its descriptor."""
    name = msg.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        msg.seconds = R.randint(-62135596800, 253402300799)
        msg.nanos = rnanos()
        return
    if name == "google.protobuf.Duration":  # |seconds| <= 315576000000, nanos of the same sign
        msg.seconds = R.randint(0, 315576000000) * R.choice([1, -1])
        msg.nanos = rnanos() * (1 if msg.seconds >= 0 else -1)
        return
    msg.SetInParent()
    for f in msg.DESCRIPTOR.fields:
        if R.random() < 0.25:
            continue
        if f.label == FD.LABEL_REPEATED:
            for _ in range(R.randint(0, 3)):
                if f.type == FD.TYPE_MESSAGE:
                    if depth < 4:
                        fill_generic(getattr(msg, f.name).add(), depth + 1)
                else:
                    getattr(msg, f.name).append(rscalar(f))
        elif f.type == FD.TYPE_MESSAGE:
            if depth < 4:
                fill_generic(getattr(msg, f.name), depth + 1)
        else:
            setattr(msg, f.name, rscalar(f))


def contract_types():
    """Full names of every request and response type of the sath.v1 services."""
    names = set()
    for mod in (auth_pb2, billing_pb2, bot_pb2, keys_pb2, user_pb2):
        for svc in mod.DESCRIPTOR.services_by_name.values():
            for m in svc.methods:
                names.add(m.input_type.full_name)
                names.add(m.output_type.full_name)
    # google.api.HttpBody (the Stripe webhook) crosses the gateway as raw bytes, never
    # through the JSON mapping; its Any extensions would need a type registry
    names.discard("google.api.HttpBody")
    return sorted(names)


def same(x, y, path="$"):
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y or (x == y and type(x) is type(y)) or fail(path, x, y)
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if x == y or math.isclose(x, y, rel_tol=1e-12):
            return True
        return fail(path, x, y)
    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            return fail(path, sorted(x), sorted(y))
        return all(same(x[k], y[k], path + "." + k) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            return fail(path, x, y)
        return all(same(a, b, "%s[%d]" % (path, i)) for i, (a, b) in enumerate(zip(x, y)))
    return x == y or fail(path, x, y)


class Mismatch(Exception):
    pass


def fail(path, x, y):
    raise Mismatch("%s: ours %r != python %r" % (path, x, y))


def main():
    tool = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(line):
        tool.stdin.write(line + "\n")
        tool.stdin.flush()
        return tool.stdout.readline().rstrip("\n")

    db = symbol_database.Default()
    kinds = [("sathtest.json.All", pb.All)]
    kinds += [(name, db.GetSymbol(name)) for name in contract_types()]
    failures = checked = 0
    total = COUNT + 20 * (len(kinds) - 1)
    for i in range(total):
        tname, cls = kinds[0] if i < COUNT else kinds[1 + (i - COUNT) % (len(kinds) - 1)]
        if i < COUNT:
            msg = build()
        else:
            msg = cls()
            fill_generic(msg)
        data = msg.SerializeToString(deterministic=True)
        try:
            # 1. message -> JSON
            ours_text = ask("E %s %s" % (tname, data.hex()))
            if ours_text.startswith("ERR"):
                raise Mismatch("encode: " + ours_text)
            ours = json.loads(ours_text)
            want = json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                             including_default_value_fields=True)
            same(ours, want)
            # 2. JSON -> message, camelCase and proto names
            for text in (json_format.MessageToJson(msg, indent=None),
                         json_format.MessageToJson(msg, indent=None, preserving_proto_field_name=True)):
                expect = json_format.Parse(text, cls())
                got_hex = ask("D %s %s" % (tname, text))
                if got_hex.startswith("ERR"):
                    raise Mismatch("decode: " + got_hex + " of " + text[:300])
                got = cls.FromString(bytes.fromhex(got_hex))
                if got.SerializeToString(deterministic=True) != expect.SerializeToString(deterministic=True):
                    # protobuf-c's packer leaves out a proto3 singular float/double of -0.0
                    # (python writes it): then compare the messages' values, -0.0 == 0.0
                    same(json_format.MessageToDict(got, including_default_value_fields=True),
                         json_format.MessageToDict(expect, including_default_value_fields=True),
                         "decode")
            # 3. python reads our JSON back to its own round trip
            back = json_format.Parse(ours_text, cls()).SerializeToString(deterministic=True)
            python_rt = json_format.Parse(json_format.MessageToJson(msg), cls()).SerializeToString(deterministic=True)
            if back != python_rt:
                raise Mismatch("python reading our JSON gives a different message")
            checked += 1
        except Mismatch as e:
            failures += 1
            print("message %d (%s): %s" % (i, tname, e))
            if failures > 10:
                break
    tool.stdin.close()
    tool.wait()
    print("%d messages (%d types), %d fully checked, %d failures" % (total, len(kinds), checked, failures))
    return 1 if failures or tool.returncode or checked != total else 0


if __name__ == "__main__":
    sys.exit(main())
