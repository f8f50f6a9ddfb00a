#!/usr/bin/python3
"""test_openapi_content.py - what the generated OpenAPI document says about the contract.

Checks the build's openapi.json (SATH_OPENAPI_JSON) against the protos: the 28
operations, success codes, security, parameters, bodies, the proto3 JSON mapping of
the schemas, descriptions; that the plugin is deterministic; how it maps the
constructs the contract does not use (fixtures/good); that it rejects a path variable
naming no field (fixtures/bad); the HTML reference; and the /docs directory
(SATH_DOCS_DIR_BUILD).  Paths and tools come from the environment (CMake sets them).
"""
import json
import os
import re
import shlex
import subprocess
import tempfile
import unittest

ENV = os.environ


def run_plugin(out_dir, proto_root, files):
    """Runs protoc with protoc-gen-sath over `files`; returns the CompletedProcess."""
    cmd = [ENV["PROTOC"], "--plugin=protoc-gen-sath=" + ENV["SATH_PLUGIN"],
           "--sath_opt=openapi_version=" + ENV["SATH_VERSION"],
           "--sath_out=" + out_dir, "-I" + proto_root]
    cmd += shlex.split(ENV["SATH_PROTO_INCLUDES"]) + files
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def operations(doc):
    for path, item in doc["paths"].items():
        for verb, op in item.items():
            yield path, verb, op


def op_by_id(doc, op_id):
    for path, verb, op in operations(doc):
        if op["operationId"] == op_id:
            return path, verb, op
    raise AssertionError("no operation " + op_id)


def body_schema(op):
    return op["requestBody"]["content"]["application/json"]["schema"]


def response_schema(op, code):
    return op["responses"][code]["content"]["application/json"]["schema"]


