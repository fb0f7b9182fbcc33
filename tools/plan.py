"""What a call would do, computed before it runs: the basis of previews, policy and approvals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tools.guard.allowlist import Violation


@dataclass
class Target:
    """A resolved thing a call acts on, by immutable ID, with what the preview shows."""

    kind: str  # container | image | network | volume
    id: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, **self.detail}


@dataclass
class ActionPlan:
    summary: str
    command: str = ""  # the equivalent docker CLI command
    targets: list[Target] = field(default_factory=list)
    impact: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    # Options of an existing object, made outside the assistant, that the allow-list refuses
    # and this call would carry over unchanged: an admin's approved call only.
    carried: list[Violation] = field(default_factory=list)

    def target_ids(self) -> list[str]:
        return sorted(f"{t.kind}:{t.id}" for t in self.targets)

    def preview(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "command": self.command,
            "targets": [t.public() for t in self.targets],
            "impact": [*self.impact, *([self.carried_note()] if self.carried else [])],
            "carried": [str(v) for v in self.carried],
        }

    def carried_note(self) -> str:
        """What the approval card says about options the assistant did not create."""
        if not self.carried:
            return ""
        name = self.targets[0].name if self.targets else "the target"
        return (
            f"{name} was not created through the assistant and runs with options it refuses "
            "to create: " + "; ".join(str(v) for v in self.carried)
        )


def normalise_args(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)


def binding_key(tool: str, args: dict[str, Any], plan: ActionPlan, host: str) -> str:
    """What an approval is bound to: tool, normalised args, host and resolved target IDs."""
    material = json.dumps(
        {
            "tool": tool,
            "args": normalise_args(args),
            "host": host,
            "targets": plan.target_ids(),
            "payload": normalise_args(plan.payload),
            "carried": sorted(v.key for v in plan.carried),
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()
