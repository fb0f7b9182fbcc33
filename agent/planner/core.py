"""Assemble the plan: each clause gets an intent, a handler turns it into calls, calls go into
dependency batches.

Batching: a clause that changes something starts a new batch, because later clauses may depend
on it ("restart the api and show why it crashed"); consecutive read-only clauses share a batch.
A handler that cannot proceed raises `Clarify` and the whole request stops there, so nothing runs
on a half-understood request.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.planner import ContainerBrief, Plan, PlannedCall, actions, reads, replies
from agent.planner.intents import Intent, classify, mark_restart_policy, split_clauses
from agent.planner.lexicon import words
from agent.planner.selection import Clarify, PlanContext, names_container, remember_mentioned
from agent.planner.text import Token, tokenise

READ_TOOLS = words(
    "list_containers inspect_container container_logs container_stats list_images list_networks "
    "list_volumes system_info"
)


def build_plan(text: str, containers: Sequence[ContainerBrief], images: Sequence[str]) -> Plan:
    ctx = PlanContext(containers=list(containers), images=images)
    tokens = tokenise(text, protected=ctx.known)
    mark_restart_policy(tokens)
    batches: list[list[PlannedCall]] = []
    previous_read_only = False
    notes: list[str] = []
    declined: list[str] = []  # verbs the user asked us not to perform
    try:
        for clause in split_clauses(tokens):
            intent = classify(clause, lambda words: names_container(words, ctx), images, ctx.names)
            if intent.action == "empty":
                continue
            if intent.action == "negated":
                declined.append(intent.note or "")
                continue
            if intent.action == "unknown":
                # an aside ("the api is stuck, ...") can still tell what "it" means later
                if intent.note:
                    notes.append(intent.note)
                remember_mentioned(clause, ctx)
                continue
            calls = _calls(intent, clause, ctx)
            read_only = all(call.tool in READ_TOOLS for call in calls)
            if batches and read_only and previous_read_only:
                batches[-1].extend(calls)
            else:
                batches.append(calls)
            previous_read_only = read_only
    except Clarify as question:
        return Plan(kind="clarify", reply=str(question))
    if not batches and declined:
        return Plan(kind="unknown", reply=replies.declined(declined[0], ctx.containers))
    if not batches:
        return Plan(kind="unknown", reply=replies.not_understood(notes, ctx.containers))
    return Plan(kind="calls", steps=batches)


def _calls(intent: Intent, clause: list[Token], ctx: PlanContext) -> list[PlannedCall]:
    match intent.action:
        case "restart" | "stop" | "start" | "remove":
            return actions.container_action(intent.action, clause, ctx)
        case "run":
            return actions.run(clause, ctx)
        case "exec":
            return actions.exec_(clause, ctx)
        case "pull":
            return actions.pull(clause, ctx)
        case "remove_image":
            return actions.remove_image(clause, ctx)
        case "prune":
            return actions.prune(clause, ctx)
        case "why":
            return reads.logs(clause, ctx, why=True)
        case _:
            return reads.reads(intent.reads, clause, ctx)
