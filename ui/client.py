"""A small typed HTTP client of the DockerDeployer API: the console's only way to reach Docker.

Every failure becomes an `ApiError` carrying the API's own `detail` text, so pages can show it
as is; a 401 is an `AuthExpired` (the page sends the user back to sign in).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast
from urllib.parse import quote

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A chat turn may wait on a slow model endpoint; the API's own limits end it before this.
CHAT_TIMEOUT = httpx.Timeout(300.0, connect=5.0)

Action = Literal["start", "stop", "restart", "remove"]
Decision = Literal["approve", "reject"]


class Container(TypedDict):
    id: str
    name: str
    image: str
    state: str
    status: str
    ports: list[str]
    created: str
    host: str


class Approval(TypedDict, total=False):
    id: str
    tool: str
    host: str
    args: dict[str, Any]
    status: str
    risk: str
    summary: str | None
    command: str | None
    targets: list[dict[str, Any]]
    impact: list[str]
    requested_by: str
    required_role: str
    thread_id: str | None
    created_at: str | None
    expires_at: str | None
    decided_by: str | None
    reason: str | None
    result: Any


class ToolCall(TypedDict, total=False):
    tool: str
    args: dict[str, Any]
    status: str
    result: Any
    message: str | None


class ChatReply(TypedDict):
    thread_id: str
    reply: str
    tool_calls: list[ToolCall]
    approvals: list[Approval]


class Me(TypedDict):
    name: str
    role: str
    kind: str


@dataclass(frozen=True)
class Session:
    token: str
    expires_in: int


@dataclass(frozen=True)
class ActionOutcome:
    """`executed` (200, with the result) or `pending_approval` (202, with the approval)."""

    status: Literal["executed", "pending_approval"]
    result: dict[str, Any] | None = None
    approval: Approval | None = None


@dataclass(frozen=True)
class StreamEvent:
    event: str
    data: dict[str, Any]


class ApiError(Exception):
    """The API refused or failed a request; `detail` is its readable reason."""

    def __init__(self, detail: str, status: int = 0, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.code = code


class AuthExpired(ApiError):
    """401: the token expired, was signed out, or the user was disabled."""


class ApiUnreachable(ApiError):
    """No answer from the API at all (not started, wrong URL, timed out)."""


def _error_from(response: httpx.Response) -> ApiError:
    detail: str = f"the API answered HTTP {response.status_code}"
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw = body.get("detail")
        if raw:
            detail = raw if isinstance(raw, str) else json.dumps(raw)
        code = body.get("code") if isinstance(body.get("code"), str) else None
    if response.status_code == 401:
        return AuthExpired(detail, 401, code or "unauthenticated")
    return ApiError(detail, response.status_code, code)


class ApiClient:
    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, transport=transport)

    def close(self) -> None:
        self._http.close()

    # --- plumbing ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, headers=self._headers(), **kwargs)
        except httpx.TimeoutException:
            raise ApiUnreachable(f"the API at {self.base_url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ApiUnreachable(
                f"cannot reach the API at {self.base_url} ({type(exc).__name__}); "
                "is it running? Start it with `dockerdeployer serve` or `dockerdeployer up`"
            ) from None
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiError(f"the API sent an unreadable answer to {path}", 502) from None

    @staticmethod
    def _ref(ref: str) -> str:
        return quote(ref, safe="")

    # --- auth --------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> Session:
        body = self._json(
            "POST", "/api/auth/login", json={"username": username, "password": password}
        )
        return Session(token=str(body["access_token"]), expires_in=int(body["expires_in"]))

    def me(self) -> Me:
        return cast(Me, self._json("GET", "/api/auth/me"))

    def logout(self) -> None:
        self._send("POST", "/api/auth/logout")

    def health(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", "/api/health"))

    # --- containers --------------------------------------------------------------------------

    def containers(self, all: bool = True) -> list[Container]:
        return cast(list[Container], self._json("GET", "/api/containers", params={"all": all}))

    def container(self, ref: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", f"/api/containers/{self._ref(ref)}"))

    def logs(
        self, ref: str, tail: int = 100, since: str | None = None, grep: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"tail": tail}
        if since:
            params["since"] = since
        if grep:
            params["grep"] = grep
        path = f"/api/containers/{self._ref(ref)}/logs"
        return cast(dict[str, Any], self._json("GET", path, params=params))

    def stats(self, ref: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", f"/api/containers/{self._ref(ref)}/stats"))

    def diagnosis(self, ref: str) -> dict[str, Any]:
        path = f"/api/containers/{self._ref(ref)}/diagnosis"
        return cast(dict[str, Any], self._json("GET", path))

    def problems(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json("GET", "/api/problems"))

    def disk_usage(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", "/api/system/disk"))

    def action(self, ref: str, action: Action, force: bool = False) -> ActionOutcome:
        body = {"force": True} if force and action == "remove" else None
        response = self._send("POST", f"/api/containers/{self._ref(ref)}/{action}", json=body)
        body = response.json()
        if response.status_code == 202:
            return ActionOutcome("pending_approval", approval=cast(Approval, body["approval"]))
        return ActionOutcome("executed", result=body.get("result"))

    # --- chat --------------------------------------------------------------------------------

    def chat(self, message: str, thread_id: str | None = None) -> ChatReply:
        body: dict[str, Any] = {"message": message}
        if thread_id:
            body["thread_id"] = thread_id
        return cast(ChatReply, self._json("POST", "/api/chat", json=body, timeout=CHAT_TIMEOUT))

    def chat_stream(self, message: str, thread_id: str | None = None) -> Iterator[StreamEvent]:
        """The turn as Server-Sent Events: thread, token, tool_call, tool_result, approval,
        done (the same object `chat` returns) or error."""
        body: dict[str, Any] = {"message": message}
        if thread_id:
            body["thread_id"] = thread_id
        return self._events("/api/chat/stream", body)

    def _events(self, path: str, body: dict[str, Any]) -> Iterator[StreamEvent]:
        """POST `body`, then the Server-Sent Events of the answer; a refusal before the first
        event raises as any other request would."""
        try:
            with self._http.stream(
                "POST", path, json=body, headers=self._headers(), timeout=CHAT_TIMEOUT
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_from(response)
                yield from parse_sse(response.iter_lines())
        except httpx.TimeoutException:
            raise ApiUnreachable("the assistant did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ApiUnreachable(
                f"the connection to the API broke during the reply ({type(exc).__name__}); "
                "the server log has the cause"
            ) from None

    def threads(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json("GET", "/api/threads"))

    def thread(self, thread_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", f"/api/threads/{self._ref(thread_id)}"))

    # --- approvals ---------------------------------------------------------------------------

    def approvals(self, status: str | None = "pending") -> list[Approval]:
        params = {"status": status} if status else {}
        return cast(list[Approval], self._json("GET", "/api/approvals", params=params))

    def approval(self, approval_id: str) -> Approval:
        return cast(Approval, self._json("GET", f"/api/approvals/{self._ref(approval_id)}"))

    def decide(
        self, approval_id: str, decision: Decision, reason: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"decision": decision}
        if reason:
            body["reason"] = reason
        path = f"/api/approvals/{self._ref(approval_id)}"
        return cast(dict[str, Any], self._json("POST", path, json=body, timeout=CHAT_TIMEOUT))

    def decide_stream(
        self, approval_id: str, decision: Decision, reason: str | None = None
    ) -> Iterator[StreamEvent]:
        """The decision as events: `progress` while the approved call runs (an image pull),
        then `done` (what `decide` returns) or `error`."""
        body: dict[str, Any] = {"decision": decision}
        if reason:
            body["reason"] = reason
        return self._events(f"/api/approvals/{self._ref(approval_id)}/stream", body)

    # --- audit -------------------------------------------------------------------------------

    def audit(self, limit: int = 500, **filters: str | None) -> list[dict[str, Any]]:
        params = _audit_params(limit, filters, "json")
        return cast(list[dict[str, Any]], self._json("GET", "/api/audit", params=params))

    def audit_csv(self, limit: int = 500, **filters: str | None) -> str:
        return self._send("GET", "/api/audit", params=_audit_params(limit, filters, "csv")).text


def _audit_params(limit: int, filters: dict[str, str | None], fmt: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v for k, v in filters.items() if v}
    params["limit"] = limit
    params["format"] = fmt
    return params


def parse_sse(lines: Iterator[str]) -> Iterator[StreamEvent]:
    """Server-Sent Events -> (event, JSON data); comments and unreadable data are skipped."""
    event = "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                try:
                    payload = json.loads("\n".join(data))
                except ValueError:
                    payload = None
                if isinstance(payload, dict):
                    yield StreamEvent(event, payload)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        try:
            payload = json.loads("\n".join(data))
        except ValueError:
            return
        if isinstance(payload, dict):
            yield StreamEvent(event, payload)
