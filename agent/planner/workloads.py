"""Compose projects, Swarm services and stacks: which of them a clause names, and whether it
means them or a plain container.

The same word can name several things ("api": the container shop-api-1 and the service
edge_api). What was said decides ("the api service", "the shop project", "the jobs stack"); when
nothing was, a plain container wins, except for what only services can do (scale, roll back).
Swarm task containers (`shop_api.1.x7…`) stand for their service, never for themselves.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.planner import ContainerBrief, ServiceBrief, replies
from agent.planner import lexicon as lx
from agent.planner.selection import Clarify, PlanContext, Unsupported
from agent.planner.targets import image_base, match_word, name_parts
from agent.planner.text import Clause, Token

_FUZZY_CUTOFF = 0.75
_SERVICE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_COMPOSE_SUFFIX_RE = re.compile(r"[-_]\d+$")


def match_names(word: str, names: Sequence[str]) -> list[str]:
    """Names one word points at: exact, name part, substring, then a close spelling."""
    if word in names:
        return [word]
    for rule in (
        lambda n: word in name_parts(n),
        lambda n: len(word) >= 3 and word in n,
    ):
        found = [n for n in names if rule(n)]
        if found:
            return found
    if len(word) < 4 or not word.isalpha():
        return []
    keys: dict[str, list[str]] = {}
    for name in names:
        for key in {name, *name_parts(name)}:
            keys.setdefault(key, []).append(name)
    best = difflib.get_close_matches(word, list(keys), n=1, cutoff=_FUZZY_CUTOFF)
    return list(dict.fromkeys(keys[best[0]])) if best else []


def _close(word: str, names: Sequence[str]) -> str | None:
    """A project or stack name spelt slightly wrong ("shpo" -> shop)."""
    if word in names:
        return word
    if len(word) < 4 or not word.isalpha():
        return None
    best = difflib.get_close_matches(word, list(names), n=1, cutoff=_FUZZY_CUTOFF)
    return best[0] if best else None


def task_service(container: ContainerBrief) -> str | None:
    return container.labels.get(lx.SWARM_SERVICE) or None


def compose_project(container: ContainerBrief) -> str | None:
    return container.labels.get(lx.COMPOSE_PROJECT) or None


def compose_service(container: ContainerBrief) -> str:
    """The compose service a container runs: its label, else its name minus project and index."""
    label = container.labels.get(lx.COMPOSE_SERVICE)
    if label:
        return label
    name = _COMPOSE_SUFFIX_RE.sub("", container.name)
    project = compose_project(container)
    if project and name.startswith(project) and len(name) > len(project) + 1:
        name = name[len(project) + 1 :]
    return name


def stacks_of(services: Sequence[ServiceBrief]) -> dict[str, list[ServiceBrief]]:
    """Stack name -> its services (the namespace label, else the name's prefix before '_')."""
    stacks: dict[str, list[ServiceBrief]] = {}
    for service in services:
        stack = service.stack or (service.name.split("_", 1)[0] if "_" in service.name else "")
        if stack:
            stacks.setdefault(stack.lower(), []).append(service)
    return stacks


@dataclass
class Named:
    """What the words of one clause name, besides hosts."""

    said: set[str] = field(default_factory=set)  # project | stack | service | container | compose
    projects: list[str] = field(default_factory=list)
    project_tokens: list[Token] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)
    stack_tokens: list[Token] = field(default_factory=list)
    # per word: the services it names (task containers count for their service)
    services: list[tuple[Token, list[ServiceBrief]]] = field(default_factory=list)
    # per word: the plain (non-task) containers it names
    containers: list[tuple[Token, list[ContainerBrief]]] = field(default_factory=list)
    words: list[Token] = field(default_factory=list)  # every candidate word, in order
    clause: Clause = field(default_factory=Clause)

    @property
    def service_list(self) -> list[ServiceBrief]:
        seen: dict[str, ServiceBrief] = {}
        for _, found in self.services:
            for service in found:
                seen.setdefault(service.name, service)
        return list(seen.values())

    @property
    def names_containers(self) -> bool:
        return bool(self.containers)

    @property
    def naming(self) -> list[Token]:
        """The words that name anything at all (fillers like "including" do not)."""
        named = {id(t) for t, _ in self.services} | {id(t) for t, _ in self.containers}
        named |= {id(t) for t in self.project_tokens} | {id(t) for t in self.stack_tokens}
        return [t for t in self.words if id(t) in named]


