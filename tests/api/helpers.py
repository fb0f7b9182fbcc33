"""Helpers for the API tests: a scripted chat model, forged tokens, response checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import docker
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import PrivateAttr

DEFAULT_REPLY = "I can only answer in text in this test."


class ScriptedModel(GenericFakeChatModel):
    """A chat model that says what the test scripted, in order, then plain text.

    `say(...)` queues AIMessages (use `tool_call(...)`) or strings. With nothing queued it answers
    DEFAULT_REPLY, so any request is safe to send (schemathesis, stray turns)."""

    # Never streamed: GenericFakeChatModel's streaming drops tool calls.
    disable_streaming: bool = True
    _script: deque[AIMessage | str] = PrivateAttr(default_factory=deque)

    def __init__(self, **kwargs: Any) -> None:
        script: deque[AIMessage | str] = deque()

        def replies() -> Iterator[AIMessage | str]:
            while True:
                yield script.popleft() if script else DEFAULT_REPLY

        super().__init__(messages=replies(), **kwargs)
        self._script = script

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Any:
        return self

    def say(self, *messages: AIMessage | str) -> None:
        self._script.extend(messages)

    def reset(self) -> None:
        self._script.clear()


def tool_call(name: str, **args: Any) -> AIMessage:
    """One model turn asking for one tool call (with the unique id tool calls need)."""
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex}"}]
    )


# --- tokens ---------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(claims: dict[str, Any], key: bytes, alg: str = "HS256") -> str:
    """A JWT signed by hand, so tests can make tokens PyJWT itself refuses to make."""
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    if alg.lower() == "none":
        return f"{header}.{payload}."
    algorithm = digest.get(alg, hashlib.sha256)
    return f"{header}.{payload}.{_b64(hmac.new(key, signing_input, algorithm).digest())}"


def swap_payload(token: str, **changes: Any) -> str:
    """The same token with claims changed and the original signature kept (not re-signed)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- responses and the engine ---------------------------------------------------------------------


def assert_refused(response: Any, status: int) -> dict[str, Any]:
    """The status asked for, with a JSON body whose `detail` a person can read; no traceback."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    return dict(body)


def started_at(client: docker.DockerClient, container_id: str) -> str:
    return str(client.api.inspect_container(container_id)["State"]["StartedAt"])


def state(client: docker.DockerClient, container_id: str) -> str:
    return str(client.api.inspect_container(container_id)["State"]["Status"])


def sse_events(text: str) -> list[tuple[str, Any]]:
    """Parse a text/event-stream body into (event, data) pairs."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events
