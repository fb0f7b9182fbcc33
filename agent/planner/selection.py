"""Which containers a clause means, given the plan so far.

Adds to `targets` what needs the whole request: "it"/"them" (the previous clause's targets),
"all"/"except" (by state, defaulting to what the verb can act on), and containers this plan is
about to create. When the answer is not clear, `Clarify` carries the question back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.planner import ContainerBrief, ServiceBrief, replies
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
from agent.planner.text import Clause, Token


class Clarify(Exception):
    """Stop planning: the request needs a question answered first (the text to ask)."""


class Unsupported(Exception):
    """Stop planning: the request is understood, but no tool does it (what to say instead)."""


ALL_HOSTS = "all"


@dataclass
class PlanContext:
    containers: list[ContainerBrief]  # the live ones (on the clause's host), plus planned ones
    images: Sequence[str]
    hosts: Sequence[str] = ()  # configured Docker hosts; the first is the default
    services: Sequence[ServiceBrief] = ()  # Swarm services
    projects: Sequence[str] = ()  # compose projects the tools may use
    known: set[str] = field(default_factory=set)  # words that point at a container
    names: set[str] = field(default_factory=set)  # container names and their parts only
    last: list[ContainerBrief] = field(default_factory=list)  # what "it"/"them" mean
    last_image: str | None = None  # what "it" means after "pull redis:7"
    # run_container args of containers this plan creates without a name given by the user:
    # if a later clause refers to one, it gets the derived name so the later call can find it
    unnamed_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # every container on every host; `containers` narrows to the clause's host
    all_containers: list[ContainerBrief] = field(default_factory=list)
    host: str | None = None  # the host the current clause names ("all" for every host)
    stacks: dict[str, list[ServiceBrief]] = field(default_factory=dict)
    workload_words: set[str] = field(default_factory=set)  # service, project, stack, host words
    # what "it" means when the previous clause was about a project or services, not containers
    last_kind: str = "containers"  # containers | project | services
    last_project: tuple[str, str | None] | None = None  # (project, compose service)
    last_services: list[str] = field(default_factory=list)
    next_clause: Clause | None = None  # the clause after this one, for "… and its volumes"
    # containers an earlier clause said to leave alone ("don't touch the db, restart the rest")
    held_back: list[ContainerBrief] = field(default_factory=list)
    skip_next: bool = False  # set when this clause's handler took the next clause in

    def __post_init__(self) -> None:
        from agent.planner.workloads import stacks_of  # the module builds on this one

        self.projects = tuple(p.lower() for p in self.projects)
        self.all_containers = self.containers
        self.known = container_words(self.containers)
        self.names = {w for c in self.containers for w in (c.name.lower(), *name_parts(c.name))}
        self.stacks = stacks_of(self.services)
        self.workload_words = {
            *(w for s in self.services for w in (s.name.lower(), *name_parts(s.name))),
            *self.projects,
            *self.stacks,
        }

    @property
    def multi_host(self) -> bool:
        return len(self.hosts) > 1

    @property
    def hosts_known(self) -> bool:
        """Whether the briefs say which host each container is on."""
        return any(c.host for c in self.all_containers)

    def on_host(self, host: str | None) -> None:
        """Narrow the containers to the clause's host (all of them for none or 'all')."""
        self.host = host
        if host and host != ALL_HOSTS and self.hosts_known:
            self.containers = [c for c in self.all_containers if c.host in (host, "")]
        else:
            self.containers = self.all_containers

    def container_args(self, container: ContainerBrief) -> dict[str, Any]:
        """The `container` argument, and its host when several hosts could hold that name."""
        args: dict[str, Any] = {"container": container.name}
        if container.host and (self.multi_host or self.host == ALL_HOSTS):
            args["host"] = container.host
        return args

    def add_planned(self, container: ContainerBrief) -> None:
        if self.host and self.host != ALL_HOSTS and self.hosts_known:
            container = ContainerBrief(container.name, container.image, container.state,
                                       host=self.host)  # fmt: skip
        self.containers.append(container)
        if self.containers is not self.all_containers:
            self.all_containers.append(container)
        self.known.update({container.name.lower(), *name_parts(container.name)})
        self.names.update({container.name.lower(), *name_parts(container.name)})
        self.last = [container]
        self.last_kind = "containers"

    def use(self, targets: list[ContainerBrief]) -> list[ContainerBrief]:
        """Record targets as the antecedent of "it", naming planned containers they include."""
        for container in targets:
            args = self.unnamed_runs.pop(container.name, None)
            if args is not None:
                args["name"] = container.name
        self.last = targets
        self.last_kind = "containers"
        return targets

    def remember_project(self, project: str, service: str | None) -> None:
        self.last_project = (project, service)
        self.last_kind = "project"

    def remember_services(self, names: list[str]) -> None:
        self.last_services = names
        self.last_kind = "services"