def candidates(clause: Clause, ctx: PlanContext) -> list[Token]:
    """Unused words that may name something: plain words, and fillers that are exact names."""
    found = []
    for token in clause:
        if clause.used(token) or token.quoted or token.norm in lx.NOT_NAMES:
            continue
        if token.norm.isdigit() or token.norm in lx.NUMBER_WORDS and token.kind != "word":
            continue
        if token.kind == "word" or (
            token.kind in ("stop", "noun", "state") and token.norm in ctx.workload_words
        ):
            found.append(token)
    return found


def said(clause: Sequence[Token]) -> set[str]:
    norms = {t.norm for t in clause if not t.quoted}
    kinds = set()
    if norms & lx.PROJECT_NOUNS:
        kinds.add("project")
    if norms & lx.COMPOSE_WORDS:
        kinds.add("compose")
    if norms & lx.STACK_WORDS:
        kinds.add("stack")
    if norms & lx.SERVICE_WORDS:
        kinds.add("service")
    if norms & lx.CONTAINER_WORDS:
        kinds.add("container")
    return kinds


def named(clause: Clause, ctx: PlanContext) -> Named:
    result = Named(said=said(clause), clause=clause)
    explicit_group = bool(result.said & {"project", "compose", "stack"})
    plain = [c for c in ctx.containers if not task_service(c)]
    tasks = [c for c in ctx.containers if task_service(c)]
    service_names = [s.name.lower() for s in ctx.services]
    by_name = {s.name.lower(): s for s in ctx.services}
    for token in candidates(clause, ctx):
        word = token.norm
        result.words.append(token)
        project = word if word in ctx.projects else None
        if project is None and explicit_group:
            project = _close(word, ctx.projects)
        if project is not None:
            result.projects.append(project)
            result.project_tokens.append(token)
        stack = word if word in ctx.stacks else None
        if stack is None and "stack" in result.said:
            stack = _close(word, list(ctx.stacks))
        if stack is not None:
            result.stacks.append(stack)
            result.stack_tokens.append(token)
        services = [by_name[n] for n in match_names(word, service_names)]
        for container in match_word(word, tasks) if tasks else []:
            name = task_service(container) or ""
            service = by_name.get(name.lower(), ServiceBrief(name))
            if service not in services:
                services.append(service)
        if services:
            result.services.append((token, services))
        containers = match_word(word, plain) if plain else []
        if containers:
            result.containers.append((token, containers))
    if explicit_group and not (result.projects or result.stacks or result.services):
        if len(ctx.projects) == 1 and not ctx.stacks and not result.containers:
            # "start the entire project", "bring the stack down": the one project configured
            result.projects.append(ctx.projects[0])
    return result


# --- which kind of thing the clause means -----------------------------------------------------


def chosen_stack(found: Named, ctx: PlanContext) -> str | None:
    """A Swarm stack, when one is named and nothing says it is the compose project instead."""
    if not found.stacks:
        return None
    stack = found.stacks[0]
    if "stack" in found.said:
        return stack
    if stack in ctx.projects and (
        found.said & {"project", "compose"} or project_running(stack, ctx)
    ):
        return None
    if len(found.naming) == 1 and not _one_container(found):
        return stack
    return None


def chosen_project(found: Named, ctx: PlanContext, *, stack_words_too: bool = True) -> str | None:
    """A compose project, when said ("the shop project") or when its name is all there is."""
    if not found.projects:
        return None
    project = found.projects[0]
    if found.said & {"project", "compose"}:
        return project
    if "stack" in found.said and stack_words_too and project not in ctx.stacks:
        return project  # "stop the shop stack": people call compose projects stacks too
    if "container" in found.said:
        return None
    others = [t for t in found.naming if t not in found.project_tokens]
    if not others and not _one_container(found):
        return project  # "restart shop": the project, not four containers to choose from
    return None


def _one_container(found: Named) -> bool:
    return any(len(containers) == 1 for _, containers in found.containers)


