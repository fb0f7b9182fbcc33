"""Handlers for clauses that only read: logs, stats, inspect, and the lists."""

from __future__ import annotations

from typing import Any

from agent.planner import PlannedCall, replies
from agent.planner import lexicon as lx
from agent.planner.selection import Clarify, PlanContext, select
from agent.planner.slots import log_options, looks_like_image, plausible_image
from agent.planner.targets import image_base, name_parts, target_words
from agent.planner.text import Token

_WHY_TAIL = 50  # "why did it crash": the last 50 lines usually hold the cause


def reads(kinds: list[str], clause: list[Token], ctx: PlanContext) -> list[PlannedCall]:
    """One clause may ask for several reads: 'logs and stats for api', 'networks and volumes'."""
    calls: list[PlannedCall] = []
    for kind in kinds:
        if kind == "logs":
            calls += logs(clause, ctx)
        elif kind in ("stats", "inspect"):
            calls += _per_container(kind, clause, ctx)
        elif kind == "containers":
            calls.append(PlannedCall("list_containers", _list_filters(clause, ctx)))
        elif kind == "images":
            calls.append(PlannedCall("list_images", _image_filter(clause, ctx)))
        else:
            tool = {"networks": "list_networks", "volumes": "list_volumes"}.get(kind, "system_info")
            calls.append(PlannedCall(tool, {}))
    return calls


def logs(clause: list[Token], ctx: PlanContext, *, why: bool = False) -> list[PlannedCall]:
    options = log_options(clause, ctx.names)
    if why and options.tail is None:
        options.tail = _WHY_TAIL
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty and not target_words_.states:
        if not ctx.last:
            raise Clarify(replies.which_container("logs", ctx.containers))
        target_words_.pronoun = True  # "restart the api and show the logs": the api's logs
    targets = select("logs", target_words_, ctx)
    return [
        PlannedCall("container_logs", {**ctx.container_args(c), **options.args()}) for c in targets
    ]


def _per_container(kind: str, clause: list[Token], ctx: PlanContext) -> list[PlannedCall]:
    tool = "container_stats" if kind == "stats" else "inspect_container"
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty and not target_words_.states:
        if ctx.last:
            target_words_.pronoun = True  # "deploy redis and show the stats": the new one's
        elif kind == "inspect":
            raise Clarify(replies.which_container("inspect", ctx.containers))
        else:
            target_words_.quantified = True  # plain "stats": every running one, as `docker stats`
    targets = select(kind, target_words_, ctx)
    return [PlannedCall(tool, ctx.container_args(c)) for c in targets]


def _list_filters(clause: list[Token], ctx: PlanContext) -> dict[str, Any]:
    """list_containers filters: status from 'all'/'stopped', name, label, image."""
    args: dict[str, Any] = {}
    states = [t.canon for t in clause if t.kind == "state" and not t.used]
    if any(t.kind == "quant" and not t.used for t in clause):
        args["status"] = "all"
    elif states and states[0] != "running":
        args["status"] = states[0]
    for i, token in enumerate(clause):
        if token.used or token.quoted:
            continue
        following = clause[i + 1] if i + 1 < len(clause) else None
        if token.norm in lx.LIST_NAME_MARKERS and following is not None:
            if following.quoted or following.kind not in ("stop", "conj"):
                args["name"] = following.raw
                token.used = following.used = True
        elif token.norm in lx.LIST_LABEL_MARKERS and following is not None:
            args["label"] = following.raw
            token.used = following.used = True
        elif token.norm in lx.GROUP_NOUNS and i > 0 and clause[i - 1].kind == "word":
            args["label"] = f"{lx.COMPOSE_PROJECT}={clause[i - 1].raw}"
            token.used = clause[i - 1].used = True
        elif token.kind == "noun" and token.canon == "image":
            image = _image_next_to(clause, i)
            if image is not None:
                args["image"] = image
    # Left-over words filter only when they match something: "list shop containers" -> name,
    # "list redis containers" -> image; "list containers on this box" adds nothing.
    for token in clause:
        if token.used or token.kind != "word" or ("name" in args and "image" in args):
            continue
        word = token.norm
        if any(word in name_parts(c.name) or word in c.name.lower() for c in ctx.containers):
            args.setdefault("name", word)
            token.used = True
        elif word in lx.KNOWN_IMAGES or any(image_base(c.image) == word for c in ctx.containers):
            args.setdefault("image", word)
            token.used = True
    return args


def _image_next_to(clause: list[Token], index: int) -> str | None:
    """'the postgres image', 'image postgres', 'from the image nginx'."""
    for step in (1, -1):
        j = index + step
        while (
            0 <= j < len(clause) and clause[j].norm in lx.IMAGE_FILTER_SKIP and not clause[j].used
        ):
            j += step
        if 0 <= j < len(clause) and looks_like_image(clause[j]) and not clause[j].used:
            clause[j].used = clause[index].used = True
            return clause[j].norm
    return None


def _image_filter(clause: list[Token], ctx: PlanContext) -> dict[str, Any]:
    """'show nginx images' filters; 'images on this machine' does not."""
    for token in clause:
        if not token.used and looks_like_image(token) and plausible_image(token.norm, ctx.images):
            token.used = True
            return {"name": token.norm}
    return {}
