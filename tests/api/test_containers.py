"""Container endpoints on the real engine: answers, refusals, and the engine left alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.api.helpers import assert_refused, started_at, state
from tests.conftest import RUN_ID, TEST_LABEL
from tools.guard.policy import Role


def test_list_shows_running_and_stopped_containers(client, user_headers, make_container):
    running = make_container("list-run")
    stopped = make_container("list-stopped", start=False)
    label = f"{TEST_LABEL}={RUN_ID}"

    everything = client.get(
        "/api/containers", params={"all": "true", "label": label}, headers=user_headers["viewer"]
    )
    only_running = client.get(
        "/api/containers", params={"label": label}, headers=user_headers["viewer"]
    )

    assert everything.status_code == 200, everything.text
    names = {c["name"] for c in everything.json()}
    assert {running.name, stopped.name} <= names
    running_names = {c["name"] for c in only_running.json()}
    assert running.name in running_names and stopped.name not in running_names


def test_inspect_logs_and_stats(client, user_headers, make_container):
    container = make_container(
        "read",
        command=["sh", "-c", "echo hello-from-the-log; trap 'exit 0' TERM; sleep 600 & wait"],
    )
    headers = user_headers["viewer"]

    inspected = client.get(f"/api/containers/{container.name}", headers=headers)
    by_id = client.get(f"/api/containers/{container.id[:12]}", headers=headers)
    logs = client.get(
        f"/api/containers/{container.name}/logs", params={"tail": 10}, headers=headers
    )
    stats = client.get(f"/api/containers/{container.name}/stats", headers=headers)

    assert inspected.status_code == 200 and container.id.startswith(inspected.json()["id"])
    assert by_id.status_code == 200 and by_id.json()["name"] == container.name
    assert logs.status_code == 200 and "hello-from-the-log" in str(logs.json())
    assert stats.status_code == 200, stats.text


def test_unknown_container_is_404_with_a_suggestion(client, user_headers, make_container):
    container = make_container("lookalike")
    typo = container.name[:-1] + ("x" if container.name[-1] != "x" else "y")

    for method, path in [
        ("GET", f"/api/containers/{typo}"),
        ("GET", f"/api/containers/{typo}/logs"),
        ("GET", f"/api/containers/{typo}/stats"),
        ("POST", f"/api/containers/{typo}/restart"),
    ]:
        response = client.request(method, path, headers=user_headers["operator"])
        body = assert_refused(response, 404)
        assert "did you mean" in body["detail"] and container.name in body["detail"], body


HOSTILE = [
    ";rm -rf ~",
    "$(reboot)",
    "`id`",
    "a b",
    "..",
    ".hidden",
    "-rf",
    "x" * 10_000,
    "контейнер",
    "web\u202eexe",
    "name\x00null",
    "name\nnewline",
    "💥",
]


@pytest.fixture(scope="module")
def bystander(module_container: Any) -> Any:
    """A running container that hostile requests must never reach."""
    return module_container("bystander")


@pytest.mark.parametrize("ref", HOSTILE, ids=lambda r: repr(r[:12]))
def test_hostile_names_are_422_and_touch_nothing(
    client, user_headers, bystander, docker_client, ref
):
    before = started_at(docker_client, bystander.id)
    # Dots too: a client would otherwise resolve ".." before sending.
    encoded = quote(ref, safe="").replace(".", "%2E")

    for method, path in [
        ("GET", f"/api/containers/{encoded}"),
        ("GET", f"/api/containers/{encoded}/logs"),
        ("POST", f"/api/containers/{encoded}/stop"),
        ("POST", f"/api/containers/{encoded}/remove"),
    ]:
        response = client.request(method, path, headers=user_headers["admin"])
        body = assert_refused(response, 422)
        assert len(body["detail"]) < 500, "the message quotes a bounded part of the input"

    assert state(docker_client, bystander.id) == "running"
    assert started_at(docker_client, bystander.id) == before


def test_hostile_query_values_are_422(client, user_headers):
    headers = user_headers["viewer"]
    for params in ({"name": "x" * 10_000}, {"label": "x" * 10_000}, {"all": "perhaps"}):
        assert_refused(client.get("/api/containers", params=params, headers=headers), 422)
    assert (
        client.get("/api/containers", params={"name": ";rm -rf / ..'\"%"}, headers=headers).json()
        == []
    )


def test_a_refused_action_leaves_the_container_alone(
    client, user_headers, make_container, docker_client
):
    container = make_container("refused")
    before = started_at(docker_client, container.id)

    for action, body in (("stop", None), ("restart", {"timeout": 0}), ("remove", {"force": True})):
        response = client.post(
            f"/api/containers/{container.name}/{action}", json=body, headers=user_headers["viewer"]
        )
        refused = assert_refused(response, 403)
        assert "viewer" in refused["detail"]

    assert state(docker_client, container.id) == "running"
    assert started_at(docker_client, container.id) == before


def test_a_viewer_removing_a_running_container_is_403_not_409(client, user_headers, make_container):
    # The role is checked before the target: no "stop it first" hint for someone who may not.
    container = make_container("order")
    response = client.post(
        f"/api/containers/{container.name}/remove", headers=user_headers["viewer"]
    )
    assert_refused(response, 403)


def test_names_with_a_slash_do_not_reach_a_route(client, user_headers):
    for path in ("/api/containers/a%2Fb", "/api/containers/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/stop"):
        response = client.post(path, headers=user_headers["admin"])
        assert response.status_code in (404, 405, 422), response.text
        assert isinstance(response.json()["detail"], str)


def test_a_pending_action_leaves_the_container_alone(
    client, user_headers, make_container, docker_client
):
    container = make_container("pending")
    before = started_at(docker_client, container.id)

    response = client.post(
        f"/api/containers/{container.name}/stop",
        json={"timeout": 1},
        headers=user_headers["operator"],
    )

    assert response.status_code == 202, response.text
    approval = response.json()["approval"]
    assert approval["targets"][0]["id"] == container.id
    assert approval["command"] == f"docker stop -t 1 {container.name}"
    assert state(docker_client, container.id) == "running"
    assert started_at(docker_client, container.id) == before


def test_removing_a_running_container_without_force_is_409(
    client, user_headers, make_container, docker_client
):
    container = make_container("busy")

    body = assert_refused(
        client.post(f"/api/containers/{container.name}/remove", headers=user_headers["admin"]), 409
    )
    assert "force" in body["detail"]
    assert state(docker_client, container.id) == "running"

    forced = client.post(
        f"/api/containers/{container.name}/remove",
        json={"force": True},
        headers=user_headers["admin"],
    )
    assert forced.status_code == 202, forced.text
    assert forced.json()["approval"]["command"] == f"docker rm -f {container.name}"
    assert state(docker_client, container.id) == "running"


def test_auto_approved_role_gets_200_and_the_change_happens(
    services, client, user_headers, make_container, docker_client, monkeypatch
):
    # With the policy relaxed for operators, a change runs at once and answers 200.
    monkeypatch.setattr(services.gateway.policy, "auto_approve_roles", {Role.OPERATOR})
    container = make_container("auto")

    response = client.post(
        f"/api/containers/{container.name}/stop",
        json={"timeout": 0},
        headers=user_headers["operator"],
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "executed"
    assert state(docker_client, container.id) == "exited"


def test_protected_containers_are_403_for_everyone(
    client, user_headers, make_container, docker_client
):
    container = make_container("guarded", labels={"dockerdeployer.protected": "true"})
    body = assert_refused(
        client.post(f"/api/containers/{container.name}/restart", headers=user_headers["admin"]), 403
    )
    assert "protected" in body["detail"]
    assert state(docker_client, container.id) == "running"


def test_an_unknown_action_is_refused(client, user_headers, make_container):
    container = make_container("verbs")
    for action in ("exec", "kill", "pause", "../../auth/login"):
        response = client.post(
            f"/api/containers/{container.name}/{quote(action, safe='')}",
            headers=user_headers["admin"],
        )
        assert 400 <= response.status_code < 500, (action, response.status_code)
        assert isinstance(response.json()["detail"], str)
