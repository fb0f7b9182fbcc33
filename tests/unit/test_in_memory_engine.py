"""The catalogue, the gateway (guard, approvals, audit) and the offline planner on an in-memory
engine: no Docker needed. The same behaviours are proved on the real engine in
tests/integration; these run in the unit tier, in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.factory import build_assistant
from foundation.db import make_sessionmaker, open_database
from foundation.settings import Settings
from tests.fakes.memory_engine import MemoryEngine
from tools.errors import ApprovalForbidden
from tools.gateway import ToolGateway
from tools.guard.policy import Actor, Policy, Role, SecondPerson

ADMIN = Actor("ada", Role.ADMIN)
OPERATOR = Actor("oscar", Role.OPERATOR)
VIEWER = Actor("vera", Role.VIEWER)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def engine() -> MemoryEngine:
    memory = MemoryEngine()
    memory.add("web", "nginx:alpine", logs=["GET / 200", "ERROR upstream timed out"])
    memory.add("db", "postgres:16", state="exited", exit_code=137)
    return memory


@pytest.fixture
def gateway(settings: Settings, engine: MemoryEngine) -> ToolGateway:
    settings.ensure_home()
    sessions = make_sessionmaker(open_database(settings.resolved_database_url))
    return ToolGateway({"local": engine}, Policy(), sessions)


def test_reads_run_at_once_and_are_counted_not_given_a_row_each(gateway, engine):
    outcome = gateway.call(VIEWER, "list_containers", {"status": "all"})
    assert outcome.status == "executed"
    assert [c["name"] for c in outcome.result] == ["db", "web"]
    logs = gateway.call(VIEWER, "container_logs", {"container": "web", "grep": "error"})
    assert logs.result["text"] == "ERROR upstream timed out"
    for _ in range(5):
        gateway.call(VIEWER, "list_containers", {})
    assert gateway.audit.query() == []
    counts = {c.tool: c.executed for c in gateway.audit.read_counts(actor="vera")}
    assert counts == {"list_containers": 6, "container_logs": 1}


def test_a_change_waits_for_approval_then_runs_exactly_once(gateway, engine):
    proposal = gateway.call(OPERATOR, "restart_container", {"container": "web"})
    assert proposal.status == "pending_approval"
    assert "restart web" not in engine.calls  # nothing before a person says yes
    approval_id = proposal.approval["id"]
    assert gateway.decide(approval_id, ADMIN, approve=True).status == "executed"
    assert engine.calls.count("restart web") == 1
    with pytest.raises(Exception, match="already"):
        gateway.decide(approval_id, ADMIN, approve=True)
    assert engine.calls.count("restart web") == 1


def test_a_viewer_may_not_change_anything(gateway, engine):
    outcome = gateway.call(VIEWER, "stop_container", {"container": "web"})
    assert outcome.status == "denied" and "needs operator" in outcome.message
    assert engine.containers and all(c.state != "exited" or c.name == "db"
                                     for c in engine.containers.values())  # fmt: skip


def test_a_hard_denial_comes_before_a_missing_image(gateway, engine):
    args = {"image": "ubuntu:24.04", "privileged": True}
    outcome = gateway.call(ADMIN, "run_container", args)
    assert outcome.status == "denied" and "Privileged" in outcome.message
    missing = gateway.call(ADMIN, "run_container", {"image": "ubuntu:24.04", "name": "u"})
    assert missing.status == "pending_approval"
    assert missing.preview["impact"][0].startswith("pulls ubuntu:24.04")
    ran = gateway.decide(missing.approval["id"], ADMIN, approve=True)
    assert ran.status == "executed" and ran.message.startswith("pulled ubuntu:24.04")
    assert engine.calls[-3:] == ["pull ubuntu:24.04", "create u", "start u"]


def test_an_object_made_elsewhere_with_refused_options_needs_an_admin(gateway, engine):
    engine.add("agent", "monitor:1", state="exited",
               host_config={"Privileged": True, "NetworkMode": "host"})  # fmt: skip
    refused = gateway.call(OPERATOR, "start_container", {"container": "agent"})
    assert refused.status == "denied" and "not created through the assistant" in refused.message
    proposal = gateway.call(ADMIN, "start_container", {"container": "agent"})
    assert proposal.status == "pending_approval"
    assert proposal.approval["required_role"] == "admin"
    carried = " ".join(proposal.preview["impact"])
    assert "Privileged=True" in carried and "NetworkMode=host" in carried
    assert gateway.decide(proposal.approval["id"], ADMIN, approve=True).status == "executed"
    assert "start agent" in engine.calls


def test_the_offline_planner_proposes_and_never_runs_a_change_by_itself(settings, gateway, engine):
    assistant = build_assistant(settings, gateway)
    result = assistant.chat(OPERATOR, "restart the web container")
    assert [c["tool"] for c in result.tool_calls] == ["restart_container"]
    assert result.tool_calls[0]["status"] == "pending_approval"
    assert "restart web" not in engine.calls
    read = assistant.chat(OPERATOR, "show me the logs of web")
    assert read.tool_calls[0]["tool"] == "container_logs"
    assert read.tool_calls[0]["status"] == "executed"


@pytest.mark.parametrize(
    ("setting", "tool", "args", "self_approval_allowed"),
    [
        ("off", "remove_container", {"container": "db"}, True),
        ("destructive", "restart_container", {"container": "web"}, True),
        ("destructive", "remove_container", {"container": "db"}, False),
        ("change", "restart_container", {"container": "web"}, False),
    ],
)
def test_a_second_person_must_approve_at_the_configured_level(
    settings, engine, setting, tool, args, self_approval_allowed
):
    settings.ensure_home()
    sessions = make_sessionmaker(open_database(settings.resolved_database_url))
    gateway = ToolGateway({"local": engine}, Policy(second_person=SecondPerson(setting)), sessions)
    proposal = gateway.call(ADMIN, tool, args)
    assert proposal.status == "pending_approval"
    approval_id = proposal.approval["id"]
    if self_approval_allowed:
        assert gateway.decide(approval_id, ADMIN, approve=True).status == "executed"
        return
    with pytest.raises(ApprovalForbidden, match="may not approve it too"):
        gateway.decide(approval_id, ADMIN, approve=True)
    assert gateway.approvals.get(approval_id).status.value == "pending"  # still waiting
    second = Actor("bea", Role.ADMIN)
    outcome = gateway.decide(approval_id, second, approve=True)
    assert outcome.status == "executed"
    [executed] = [e for e in gateway.audit.query() if e.event == "executed"]
    assert (executed.actor, executed.approver) == ("ada", "bea")  # both people recorded


def test_a_requester_may_always_withdraw_their_own_request(settings, engine):
    settings.ensure_home()
    sessions = make_sessionmaker(open_database(settings.resolved_database_url))
    policy = Policy(second_person=SecondPerson.CHANGE)
    gateway = ToolGateway({"local": engine}, policy, sessions)
    proposal = gateway.call(OPERATOR, "stop_container", {"container": "web"})
    assert gateway.decide(proposal.approval["id"], OPERATOR, approve=False).status == "rejected"


def test_the_logs_of_a_protected_container_are_for_admins_only(gateway, engine):
    engine.add("vault", "vault:1", labels={"dockerdeployer.protected": "true"},
               logs=["root token: s.abcdef"])  # fmt: skip
    for actor in (VIEWER, OPERATOR):
        refused = gateway.call(actor, "container_logs", {"container": "vault"})
        assert refused.status == "denied" and "only an admin" in refused.message
        assert refused.result is None
    assert gateway.call(ADMIN, "container_logs", {"container": "vault"}).status == "executed"
    assert gateway.call(VIEWER, "inspect_container", {"container": "vault"}).status == "executed"
