"""Handlers for image updates, compose projects, Swarm services and stacks.

`plan` gets every clause first. It returns calls when the clause is about one of these, None
when the container handlers should take it ("restart web"), and raises `Clarify` or
`Unsupported` when the answer is a question or an honest no ("scale cron": a plain container
cannot be scaled).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent.planner import PlannedCall, ServiceBrief, reads, replies
from agent.planner import lexicon as lx
from agent.planner import workloads as wl
from agent.planner.intents import REMOVING_VOLUMES, Intent
from agent.planner.selection import Clarify, PlanContext, Unsupported, select
from agent.planner.slots import log_options, looks_like_image, plausible_image, tag_after
from agent.planner.targets import image_base, target_words
from agent.planner.text import Clause, Token

_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # Docker's tag grammar
_VERSION_RE = re.compile(r"^v?\d+(\.\d+)*(-[a-z0-9.]+)?$")
_ENV_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_SCALE_RE = re.compile(r"^([a-z0-9][a-z0-9_.-]*)=(\d{1,4})$")
# "90", "90s", "2m": a health window in one word (units written straight after the number)
_SECONDS_UNITS = sorted(lx.COMPACT_DURATION_UNITS & lx.HEALTH_WINDOW_UNITS)
_SECONDS_RE = re.compile(rf"^(\d{{1,4}})({'|'.join(_SECONDS_UNITS)})?$")
_MIN_HEALTH, _MAX_HEALTH = 3, 600
_MAX_REPLICAS = 1000


def plan(
    intent: Intent, clause: Clause, ctx: PlanContext
) -> tuple[list[PlannedCall] | None, Clause]:
    """The calls (None: the container handlers should take the clause), and what is left of
    the clause: an "if it fails" condition is taken, so an aside never reads it for names."""
    if intent.action == "rollback":
        condition, rest = _if_it_fails(clause)
        if condition and not wl.named(clause, ctx).naming:  # "... roll it back if it fails"
            return _rollback_if_it_fails(ctx), rest
    return _handle(intent, clause, ctx), clause


def _handle(intent: Intent, clause: Clause, ctx: PlanContext) -> list[PlannedCall] | None:
    action, kinds = intent.action, intent.reads
    if action == "check_update":
        return check_update(clause, ctx)
    if action in _CONTAINER_ONLY and not (ctx.services or ctx.projects) and not _mentions(clause):
        return None  # nothing but containers here, and none of the words says otherwise
    found = wl.named(clause, ctx)
    match action:
        case "update":
            return update(clause, ctx, found)
        case "redeploy":
            return redeploy(clause, ctx, found)
        case "rollback":
            return rollback(clause, ctx, found)
        case "scale":
            return scale(clause, ctx, found)
        case "down" | "teardown":
            return down(clause, ctx, found)
        case "remove":
            return remove(clause, ctx, found)
        case "restart":
            return restart(clause, ctx, found)
        case "start":
            return start(clause, ctx, found)
        case "run":
            return run(clause, ctx, found)
        case "stop":
            return stop(clause, ctx, found)
        case "read":
            return read(list(kinds), clause, ctx, found)
        case "why":
            return why(clause, ctx, found)
        case "unknown":
            if intent.note == REMOVING_VOLUMES:
                _project_volumes(clause, ctx, found)
            if intent.note is not None or any(
                t.kind == "verb" and t.canon in lx.CHANGE_VERBS for t in clause
            ):
                return None  # something the tools cannot do: never a listing instead
            return about_project(clause, ctx, found)
    return None


_CONTAINER_ONLY = frozenset({"restart", "start", "run", "stop", "read", "unknown"})


def _mentions(clause: Sequence[Token]) -> bool:
    """Whether a clause speaks of projects, stacks, services or replicas."""
    return any(t.norm in lx.WORKLOAD_WORDS for t in clause if not t.quoted)


def _norms(clause: Sequence[Token]) -> set[str]:
    return {t.norm for t in clause if not t.quoted}


def _pronoun(clause: Clause) -> bool:
    return any(t.kind == "pronoun" and not clause.used(t) for t in clause)


# --- compose and stack calls ------------------------------------------------------------------


def _compose(tool: str, project: str, ctx: PlanContext, **extra: Any) -> PlannedCall:
    """A compose call; on several hosts, the one host the project's containers are on."""
    args: dict[str, Any] = {"project": project}
    args.update({k: v for k, v in extra.items() if v is not None and v is not False})
    if ctx.multi_host and not ctx.host:
        hosts = {c.host for c in ctx.all_containers if wl.compose_project(c) == project and c.host}
        if len(hosts) == 1:
            args["host"] = hosts.pop()
    ctx.remember_project(project, extra.get("service"))
    return PlannedCall(tool, args)


def _project_call(
    tool: str, project: str, found: wl.Named, ctx: PlanContext, **extra: Any
) -> PlannedCall:
    service = wl.compose_service_in(found, project, ctx, found.clause)
    return _compose(tool, project, ctx, service=service, **extra)


def _stack_services(stack: str, ctx: PlanContext) -> list[ServiceBrief]:
    services = ctx.stacks.get(stack, [])
    ctx.remember_services([s.name for s in services])
    return services


