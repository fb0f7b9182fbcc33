"""ToolGateway: the single entry point for running a tool, whoever asks.

validate -> plan (resolve targets by ID) -> policy -> (deny | approval record | execute) -> audit.
An approved call is re-planned and re-checked at the moment it runs; if what it would act on
changed, it does not run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.orm import sessionmaker

from tools.approvals import Approval, ApprovalStatus, ApprovalStore
from tools.audit import AuditLog
from tools.catalogue import ToolContext, ToolSpec, get_tool, to_jsonable
from tools.engine_client import EngineClient
from tools.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalForbidden,
    ApprovalTargetChanged,
    ContainerNotFound,
    DockerDeployerError,
    EngineTimeout,
    EngineUnavailable,
    ErrorCode,
    InvalidArguments,
    PolicyDenied,
)
from tools.guard.boundary import carrying
from tools.guard.policy import Actor, ActorKind, Policy, Risk, Role, Verdict
from tools.plan import ActionPlan, binding_key
from tools.schemas import ContainerLogsInput, ToolInput

log = logging.getLogger(__name__)

ALL_HOSTS = "all"
# Reads that, with several hosts and none named, answer for every host at once.
EVERYWHERE_TOOLS = frozenset({"list_containers"})

Status = Literal["executed", "pending_approval", "rejected", "denied", "failed", "planned"]
# Audit event -> what the caller is told.
EVENT_STATUS: dict[str, Status] = {
    "denied": "denied", "invalid": "failed", "failed": "failed", "proposed": "pending_approval",
    "executed": "executed", "rejected": "rejected",
}  # fmt: skip


@dataclass
class CallOutcome:
    tool: str
    args: dict[str, Any]
    status: Status
    message: str = ""
    result: Any = None
    approval: dict[str, Any] | None = None
    call_id: str | None = None
    error_code: ErrorCode | None = None
    preview: dict[str, Any] | None = field(default=None)

    def public(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "args": self.args,
            "status": self.status,
            "message": self.message,
            "result": self.result,
            "approval_id": self.approval["id"] if self.approval else None,
            "error_code": str(self.error_code) if self.error_code else None,  # checkpoint-safe
        }


@dataclass
class FollowedLogs:
    """A follow request's outcome and, when it was allowed, its lines as they come."""

    outcome: CallOutcome
    lines: Iterator[str] = field(default_factory=lambda: iter(()))
    stop: Callable[[], None] = lambda: None  # ends the stream at once, from any thread


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid arguments: " + "; ".join(parts)