def project_running(project: str, ctx: PlanContext) -> bool:
    return any(compose_project(c) == project for c in ctx.all_containers)


def wants_services(found: Named, *, only_services_can: bool = False) -> bool:
    """Whether the words mean Swarm services rather than plain containers."""
    if not found.services or "container" in found.said:
        return False
    if "service" in found.said or only_services_can:
        return True
    return not found.names_containers


def services(found: Named, ctx: PlanContext, verb: str) -> list[ServiceBrief]:
    """The services the words name; one word naming several is a question."""
    chosen: list[ServiceBrief] = []
    for token, matches in found.services:
        if len(matches) > 1:
            matches = [s for s in matches if s.name.lower() == token.norm]
            if not matches:
                raise Clarify(replies.which_one([s.name for s in found_services(found, token)]))
        if matches[0] not in chosen:
            chosen.append(matches[0])
    if not chosen:
        raise Clarify(which_service(verb, ctx))
    covered = {id(t) for t, _ in found.services}
    elsewhere = {id(t) for t, _ in found.containers} | {id(t) for t in found.project_tokens}
    stray = next(
        (t for t in found.words if id(t) in elsewhere - covered and not found.clause.used(t)), None
    )
    if stray is not None:
        # "restart shop and the worker service": one kind per request, rather than a guess
        raise Clarify(
            f"{stray.raw!r} is not a Swarm service. Which services should I "
            f"{replies.verb_text(verb)}? Services: {', '.join(s.name for s in ctx.services[:8])}."
            " (Ask for containers and projects in a separate request.)"
        )
    ctx.remember_services([s.name for s in chosen])
    return chosen


def found_services(found: Named, token: Token) -> list[ServiceBrief]:
    return next((matches for t, matches in found.services if t is token), [])


def which_service(verb: str, ctx: PlanContext) -> str:
    names = [s.name for s in ctx.services][:8]
    listing = f" Services: {', '.join(names)}." if names else ""
    return f"Which Swarm service should I {replies.verb_text(verb)}?{listing}"


def _next_to_service(token: Token, clause: Sequence[Token]) -> bool:
    for i, other in enumerate(clause):
        if other is token:
            near = {t.norm for t in clause[max(0, i - 2) : i + 2]} - lx.SERVICE_NEIGHBOUR_SKIP
            return bool(near & lx.SERVICE_NOUN)
    return False


def compose_service_in(
    found: Named, project: str, ctx: PlanContext, clause: Sequence[Token] = ()
) -> str | None:
    """'the api service of the shop project' -> 'api' (from the project's containers)."""
    members = [c for c in ctx.all_containers if compose_project(c) == project]
    for token in found.words:
        if token in found.project_tokens:
            continue
        matches = match_word(token.norm, members) if members else []
        names = sorted({compose_service(c) for c in matches})
        if len(names) == 1:
            return names[0]
        if len(names) > 1:
            raise Clarify(replies.which_one(names))
        if _next_to_service(token, clause) and _SERVICE_NAME_RE.match(token.norm):
            return token.norm  # "the api service of the shop project", not running yet
    return None


def which_stack(verb: str, ctx: PlanContext) -> Clarify | None:
    """'restart the stack' with no name: which one, when there are any."""
    if not ctx.stacks:
        return None
    return Clarify(
        f"Which stack should I {replies.verb_text(verb)}: {replies.join(sorted(ctx.stacks), 'or')}?"
    )


def unknown_project(found: Named, ctx: PlanContext, verb: str) -> Clarify | Unsupported:
    """The question (or honest 'no') when a project was asked for but none matched."""
    if not ctx.projects:
        return Unsupported(
            "compose projects: none are configured (DOCKERDEPLOYER_COMPOSE_DIRS lists the "
            "directories that hold them)"
        )
    word = next((t.raw for t in found.words), None)
    opening = f"I don't know a compose project called {word!r}. " if word else ""
    return Clarify(
        f"{opening}Which project should I {replies.verb_text(verb)}: "
        f"{replies.join(list(ctx.projects), 'or')}?"
    )


def image_of_service(service: ServiceBrief) -> str:
    return service.image.split("@", 1)[0]


def same_image(a: str, b: str) -> bool:
    return image_base(a) == image_base(b)
