"""The console's HTTP client against the real API: typed results and readable errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.live_server import free_port
from tests.ui.live import PASSWORD, USERS, LiveApi
from ui.client import ApiClient, ApiError, ApiUnreachable, AuthExpired, parse_sse


@pytest.fixture
def client(live_api: LiveApi) -> ApiClient:
    return ApiClient(live_api.url, live_api.token("operator"))


def test_login_and_me(live_api: LiveApi) -> None:
    anonymous = ApiClient(live_api.url)
    session = anonymous.login(USERS["viewer"], PASSWORD)
    assert session.expires_in > 60
    anonymous.token = session.token
    assert anonymous.me() == {"name": USERS["viewer"], "role": "viewer", "kind": "user"}


def test_wrong_password_carries_the_api_detail(live_api: LiveApi) -> None:
    with pytest.raises(ApiError) as caught:
        ApiClient(live_api.url).login(USERS["viewer"], "not-the-password")
    assert caught.value.status == 401
    assert caught.value.detail == "wrong user name or password"


def test_signed_out_token_is_auth_expired(live_api: LiveApi) -> None:
    client = ApiClient(live_api.url, live_api.token("viewer"))
    client.logout()
    with pytest.raises(AuthExpired) as caught:
        client.containers()
    assert caught.value.detail == "this token was signed out"


def test_unreachable_api_says_how_to_start_it() -> None:
    with pytest.raises(ApiUnreachable) as caught:
        ApiClient(f"http://127.0.0.1:{free_port()}").health()
    assert "dockerdeployer serve" in caught.value.detail


def test_unknown_container_is_a_readable_404(client: ApiClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.container("no-such-container-ddt")
    assert caught.value.status == 404
    assert "no-such-container-ddt" in caught.value.detail


def test_hostile_reference_is_sent_as_one_path_segment(client: ApiClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.logs("../../auth/me")
    assert caught.value.status in (404, 422)


def test_containers_logs_and_action(client: ApiClient, make_container: Callable[..., Any]) -> None:
    container = make_container("cli", command=["sh", "-c", "echo one; echo two; sleep 600"])
    listed = {c["name"]: c for c in client.containers(all=True)}
    assert listed[container.name]["state"] == "running"
    logs = client.logs(container.name, tail=10, grep="two")
    assert logs["text"].strip() == "two"
    outcome = client.action(container.name, "restart")
    assert outcome.status == "pending_approval"
    assert outcome.approval is not None
    assert outcome.approval["command"] == f"docker restart -t 10 {container.name}"


def test_chat_stream_events_end_with_done(client: ApiClient) -> None:
    events = list(client.chat_stream("list all containers"))
    names = [e.event for e in events]
    assert names[0] == "thread"
    assert names[-1] == "done"
    done = events[-1].data
    assert done["thread_id"] == events[0].data["thread_id"]
    assert done["tool_calls"][0]["tool"] == "list_containers"


def test_audit_as_json_and_csv(client: ApiClient, make_container: Callable[..., Any]) -> None:
    container = make_container("audit-client")
    client.action(container.name, "restart")  # a proposal is a row; reads are only counted
    rows = client.audit(limit=5, tool="restart_container")
    assert any(container.name in str(row["args"]) for row in rows), rows
    assert client.audit_csv(limit=5).splitlines()[0].startswith("id,ts,event,actor")


def test_parse_sse() -> None:
    lines = [": comment", "event: token", 'data: {"text": "he"}', "", "event: token",
             "data: not json", "", "event: done", 'data: {"a":', 'data: 1}']  # fmt: skip
    events = list(parse_sse(iter(lines)))
    assert [(e.event, e.data) for e in events] == [("token", {"text": "he"}), ("done", {"a": 1})]