def _missing_project(found: wl.Named, ctx: PlanContext, verb: str) -> None:
    """'bring up the foo project', 'restart the stack': a question (or an honest no) instead
    of a guess."""
    if found.said & {"project", "compose"} and not found.projects:
        if found.names_containers and not ctx.projects:
            return  # the containers of a project the tools were not told about: act on them
        raise wl.unknown_project(found, ctx, verb)
    if "stack" in found.said and not found.naming and not found.projects:
        question = wl.which_stack(verb, ctx)
        if question is not None:
            raise question


# --- lifecycle of projects, stacks and services ----------------------------------------------


def restart(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    stack = wl.chosen_stack(found, ctx)
    if stack is not None:
        return [PlannedCall("restart_service", {"service": s.name})
                for s in _stack_services(stack, ctx)]  # fmt: skip
    project = wl.chosen_project(found, ctx)
    if project is not None:
        return [_project_call("compose_restart", project, found, ctx)]
    if wl.wants_services(found):
        return [PlannedCall("restart_service", {"service": s.name})
                for s in wl.services(found, ctx, "restart")]  # fmt: skip
    if not found.naming and _pronoun(clause) and ctx.last_kind != "containers":
        return _again("restart", ctx)
    _missing_project(found, ctx, "restart")
    return None


def _again(verb: str, ctx: PlanContext) -> list[PlannedCall] | None:
    """'it' after a clause about a project or services: the same project or services."""
    if ctx.last_kind == "project" and ctx.last_project:
        project, service = ctx.last_project
        tool = {"restart": "compose_restart", "start": "compose_up", "logs": "compose_logs"}
        if verb in tool:
            return [_compose(tool[verb], project, ctx, service=service)]
    if ctx.last_kind == "services" and ctx.last_services:
        tool = {"restart": "restart_service", "rollback": "rollback_service",
                "logs": "service_logs"}  # fmt: skip
        if verb in tool:
            return [PlannedCall(tool[verb], {"service": s}) for s in ctx.last_services]
    return None


def start(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    if "stack" in found.said and found.projects and not wl.project_running(found.projects[0], ctx):
        return stack_deploy(clause, ctx, found)
    project = wl.chosen_project(found, ctx)
    if project is not None:
        return [_project_call("compose_up", project, found, ctx)]
    if "compose" in found.said and not found.naming:
        return [_compose("compose_up", _only_project(ctx, "bring up"), ctx)]
    if not found.naming and _pronoun(clause) and ctx.last_kind == "project":
        return _again("start", ctx)
    _missing_project(found, ctx, "bring up")
    if wl.wants_services(found) and not found.names_containers:
        service = wl.services(found, ctx, "start")[0]
        raise Clarify(
            f"{service.name} is a Swarm service: it runs as many tasks as it has replicas. "
            f'To run it, say "scale {service.name} to 1" (or more).'
        )
    return None


def _only_project(ctx: PlanContext, verb: str) -> str:
    """'docker compose up' with no project named: the only one there is, else a question."""
    if len(ctx.projects) == 1:
        return ctx.projects[0]
    raise wl.unknown_project(wl.Named(), ctx, verb)


def run(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    if "stack" in found.said and (
        found.projects or found.stacks or not _image_words(clause, found)
    ):
        return stack_deploy(clause, ctx, found)
    project = wl.chosen_project(found, ctx, stack_words_too=False)
    if project is not None and not _image_words(clause, found):
        return [_project_call("compose_up", project, found, ctx)]
    if _norms(clause) & lx.REPLICA_WORDS and found.services:
        return scale(clause, ctx, found)
    if _norms(clause) & lx.REPLICA_WORDS and _norms(clause) & lx.COUNT_WORDS:
        # "run three instances of the worker service" with no Swarm service to scale
        raise Unsupported(lx.RUNNING_COPIES)
    _missing_project(found, ctx, "deploy")
    return None


def _image_words(clause: Clause, found: wl.Named) -> bool:
    """Whether the clause names an image besides the project ("deploy shop/api:2")."""
    return any(
        looks_like_image(t) and (":" in t.norm or "/" in t.norm)
        for t in clause
        if t not in found.project_tokens and not clause.used(t)
    )


def stack_deploy(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall]:
    """'deploy the shop stack', 'deploy the monitoring project as stack mon'."""
    project = found.projects[0] if found.projects else None
    if project is None:
        raise wl.unknown_project(found, ctx, "deploy as a stack")
    args: dict[str, Any] = {"project": project}
    name = _word_after(clause, lx.STACK_WORDS)
    if name is not None and name != project:
        args["stack"] = name
    ctx.remember_services([s.name for s in ctx.stacks.get(args.get("stack", project), [])])
    return [PlannedCall("stack_deploy", args)]


def _word_after(clause: Sequence[Token], markers: frozenset[str]) -> str | None:
    for i, token in enumerate(clause):
        if token.norm not in markers or token.quoted:
            continue
        for following in clause[i + 1 : i + 3]:
            if following.norm in lx.STACK_NAME_MARKERS:
                continue
            if following.kind == "word" and re.match(r"^[a-z0-9][a-z0-9_-]{0,62}$", following.norm):
                return following.norm
            break
    return None


def stop(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    stack = wl.chosen_stack(found, ctx)
    if stack is not None and stack not in ctx.projects:
        raise Clarify(
            f'A Swarm stack does not stop: remove it ("remove the {stack} stack") or scale its '
            "services to 0 replicas. Which should I do?"
        )
    if wl.chosen_project(found, ctx) is None and wl.wants_services(found):
        service = wl.services(found, ctx, "stop")[0]
        raise Clarify(
            f"{service.name} is a Swarm service: stopping it means scaling it to 0 replicas "
            f'("scale {service.name} to 0"). Should I do that?'
        )
    return None


def down(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    """'take down the shop project (and its volumes)'; for containers it means stop/remove."""
    stack = wl.chosen_stack(found, ctx)
    if stack is not None:
        return [PlannedCall("stack_remove", {"stack": stack})]
    project = wl.chosen_project(found, ctx)
    if project is None and "compose" in found.said and not found.naming:
        project = _only_project(ctx, "take down")
    if project is None and _pronoun(clause) and not found.naming and not ctx.last:
        # "take it down" with nothing said before: the one project there is, if only one
        if len(ctx.projects) == 1 and not ctx.stacks:
            project = ctx.projects[0]
    if project is not None:
        volumes = _with_volumes(clause, ctx)
        return [_compose("compose_down", project, ctx, volumes=volumes)]
    _missing_project(found, ctx, "take down")
    _no_container_volumes(clause, ctx, found)
    return None


def _project_volumes(clause: Sequence[Token], ctx: PlanContext, found: wl.Named) -> None:
    """'delete the shop project's volumes': only by taking the project down with them."""
    project = wl.chosen_project(found, ctx)
    if project is not None:
        raise Clarify(
            f"A compose project's volumes are deleted by taking it down with them "
            f'("take down {project} and delete its volumes": its containers and networks go '
            "too). Should I do that?"
        )


def _no_container_volumes(clause: Sequence[Token], ctx: PlanContext, found: wl.Named) -> None:
    """'take down the api and delete its volumes': only a compose project's volumes go with
    it; never drop the second half silently."""
    following = ctx.next_clause
    if not (_volumes_said(clause) or (following and _volume_clause(following))):
        return
    labelled = any(wl.compose_project(c) for _, cs in found.containers for c in cs)
    if labelled and not ctx.projects:
        raise wl.unknown_project(found, ctx, "take down")
    raise Unsupported(
        "deleting a container's volumes: only a compose project's volumes can be deleted with "
        'it ("take down the shop project and delete its volumes")'
    )


def remove(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    if "stack" in found.said:
        if found.stacks:
            return [PlannedCall("stack_remove", {"stack": found.stacks[0]})]
        if found.projects:
            named_project = found.projects[0]
            if wl.project_running(named_project, ctx):
                volumes = _with_volumes(clause, ctx)
                return [_compose("compose_down", named_project, ctx, volumes=volumes)]
            return [PlannedCall("stack_remove", {"stack": named_project})]
        return None
    project = wl.chosen_project(found, ctx, stack_words_too=False)
    if project is not None:
        volumes = _with_volumes(clause, ctx)
        return [_compose("compose_down", project, ctx, volumes=volumes)]
    if wl.wants_services(found):
        name = wl.services(found, ctx, "remove")[0].name
        raise Unsupported(
            f'removing a single Swarm service: remove its stack, or scale it to 0 ("scale '
            f'{name} to 0")'
        )
    _missing_project(found, ctx, "remove")
    _no_container_volumes(clause, ctx, found)
    return None


def _with_volumes(clause: Sequence[Token], ctx: PlanContext) -> bool:
    """'-v', 'and its volumes', 'including volumes' (not 'but keep the volumes'); or a next
    clause that only says so ('take down shop and delete its volumes')."""
    if _volumes_said(clause):
        return True
    following = ctx.next_clause
    if following and _volume_clause(following):
        ctx.skip_next = True  # the next clause said only this
        return True
    return False


def _volumes_said(clause: Sequence[Token]) -> bool:
    for i, token in enumerate(clause):
        if token.quoted:
            continue
        if token.norm in lx.VOLUME_FLAGS:
            return True
        if token.norm in lx.VOLUME_WORDS or token.norm in lx.VOLUME_DATA_WORDS:
            before = {t.norm for t in clause[max(0, i - 3) : i]}
            after = {t.norm for t in clause[i + 1 : i + 3]}
            if before & lx.KEEP_WORDS:
                return False
            if before & lx.VOLUME_WITH or after & lx.ALSO_WORDS:
                return True
    return False


def _volume_clause(clause: Sequence[Token]) -> bool:
    """'delete its volumes', 'remove the volumes too': nothing else named."""
    norms = _norms(clause)
    verbs = {t.canon for t in clause if t.kind == "verb"}
    volumes = lx.VOLUME_WORDS | lx.VOLUME_DATA_WORDS  # "and remove its data too"
    if not norms & volumes or not verbs or not verbs <= {"remove", "prune"}:
        return False
    if norms & lx.KEEP_WORDS:
        return False
    return not any(t.kind == "word" and t.norm not in lx.VOLUME_DATA_WORDS for t in clause)


# --- updates, rollbacks, scaling --------------------------------------------------------------


@dataclass
class ImageSpec:
    tag: str | None = None  # ":v2", "to 1.28", "to latest"
    ref: str | None = None  # "nginx:1.28", "shop/api:2.0"


def update(
    clause: Clause, ctx: PlanContext, found: wl.Named, *, redeploy: bool = False
) -> list[PlannedCall]:
    clause = clause.take(*(t for t in clause if t.norm in lx.UPDATE_SET_VERBS))
    conditional_rollback, clause = _if_it_fails(clause)
    replicas, clause = _replicas(clause)
    env, clause = _env(clause)
    timeout, clause = _health_timeout(clause)
    if timeout is None and ctx.next_clause and _health_clause(ctx.next_clause):
        # "... and give it 90 seconds to be healthy": the next clause said only this
        timeout, _ = _health_timeout(ctx.next_clause)
        ctx.skip_next = timeout is not None
    spec, clause = image_spec(clause, ctx)
    found = dataclasses.replace(found, clause=clause)  # what is left of it names the targets
    if wl.chosen_stack(found, ctx) or wl.chosen_project(found, ctx, stack_words_too=False):
        raise Unsupported(
            "updating a whole compose project or stack in one step: update its containers or "
            'services one by one ("update api to :v2")'
        )
    if wl.wants_services(found) or (
        not found.naming and _pronoun(clause) and ctx.last_kind == "services"
    ):
        services = (
            wl.services(found, ctx, "update")
            if found.words
            else [ServiceBrief(n) for n in ctx.last_services]
        )
        if conditional_rollback:
            raise Unsupported(
                "rolling a service back automatically when its update fails: update it, then "
                'say "roll back" if it misbehaves'
            )
        if redeploy and spec is None:
            return [PlannedCall("restart_service", {"service": s.name}) for s in services]
        if spec is None and not env and replicas is not None:  # "bump worker to 3 replicas"
            return [PlannedCall("scale_service", {"service": s.name, "replicas": replicas})
                    for s in services]  # fmt: skip
        return [_service_update(s, spec, env, replicas) for s in services]
    if env or replicas is not None:
        raise Unsupported(
            "changing a container's environment or replicas: an image update keeps the "
            "container's configuration (Swarm services can: \"update the api service with "
            'LOG_LEVEL=debug")'
        )
    words_ = target_words(clause, ctx.known)
    if words_.empty and not words_.states:
        if not ctx.last:
            raise Clarify(replies.which_container("update", ctx.containers))
        words_ = dataclasses.replace(words_, pronoun=True)
    targets = select("update", words_, ctx)
    if words_.quantified:
        targets = [c for c in targets if not wl.task_service(c)] or targets
    calls = []
    for container in targets:
        args = ctx.container_args(container)
        if spec is not None:
            image = new_image(container.image, spec)
            if image is None:
                raise Clarify(f"Which image should {container.name} run?")
            args["image"] = image
        if timeout is not None:
            args["health_timeout"] = timeout
        calls.append(PlannedCall("update_container_image", args))
    return calls


def redeploy(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall]:
    """'redeploy web': the same tag again (pulled, recreated, health-checked); a service is
    force-updated, a project brought up, a stack deployed again."""
    stack = wl.chosen_stack(found, ctx)
    if stack is not None:
        if stack not in ctx.projects:
            raise wl.unknown_project(found, ctx, "deploy as a stack")
        return [PlannedCall("stack_deploy", {"project": stack})]
    project = wl.chosen_project(found, ctx)
    if project is not None:
        return [_project_call("compose_up", project, found, ctx)]
    return update(clause, ctx, found, redeploy=True)


def _service_update(
    service: ServiceBrief,
    spec: ImageSpec | None,
    env: dict[str, str],
    replicas: int | None,
) -> PlannedCall:
    args: dict[str, Any] = {"service": service.name}
    current = wl.image_of_service(service)
    if spec is not None:
        image = new_image(current, spec)
        if image is None:
            raise Clarify(
                f"Which image should {service.name} run? For example: "
                f'"update {service.name} to myorg/app:2".'
            )
        args["image"] = image
    if env:
        args["env"] = env
    if replicas is not None:
        args["replicas"] = replicas
    if len(args) == 1:
        if not current:
            raise Clarify(
                f"What should change for {service.name}: its image, its environment or its "
                f'replicas? For example: "update {service.name} to :v2".'
            )
        args["image"] = current  # the same tag, resolved again: picks up a newer push
    return PlannedCall("update_service", args)


def image_spec(clause: Clause, ctx: PlanContext) -> tuple[ImageSpec | None, Clause]:
    """The image an update asks for: ':v2', 'to 1.28', 'to version 2', 'to nginx:1.28'; and the
    clause with its words taken."""
    for token in clause:
        if not clause.used(token) and not token.quoted and token.norm.startswith(":"):
            if _TAG_RE.match(token.raw[1:]):
                return ImageSpec(tag=token.raw[1:]), clause.take(token)
    for token in clause:  # "roll out shop/api:1.5 to the api", "upgrade web nginx:1.28"
        if clause.used(token) or not looks_like_image(token) or token.norm in ctx.names:
            continue
        if ":" in token.norm or "/" in token.norm:
            clause = clause.take(token)
            marker = next(
                (o for o in clause if o.norm in lx.IMAGE_MARKERS and not clause.used(o)), None
            )
            return ImageSpec(ref=token.norm), clause.take(marker) if marker else clause
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted or token.norm not in lx.ANY_IMAGE_MARKERS:
            continue
        j, marked = i + 1, False
        while (
            j < len(clause) and not clause.used(clause[j]) and clause[j].norm in lx.IMAGE_SPEC_SKIP
        ):
            marked = marked or clause[j].norm in lx.TAG_MARKERS
            j += 1
        if j >= len(clause) or clause.used(clause[j]) or clause[j].quoted:
            continue
        if clause[j].norm in lx.PULLED_IMAGE_PRONOUNS and token.norm in lx.IMAGE_MARKERS:
            # "pull nginx:1.28 and update web to it": the image the plan just pulled
            if ctx.last_image is None:
                raise Clarify('Which image should it update to? For example: "to :v2".')
            return ImageSpec(ref=ctx.last_image), clause.take_at(*range(i, j + 1))
        loose = token.norm in lx.IMAGE_MARKERS
        spec, rest = _spec_at(clause, j, ctx, marked=marked, loose=loose)
        if spec is not None:
            return spec, rest.take_at(*range(i, j + 1))
    return None, clause


def _spec_at(
    clause: Clause, j: int, ctx: PlanContext, *, marked: bool, loose: bool
) -> tuple[ImageSpec | None, Clause]:
    token = clause[j]
    word = token.norm
    if word.startswith(":") and _TAG_RE.match(token.raw[1:]):
        return ImageSpec(tag=token.raw[1:]), clause
    if word in lx.BARE_TAGS and loose:
        return ImageSpec(tag=word), clause
    if marked and _TAG_RE.match(token.raw):
        return ImageSpec(tag=token.raw), clause
    if looks_like_image(token) and (":" in word or "/" in word):
        return ImageSpec(ref=word), clause
    if loose and _VERSION_RE.match(word):
        return ImageSpec(tag=token.raw), clause
    container = word in ctx.names and word not in lx.KNOWN_IMAGES  # "to the api": a target
    if looks_like_image(token) and plausible_image(word, ctx.images) and not container:
        tag, clause = tag_after(clause, j)
        return ImageSpec(ref=_with_tag(word, tag)), clause
    named = word in ctx.known or word in ctx.workload_words
    if loose and token.kind == "word" and _TAG_RE.match(token.raw) and not named:
        return ImageSpec(tag=token.raw), clause
    return None, clause


def _with_tag(ref: str, tag: str | None) -> str:
    return f"{ref}:{tag}" if tag and ":" not in ref.rsplit("/", 1)[-1] else ref


def repository(image: str) -> str:
    """'registry:5000/shop/api:1.4@sha256:..' -> 'registry:5000/shop/api'."""
    ref = image.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name


def new_image(current: str, spec: ImageSpec) -> str | None:
    """The reference to update to: a tag goes on the current repository; 'api:2.0' for a
    container running 'shop/api:1.4' means 'shop/api:2.0'; anything else as said."""
    if spec.tag is not None:
        return f"{repository(current)}:{spec.tag}" if current else None
    ref = spec.ref or ""
    if "/" not in ref and current and image_base(ref) == image_base(current):
        _, _, tag = ref.partition(":")
        return f"{repository(current)}:{tag}" if tag else repository(current)
    return ref


def _health_timeout(clause: Clause) -> tuple[int | None, Clause]:
    """'wait 60 seconds for it to be healthy', 'timeout 2m', 'a 120 second health timeout'; and
    the clause with those words taken."""
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted or token.norm not in lx.HEALTH_TIMEOUT_WORDS:
            continue
        for j in range(max(0, i - 3), i):  # the number said before: "a 90 second timeout"
            match = _SECONDS_RE.match(clause[j].norm)
            if match and not clause.used(clause[j]):
                following = clause[j + 1].norm
                unit = match.group(2) or (following if following in lx.HEALTH_WINDOW_UNITS else "")
                return _window(match, unit), clause.take_at(*range(j, i + 1))
        for j in range(i + 1, min(i + 4, len(clause))):
            match = _SECONDS_RE.match(clause[j].norm)
            if not match:
                continue
            unit = match.group(2) or ""
            taken = [i, j]
            if not unit and j + 1 < len(clause) and clause[j + 1].norm in lx.HEALTH_WINDOW_UNITS:
                unit = clause[j + 1].norm
                taken.append(j + 1)
            return _window(match, unit), clause.take_at(*taken)
    for j, token in enumerate(clause):  # "give it 90 seconds to become healthy"
        skipped = clause.used(token) or token.quoted
        match = _SECONDS_RE.match(token.norm) if not skipped else None
        if not match:
            continue
        unit = match.group(2) or ""
        words_taken = [token]
        if not unit and j + 1 < len(clause) and clause[j + 1].norm in lx.HEALTH_WINDOW_UNITS:
            unit = clause[j + 1].norm
            words_taken.append(clause[j + 1])
        if not unit:
            continue
        words_taken += [
            other
            for other in clause
            if (other.norm in lx.SETTLE_WORDS and other.kind != "verb")
            or other.norm in lx.SETTLE_VERBS
        ]
        return _window(match, unit), clause.take(*words_taken)
    return None, clause


def _window(match: re.Match[str], unit: str) -> int:
    seconds = int(match.group(1)) * (60 if unit in lx.MINUTE_UNITS else 1)
    return max(_MIN_HEALTH, min(seconds, _MAX_HEALTH))


def _if_it_fails(clause: Clause) -> tuple[bool, Clause]:
    """'..., and if it fails roll it back': what an image update does anyway. Takes the words."""
    rolls_back = any(t.kind == "verb" and t.canon == "rollback" for t in clause)
    for i, token in enumerate(clause):
        if token.norm not in lx.CONDITION_WORDS or token.quoted:
            continue
        rest = clause[i:]
        if {t.norm for t in rest[:6]} & lx.CRASH_WORDS and rolls_back:
            return True, clause.take(*rest)
    return False, clause


def _health_clause(clause: Sequence[Token]) -> bool:
    """'give it 90 seconds to become healthy': a health window, and nothing else."""
    norms = _norms(clause)
    if not norms & lx.HEALTH_WORDS:
        return False
    durations = [t for t in clause if _SECONDS_RE.match(t.norm)]
    named = [
        t
        for t in clause
        if t.kind == "word" and t not in durations and t.norm not in lx.HEALTH_CLAUSE_FILLERS
    ]
    return bool(durations) and not named


def remember(clause: Clause, ctx: PlanContext) -> None:
    """An aside naming one service ("the mailer update broke things, roll it back"): what a
    later "it" means."""
    if not ctx.services:
        return
    found = wl.named(clause, ctx)
    services = found.service_list
    if len(services) == 1 and not found.names_containers:
        ctx.remember_services([services[0].name])


def _env(clause: Clause) -> tuple[dict[str, str], Clause]:
    env: dict[str, str] = {}
    taken = []
    for token in clause:
        match = _ENV_RE.match(token.raw) if not clause.used(token) else None
        if match and not _SCALE_RE.match(token.norm):
            env[match.group(1)] = match.group(2)
            taken.append(token)
    return env, clause.take(*taken)


def _number(token: Token) -> int | None:
    if token.quoted:
        return None
    if token.norm.isdigit() and len(token.norm) <= 4:
        return int(token.norm)
    return lx.NUMBER_WORDS.get(token.norm)


def _replicas(clause: Clause) -> tuple[int | None, Clause]:
    """'with 5 replicas', 'replicas 3', 'replicas=3'."""
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        assigned = token.norm.removeprefix(lx.REPLICAS_ASSIGNMENT)
        if assigned != token.norm and assigned.isdigit():
            return _within_limit(int(assigned)), clause.take(token)
        count = _number(token)
        following = clause[i + 1].norm if i + 1 < len(clause) else ""
        if count is not None and following in lx.REPLICA_WORDS:
            return _within_limit(count), clause.take_at(i, i + 1)
        if token.norm in lx.REPLICA_NOUNS and i + 1 < len(clause):
            later = next((t for t in clause[i + 1 : i + 3] if _number(t) is not None), None)
            if later is not None:
                return _within_limit(_number(later) or 0), clause.take(token, later)
    return None, clause


def _rollback_if_it_fails(ctx: PlanContext) -> list[PlannedCall]:
    if ctx.last_kind == "services":
        raise Unsupported(
            "rolling a service back automatically when its update fails: update it, then "
            'say "roll back" if it misbehaves'
        )
    return []  # an image update already restores the previous container when it fails


def rollback(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall]:
    if wl.wants_services(found, only_services_can=True):
        return [PlannedCall("rollback_service", {"service": s.name})
                for s in wl.services(found, ctx, "rollback")]  # fmt: skip
    if found.containers:
        raise Unsupported(_no_container_rollback(found.containers[0][1][0].name, ctx))
    if wl.chosen_project(found, ctx) or wl.chosen_stack(found, ctx):
        raise Unsupported(
            "rolling back a whole compose project or stack: roll back its Swarm services one "
            'by one ("roll back api")'
        )
    if not found.naming:
        again = _again("rollback", ctx) if _pronoun(clause) else None
        if again:
            return again
        if _pronoun(clause) and ctx.last:
            raise Unsupported(_no_container_rollback(ctx.last[0].name, ctx))
    raise Clarify(wl.which_service("rollback", ctx))


def _no_container_rollback(name: str, ctx: PlanContext) -> str:
    container = next((c for c in ctx.all_containers if c.name == name), None)
    older = None
    if container is not None:
        repo, current = repository(container.image), container.image.split("@", 1)[0]
        same = sorted(i for i in ctx.images if repository(i) == repo and i != current)
        older = same[-1] if same else None
    suggestion = f"update {name} to {older}" if older else f"update {name} to :PREVIOUS-TAG"
    return (
        f"rolling back {name} by hand: it is a plain container, not a Swarm service. An image "
        "update restores the previous container automatically when the new one fails its "
        f'health check; to go back to an older image, say "{suggestion}"'
    )


def scale(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall]:
    """'scale worker to 5', 'scale worker=5 mailer=2', 'run 4 replicas of worker'."""
    stack = wl.chosen_stack(found, ctx)
    if stack is not None:  # "scale the jobs stack to 2": each of its services
        count = next(
            (n for t in clause if (n := _number(t)) is not None and not clause.used(t)), None
        )
        if count is None:
            raise Clarify(f'How many replicas should each service of {stack} run? For example: '
                          f'"scale the {stack} stack to 2".')  # fmt: skip
        return [PlannedCall("scale_service", {"service": s.name, "replicas": count})
                for s in _stack_services(stack, ctx)]  # fmt: skip
    if wl.chosen_project(found, ctx, stack_words_too=False) is not None:
        raise Unsupported(
            "scaling a compose project: its services scale through the replicas in its compose "
            "file; only Swarm services can be scaled here"
        )
    groups = _scale_groups(clause, found)
    if not groups:
        if _pronoun(clause) and ctx.last_kind == "services" and ctx.last_services:
            count = next((n for t in clause if (n := _number(t)) is not None), None)
            groups = [([], count)]
        else:
            raise Clarify(wl.which_service("scale", ctx))
    calls: list[PlannedCall] = []
    for targets, count in groups:
        services = (
            _scale_targets(targets, found, ctx)
            if targets
            else [ServiceBrief(n) for n in ctx.last_services]
        )
        for service in services:
            replicas = _relative(clause, count, service)
            if replicas is None:
                raise Clarify(
                    f"How many replicas should {service.name} run? For example: "
                    f'"scale {service.name} to 3".'
                )
            calls.append(PlannedCall("scale_service", {"service": service.name,
                                                       "replicas": replicas}))  # fmt: skip
    ctx.remember_services(list(dict.fromkeys(c.args["service"] for c in calls)))
    return calls


def _scale_groups(clause: Clause, found: wl.Named) -> list[tuple[list[Token], int | None]]:
    """Targets each followed (or preceded) by their count, in the order said."""
    groups: list[tuple[list[Token], int | None]] = []
    pending: list[Token] = []
    count_first: int | None = None
    candidates = {id(t) for t in found.words}
    for token in clause:
        if clause.used(token) or token.quoted:
            continue
        match = _SCALE_RE.match(token.norm)
        if match:
            name = dataclasses.replace(token, norm=match.group(1), raw=match.group(1))
            groups.append(([name], _within_limit(int(match.group(2)))))
            continue
        count = _number(token)
        if count is not None and token.kind in ("word", "stop"):
            _within_limit(count)
            if pending:
                groups.append((pending, count))
                pending = []
            else:
                count_first = count
        elif id(token) in candidates:
            pending.append(token)
    if pending:
        groups.append((pending, count_first))
    return groups


def _within_limit(count: int) -> int:
    if count > _MAX_REPLICAS:
        raise Clarify(f"{count} replicas is more than the {_MAX_REPLICAS} allowed. How many then?")
    return count


def _scale_targets(targets: list[Token], found: wl.Named, ctx: PlanContext) -> list[ServiceBrief]:
    by_token = {id(t): matches for t, matches in found.services}
    containers = {id(t): matches for t, matches in found.containers}
    chosen: list[ServiceBrief] = []
    for token in targets:
        matches = by_token.get(id(token))
        if matches is None and token.norm:  # "worker=5": a name not among the clause's words
            one = wl.named(Clause((token,)), ctx)
            matches = one.service_list or None
            containers.update({id(token): c for _, c in one.containers})
        if matches:
            exact = [s for s in matches if s.name.lower() == token.norm]
            if len(matches) > 1 and not exact:
                raise Clarify(replies.which_one([s.name for s in matches]))
            service = (exact or matches)[0]
            if service not in chosen:
                chosen.append(service)
    if chosen:
        return chosen
    plain = next((c for t in targets for c in containers.get(id(t), [])), None)
    if plain is not None:
        raise Unsupported(
            f"scaling {plain.name}: it is a single container, and only Swarm services can be "
            "scaled here (a compose service scales through the replicas in its compose file)"
        )
    word = targets[0].raw
    raise Clarify(
        f"I can't find a Swarm service matching {word!r}. " + wl.which_service("scale", ctx)
    )


def _relative(clause: Sequence[Token], count: int | None, service: ServiceBrief) -> int | None:
    """'scale worker up by 2': from the current number of replicas, when it is known."""
    norms = {t.norm for t in clause}
    if count is None or not norms & lx.RELATIVE_WORDS:
        return count
    if service.replicas is None:
        return None
    down = bool(norms & lx.FEWER_WORDS)
    return max(0, min(service.replicas + (-count if down else count), _MAX_REPLICAS))


# --- reads ------------------------------------------------------------------------------------


def check_update(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """'is there a newer image for api?': a digest comparison, per container (for a Swarm
    service, one of its task containers: they all run the service's image)."""
    clause = clause.take(
        *(t for t in clause if t.norm in lx.UPDATE_CHECK_WORDS and t.kind != "pronoun")
    )
    found = wl.named(clause, ctx)
    if wl.wants_services(found):
        checks = []
        for service in wl.services(found, ctx, "check_update"):
            task = next((c for c in ctx.containers if wl.task_service(c) == service.name), None)
            if task is None:
                raise Unsupported(
                    f"checking {service.name} for a newer image: none of its tasks runs on this "
                    f'host. "update the {service.name} service" pulls its tag again'
                )
            checks.append(PlannedCall("check_image_update", ctx.container_args(task)))
        return checks
    words_ = target_words(clause, ctx.known)
    if words_.empty and not words_.states:
        if _pronoun(clause) and ctx.last:
            words_ = dataclasses.replace(words_, pronoun=True)
        else:
            words_ = dataclasses.replace(words_, quantified=True)  # "are my containers up to date?"
    targets = select("check_update", words_, ctx)
    return [PlannedCall("check_image_update", ctx.container_args(c)) for c in targets]


def read(
    kinds: list[str], clause: Clause, ctx: PlanContext, found: wl.Named
) -> list[PlannedCall] | None:
    if kinds == ["logs"]:
        return logs(clause, ctx, found)
    if not found.naming and _pronoun(clause) and ctx.last_kind != "containers":
        if set(kinds) <= {"containers", "inspect"}:  # "bring up shop and show its status"
            if ctx.last_kind == "project" and ctx.last_project:
                return [_compose("compose_ps", ctx.last_project[0], ctx)]
            return [PlannedCall("list_services", {})]
    if kinds == ["containers"] or kinds == ["inspect"] and found.said & {"project", "compose"}:
        return listing(clause, ctx, found)
    if set(kinds) <= {"inspect", "containers"} and wl.wants_services(found):
        return [PlannedCall("list_services", {})]  # "status of the worker service": replicas
    return None


def logs(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    options, _ = log_options(clause, ctx.names)  # only a look: the container path may follow
    if options.since or options.grep:  # only container logs filter by time and text
        if wl.chosen_project(found, ctx) is None and wl.wants_services(found):
            return _task_logs(clause, ctx, found)
        return None
    extra = {"tail": options.tail}
    stack = wl.chosen_stack(found, ctx)
    if stack is not None:
        return [PlannedCall("service_logs", {"service": s.name, **_set(extra)})
                for s in _stack_services(stack, ctx)]  # fmt: skip
    project = wl.chosen_project(found, ctx)
    if project is not None:
        return [_project_call("compose_logs", project, found, ctx, **extra)]
    if wl.wants_services(found):
        return [PlannedCall("service_logs", {"service": s.name, **_set(extra)})
                for s in wl.services(found, ctx, "logs")]  # fmt: skip
    if not found.naming and _pronoun(clause) and ctx.last_kind != "containers":
        again = _again("logs", ctx)
        if again:
            return [PlannedCall(c.tool, {**c.args, **_set(extra)}) for c in again]
    _missing_project(found, ctx, "show the logs of")
    return None


def _task_logs(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall]:
    """'errors in the worker service logs': the filtered logs of each of its tasks here."""
    names = {s.name for s in wl.services(found, ctx, "logs")}
    tasks = [c for c in ctx.containers if wl.task_service(c) in names]
    if not tasks:
        raise Unsupported(
            "filtering a Swarm service's logs by time or text when none of its tasks runs on "
            'this host ("logs of the worker service" shows its last lines)'
        )
    options, _ = log_options(clause, ctx.names)
    return [PlannedCall("container_logs", {**ctx.container_args(c), **options.args()})
            for c in tasks]  # fmt: skip


def why(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    """'why won't shop come up?': the project's services and their states (compose_ps shows a
    service with no container too), and why each of its containers that is not up stopped."""
    project = wl.chosen_project(found, ctx)
    if project is None:
        return None  # a container's symptom: the container handlers diagnose it
    down = [
        c
        for c in ctx.containers
        if wl.compose_project(c) == project and c.state in lx.NOT_UP_STATES
    ]
    calls = [_compose("compose_ps", project, ctx)]
    return calls + [PlannedCall("diagnose_container", ctx.container_args(c)) for c in down]


def _set(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


def listing(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | None:
    """'list services', 'list stacks', 'list compose projects', 'status of the blog project'."""
    norms = _norms(clause)
    one_stack = "stack" in found.said and not ctx.stacks and not found.naming
    if found.said & {"project", "compose"} or (one_stack and found.projects):
        # "is the stack up?" with one compose project configured and no Swarm stacks
        if found.projects:
            return [_compose("compose_ps", found.projects[0], ctx)]
        if "container" in found.said and found.names_containers:
            return None
        if not found.naming or norms & lx.PROJECT_LIST_WORDS:
            return [PlannedCall("compose_ps", {})]
        _missing_project(found, ctx, "list")
        return None
    if "stack" in found.said and not found.projects:
        return [PlannedCall("list_services", {})]
    if "service" in found.said and not found.names_containers:
        if "container" in found.said:  # "list services and containers"
            return [PlannedCall("list_services", {}), *reads.reads(["containers"], clause, ctx)]
        return [PlannedCall("list_services", {})]
    return None


def about_project(clause: Clause, ctx: PlanContext, found: wl.Named) -> list[PlannedCall] | (None):
    """'what's in the shop project?', 'which compose projects are there?', 'show swarm
    services', 'how many replicas does worker have?': what the listings answer."""
    norms = _norms(clause)
    asks = bool(norms & lx.WORKLOAD_LISTING_WORDS) or any(t.kind == "verb" for t in clause)
    if found.said & {"project", "compose"}:
        if found.projects:
            return [_compose("compose_ps", found.projects[0], ctx)]
        if not ctx.projects and found.names_containers and len(found.words) == 1:
            labelled = {wl.compose_project(c) for c in found.containers[0][1]}
            if labelled == {found.words[0].norm}:  # a project the tools were not told about
                label = f"{lx.COMPOSE_PROJECT}={found.words[0].norm}"
                return [PlannedCall("list_containers", {"status": "all", "label": label})]
        if asks and (norms & lx.PROJECT_LIST_WORDS or not found.naming):
            return [PlannedCall("compose_ps", {})]
        return None
    if asks and (found.said & {"service", "stack"} or norms & lx.REPLICA_WORDS):
        if not found.naming or wl.wants_services(found, only_services_can=True):
            return [PlannedCall("list_services", {})]
    return None
