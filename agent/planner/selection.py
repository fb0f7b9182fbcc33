"""Which containers a clause means, given the plan so far.

Adds to `targets` what needs the whole request: "it"/"them" (the previous clause's targets),
"all"/"except" (by state, defaulting to what the verb can act on), and containers this plan is
about to create. When the answer is not clear, `Clarify` carries the question back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.planner import ContainerBrief, replies
from agent.planner import lexicon as lx
from agent.planner.targets import (
    TargetWords,
    container_words,
    is_candidate,
    match_word,
    name_parts,
    ordered,
    resolve_phrases,
    target_words,
)
from agent.planner.text import Token


class Clarify(Exception):
    """Stop planning: the request needs a question answered first (the text to ask)."""


@dataclass
class PlanContext:
    containers: list[ContainerBrief]  # the live ones, plus those this plan will create
    images: Sequence[str]
    known: set[str] = field(default_factory=set)  # words that point at a container
    names: set[str] = field(default_factory=set)  # container names and their parts only
    last: list[ContainerBrief] = field(default_factory=list)  # what "it"/"them" mean
    last_image: str | None = None  # what "it" means after "pull redis:7"
    # run_container args of containers this plan creates without a name given by the user:
    # if a later clause refers to one, it gets the derived name so the later call can find it
    unnamed_runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.known = container_words(self.containers)
        self.names = {w for c in self.containers for w in (c.name.lower(), *name_parts(c.name))}

    def add_planned(self, container: ContainerBrief) -> None:
        self.containers.append(container)
        self.known.update({container.name.lower(), *name_parts(container.name)})
        self.names.update({container.name.lower(), *name_parts(container.name)})
        self.last = [container]

    def use(self, targets: list[ContainerBrief]) -> list[ContainerBrief]:
        """Record targets as the antecedent of "it", naming planned containers they include."""
        for container in targets:
            args = self.unnamed_runs.pop(container.name, None)
            if args is not None:
                args["name"] = container.name
        self.last = targets
        return targets


def names_container(words: Sequence[Token], ctx: PlanContext) -> bool:
    for token in words:
        if token.kind == "pronoun" and ctx.last:
            return True
        if is_candidate(token, ctx.known) and match_word(token.norm, ctx.containers):
            return True
    return False


def remember_mentioned(clause: Sequence[Token], ctx: PlanContext) -> None:
    """'the api is stuck, can you restart it?': 'it' is what the aside named, if unambiguous."""
    words = target_words(clause, ctx.known)
    result = resolve_phrases(words.phrases, ctx.containers, every=False)
    if result.containers and not result.ambiguous:
        ctx.last = ordered(result.containers, ctx.containers)


def select(verb: str, words: TargetWords, ctx: PlanContext) -> list[ContainerBrief]:
    """The containers a clause means (in live-list order), or `Clarify`."""
    if words.pronoun and not words.phrases and not words.quantified:
        if not ctx.last:
            raise Clarify(f"Which container should I {replies.verb_text(verb)}?")
        return ctx.use(list(ctx.last))
    within = _scope(words, ctx)
    if words.quantified or (words.states and not words.phrases):
        return ctx.use(_select_many(verb, words, ctx, within))
    chosen = resolve(words.phrases, ctx, every=False, within=within)
    if not chosen:
        raise Clarify(replies.which_container(verb, ctx.containers))
    return ctx.use(chosen)


def _scope(words: TargetWords, ctx: PlanContext) -> list[ContainerBrief]:
    """The containers of the named project/stack ("the blog project"); all when none named."""
    within = ctx.containers
    for token in words.scopes:
        group = match_word(token.norm, within)
        if not group:
            raise Clarify(replies.not_found(token.raw, ctx.containers))
        within = group
    return within


def _select_many(
    verb: str, words: TargetWords, ctx: PlanContext, within: list[ContainerBrief]
) -> list[ContainerBrief]:
    """'all', 'everything except db', 'the exited ones', 'all web containers'."""
    if words.states:
        states = frozenset().union(*(lx.STATE_SETS[s] for s in words.states))
    else:
        states = lx.VERB_DEFAULT_STATES[verb]
    pool = [c for c in within if c.state in states]
    if words.phrases:
        chosen = resolve(words.phrases, ctx, every=True, within=within)
        pool = [c for c in pool if c in chosen]
    excluded = resolve(words.excluded, ctx, every=True)
    pool = [c for c in pool if c not in excluded]
    if not pool:
        described = " or ".join(sorted(states))
        raise Clarify(
            f"No {described} containers match, so there is nothing to {replies.verb_text(verb)}."
        )
    return pool


def resolve(
    phrases: Sequence[Sequence[Token]],
    ctx: PlanContext,
    *,
    every: bool,
    within: list[ContainerBrief] | None = None,
) -> list[ContainerBrief]:
    result = resolve_phrases(phrases, ctx.containers if within is None else within, every)
    if result.missing:
        raise Clarify(replies.not_found(result.missing[0], ctx.containers))
    if result.ambiguous:
        raise Clarify(replies.which_one([c.name for c in result.ambiguous[0]]))
    return ordered(result.containers, ctx.containers)