class ToolGateway:
    def __init__(
        self,
        docker: EngineClient | Mapping[str, EngineClient],
        policy: Policy,
        sessions: sessionmaker[Any],
        *,
        approval_ttl_seconds: int = 600,
        log_tail_max: int = 1000,
        compose_dirs: Sequence[Path] = (),
        follow_limits: tuple[int, int] = (3600, 100_000),
    ) -> None:
        """`follow_limits`: a followed log stream's most seconds and lines."""
        managers = dict(docker) if isinstance(docker, Mapping) else {docker.host: docker}
        self.managers: dict[str, EngineClient] = managers
        self.default_host = next(iter(managers))
        self.policy = policy
        self.approvals = ApprovalStore(sessions, approval_ttl_seconds)
        self.audit = AuditLog(sessions)
        self._contexts = {
            name: ToolContext(
                docker=manager,
                log_tail_max=log_tail_max,
                policy=policy,
                compose_dirs=tuple(Path(d) for d in compose_dirs),
            )
            for name, manager in managers.items()
        }
        self._swarm_hosts: list[str] | None = None
        self.follow_limits = follow_limits
        # Who the requester is *now* (role changed, user disabled, bot token revoked); set by
        # the API from its accounts. None: trust the role recorded with the request.
        self.current_role: Callable[[str], Role | None] | None = None

    @property
    def compose_dirs(self) -> tuple[Path, ...]:
        return self._contexts[self.default_host].compose_dirs

    @property
    def multi_host(self) -> bool:
        return len(self.managers) > 1

    def ctx_for(self, host: str) -> ToolContext:
        try:
            return self._contexts[host]
        except KeyError:
            known = ", ".join(self._contexts)
            raise InvalidArguments(f"unknown host {host!r}; configured hosts: {known}") from None

    def swarm_hosts(self) -> list[str]:
        """Hosts whose engine is a swarm manager (asked once; an engine down counts as not)."""
        if self._swarm_hosts is None:
            found = []
            for name, manager in self.managers.items():
                try:
                    if manager.system_info().swarm == "active":
                        found.append(name)
                except DockerDeployerError:
                    continue
            self._swarm_hosts = found
        return self._swarm_hosts

    def resolve_host(self, spec: ToolSpec, args: ToolInput, risk: Risk) -> str:
        """Which host a call acts on. With several hosts, a call naming a container goes where
        that container is (and must be unambiguous); other changes must name their host."""
        host = getattr(args, "host", None)
        if host == ALL_HOSTS:
            if spec.name not in EVERYWHERE_TOOLS:
                raise InvalidArguments(f"{spec.name} runs on one host; name it")
            return ALL_HOSTS
        if host is not None:
            self.ctx_for(host)
            return str(host)
        if not self.multi_host:
            return self.default_host
        if spec.name in EVERYWHERE_TOOLS:
            return ALL_HOSTS
        if spec.needs == "swarm" and len(self.swarm_hosts()) == 1:
            return self.swarm_hosts()[0]  # one cluster: its manager is the host
        container = getattr(args, "container", None)
        if container is not None:
            found: list[str] = []
            down: list[str] = []  # a host that did not answer may hold it too
            for name, manager in self.managers.items():
                try:
                    manager.resolve_container(container)
                except (EngineUnavailable, EngineTimeout) as exc:
                    down.append(f"{name}: {exc.message}")
                    continue
                except DockerDeployerError:
                    continue
                found.append(name)
            if len(found) == 1 and (not down or risk is Risk.READ):
                return found[0]
            if len(found) > 1:
                raise InvalidArguments(
                    f"{container!r} exists on hosts {', '.join(found)}; say which host"
                )
            if found:
                raise InvalidArguments(
                    f"{container!r} is on {found[0]}; name the host (some hosts did not "
                    f"answer and may have one too: {'; '.join(down)})"
                )
            if down:
                raise EngineUnavailable(
                    f"No container named {container!r} on the hosts that answered; "
                    f"some hosts did not answer: {'; '.join(down)}"
                )
            raise ContainerNotFound(f"No container named {container!r} on any host.")
        if risk is Risk.READ:
            return self.default_host
        raise InvalidArguments(f"{spec.name} needs a host: one of {', '.join(self.managers)}")

    # --- planning -------------------------------------------------------------------------------

    def validate(self, tool: str, raw_args: dict[str, Any] | None) -> tuple[ToolSpec, ToolInput]:
        spec = get_tool(tool)
        try:
            args = spec.input_model.model_validate(raw_args or {})
        except ValidationError as exc:
            raise InvalidArguments(validation_message(exc)) from exc
        return spec, args

    # --- calls ------------------------------------------------------------------------------------

    def call(
        self,
        actor: Actor,
        tool: str,
        raw_args: dict[str, Any] | None,
        *,
        call_id: str | None = None,
        thread_id: str | None = None,
        request: str | None = None,
        dry_run: bool = False,
        tainted: bool = False,
        propose_only: bool = False,
    ) -> CallOutcome:
        """Run a call through the guard: prepare, decide, then settle every exit the same way.

        `dry_run`: plan only (mutating calls come back `planned`). `propose_only`: record the
        approval a call needs, but do not execute an allowed call (status `planned`); the agent
        uses it to decide whether to pause before the tool runs.
        """
        if call_id:
            existing = self.approvals.by_call(call_id)
            if existing is not None:
                return self._outcome_of(existing)
        audit: dict[str, Any] = {
            "host": self.default_host, "thread_id": thread_id, "call_id": call_id,
            "request": request,
        }  # fmt: skip
        prepared = self._prepare(actor, tool, dict(raw_args or {}), audit)
        if isinstance(prepared, CallOutcome):
            return prepared
        spec, args, norm, risk, plan = prepared
        if plan is None:  # a read on every host
            return self._everywhere(actor, spec, args, norm, audit)
        decision = self.policy.decide(
            actor, spec.name, risk, plan, tainted=tainted, private=spec.private
        )
        if decision.verdict is Verdict.DENY:
            return self._settle("denied", actor, tool, norm, audit, decision.reason)
        allowed_unrun = propose_only and decision.verdict is Verdict.ALLOW
        if (dry_run and risk is not Risk.READ) or allowed_unrun:
            return CallOutcome(
                tool, norm, "planned", plan.summary, call_id=call_id, preview=plan.preview()
            )
        if decision.verdict is Verdict.NEEDS_APPROVAL:
            approval = self.approvals.create(
                call_id=call_id,
                thread_id=thread_id,
                tool=spec.name,
                host=audit["host"],
                args=norm,
                binding=binding_key(spec.name, norm, plan, audit["host"]),
                preview=plan.preview(),
                risk=risk.value,
                required_role=decision.required_role.value,
                requested_by=actor.name,
                requested_role=actor.role.value,
            )
            return self._settle(
                "proposed", actor, tool, norm, audit, f"needs approval: {plan.summary}",
                record={"approval_id": approval.id, "targets": plan.target_ids(),
                        "message": plan.summary},
                approval=approval.public(), call_id=call_id, preview=plan.preview(),
            )  # fmt: skip
        return self._execute(self.ctx_for(audit["host"]), actor, spec, args, norm, plan, audit)

    def follow_logs(self, actor: Actor, raw_args: dict[str, Any]) -> FollowedLogs:
        """`container_logs` streamed, for callers that can show lines as they come (CLI, SSE):
        checked and audited like the same read through `call`, then the engine's follow
        stream handed back, bounded by `seconds` and the tail cap."""
        tool = "container_logs"
        audit: dict[str, Any] = {"host": self.default_host, "thread_id": None, "call_id": None}
        prepared = self._prepare(actor, tool, {**raw_args, "follow": True}, audit)
        if isinstance(prepared, CallOutcome):
            return FollowedLogs(prepared)
        spec, args, norm, risk, plan = prepared
        if plan is None or not isinstance(args, ContainerLogsInput):  # one container, one host
            raise InvalidArguments("following logs needs one container on one host")
        decision = self.policy.decide(actor, tool, risk, plan, private=spec.private)
        if decision.verdict is not Verdict.ALLOW:
            reason = decision.reason or "following logs is not allowed for this role"
            return FollowedLogs(self._settle("denied", actor, tool, norm, audit, reason))
        ctx = self.ctx_for(audit["host"])
        target = plan.targets[0]
        seconds_max, lines_max = self.follow_limits
        try:
            follow = ctx.docker.follow_logs(
                target.id, min(args.tail, ctx.log_tail_max), args.since, args.grep,
                seconds=min(args.seconds, seconds_max), max_lines=lines_max,
            )  # fmt: skip
        except DockerDeployerError as exc:
            return FollowedLogs(
                self._settle_error("failed", actor, tool, norm, audit, exc, read=True)
            )
        outcome = self._settle(
            "executed", actor, tool, norm, audit, f"following {target.name}", read=True,
            result={"container": target.name, "seconds": min(args.seconds, seconds_max)},
        )  # fmt: skip
        return FollowedLogs(outcome, iter(follow), follow.close)

    def _prepare(
        self, actor: Actor, tool: str, raw_args: dict[str, Any], audit: dict[str, Any]
    ) -> tuple[ToolSpec, ToolInput, dict[str, Any], Risk, ActionPlan | None] | CallOutcome:
        """Validate, check the role, pick the host, plan. Any refusal comes back settled; a
        read on every host comes back without a plan. `audit["host"]` is set to the host."""
        try:
            spec, args = self.validate(tool, raw_args)
        except DockerDeployerError as exc:
            return self._settle_error("invalid", actor, tool, raw_args, audit, exc)
        norm = args.model_dump(mode="json", exclude_defaults=True)
        risk = spec.risk_for(args)
        denial = self.policy.role_denial(actor, spec.name, risk)
        if denial is not None:  # before planning: no "is running" or "no such container" hints
            return self._settle("denied", actor, tool, norm, audit, denial.reason)
        try:
            host = self.resolve_host(spec, args, risk)
            if host == ALL_HOSTS:
                return spec, args, norm, risk, None
            audit["host"] = host
            plan = spec.plan(self.ctx_for(host), args)
        except DockerDeployerError as exc:
            return self._settle_error(
                "failed", actor, tool, norm, audit, exc, read=risk is Risk.READ
            )
        return spec, args, norm, risk, plan

    def _settle(
        self,
        event: str,
        actor: Actor,
        tool: str,
        args: dict[str, Any],
        audit: dict[str, Any],
        message: str,
        *,
        error_code: ErrorCode | None = None,
        record: dict[str, Any] | None = None,
        read: bool = False,
        **outcome: Any,
    ) -> CallOutcome:
        """The one exit: audit `event` and build the caller's outcome. A read that ran (or
        failed) is counted, not given a row; changes, decisions and denials each get one."""
        if read and event in ("executed", "failed"):
            self.audit.read(actor, tool, str(audit["host"]), ok=event == "executed")
        else:
            fields = {**audit, "message": message, **(record or {})}
            self.audit.record(event, actor, tool, args, **fields)
        status = EVENT_STATUS[event]
        if status == "denied" and error_code is None:
            error_code = ErrorCode.DENIED
        return CallOutcome(tool, args, status, message, error_code=error_code, **outcome)

    def _settle_error(
        self,
        event: str,
        actor: Actor,
        tool: str,
        args: dict[str, Any],
        audit: dict[str, Any],
        exc: DockerDeployerError,
        read: bool = False,
    ) -> CallOutcome:
        """A refusal by policy is `denied` whatever stage raised it; anything else is `event`."""
        event = "denied" if isinstance(exc, PolicyDenied) else event
        return self._settle(
            event, actor, tool, args, audit, exc.message, error_code=exc.code, read=read
        )

    def _everywhere(
        self,
        actor: Actor,
        spec: ToolSpec,
        args: ToolInput,
        norm: dict[str, Any],
        audit: dict[str, Any],
    ) -> CallOutcome:
        """A read across every host: one answer, with the hosts that did not answer named."""
        merged: list[Any] = []
        down: list[str] = []
        for name, ctx in self._contexts.items():
            try:
                merged += to_jsonable(spec.run(ctx, args, ActionPlan(summary="read")))
            except DockerDeployerError as exc:
                down.append(f"{name}: {exc.message}")
        message = "done" if not down else "some hosts did not answer: " + "; ".join(down)
        if down and not merged and len(down) == len(self._contexts):
            return self._settle(
                "failed",
                actor,
                spec.name,
                norm,
                audit,
                message,
                error_code=ErrorCode.ENGINE_UNAVAILABLE,
                read=True,
            )
        everywhere = {**audit, "host": ALL_HOSTS}
        return self._settle(
            "executed", actor, spec.name, norm, everywhere, message, result=merged, read=True
        )

    def _execute(
        self,
        ctx: ToolContext,
        actor: Actor,
        spec: ToolSpec,
        args: ToolInput,
        norm: dict[str, Any],
        plan: ActionPlan,
        audit: dict[str, Any],
        approval_id: str | None = None,
        approver: str | None = None,
    ) -> CallOutcome:
        audit = {
            **audit, "approval_id": approval_id, "approver": approver,
            "targets": plan.target_ids(),
        }  # fmt: skip
        read = spec.risk_for(args) is Risk.READ
        try:
            # Only what the plan showed (and an admin approved) may be carried over.
            with carrying(plan.carried):
                result = to_jsonable(spec.run(ctx, args, plan))
        except DockerDeployerError as exc:  # the engine boundary's refusal comes back denied
            return self._settle_error("failed", actor, spec.name, norm, audit, exc, read=read)
        message = result.get("message", "done") if isinstance(result, dict) else "done"
        return self._settle(
            "executed", actor, spec.name, norm, audit, message, result=result, read=read
        )

    # --- approvals --------------------------------------------------------------------------------

    def decide(
        self, approval_id: str, approver: Actor, approve: bool, reason: str | None = None
    ) -> CallOutcome:
        """Approve (and run, once) or reject a pending call."""
        approval = self.approvals.get(approval_id)
        requester = Actor(approval.requested_by, Role(approval.requested_role))
        audit: dict[str, Any] = {
            "host": approval.host,
            "thread_id": approval.thread_id,
            "call_id": approval.call_id,
            "approval_id": approval.id,
            "approver": approver.name,
        }
        if approver.kind == ActorKind.BOT:
            raise ApprovalForbidden("bot tokens may request actions but not approve them")
        if approver.role.rank < Role(approval.required_role).rank:
            raise ApprovalForbidden(
                f"approving {approval.tool} needs role {approval.required_role}; "
                f"{approver.name} is {approver.role.value}"
            )
        if approval.status is not ApprovalStatus.PENDING:
            raise ApprovalAlreadyDecided(
                f"approval {approval.id} is already {approval.status.value}"
            )
        if approve:  # withdrawing your own request (reject) is always allowed
            denial = self.policy.self_approval_denial(
                approval.requested_by, approver, Risk(approval.risk)
            )
            if denial:
                raise ApprovalForbidden(denial)
        if not approve:
            if not self.approvals.transition(
                approval.id, ApprovalStatus.PENDING, ApprovalStatus.REJECTED,
                decided_by=approver.name, reason=reason or "rejected",
            ):  # fmt: skip
                raise ApprovalAlreadyDecided(f"approval {approval.id} was decided meanwhile")
            self.audit.record(
                "rejected", requester, approval.tool, approval.args, message=reason, **audit
            )
            return CallOutcome(
                approval.tool, approval.args, "rejected", reason or "rejected by " + approver.name,
                approval=self.approvals.get(approval.id).public(), call_id=approval.call_id,
            )  # fmt: skip
        if not self.approvals.transition(
            approval.id, ApprovalStatus.PENDING, ApprovalStatus.EXECUTING,
            decided_by=approver.name, unexpired=True,
        ):  # fmt: skip
            current = self.approvals.get(approval.id)
            if current.status is ApprovalStatus.PENDING:
                self.approvals.transition(approval.id, current.status, ApprovalStatus.EXPIRED)
                self.audit.record(
                    "expired", requester, approval.tool, approval.args, message="expired", **audit
                )
                raise ApprovalExpired(
                    f"approval {approval.id} expired at {current.expires_at:%H:%M:%S} UTC; "
                    "ask again"
                )
            raise ApprovalAlreadyDecided(f"approval {approval.id} is already {current.status}")
        self.audit.record("approved", requester, approval.tool, approval.args, **audit)
        outcome = self._run_approved(approval, requester, audit)
        final = ApprovalStatus.EXECUTED if outcome.status == "executed" else ApprovalStatus.FAILED
        if outcome.status == "denied":
            final = ApprovalStatus.STALE
        self.approvals.transition(
            approval.id, ApprovalStatus.EXECUTING, final, reason=outcome.message,
            result={"status": outcome.status, "message": outcome.message,
                    "result": outcome.result},
        )  # fmt: skip
        outcome.approval = self.approvals.get(approval.id).public()
        outcome.call_id = approval.call_id
        if final is ApprovalStatus.STALE:
            if outcome.error_code is ErrorCode.APPROVAL_TARGET_CHANGED:
                raise ApprovalTargetChanged(outcome.message)
            raise PolicyDenied(outcome.message)
        return outcome

    def expire_requests_of(self, requested_by: str, reason: str) -> list[str]:
        """End the pending requests of a user who was disabled or a bot token that was revoked
        (a request outliving its requester's access must not run later); their IDs."""
        return expire_requests_of(self.approvals, self.audit, requested_by, reason)

    def _run_approved(
        self, approval: Approval, requester: Actor, audit: dict[str, Any]
    ) -> CallOutcome:
        """Re-plan and re-check now; run only if it is still exactly what was approved."""
        try:
            spec, args = self.validate(approval.tool, approval.args)
            ctx = self.ctx_for(approval.host)
            plan = spec.plan(ctx, args)
        except DockerDeployerError as exc:
            event = "denied" if isinstance(exc, PolicyDenied) else "failed"
            return self._settle(
                event, requester, approval.tool, approval.args, audit,
                f"not run: {exc.message}", error_code=exc.code,
            )  # fmt: skip
        norm = args.model_dump(mode="json", exclude_defaults=True)
        if binding_key(spec.name, norm, plan, approval.host) != approval.binding:
            message = (
                "not run: what this approval named has changed since it was requested "
                f"(now: {plan.summary}); ask again"
            )
            return self._settle(
                "denied",
                requester,
                spec.name,
                norm,
                audit,
                message,
                error_code=ApprovalTargetChanged.code,
            )
        if self.current_role is not None:
            role = self.current_role(requester.name)
            if role is None:
                message = f"not run: {requester.name} is no longer an active user or token"
                return self._settle("denied", requester, spec.name, norm, audit, message)
            requester = Actor(requester.name, role, requester.kind)
        decision = self.policy.decide(requester, spec.name, spec.risk_for(args), plan)
        if decision.verdict is Verdict.DENY:
            return self._settle(
                "denied", requester, spec.name, norm, audit, f"not run: {decision.reason}"
            )
        plain: dict[str, Any] = {
            k: v for k, v in audit.items() if k not in ("approval_id", "approver")
        }
        return self._execute(
            ctx, requester, spec, args, norm, plan, plain,
            approval_id=approval.id, approver=audit["approver"],
        )  # fmt: skip

    def _outcome_of(self, approval: Approval) -> CallOutcome:
        """The state of an earlier call with the same call id (an agent resuming)."""
        status: Status
        result = approval.result or {}
        if approval.status is ApprovalStatus.PENDING:
            status, message = "pending_approval", f"needs approval: {approval.preview['summary']}"
        elif approval.status is ApprovalStatus.REJECTED:
            status, message = "rejected", f"rejected by {approval.decided_by}: {approval.reason}"
        elif approval.status is ApprovalStatus.EXECUTED:
            status, message = "executed", str(result.get("message", "done"))
        elif approval.status is ApprovalStatus.EXPIRED:
            status, message = "failed", "the approval expired; nothing was run"
        elif approval.status is ApprovalStatus.STALE:
            status, message = "denied", str(approval.reason)
        else:
            status, message = "failed", str(approval.reason or approval.status.value)
        return CallOutcome(
            approval.tool,
            approval.args,
            status,
            message,
            result=result.get("result"),
            approval=approval.public(),
            call_id=approval.call_id,
        )


def expire_requests_of(
    approvals: ApprovalStore, audit: AuditLog, requested_by: str, reason: str
) -> list[str]:
    """`ToolGateway.expire_requests_of` without a gateway (the CLI has no engine to hand)."""
    ended = []
    for approval in approvals.pending_of(requested_by):
        if approvals.transition(
            approval.id, ApprovalStatus.PENDING, ApprovalStatus.EXPIRED, reason=reason
        ):
            audit.record(
                "expired", Actor(requested_by, Role(approval.requested_role)), approval.tool,
                approval.args, host=approval.host, thread_id=approval.thread_id,
                call_id=approval.call_id, approval_id=approval.id, message=reason,
            )  # fmt: skip
            ended.append(approval.id)
    return ended