def names_container(words: Clause, ctx: PlanContext) -> bool:
    for token in words:
        if token.kind == "pronoun" and ctx.last:
            return True
        if is_candidate(token, ctx.known, words) and match_word(token.norm, ctx.containers):
            return True
    return False


def remember_mentioned(clause: Clause, ctx: PlanContext) -> None:
    """'the api is stuck, can you restart it?': 'it' is what the aside named, if unambiguous."""
    words = target_words(clause, ctx.known)
    result = resolve_phrases(words.phrases, ctx.containers, every=False)
    if result.containers and not result.ambiguous:
        ctx.last = ordered(result.containers, ctx.containers)


def hold_back(clause: Clause, ctx: PlanContext, *, negated: bool) -> None:
    """'don't touch the db, ...', 'don't restart the db, ...': what a later "all" or "everything
    else" leaves out (the clause's targets when it was negated, else what it excepted)."""
    words = target_words(clause, ctx.known)
    phrases = words.phrases if negated else words.excluded
    result = resolve_phrases(phrases, ctx.containers, every=True)
    if result.missing and not negated:  # "don't restart foo" acts on nothing either way
        raise Clarify(replies.not_found(result.missing[0], ctx.containers))
    ctx.held_back.extend(c for c in result.containers if c not in ctx.held_back)


def select(verb: str, words: TargetWords, ctx: PlanContext) -> list[ContainerBrief]:
    """The containers a clause means (in live-list order), or `Clarify`."""
    if words.recent and not words.phrases:
        raise Clarify(replies.which_recent(verb, ctx.containers))
    if words.pronoun and not words.phrases and not words.quantified:
        if not ctx.last:
            raise Clarify(f"Which container should I {replies.verb_text(verb)}?")
        return ctx.use(list(ctx.last))
    within = _scope(words, ctx)
    words = _without_fillers(words, within)
    if words.quantified or (words.states and not words.phrases):
        chosen = _select_many(verb, words, ctx, within)
        if words.singular and len(chosen) > 1:
            # "restart the thing that crashed" when two did: one was meant, so ask which
            raise Clarify(replies.which_one([c.name for c in chosen]))
        return ctx.use(chosen)
    chosen = resolve(
        words.phrases, ctx, every=False, within=within, tasks_together=verb in _READ_VERBS
    )
    if not chosen:
        raise Clarify(replies.which_container(verb, ctx.containers))
    return ctx.use(chosen)


def _without_fillers(words: TargetWords, within: list[ContainerBrief]) -> TargetWords:
    """A word is a target only if it names something here or is said where a target is: loose
    phrases that name nothing are dropped when something else is named."""
    if not words.loose:
        return words
    loose = {id(p) for p in words.loose}
    named = [p for p in words.phrases if resolve_phrases([p], within, every=True).containers]
    if not (named or words.pronoun or words.states or words.quantified):
        return words
    kept = [p for p in words.phrases if id(p) not in loose or p in named]
    return dataclasses.replace(words, phrases=kept, loose=[])


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
    if words.others and not (words.excluded or ctx.held_back):
        raise Clarify(f"Everything except which containers should I {replies.verb_text(verb)}?")
    excluded = resolve(words.excluded, ctx, every=True) + ctx.held_back
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
    tasks_together: bool = False,
) -> list[ContainerBrief]:
    result = resolve_phrases(phrases, ctx.containers if within is None else within, every)
    if result.missing:
        raise Clarify(replies.not_found(result.missing[0], ctx.containers))
    for group in result.ambiguous:
        if _together(group, ctx, tasks_together):
            result.containers.extend(c for c in group if c not in result.containers)
            continue
        if len({c.name for c in group}) == 1 and len({c.host for c in group}) > 1:
            raise Clarify(replies.which_host(group[0].name, [c.host for c in group]))
        raise Clarify(replies.which_one([c.name for c in group]))
    return ordered(result.containers, ctx.containers)


# Reads for which every task of one Swarm service is meant ("stats for the api").
_READ_VERBS = frozenset({"logs", "stats", "inspect", "check_update"})


def _together(group: list[ContainerBrief], ctx: PlanContext, tasks_together: bool) -> bool:
    """Several matches that are one thing: the same name on every host ("restart cron on all
    hosts"), or, for a read, the tasks of one Swarm service."""
    if ctx.host == ALL_HOSTS and len({c.name for c in group}) == 1:
        return True
    services = {c.labels.get(lx.SWARM_SERVICE) for c in group}
    return tasks_together and len(services) == 1 and None not in services
