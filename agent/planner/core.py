"""Assemble the plan: each clause gets a host and an intent, a handler turns it into calls,
calls go into dependency batches.

Batching: a clause that changes something starts a new batch, because later clauses may depend
on it ("restart the api and show why it crashed"); consecutive read-only clauses share a batch.
A handler that cannot proceed raises `Clarify` (a question) or `Unsupported` (an honest no) and
the whole request stops there, so nothing runs on a half-understood request.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.planner import (
    ContainerBrief,
    Plan,
    PlannedCall,
    ServiceBrief,
    actions,
    deploy,
    hosts,
    reads,
    replies,
)
from agent.planner.intents import Intent, classify, mark_restart_policy, split_clauses
from agent.planner.selection import (
    Clarify,
    PlanContext,
    Unsupported,
    hold_back,
    names_container,
    remember_mentioned,
)
from agent.planner.text import Clause, tokenise
from tools.catalogue import read_tools

READ_TOOLS = read_tools()  # from the catalogue: each tool declares its risk once
# Verbs that, said of containers, mean a container action ("take the api down" stops it).
_CONTAINER_VERBS = {"down": "stop", "teardown": "remove"}


def build_plan(
    text: str,
    containers: Sequence[ContainerBrief],
    images: Sequence[str],
    host_names: Sequence[str] = (),
    services: Sequence[ServiceBrief] = (),
    projects: Sequence[str] = (),
) -> Plan:
    ctx = PlanContext(
        containers=list(containers),
        images=images,
        hosts=tuple(host_names),
        services=tuple(services),
        projects=tuple(projects),
    )
    protected = ctx.known | ctx.workload_words | {h.lower() for h in ctx.hosts}
    tokens = mark_restart_policy(tokenise(text, protected=protected))
    batches: list[list[PlannedCall]] = []
    previous_read_only = False
    notes: list[str] = []
    declined: list[str] = []  # verbs the user asked us not to perform
    pending_host: str | None = None
    try:
        clauses = split_clauses(tokens)
        for index, clause in enumerate(clauses):
            if ctx.skip_next:
                ctx.skip_next = False
                continue
            ctx.next_clause = clauses[index + 1] if index + 1 < len(clauses) else None
            scope = hosts.extract(clause, ctx)
            clause = scope.clause  # without its host words
            host = pending_host if scope.host is None and not scope.which else scope.host
            pending_host = None
            if host and ctx.next_clause and hosts.only_host(clause):
                pending_host = host  # "on host2, stop blog-web-1": for the next clause
                continue
            ctx.on_host(host)
            if scope.which:
                calls = hosts.which_host(clause, ctx)
            else:
                intent = classify(
                    clause, lambda words: names_container(words, ctx), images, ctx.names
                )
                if intent.action == "empty":
                    continue
                if intent.action == "negated":
                    declined.append(intent.note or "")
                    hold_back(clause, ctx, negated=True)
                    continue
                found, rest = _calls(intent, clause, ctx)
                if not found:
                    # an aside ("the api is stuck, ...") can still tell what "it" means later
                    if intent.note:
                        notes.append(intent.note)
                    remember_mentioned(rest, ctx)
                    hold_back(rest, ctx, negated=False)
                    deploy.remember(rest, ctx)
                    continue
                calls = found
            calls = hosts.apply(calls, ctx, READ_TOOLS)
            read_only = all(call.tool in READ_TOOLS for call in calls)
            if batches and read_only and previous_read_only:
                # "worker crashed again, what happened?": one question, asked once
                batches[-1].extend(call for call in calls if call not in batches[-1])
            else:
                batches.append(calls)
            previous_read_only = read_only
    except Clarify as question:
        return Plan(kind="clarify", reply=str(question))
    except Unsupported as refusal:
        return Plan(kind="unknown", reply=replies.unsupported(str(refusal), ctx.all_containers))
    if not batches and declined:
        return Plan(kind="unknown", reply=replies.declined(declined[0], ctx.all_containers))
    if not batches:
        return Plan(kind="unknown", reply=replies.not_understood(notes, ctx.all_containers))
    return Plan(kind="calls", steps=batches)


def _calls(
    intent: Intent, clause: Clause, ctx: PlanContext
) -> tuple[list[PlannedCall] | None, Clause]:
    """The calls for one clause (None when it asks for nothing the planner can do), and what
    is left of the clause."""
    deployment, rest = deploy.plan(intent, clause, ctx)
    if deployment is not None:
        return deployment, rest
    return _container_calls(intent, clause, ctx), clause


def _container_calls(intent: Intent, clause: Clause, ctx: PlanContext) -> list[PlannedCall] | None:
    if intent.action == "unknown":
        return hosts.host_question(clause, ctx) or _listing_on_host(clause, ctx)
    if intent.action == "read":
        about_host = hosts.host_question(clause, ctx)
        if about_host:
            return about_host
    action = _CONTAINER_VERBS.get(intent.action, intent.action)
    match action:
        case "restart" | "stop" | "start" | "remove":
            return actions.container_action(action, clause, ctx)
        case "run":
            return actions.run(clause, ctx)
        case "exec":
            return actions.exec_(clause, ctx)
        case "inside":
            return actions.inside_question(clause, ctx)
        case "pull":
            return actions.pull(clause, ctx)
        case "remove_image":
            return actions.remove_image(clause, ctx)
        case "prune":
            return actions.prune(clause, ctx)
        case "why":
            return reads.diagnose(clause, ctx)
        case "ask":
            raise Clarify(replies.condition_change(intent.note or ""))
        case _:
            return reads.reads(intent.reads, clause, ctx)


def _listing_on_host(clause: Clause, ctx: PlanContext) -> list[PlannedCall] | None:
    """'what's on host2?': nothing else asked, so what runs there."""
    if ctx.host is None or names_container(clause, ctx):
        return None
    if any(not clause.used(t) and t.kind == "word" for t in clause):
        return None
    return [PlannedCall("list_containers", {})]
