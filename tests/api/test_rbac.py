"""Who may do what: every role, as a user and as a bot, against every kind of endpoint.

Policy: reads for every role; start/stop/restart need operator (202, pending approval by
default); remove needs admin; approving needs the role the action needs; bots never approve;
users, tokens need admin; the audit trail is a read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import USERS

PRINCIPALS = [
    f"{kind}:{role}" for kind in ("user", "bot") for role in ("viewer", "operator", "admin")
]

READ = {"viewer": 200, "operator": 200, "admin": 200}
CHANGE = {"viewer": 403, "operator": 202, "admin": 202}
DESTRUCTIVE = {"viewer": 403, "operator": 403, "admin": 202}
APPROVE = {"viewer": 403, "operator": 200, "admin": 200}
ADMIN_ONLY = {"viewer": 403, "operator": 403, "admin": 200}

EXPECTED: dict[str, dict[str, int]] = {
    "list": READ,
    "inspect": READ,
    "logs": READ,
    "stats": READ,
    "start": CHANGE,
    "stop": CHANGE,
    "restart": CHANGE,
    "remove": DESTRUCTIVE,
    "approve": APPROVE,
    "list_users": ADMIN_ONLY,
    "create_token": {**ADMIN_ONLY, "admin": 201},
    "audit": READ,
}


def expected(action: str, principal: str) -> int:
    kind, role = principal.split(":")
    if action == "approve" and kind == "bot":
        return 403  # bots may request, never approve
    return EXPECTED[action][role]


@pytest.fixture(scope="module")
def targets(module_container: Callable[..., Any]) -> dict[str, Any]:
    # Actions answered 202 change nothing, so these containers serve the whole matrix.
    return {
        "running": module_container("rbac-run"),
        "stopped": module_container("rbac-stopped", start=False),
    }


def perform(
    action: str,
    client: TestClient,
    headers: dict[str, str],
    targets: dict[str, Any],
    admin: dict[str, str],
) -> Any:
    running, stopped = targets["running"].name, targets["stopped"].name
    if action == "list":
        return client.get("/api/containers?all=true", headers=headers)
    if action == "inspect":
        return client.get(f"/api/containers/{running}", headers=headers)
    if action == "logs":
        return client.get(f"/api/containers/{running}/logs?tail=5", headers=headers)
    if action == "stats":
        # A stopped container answers at once; a running one costs the engine ~1.5 s.
        return client.get(f"/api/containers/{stopped}/stats", headers=headers)
    if action == "start":
        return client.post(f"/api/containers/{stopped}/start", headers=headers)
    if action in ("stop", "restart"):
        return client.post(f"/api/containers/{running}/{action}", headers=headers)
    if action == "remove":
        return client.post(f"/api/containers/{stopped}/remove", headers=headers)
    if action == "approve":
        # A fresh restart approval (needs operator) requested by an admin.
        pending = client.post(f"/api/containers/{running}/restart", headers=admin)
        assert pending.status_code == 202, pending.text
        approval_id = pending.json()["approval"]["id"]
        return client.post(
            f"/api/approvals/{approval_id}",
            json={"decision": "approve"},
            headers=headers,
        )
    if action == "list_users":
        return client.get("/api/users", headers=headers)
    if action == "create_token":
        return client.post(
            "/api/tokens", json={"name": "made-in-matrix", "role": "viewer"}, headers=headers
        )
    if action == "audit":
        return client.get("/api/audit?limit=5", headers=headers)
    raise AssertionError(action)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_role_matrix(client, principals, targets, action, principal):
    response = perform(action, client, principals[principal], targets, principals["user:admin"])
    want = expected(action, principal)
    assert response.status_code == want, (principal, action, response.text[:300])
    body = response.json()
    if want == 403:
        assert isinstance(body["detail"], str) and body["detail"]
    if want == 202:
        assert body["status"] == "pending_approval"
        assert body["approval"]["status"] == "pending"
        kind, role = principal.split(":")
        requested_by = body["approval"]["requested_by"]
        if kind == "bot":  # bots are recorded by token ID
            assert requested_by.startswith(f"bot:bot-{role}#"), requested_by
        else:
            assert requested_by == USERS[role]
    if action == "approve" and want == 200:
        assert body["outcome"]["status"] == "executed"


def test_operator_may_not_approve_a_removal(client, principals, module_container):
    victim = module_container("rbac-remove", start=False)
    pending = client.post(f"/api/containers/{victim.name}/remove", headers=principals["user:admin"])
    assert pending.status_code == 202
    approval_id = pending.json()["approval"]["id"]
    assert pending.json()["approval"]["required_role"] == "admin"

    for who in ("user:operator", "bot:admin"):
        response = client.post(
            f"/api/approvals/{approval_id}", json={"decision": "approve"}, headers=principals[who]
        )
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "approval_forbidden"

    approval = client.get(f"/api/approvals/{approval_id}", headers=principals["user:admin"])
    assert approval.json()["status"] == "pending"
    victim.reload()  # still there
