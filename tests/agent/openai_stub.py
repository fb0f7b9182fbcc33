"""A scripted OpenAI-compatible server on 127.0.0.1: the real `openai` client talks real HTTP
to it. Each request to /v1/chat/completions takes the next scripted step."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool_call(name: str, args: dict[str, Any] | str) -> dict[str, Any]:
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": f"call_{uuid.uuid4().hex[:10]}", "type": "function",
            "function": {"name": name, "arguments": arguments}}  # fmt: skip


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is part of the script


class ScriptedOpenAI:
    """Steps: {'content': str} | {'tool_calls': [...]} | {'status': 429|500} | {'delay': s}."""

    def __init__(self) -> None:
        self.steps: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *steps: dict[str, Any]) -> None:
        self.steps.extend(steps)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                step = stub.steps.popleft() if stub.steps else {"content": "(script ended)"}
                if "delay" in step:
                    time.sleep(step["delay"])
                    step = stub.steps.popleft() if stub.steps else {"content": "late"}
                if "status" in step:
                    payload = json.dumps({"error": {"message": "scripted failure",
                                                    "type": "server_error"}}).encode()  # fmt: skip
                    self.send_response(step["status"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if body.get("stream"):
                    self._stream(body, step)
                else:
                    self._json(_completion(body, step))

            def _json(self, data: dict[str, Any]) -> None:
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict[str, Any], step: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(body, step):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler


def _completion(body: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
    if step.get("tool_calls"):
        message["tool_calls"] = step["tool_calls"]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if step.get("tool_calls") else "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }  # fmt: skip


def _chunks(body: dict[str, Any], step: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 0,
            "model": body.get("model", "scripted")}  # fmt: skip
    content = step.get("content") or ""
    for index in range(0, len(content), 4):
        yield {**base, "choices": [{"index": 0, "delta": {"content": content[index:index + 4]},
                                    "finish_reason": None}]}  # fmt: skip
    for position, call in enumerate(step.get("tool_calls") or []):
        delta = {"tool_calls": [{"index": position, "id": call["id"], "type": "function",
                                 "function": {"name": call["function"]["name"],
                                              "arguments": call["function"]["arguments"]}}]}
        yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    finish = "tool_calls" if step.get("tool_calls") else "stop"
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}  # fmt: skip