class ContractDocument(unittest.TestCase):
    """The document of the real contract, as the build generated it."""

    @classmethod
    def setUpClass(cls):
        with open(ENV["SATH_OPENAPI_JSON"], encoding="utf-8") as f:
            cls.text = f.read()
        cls.doc = json.loads(cls.text)
        cls.schemas = cls.doc["components"]["schemas"]

    def test_header(self):
        self.assertEqual(self.doc["openapi"], "3.0.3")
        self.assertEqual(self.doc["info"]["title"], "SATH Platform API")
        self.assertEqual(self.doc["info"]["version"], ENV["SATH_VERSION"])
        self.assertEqual(self.doc["servers"], [{"url": "/"}])
        scheme = self.doc["components"]["securitySchemes"]["bearerAuth"]
        self.assertEqual((scheme["type"], scheme["scheme"], scheme["bearerFormat"]),
                         ("http", "bearer", "JWT"))

    def test_29_operations_with_unique_ids_and_tags(self):
        ops = list(operations(self.doc))
        self.assertEqual(len(ops), 29)
        ids = [op["operationId"] for _, _, op in ops]
        self.assertEqual(len(set(ids)), 29)
        tags = {t["name"] for t in self.doc["tags"]}
        self.assertEqual(tags, {"AuthService", "UserService", "BotService", "KeysService",
                                "BillingService"})
        for _, _, op in ops:
            self.assertEqual(len(op["tags"]), 1)
            self.assertIn(op["tags"][0], tags)
            self.assertTrue(op["operationId"].startswith(op["tags"][0] + "_"))
            self.assertTrue(op.get("summary"), op["operationId"])
            self.assertTrue(op.get("description"), op["operationId"])
            self.assertIn("default", op["responses"])

    def test_register_is_public_and_201(self):
        path, verb, op = op_by_id(self.doc, "AuthService_Register")
        self.assertEqual((path, verb), ("/api/v1/auth/register", "post"))
        self.assertEqual(op["security"], [])
        self.assertIn("201", op["responses"])
        self.assertNotIn("200", op["responses"])
        self.assertEqual(response_schema(op, "201"),
                         {"$ref": "#/components/schemas/RegisterResponse"})
        self.assertEqual(body_schema(op), {"$ref": "#/components/schemas/RegisterRequest"})
        self.assertIn("409", op["responses"])

    def test_error_responses_follow_the_status_table(self):
        # server/status/include/sathd/status.h is the one table; the document must say
        # what the gateway sends for every gRPC code, 499 and 504 included.
        header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "server", "status", "include", "sathd", "status.h")
        with open(header, encoding="utf-8") as f:
            rows = re.findall(r"XX\((\w+), (\d+), (\d+),", f.read())
        self.assertEqual(len(rows), 17)
        responses = self.doc["components"]["responses"]
        by_name = {}
        for name, _, http in rows:
            if int(http) < 400:
                continue
            owners = [k for k, r in responses.items() if r["description"].startswith(name + ":")
                      or "; " + name + ":" in r["description"]]
            self.assertEqual(len(owners), 1, name)
            by_name[name] = (owners[0], http)
        self.assertEqual(by_name["CANCELLED"], ("ClientClosedRequest", "499"))
        self.assertEqual(by_name["DEADLINE_EXCEEDED"], ("GatewayTimeout", "504"))
        for _, _, op in operations(self.doc):
            for code in ("400", "429", "499", "500", "501", "503", "504", "default"):
                self.assertIn(code, op["responses"], op["operationId"])
            for code, r in op["responses"].items():
                if code[0] in "45":
                    owner = r["$ref"].rsplit("/", 1)[1]
                    self.assertTrue(any(o == owner and h == code for o, h in by_name.values()),
                                    (op["operationId"], code, owner))

    def test_private_operations_need_bearer(self):
        _, _, op = op_by_id(self.doc, "UserService_GetMe")
        self.assertEqual(op["security"], [{"bearerAuth": []}])
        self.assertIn("401", op["responses"])
        public = {op["operationId"] for _, _, op in operations(self.doc) if op["security"] == []}
        # the Stripe webhook is public but signed (Stripe-Signature, checked by the handler)
        self.assertEqual(public, {"AuthService_Register", "AuthService_Login",
                                  "AuthService_Refresh", "BillingService_ListPlans",
                                  "BillingService_StripeWebhook"})

    def test_stripe_webhook_is_raw_bytes(self):
        # google.api.HttpBody in and out: any content type, binary, no JSON schema
        path, verb, op = op_by_id(self.doc, "BillingService_StripeWebhook")
        self.assertEqual((path, verb), ("/api/v1/billing/webhook", "post"))
        binary = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
        self.assertEqual(op["requestBody"]["content"], binary)
        self.assertEqual(op["responses"]["200"]["content"], binary)
        self.assertNotIn("google.api.HttpBody", self.doc["components"]["schemas"])

    def test_delete_exchange_key_is_204_with_path_id(self):
        path, verb, op = op_by_id(self.doc, "KeysService_DeleteExchangeKey")
        self.assertEqual((path, verb), ("/api/v1/keys/exchange/{id}", "delete"))
        self.assertEqual(set(c for c in op["responses"] if c.startswith("2")), {"204"})
        self.assertNotIn("content", op["responses"]["204"])
        self.assertEqual(len(op["parameters"]), 1)
        param = op["parameters"][0]
        self.assertEqual((param["name"], param["in"], param["required"]), ("id", "path", True))
        self.assertEqual(param["schema"]["type"], "string")
        self.assertIn("404", op["responses"])
        self.assertNotIn("requestBody", op)

    def test_get_bot_logs_query_parameters(self):
        _, verb, op = op_by_id(self.doc, "BotService_GetBotLogs")
        self.assertEqual(verb, "get")
        params = {p["name"]: p for p in op["parameters"]}
        self.assertEqual(set(params), {"tail", "since"})
        self.assertTrue(all(p["in"] == "query" and not p["required"] for p in params.values()))
        self.assertEqual(params["since"]["schema"], {"type": "string", "format": "date-time"})
        self.assertEqual(params["tail"]["schema"]["type"], "integer")
        self.assertTrue(params["tail"].get("description"))

    def test_update_bot_config_body_is_bot_config(self):
        path, verb, op = op_by_id(self.doc, "BotService_UpdateBotConfig")
        self.assertEqual((path, verb), ("/api/v1/bot/config", "put"))
        self.assertEqual(body_schema(op), {"$ref": "#/components/schemas/BotConfig"})
        self.assertTrue(op["requestBody"]["required"])
        self.assertNotIn("parameters", op)

    def test_login_response_schema(self):
        login = self.schemas["LoginResponse"]
        props = login["properties"]
        self.assertIn("access_token", props)
        self.assertIn("token_type", props)
        self.assertNotIn("accessToken", props)
        self.assertEqual(props["expires_in"]["type"], "string")
        self.assertEqual(props["expires_in"]["format"], "int64")
        self.assertTrue(login.get("description"))
        self.assertTrue(props["access_token"].get("description"))

    def test_schema_mappings(self):
        user = self.schemas["User"]["properties"]
        self.assertEqual(user["created_at"]["type"], "string")
        self.assertEqual(user["created_at"]["format"], "date-time")
        update = self.schemas["UpdateMeRequest"]["properties"]
        self.assertTrue(update["name"]["nullable"])
        self.assertEqual(update["name"]["type"], "string")
        plan = self.schemas["Plan"]["properties"]
        self.assertEqual(plan["features"]["type"], "array")
        self.assertEqual(plan["features"]["items"], {"type": "string"})
        plans = self.schemas["ListPlansResponse"]["properties"]["plans"]
        self.assertEqual(plans["items"], {"$ref": "#/components/schemas/Plan"})
        mode = self.schemas["BotMode"]
        self.assertEqual(mode["type"], "string")
        self.assertEqual(mode["enum"], ["BOT_MODE_UNSPECIFIED", "BOT_MODE_PAPER", "BOT_MODE_LIVE"])
        self.assertIn("BOT_MODE_LIVE", mode["description"])

    def test_every_ref_resolves_and_every_schema_is_used(self):
        refs = set()

        def walk(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    refs.add(node["$ref"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(self.doc)
        for ref in refs:
            kind, name = ref.split("/")[2:4]
            self.assertIn(name, self.doc["components"][kind], ref)
        used = {r.split("/")[-1] for r in refs if "/schemas/" in r}
        self.assertEqual(set(self.schemas), used)

    def test_status_schema(self):
        status = self.schemas["Status"]
        self.assertEqual(status["properties"]["code"], {
            "type": "integer", "format": "int32", "description": "The google.rpc.Code value."})
        self.assertEqual(status["properties"]["details"]["type"], "array")
        self.assertEqual(status["properties"]["detail"]["type"], "string")
        responses = self.doc["components"]["responses"]
        self.assertIn("WWW-Authenticate", responses["Unauthorized"]["headers"])
        self.assertIn("Retry-After", responses["TooManyRequests"]["headers"])

    def test_components_sorted(self):
        names = list(self.schemas)
        self.assertEqual(names, sorted(names))

    def test_deterministic(self):
        protos = sorted("sath/v1/" + f for f in os.listdir(ENV["SATH_PROTO_DIR"] + "/sath/v1")
                        if f.endswith(".proto"))
        protos += ["grpc/health/v1/health.proto", "grpc/reflection/v1alpha/reflection.proto"]
        with tempfile.TemporaryDirectory() as d:
            r = run_plugin(d, ENV["SATH_PROTO_DIR"], protos)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(d, "openapi.json"), encoding="utf-8") as f:
                self.assertEqual(f.read(), self.text)

    def test_html_reference(self):
        ref = os.path.join(os.path.dirname(ENV["SATH_OPENAPI_JSON"]), "api-reference.html")
        with open(ref, encoding="utf-8") as f:
            html = f.read()
        for _, _, op in operations(self.doc):
            self.assertIn('id="op-%s"' % op["operationId"], html)
        self.assertIn('id="schema-LoginResponse"', html)
        self.assertIn("<code>/api/v1/keys/exchange/{id}</code>", html)
        self.assertNotIn("<script", html)

    def test_docs_dir(self):
        docs = ENV["SATH_DOCS_DIR_BUILD"]
        for name in ("index.html", "api-reference.html", "openapi.json"):
            self.assertTrue(os.path.isfile(os.path.join(docs, name)), name)
        with open(os.path.join(docs, "index.html"), encoding="utf-8") as f:
            index = f.read()
        self.assertNotIn("http://", index.replace("http://www.w3.org", ""))
        self.assertNotIn("https://", index)
        if "swagger-ui-bundle.js" in index:
            for name in ("swagger-ui.css", "swagger-ui-bundle.js",
                         "swagger-ui-standalone-preset.js", "favicon-32x32.png",
                         "sath-swagger-init.js"):
                self.assertGreater(os.path.getsize(os.path.join(docs, name)), 0, name)
            with open(os.path.join(docs, "sath-swagger-init.js"), encoding="utf-8") as f:
                init = f.read()
            self.assertIn('url: "/openapi.json"', init)
            self.assertIn("validatorUrl: null", init)
        else:
            self.assertIn('id="op-AuthService_Login"', index)


class FixtureDocument(unittest.TestCase):
    """Mappings the contract does not use, from fixtures/good/sath/v1/oa_fixture.proto."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        r = run_plugin(cls.tmp.name, ENV["SATH_FIXTURES"] + "/good", ["sath/v1/oa_fixture.proto"])
        if r.returncode != 0:
            raise AssertionError("protoc failed: " + r.stderr)
        with open(os.path.join(cls.tmp.name, "openapi.json"), encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.schemas = cls.doc["components"]["schemas"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_nested_path_variable_and_body_star(self):
        path, verb, op = op_by_id(self.doc, "FixtureService_PatchThing")
        self.assertEqual((path, verb), ("/v1/things/{thing.id}", "patch"))
        self.assertEqual(op["parameters"][0]["name"], "thing.id")
        self.assertEqual(op["parameters"][0]["description"], "Thing id.")
        body = body_schema(op)  # the request minus nothing top-level: a nested var
        self.assertEqual(body, {"$ref": "#/components/schemas/PatchThingRequest"})
        self.assertEqual(self.schemas["PatchThingRequest"]["properties"]["update_mask"],
                         {"type": "string", "example": "name,email"})

    def test_template_pattern_and_response_body_and_query(self):
        path, verb, op = op_by_id(self.doc, "FixtureService_ListThings")
        self.assertEqual((path, verb), ("/v1/owners/{owner}/things", "get"))
        self.assertEqual(op["security"], [])
        self.assertEqual(response_schema(op, "200"),
                         {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}})
        names = [p["name"] for p in op["parameters"]]
        self.assertEqual(names[0], "owner")
        self.assertIn("filter.text", names)
        self.assertIn("filter.deeper.tags", names)
        self.assertNotIn("ignored_map", names)
        self.assertNotIn("ignored_struct", names)
        self.assertLessEqual(max(n.count(".") for n in names), 3)
        ids = next(p for p in op["parameters"] if p["name"] == "ids")
        self.assertEqual((ids["style"], ids["explode"]), ("form", True))
        self.assertEqual(ids["schema"]["items"], {"type": "string", "format": "int64"})
        self.assertNotIn("ListThingsResponse", self.schemas)

    def test_well_known_and_maps(self):
        thing = self.schemas["Thing"]["properties"]
        self.assertEqual(thing["labels"], {"type": "object",
                                           "additionalProperties": {"type": "string"},
                                           "description": "Labels by key."})
        self.assertEqual(thing["children"]["additionalProperties"],
                         {"$ref": "#/components/schemas/Thing"})
        self.assertEqual(thing["extra"], {"type": "object", "additionalProperties": True})
        self.assertEqual(thing["any_value"], {})
        self.assertEqual(thing["list"], {"type": "array", "items": {}})
        self.assertEqual(thing["ttl"]["type"], "string")
        self.assertEqual(thing["big"], {"type": "string", "format": "int64", "nullable": True})
        self.assertEqual(thing["flag"], {"type": "boolean", "nullable": True})
        self.assertEqual(thing["blob"], {"type": "string", "format": "byte"})
        self.assertEqual(thing["counter"], {"type": "string", "format": "uint64"})
        self.assertEqual(thing["ratio"], {"type": "number", "format": "double"})
        self.assertEqual(thing["kind"], {"$ref": "#/components/schemas/Thing.Kind"})
        self.assertEqual(thing["kinds"]["items"], {"$ref": "#/components/schemas/Thing.Kind"})
        self.assertIn("a", thing)
        self.assertIn("b", thing)
        self.assertEqual(self.schemas["Thing.Kind"]["enum"], ["KIND_UNSPECIFIED", "KIND_GOOD"])
        self.assertIn("The good kind.", self.schemas["Thing.Kind"]["description"])

    def test_custom_verb_left_out(self):
        ids = sorted(op["operationId"] for _, _, op in operations(self.doc))
        self.assertEqual(ids, ["FixtureService_ListThings", "FixtureService_Nop",
                               "FixtureService_PatchThing"])
        self.assertNotIn("/v1/things", self.doc["paths"])

    def test_empty_in_and_out(self):
        _, _, op = op_by_id(self.doc, "FixtureService_Nop")
        self.assertEqual(body_schema(op), {"type": "object"})
        self.assertEqual(response_schema(op, "200"), {"type": "object"})


class PluginErrors(unittest.TestCase):
    def test_unknown_path_variable_is_rejected(self):
        with tempfile.TemporaryDirectory() as d:
            r = run_plugin(d, ENV["SATH_FIXTURES"] + "/bad", ["sath/v1/oa_bad.proto"])
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("sath.v1.BadService/GetBad", r.stderr)
            self.assertIn("/v1/bad/{nope}", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "openapi.json")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
