"""Policy: from (actor, tool, normalised args, resolved targets) to allow / approve / deny.

Kept apart from tool bodies so every caller (agent, API, CLI, MCP) gets the same answer.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from tools.labels import PROTECT_LABEL, SELF_LABEL
from tools.plan import ActionPlan, Target


class Risk(StrEnum):
    READ = "read"
    CHANGE = "change"
    DESTRUCTIVE = "destructive"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "operator": 1, "admin": 2}[self.value]


REQUIRED_ROLE = {Risk.READ: Role.VIEWER, Risk.CHANGE: Role.OPERATOR, Risk.DESTRUCTIVE: Role.ADMIN}


class ActorKind(StrEnum):
    """How the actor signed in: the kind of token it presented."""

    USER = "user"  # a person, with a login access token
    BOT = "bot"  # a bot token (may not approve: an approval is a person saying yes)


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    kind: ActorKind = ActorKind.USER


class SecondPerson(StrEnum):
    """Who may approve a request: anyone with the role (off), or never its requester for
    destructive actions, or for every change."""

    OFF = "off"
    DESTRUCTIVE = "destructive"
    CHANGE = "change"


class Verdict(StrEnum):
    ALLOW = "allow"
    NEEDS_APPROVAL = "needs_approval"
    DENY = "deny"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    required_role: Role = Role.VIEWER


@dataclass
class Policy:
    protected_names: list[str] = field(default_factory=list)
    protected_labels: list[str] = field(default_factory=list)
    auto_approve_roles: set[Role] = field(default_factory=set)
    second_person: SecondPerson = field(default_factory=lambda: SecondPerson.OFF)

    @classmethod
    def from_settings(
        cls,
        names: Iterable[str],
        labels: Iterable[str],
        auto_roles: Iterable[str],
        second_person: str = "off",
    ) -> Policy:
        return cls(
            protected_names=list(names),
            protected_labels=list(labels),
            auto_approve_roles={Role(r) for r in auto_roles},
            second_person=SecondPerson(second_person),
        )

    def self_approval_denial(self, requester: str, approver: Actor, risk: Risk) -> str | None:
        """Why the approver may not approve this request (they asked for it themselves and the
        second-person rule covers its risk), or None."""
        if approver.name != requester or self.second_person is SecondPerson.OFF:
            return None
        covered = self.second_person is SecondPerson.CHANGE or risk is Risk.DESTRUCTIVE
        if not covered or risk is Risk.READ:
            return None
        return (
            f"{approver.name} asked for this {risk.value} action and may not approve it too: "
            f"another person with the role must (DOCKERDEPLOYER_SECOND_PERSON="
            f"{self.second_person.value})"
        )

    def protection_reason(self, target: Target) -> str | None:
        """Why a target may not be changed by any tool, or None."""
        labels = target.labels
        if labels.get(SELF_LABEL, "").lower() in ("1", "true", "yes") or SELF_LABEL in labels:
            return f"{target.kind} {target.name} is part of DockerDeployer itself"
        if labels.get(PROTECT_LABEL, "").lower() in ("1", "true", "yes"):
            return f"{target.kind} {target.name} is labelled {PROTECT_LABEL}"
        for spec in self.protected_labels:
            key, sep, value = spec.partition("=")
            if key in labels and (not sep or labels[key] == value):
                return f"{target.kind} {target.name} carries protected label {spec}"
        for pattern in self.protected_names:
            if fnmatch.fnmatchcase(target.name, pattern):
                return f"{target.kind} {target.name} matches protected name pattern {pattern!r}"
        return None

    @staticmethod
    def role_denial(actor: Actor, tool: str, risk: Risk) -> Decision | None:
        """The role check alone: the gateway runs it before planning, so a caller without the
        role learns nothing about the targets (and costs no engine round trip)."""
        required = REQUIRED_ROLE[risk]
        if actor.role.rank < required.rank:
            return Decision(
                Verdict.DENY,
                f"role {actor.role.value} may not run {tool} ({risk.value}; "
                f"needs {required.value})",
                required,
            )
        return None

    def decide(
        self,
        actor: Actor,
        tool: str,
        risk: Risk,
        plan: ActionPlan,
        tainted: bool = False,
        private: bool = False,
    ) -> Decision:
        """`tainted`: the request follows untrusted text (logs, labels) the model has read.
        `private`: the tool returns its target's own output (logs)."""
        required = REQUIRED_ROLE[risk]
        denial = self.role_denial(actor, tool, risk)
        if denial is not None:
            return denial
        if plan.violations:
            return Decision(Verdict.DENY, "; ".join(plan.violations), required)
        if risk is not Risk.READ:
            for target in plan.targets:
                reason = self.protection_reason(target)
                if reason:
                    return Decision(Verdict.DENY, f"{reason}: no tool may change it", required)
        if private and actor.role is not Role.ADMIN:
            for target in plan.targets:
                reason = self.protection_reason(target)
                if reason:
                    return Decision(
                        Verdict.DENY, f"{reason}: only an admin may read its output", Role.ADMIN
                    )
        if plan.carried and risk is not Risk.READ:
            # An object made elsewhere with options the assistant refuses: only an admin may
            # act on it, always with a person's approval (never auto-approved).
            if actor.role is not Role.ADMIN:
                return Decision(
                    Verdict.DENY, f"{plan.carried_note()}; only an admin may {tool} it", Role.ADMIN
                )
            return Decision(Verdict.NEEDS_APPROVAL, plan.carried_note(), Role.ADMIN)
        if risk is Risk.READ:
            return Decision(Verdict.ALLOW, "read-only", required)
        if risk is Risk.CHANGE and actor.role in self.auto_approve_roles and not tainted:
            return Decision(Verdict.ALLOW, f"auto-approved for role {actor.role.value}", required)
        return Decision(Verdict.NEEDS_APPROVAL, f"{risk.value} action needs confirmation", required)
