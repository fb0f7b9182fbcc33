"""Protected containers are never changed; prune removes exactly the planned stopped containers.

Prune acts on the whole engine, so these tests protect (by name, in settings) every stopped
container and unused network that is not this run's, check that each planned target carries
this run's label, and only then approve. The approval is bound to those target IDs: if anything
else stops meanwhile, the plan changes and the approval is refused rather than run.
"""

from __future__ import annotations

import docker
import pytest

from tests.conftest import RUN_ID, TEST_LABEL, unique
from tests.integration.conftest import case_labels, new_case
from tools.errors import ApprovalTargetChanged
from tools.guard.policy import PROTECT_LABEL, SELF_LABEL


def running(client: docker.DockerClient, container_id: str) -> bool:
    return bool(client.api.inspect_container(container_id)["State"]["Running"])


def exists(client: docker.DockerClient, container_id: str) -> bool:
    try:
        client.api.inspect_container(container_id)
    except docker.errors.NotFound:
        return False
    return True


@pytest.mark.parametrize(
    ("labels", "settings"),
    [
        ({PROTECT_LABEL: "true"}, {}),
        ({SELF_LABEL: "true"}, {}),
        ({"ddt.tier": "prod"}, {"protected_labels": ["ddt.tier=prod"]}),
        ({"ddt.keep": "whatever"}, {"protected_labels": ["ddt.keep"]}),
        ({}, {"protected_names": [f"ddt-guarded-{RUN_ID}-*"]}),
    ],
    ids=["protect-label", "self-label", "label-key-value", "label-key", "name-pattern"],
)
def test_protected_containers_cannot_be_changed_even_by_an_admin(
    make_gateway, make_container, docker_client, admin, labels, settings
):
    gateway = make_gateway(auto_approve_roles=["admin"], **settings)
    container = make_container("guarded", labels=labels)

    for tool, args in [
        ("stop_container", {"timeout": 0}),
        ("restart_container", {"timeout": 0}),
        ("remove_container", {"force": True}),
        ("exec_in_container", {"command": "true"}),
    ]:
        outcome = gateway.call(admin, tool, {"container": container.name, **args})
        assert outcome.status == "denied", (tool, outcome.message)
        assert "no tool may change it" in outcome.message

    assert gateway.approvals.list() == [], "nothing is even offered for approval"
    assert running(docker_client, container.id)
    read = gateway.call(admin, "inspect_container", {"container": container.name})
    assert read.status == "executed", "protected containers can still be looked at"


def test_an_unprotected_twin_is_not_caught_by_the_pattern(make_gateway, make_container, admin):
    gateway = make_gateway(protected_names=[f"ddt-guarded-{RUN_ID}-*"])
    other = make_container("free")
    outcome = gateway.call(admin, "stop_container", {"container": other.name})
    assert outcome.status == "pending_approval"


def _others_protected(client: docker.DockerClient) -> list[str]:
    """Names of every stopped container and every network that is not this run's."""
    names = []
    for item in client.api.containers(all=True, filters={"status": ["exited", "created", "dead"]}):
        if (item.get("Labels") or {}).get(TEST_LABEL) != RUN_ID:
            names.append(item["Names"][0].lstrip("/"))
    for net in client.api.networks():
        if (net.get("Labels") or {}).get(TEST_LABEL) != RUN_ID:
            names.append(net["Name"])
    return names


def _approve_if_only_ours(gateway, client, admin, args, keep=()):
    """Propose a prune with everything not ours protected; approve only if every target is
    ours. Other runs on a shared engine may stop containers meanwhile: the approval is then
    refused as stale (nothing runs) and we try again, then give up with a skip."""
    for _ in range(3):
        gateway.policy.protected_names = [*_others_protected(client), *keep]
        proposal = gateway.call(admin, "prune", args)
        assert proposal.status == "pending_approval", proposal.message
        for target in proposal.approval["targets"]:
            labels = (
                client.api.inspect_container(target["id"])["Config"]["Labels"]
                if target["kind"] == "container"
                else client.api.inspect_network(target["id"]).get("Labels")
            ) or {}
            if labels.get(TEST_LABEL) != RUN_ID:
                gateway.decide(proposal.approval["id"], admin, approve=False, reason="not ours")
                break
        else:
            try:
                return proposal, gateway.decide(proposal.approval["id"], admin, approve=True)
            except ApprovalTargetChanged:
                continue
    pytest.skip("other runs keep changing the engine's stopped containers; prune not run")


def test_prune_removes_exactly_the_planned_stopped_containers(
    make_gateway, make_container, docker_client, admin
):
    case = new_case()
    stopped = [make_container("prune", start=False, labels=case_labels(case)) for _ in range(3)]
    keep_label = make_container("prune-keep", start=False,
                                labels={**case_labels(case), PROTECT_LABEL: "true"})  # fmt: skip
    keep_name = make_container("prune-named", start=False, labels=case_labels(case))
    alive = make_container("prune-alive", labels=case_labels(case))
    gateway = make_gateway()

    proposal, outcome = _approve_if_only_ours(
        gateway, docker_client, admin, {"images": False, "networks": False}, keep=[keep_name.name]
    )

    planned = {t["id"] for t in proposal.approval["targets"]}
    assert {c.id for c in stopped} <= planned
    assert not {keep_label.id, keep_name.id, alive.id} & planned
    assert any(line.startswith("skips protected:") for line in proposal.approval["impact"])
    assert outcome.status == "executed", outcome.message
    assert outcome.result["details"]["failed"] == []
    for container in stopped:
        assert not exists(docker_client, container.id)
    assert exists(docker_client, keep_label.id)
    assert exists(docker_client, keep_name.id)
    assert running(docker_client, alive.id)


def test_prune_approval_is_refused_when_more_would_be_removed(
    make_gateway, make_container, docker_client, admin
):
    case = new_case()
    first = make_container("prune-a", start=False, labels=case_labels(case))
    gateway = make_gateway(protected_names=_others_protected(docker_client))
    proposal = gateway.call(admin, "prune", {"images": False, "networks": False})
    late = make_container("prune-late", start=False, labels=case_labels(case))

    with pytest.raises(ApprovalTargetChanged):
        gateway.decide(proposal.approval["id"], admin, approve=True)
    assert exists(docker_client, first.id) and exists(docker_client, late.id)


def test_prune_networks_skips_protected_ones(make_gateway, docker_client, admin):
    case = new_case()
    unused = docker_client.networks.create(unique("net"), labels=case_labels(case))
    guarded = docker_client.networks.create(
        unique("net-keep"), labels={**case_labels(case), PROTECT_LABEL: "true"}
    )
    try:
        gateway = make_gateway()
        proposal, outcome = _approve_if_only_ours(
            gateway, docker_client, admin, {"images": False, "containers": False}
        )
        assert outcome.status == "executed", outcome.message
        assert {t["id"] for t in proposal.approval["targets"]} == {unused.id}
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_network(unused.id)
        assert docker_client.api.inspect_network(guarded.id)["Name"] == guarded.name
    finally:
        for net in (unused, guarded):
            try:
                docker_client.api.remove_network(net.id)
            except docker.errors.NotFound:
                pass
