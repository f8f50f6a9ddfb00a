#!/usr/bin/env python3
"""fake_ai.py - a local stand-in for OpenAI's chat completions and Anthropic's messages
API, for sath-bot's AI entry filter tests.  It checks what the real ones check and
answers in their shapes:

  - POST /v1/chat/completions (OpenAI): "Authorization: Bearer <key>" must carry the
    configured key (else 401 invalid_api_key); Content-Type application/json; a JSON
    body with a non-empty `model`, `messages` a non-empty list of {role, content} with
    role system/user/assistant and string content, `max_tokens` a positive integer.
    Answer: {"choices":[{"message":{"role":"assistant","content":ANSWER}}], ...}.
  - POST /v1/messages (Anthropic): "x-api-key: <key>" (else 401 authentication_error),
    "anthropic-version: 2023-06-01" (else 400), Content-Type application/json; `model`,
    `max_tokens` (required, positive), `messages` user/assistant only, the first from
    the user (a "system" role there is a 400, as on the real API: it goes top-level).
    Answer: {"type":"message","content":[{"type":"text","text":ANSWER}], ...}.
  - POST /_fake/config {"answer": "...", "status": 200, "delay_ms": 0} sets what the
    next requests get (status other than 200: the provider's error shape).
  - GET /_fake/state: every request seen: path, accepted or the reason it was refused,
    model, and the user's question.

  fake_ai.py --key K   prints "PORT <n>" once it listens on 127.0.0.1 and exits when
                       its stdin closes.
"""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from json_http import JsonHandler, serve_until_stdin_closes  # noqa: E402  (tests/fixtures/json_http.py)

LOCK = threading.Lock()
CONF = {"answer": "YES", "status": 200, "delay_ms": 0}
CALLS = []
KEY = None


class H(JsonHandler):
    def do_GET(self):
        if self.path != "/_fake/state":
            return self.reply(404, {"error": {"message": "not found"}})
        with LOCK:
            return self.reply(200, {"calls": list(CALLS)})

    def refuse(self, call, code, reason, obj):
        call["ok"], call["reason"] = False, reason
        with LOCK:
            CALLS.append(call)
        return self.reply(code, obj)

    def check_body(self, raw, anthropic):
        """The parsed request, or (None, reason)."""
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return None, "content type is not application/json"
        try:
            req = json.loads(raw)
        except ValueError:
            return None, "body is not JSON"
        if not isinstance(req, dict) or not isinstance(req.get("model"), str) or not req["model"]:
            return None, "model missing"
        mt = req.get("max_tokens")
        if anthropic and mt is None:
            return None, "max_tokens: field required"
        if mt is not None and (not isinstance(mt, int) or isinstance(mt, bool) or mt < 1):
            return None, "max_tokens must be a positive integer"
        msgs = req.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return None, "messages must be a non-empty list"
        roles = ("user", "assistant") if anthropic else ("system", "user", "assistant")
        for m in msgs:
            if not isinstance(m, dict) or m.get("role") not in roles or not isinstance(m.get("content"), str):
                return None, "messages: bad role or content"
        if anthropic and msgs[0]["role"] != "user":
            return None, "first message must use the user role"
        if anthropic and "system" in req and not isinstance(req["system"], str):
            return None, "system must be a string"
        return req, None

    def do_POST(self):
        raw = self.body()
        if self.path == "/_fake/config":
            with LOCK:
                CONF.update(json.loads(raw))
            return self.reply(200, CONF)
        anthropic = self.path == "/v1/messages"
        if self.path != "/v1/chat/completions" and not anthropic:
            return self.reply(404, {"error": {"message": "not found"}})
        call = {"path": self.path, "ok": True, "reason": "", "model": "", "question": ""}
        if anthropic:
            if self.headers.get("x-api-key") != KEY:
                return self.refuse(call, 401, "x-api-key", {"type": "error", "error": {
                    "type": "authentication_error", "message": "invalid x-api-key"}})
            if self.headers.get("anthropic-version") != "2023-06-01":
                return self.refuse(call, 400, "anthropic-version", {"type": "error", "error": {
                    "type": "invalid_request_error", "message": "anthropic-version header is required"}})
        elif self.headers.get("Authorization") != "Bearer " + KEY:
            return self.refuse(call, 401, "authorization", {"error": {
                "message": "Incorrect API key provided.", "type": "invalid_request_error",
                "code": "invalid_api_key"}})
        req, why = self.check_body(raw, anthropic)
        if req is None:
            err = {"type": "invalid_request_error", "message": why}
            return self.refuse(call, 400, why, {"type": "error", "error": err} if anthropic else {"error": err})
        call["model"] = req["model"]
        call["question"] = [m for m in req["messages"] if m["role"] == "user"][-1]["content"]
        call["system"] = req.get("system", "") if anthropic else \
            "".join(m["content"] for m in req["messages"] if m["role"] == "system")
        with LOCK:
            conf = dict(CONF)
            CALLS.append(call)
        if conf["delay_ms"]:
            time.sleep(conf["delay_ms"] / 1000.0)
        if conf["status"] != 200:
            err = {"type": "api_error", "message": "overloaded"}
            return self.reply(conf["status"], {"type": "error", "error": err} if anthropic else {"error": err})
        if anthropic:
            return self.reply(200, {"id": "msg_fake", "type": "message", "role": "assistant",
                                   "model": req["model"], "stop_reason": "end_turn",
                                   "content": [{"type": "text", "text": conf["answer"]}],
                                   "usage": {"input_tokens": 50, "output_tokens": 1}})
        return self.reply(200, {"id": "chatcmpl-fake", "object": "chat.completion", "model": req["model"],
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": conf["answer"]}}],
                               "usage": {"prompt_tokens": 50, "completion_tokens": 1, "total_tokens": 51}})


def main():
    global KEY
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    KEY = ap.parse_args().key
    serve_until_stdin_closes(H)


if __name__ == "__main__":
    main()
