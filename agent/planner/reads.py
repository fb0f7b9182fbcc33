"""Handlers for clauses that only read: logs, stats, inspect, and the lists."""

from __future__ import annotations

import dataclasses
from typing import Any

from agent.planner import PlannedCall, replies
from agent.planner import lexicon as lx
from agent.planner.selection import Clarify, PlanContext, select
from agent.planner.slots import log_options, looks_like_image, plausible_image
from agent.planner.targets import image_base, name_parts, target_words
from agent.planner.text import Clause

_WHY_TAIL = 50  # "why did it crash": the last 50 lines usually hold the cause


def reads(kinds: list[str], clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """One clause may ask for several reads: 'logs and stats for api', 'networks and volumes'.
    Each read passes on the clause with its own words taken ("50" in "logs 50 and stats for
    api" is a tail, not a container to show stats for)."""
    calls: list[PlannedCall] = []
    for kind in kinds:
        found, clause = _read(kind, clause, ctx)
        calls += found
    return calls


def _read(kind: str, clause: Clause, ctx: PlanContext) -> tuple[list[PlannedCall], Clause]:
    if kind == "diagnose":
        return diagnose(clause, ctx), clause
    if kind == "problems":
        return [PlannedCall("find_problems", {})], clause
    if kind == "disk":
        return [PlannedCall("disk_usage", {})], clause
    if kind == "trouble":
        return _in_trouble(clause)
    if kind == "logs":
        return _logs(clause, ctx)
    if kind in ("stats", "inspect"):
        return _per_container(kind, clause, ctx), clause
    if kind == "containers":
        filters, clause = _list_filters(clause, ctx)
        return [PlannedCall("list_containers", filters)], clause
    if kind == "images":
        filters, clause = _image_filter(clause, ctx)
        return [PlannedCall("list_images", filters)], clause
    tool = {"networks": "list_networks", "volumes": "list_volumes"}.get(kind, "system_info")
    return [PlannedCall(tool, {})], clause


def diagnose(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """'why did web crash?': diagnose_container for each container meant; said of nothing in
    particular ("what went wrong?"), everything in trouble."""
    _, clause = log_options(clause, ctx.names)  # "in the last hour" names no container
    clause = _without_port(clause)  # "why can't web start on port 8080?": context, not a name
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty and not target_words_.states:
        if not ctx.last:
            return [PlannedCall("find_problems", {})]
        target_words_ = dataclasses.replace(target_words_, pronoun=True)
    targets = select("inspect", target_words_, ctx)
    return [PlannedCall("diagnose_container", ctx.container_args(c)) for c in targets]


def _without_port(clause: Clause) -> Clause:
    """The clause with "port 8080" (and "ports 80 and 443") taken."""
    for i, token in enumerate(clause):
        if token.quoted or token.norm not in lx.PORT_WORDS:
            continue
        taken = [i]
        for j in range(i + 1, len(clause)):
            if clause[j].norm.isdigit():
                taken.append(j)
            elif clause[j].norm not in lx.PORT_LIST_GLUE:
                break
        clause = clause.take_at(*taken)
    return clause


def _in_trouble(clause: Clause) -> tuple[list[PlannedCall], Clause]:
    """'is anything unhealthy?', 'containers that exited with code 1': one filtered list."""
    words = {word for word, _ in lx.TROUBLE_CONDITIONS}
    condition = next(c for word, c in lx.TROUBLE_CONDITIONS if any(t.norm == word for t in clause))
    taken = [t for t in clause if t.norm in words or t.norm in lx.CONDITION_TAIL_WORDS]
    return [PlannedCall("list_containers", {"condition": condition})], clause.take(*taken)


def logs(clause: Clause, ctx: PlanContext, *, why: bool = False) -> list[PlannedCall]:
    return _logs(clause, ctx, why=why)[0]


def _logs(
    clause: Clause, ctx: PlanContext, *, why: bool = False
) -> tuple[list[PlannedCall], Clause]:
    options, clause = log_options(clause, ctx.names)
    if why and options.tail is None:
        options = dataclasses.replace(options, tail=_WHY_TAIL)
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty and not target_words_.states:
        if not ctx.last:
            raise Clarify(replies.which_container("logs", ctx.containers))
        # "restart the api and show the logs": the api's logs
        target_words_ = dataclasses.replace(target_words_, pronoun=True)
    targets = select("logs", target_words_, ctx)
    calls = [
        PlannedCall("container_logs", {**ctx.container_args(c), **options.args()}) for c in targets
    ]
    return calls, clause


def _per_container(kind: str, clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    tool = "container_stats" if kind == "stats" else "inspect_container"
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty and not target_words_.states:
        if ctx.last:
            # "deploy redis and show the stats": the new one's
            target_words_ = dataclasses.replace(target_words_, pronoun=True)
        elif kind == "inspect":
            raise Clarify(replies.which_container("inspect", ctx.containers))
        else:
            return [_all_stats(clause)]  # plain "stats": every running one, as `docker stats`
    if kind == "stats" and target_words_.quantified and not target_words_.phrases:
        if not target_words_.states and not target_words_.excluded and not target_words_.scopes:
            return [_all_stats(clause)]  # "memory of every container": one sorted call
    targets = select(kind, target_words_, ctx)
    return [PlannedCall(tool, ctx.container_args(c)) for c in targets]


def _all_stats(clause: Clause) -> PlannedCall:
    """container_stats for every running container, sorted by what the words rank by."""
    sort_by = next(
        (lx.STATS_SORT_WORDS[t.norm] for t in clause if t.norm in lx.STATS_SORT_WORDS), None
    )
    return PlannedCall("container_stats", {"sort_by": sort_by} if sort_by else {})


def _list_filters(clause: Clause, ctx: PlanContext) -> tuple[dict[str, Any], Clause]:
    """list_containers filters: status from 'all'/'stopped', name, label, image; and the clause
    with the words that said them taken."""
    args: dict[str, Any] = {}
    states = [t.canon for t in clause if t.kind == "state" and not clause.used(t)]
    if any(t.kind == "quant" and not clause.used(t) for t in clause):
        args["status"] = "all"
    elif states and states[0] != "running":
        args["status"] = states[0]
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        following = clause[i + 1] if i + 1 < len(clause) else None
        if token.norm in lx.LIST_NAME_MARKERS and following is not None:
            if following.quoted or following.kind not in ("stop", "conj"):
                args["name"] = following.raw
                clause = clause.take(token, following)
        elif token.norm in lx.LIST_LABEL_MARKERS and following is not None:
            args["label"] = following.raw
            clause = clause.take(token, following)
        elif token.norm in lx.GROUP_NOUNS and i > 0 and clause[i - 1].kind == "word":
            args["label"] = f"{lx.COMPOSE_PROJECT}={clause[i - 1].raw}"
            clause = clause.take(token, clause[i - 1])
        elif token.kind == "noun" and token.canon == "image":
            image, clause = _image_next_to(clause, i)
            if image is not None:
                args["image"] = image
    # Left-over words filter only when they match something: "list shop containers" -> name,
    # "list redis containers" -> image; "list containers on this box" adds nothing.
    for token in clause:
        if clause.used(token) or token.kind != "word" or ("name" in args and "image" in args):
            continue
        word = token.norm
        if any(word in name_parts(c.name) or word in c.name.lower() for c in ctx.containers):
            args.setdefault("name", word)
            clause = clause.take(token)
        elif word in lx.KNOWN_IMAGES or any(image_base(c.image) == word for c in ctx.containers):
            args.setdefault("image", word)
            clause = clause.take(token)
    return args, clause


def _image_next_to(clause: Clause, index: int) -> tuple[str | None, Clause]:
    """'the postgres image', 'image postgres', 'from the image nginx'."""
    for step in (1, -1):
        j = index + step
        while (
            0 <= j < len(clause)
            and clause[j].norm in lx.IMAGE_FILTER_SKIP
            and not clause.used(clause[j])
        ):
            j += step
        if 0 <= j < len(clause) and looks_like_image(clause[j]) and not clause.used(clause[j]):
            return clause[j].norm, clause.take_at(j, index)
    return None, clause


def _image_filter(clause: Clause, ctx: PlanContext) -> tuple[dict[str, Any], Clause]:
    """'show nginx images' filters; 'images on this machine' does not."""
    for token in clause:
        if (
            not clause.used(token)
            and looks_like_image(token)
            and plausible_image(token.norm, ctx.images)
        ):
            return {"name": token.norm}, clause.take(token)
    return {}, clause
