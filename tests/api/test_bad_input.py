"""Bad input of every kind gets a clear 4xx with a readable `detail`: never a 500, never a
traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import assert_refused

MB = 1024 * 1024

# (method, path, request kwargs, expected status)
CASES: list[tuple[str, str, dict[str, Any], int]] = [
    # malformed JSON
    ("POST", "/api/auth/login", {"content": b'{"username": "alice", '}, 422),
    ("POST", "/api/chat", {"content": b"{not json"}, 422),
    ("POST", "/api/chat", {"content": b"\xff\xfe\x00garbage"}, 422),
    ("POST", "/api/approvals/abc", {"content": b"[1, 2"}, 422),
    # wrong types
    ("POST", "/api/chat", {"json": {"message": 42}}, 422),
    ("POST", "/api/chat", {"json": ["list containers"]}, 422),
    ("POST", "/api/chat", {"json": "list containers"}, 422),
    ("POST", "/api/chat", {"json": None}, 422),
    ("POST", "/api/chat", {"json": {"message": "hi", "dry_run": "maybe"}}, 422),
    ("POST", "/api/approvals/abc", {"json": {"decision": "yes please"}}, 422),
    ("POST", "/api/containers/x/stop", {"json": {"timeout": "soon"}}, 422),
    ("POST", "/api/containers/x/stop", {"json": {"timeout": -1}}, 422),
    ("POST", "/api/containers/x/stop", {"json": {"timeout": 10**12}}, 422),
    ("GET", "/api/containers?all=perhaps", {}, 422),
    ("GET", "/api/containers/x/logs?tail=0", {}, 422),
    ("GET", "/api/containers/x/logs?tail=many", {}, 422),
    ("GET", "/api/audit?since=yesterday", {}, 422),
    ("GET", "/api/audit?format=xml", {}, 422),
    ("GET", "/api/audit?limit=-1", {}, 422),
    ("GET", "/api/approvals?status=whatever", {}, 422),
    # missing fields
    ("POST", "/api/auth/login", {"json": {"username": "alice"}}, 422),
    ("POST", "/api/chat", {"json": {}}, 422),
    ("POST", "/api/approvals/abc", {"json": {}}, 422),
    ("POST", "/api/users", {"json": {"name": "eve"}}, 422),
    ("POST", "/api/tokens", {"json": {"role": "admin"}}, 422),
    # extra fields
    ("POST", "/api/chat", {"json": {"message": "hi", "role": "admin"}}, 422),
    ("POST", "/api/containers/x/restart", {"json": {"privileged": True}}, 422),
    ("POST", "/api/approvals/abc", {"json": {"decision": "approve", "as": "alice"}}, 422),
    ("POST", "/api/tokens", {"json": {"name": "t", "role": "admin", "token": "ddb_x"}}, 422),
    # values out of range
    ("POST", "/api/chat", {"json": {"message": ""}}, 422),
    ("POST", "/api/chat", {"json": {"message": "x" * 8001}}, 422),
    ("POST", "/api/chat", {"json": {"message": "hi", "thread_id": "../../etc/passwd"}}, 422),
    ("POST", "/api/chat", {"json": {"message": "hi", "thread_id": "t" * 65}}, 422),
    ("POST", "/api/users", {"json": {"name": "eve", "password": "short", "role": "admin"}}, 422),
    ("POST", "/api/users", {"json": {"name": "eve", "password": "p" * 12, "role": "root"}}, 422),
    (
        "POST",
        "/api/users",
        {"json": {"name": ";drop table", "password": "p" * 12, "role": "viewer"}},
        422,
    ),
    # too large
    ("POST", "/api/chat", {"content": b"x" * MB}, 413),
    ("POST", "/api/auth/login", {"content": b"x" * MB}, 413),
    ("POST", "/api/nowhere", {"content": b"x" * MB}, 413),
    # unknown routes, wrong methods
    ("GET", "/api/nowhere", {}, 404),
    ("GET", "/nowhere", {}, 404),
    ("GET", "/api/containers/x/y/z", {}, 404),
    ("DELETE", "/api/containers", {}, 405),
    ("PUT", "/api/chat", {}, 405),
    ("GET", "/api/auth/login", {}, 405),
    ("PATCH", "/api/approvals", {}, 405),
]


def _id(case: tuple[str, str, dict[str, Any], int]) -> str:
    method, path, kwargs, status = case
    what = next(iter(kwargs), "")
    return f"{status}-{method}-{path[:40]}-{what}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_bad_input_gets_a_readable_4xx(client, user_headers, case):
    method, path, kwargs, status = case
    headers = {**user_headers["admin"]}
    if "content" in kwargs:
        headers["Content-Type"] = "application/json"
    response = client.request(method, path, headers=headers, **kwargs)
    assert_refused(response, status)


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


@pytest.mark.parametrize("path", ["/api/chat", "/api/auth/login", "/api/approvals/abc"])
def test_chunked_bodies_over_the_limit_are_413(client, user_headers, services, path):
    response = client.post(
        path,
        content=_chunks(services.settings.max_body_bytes + 64 * 1024),
        headers={**user_headers["admin"], "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_refused(response, 413)


def test_a_small_chunked_body_is_read_normally(client, user_headers):
    def body() -> Iterator[bytes]:
        yield b'{"decision": '
        yield b'"approve"}'

    response = client.post(
        "/api/approvals/0000000000000000",
        content=body(),
        headers={**user_headers["admin"], "Content-Type": "application/json"},
    )
    assert_refused(response, 404)


def test_a_declared_length_over_the_limit_is_refused_before_reading(client, services):
    # No credentials either: the size check comes first and never waits for the body.
    response = client.post(
        "/api/auth/login",
        content=b"{}",
        headers={"Content-Length": str(services.settings.max_body_bytes + 1)},
    )
    assert_refused(response, 413)


def test_without_credentials_bad_input_is_still_not_a_500(client):
    for method, path, kwargs, _ in CASES:
        response = client.request(method, path, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert "Traceback" not in response.text


def test_the_openapi_schema_and_health_need_no_token(client):
    assert client.get("/openapi.json").status_code == 200
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["engine"]["reachable"] is True
