"""The policy guard: role matrix, protected resources, auto-approval."""

from __future__ import annotations

import pytest

from tools.guard.policy import (
    PROTECT_LABEL,
    SELF_LABEL,
    Actor,
    Policy,
    Risk,
    Role,
    Verdict,
)
from tools.plan import ActionPlan, Target

VIEWER = Actor("victor", Role.VIEWER)
OPERATOR = Actor("oscar", Role.OPERATOR)
ADMIN = Actor("alice", Role.ADMIN)


def plan_for(name: str = "web", labels: dict[str, str] | None = None) -> ActionPlan:
    target = Target(kind="container", id="a" * 64, name=name, labels=labels or {})
    return ActionPlan(summary=f"act on {name}", targets=[target])


@pytest.mark.parametrize(
    ("actor", "risk", "verdict"),
    [
        (VIEWER, Risk.READ, Verdict.ALLOW),
        (VIEWER, Risk.CHANGE, Verdict.DENY),
        (VIEWER, Risk.DESTRUCTIVE, Verdict.DENY),
        (OPERATOR, Risk.READ, Verdict.ALLOW),
        (OPERATOR, Risk.CHANGE, Verdict.NEEDS_APPROVAL),
        (OPERATOR, Risk.DESTRUCTIVE, Verdict.DENY),
        (ADMIN, Risk.READ, Verdict.ALLOW),
        (ADMIN, Risk.CHANGE, Verdict.NEEDS_APPROVAL),
        (ADMIN, Risk.DESTRUCTIVE, Verdict.NEEDS_APPROVAL),
    ],
)
def test_role_matrix(actor, risk, verdict):
    decision = Policy().decide(actor, "some_tool", risk, plan_for())
    assert decision.verdict is verdict
    if verdict is Verdict.DENY:
        assert f"role {actor.role.value} may not run some_tool" in decision.reason


def test_a_bot_gets_the_same_answer_as_a_user_of_its_role():
    bot = Actor("ci", Role.OPERATOR, kind="bot")
    assert Policy().decide(bot, "t", Risk.CHANGE, plan_for()).verdict is Verdict.NEEDS_APPROVAL
    assert Policy().decide(bot, "t", Risk.DESTRUCTIVE, plan_for()).verdict is Verdict.DENY


@pytest.mark.parametrize(
    ("pattern", "name", "protected"),
    [
        ("db-*", "db-main", True),
        ("db-*", "web-db-main", False),
        ("*-prod", "api-prod", True),
        ("api-?", "api-1", True),
        ("api-?", "api-10", False),
        ("traefik", "traefik", True),
        ("traefik", "traefik2", False),
        ("db-*", "DB-main", False),  # names are case-sensitive, like Docker's
    ],
)
def test_protected_name_patterns(pattern, name, protected):
    policy = Policy(protected_names=[pattern])
    decision = policy.decide(ADMIN, "stop_container", Risk.CHANGE, plan_for(name))
    assert (decision.verdict is Verdict.DENY) is protected
    if protected:
        assert pattern in decision.reason and name in decision.reason


@pytest.mark.parametrize(
    ("spec", "labels", "protected"),
    [
        ("tier", {"tier": "prod"}, True),
        ("tier", {"tier": ""}, True),
        ("tier", {"other": "x"}, False),
        ("tier=prod", {"tier": "prod"}, True),
        ("tier=prod", {"tier": "dev"}, False),
        ("tier=prod", {"tier": "production"}, False),
        ("tier=prod", {"prod": "tier"}, False),
    ],
)
def test_protected_labels_by_key_and_by_key_value(spec, labels, protected):
    policy = Policy(protected_labels=[spec])
    decision = policy.decide(ADMIN, "remove_container", Risk.DESTRUCTIVE, plan_for("x", labels))
    assert (decision.verdict is Verdict.DENY) is protected


@pytest.mark.parametrize("value", ["true", "1", "yes", "", "false"])
def test_the_self_label_always_protects_whatever_its_value_and_settings(value):
    decision = Policy().decide(
        ADMIN, "stop_container", Risk.CHANGE, plan_for("dockerdeployer-api", {SELF_LABEL: value})
    )
    assert decision.verdict is Verdict.DENY
    assert "part of DockerDeployer itself" in decision.reason


def test_the_protect_label_protects_when_set_to_true():
    policy = Policy()
    assert (
        policy.decide(ADMIN, "t", Risk.CHANGE, plan_for("x", {PROTECT_LABEL: "true"})).verdict
        is Verdict.DENY
    )
    assert (
        policy.decide(ADMIN, "t", Risk.CHANGE, plan_for("x", {PROTECT_LABEL: "false"})).verdict
        is Verdict.NEEDS_APPROVAL
    )


def test_protection_does_not_hide_a_container_from_reads():
    policy = Policy(protected_names=["*"])
    assert policy.decide(VIEWER, "inspect_container", Risk.READ, plan_for()).verdict is (
        Verdict.ALLOW
    )


def test_any_protected_target_among_several_denies():
    plan = plan_for("free")
    plan.targets.append(Target(kind="container", id="b" * 64, name="db-main"))
    policy = Policy(protected_names=["db-*"])
    assert policy.decide(ADMIN, "prune", Risk.DESTRUCTIVE, plan).verdict is Verdict.DENY


def test_auto_approve_applies_to_change_but_never_to_destructive():
    policy = Policy(auto_approve_roles={Role.OPERATOR, Role.ADMIN})
    assert policy.decide(OPERATOR, "t", Risk.CHANGE, plan_for()).verdict is Verdict.ALLOW
    assert policy.decide(ADMIN, "t", Risk.CHANGE, plan_for()).verdict is Verdict.ALLOW
    assert policy.decide(ADMIN, "t", Risk.DESTRUCTIVE, plan_for()).verdict is (
        Verdict.NEEDS_APPROVAL
    )


def test_auto_approve_is_per_role():
    policy = Policy(auto_approve_roles={Role.ADMIN})
    assert policy.decide(OPERATOR, "t", Risk.CHANGE, plan_for()).verdict is (Verdict.NEEDS_APPROVAL)


def test_tainted_requests_are_never_auto_approved():
    policy = Policy(auto_approve_roles={Role.OPERATOR})
    decision = policy.decide(OPERATOR, "t", Risk.CHANGE, plan_for(), tainted=True)
    assert decision.verdict is Verdict.NEEDS_APPROVAL


def test_auto_approve_does_not_override_protection_or_violations():
    policy = Policy(protected_names=["db"], auto_approve_roles={Role.ADMIN})
    assert policy.decide(ADMIN, "t", Risk.CHANGE, plan_for("db")).verdict is Verdict.DENY
    plan = plan_for()
    plan.violations = ["privileged containers are refused"]
    decision = policy.decide(ADMIN, "run_container", Risk.CHANGE, plan)
    assert decision.verdict is Verdict.DENY
    assert decision.reason == "privileged containers are refused"


def test_from_settings_reads_names_labels_and_roles():
    policy = Policy.from_settings(["db-*"], ["tier=prod"], ["operator"])
    assert policy.auto_approve_roles == {Role.OPERATOR}
    assert policy.protection_reason(Target("container", "1", "db-x"))
    assert policy.protection_reason(Target("container", "1", "x", {"tier": "prod"}))
    assert policy.protection_reason(Target("container", "1", "x")) is None
    with pytest.raises(ValueError):
        Policy.from_settings([], [], ["root"])
