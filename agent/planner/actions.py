"""Handlers for clauses that change something: lifecycle verbs, run, exec, images, prune."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from agent.planner import ContainerBrief, PlannedCall, replies
from agent.planner import lexicon as lx
from agent.planner.intents import inside_command
from agent.planner.run_options import RunSpec, run_spec
from agent.planner.selection import Clarify, PlanContext, Unsupported, names_container, select
from agent.planner.slots import choose_image, image_refs
from agent.planner.targets import image_base, is_candidate, match_word, name_parts, target_words
from agent.planner.text import Clause

_VERB_TOOLS = {
    "restart": "restart_container",
    "stop": "stop_container",
    "start": "start_container",
    "remove": "remove_container",
}
_MAX_TIMEOUT = 600  # the schema's limit, in seconds
_NAME_SANITISE_RE = re.compile(r"[^a-zA-Z0-9_.-]")


def container_action(verb: str, clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """restart / stop / start / remove: one call per target container."""
    if verb == "start" and _wants_new_container(clause, ctx):
        return run(clause, ctx)
    extra: dict[str, Any] = {}
    if verb == "remove":
        forced = [t for t in clause if t.norm in lx.FORCE_WORDS]
        if forced:
            extra["force"] = True
            clause = clause.take(*forced)
    if verb == "stop" and any(t.norm in lx.NO_GRACE_WORDS for t in clause):
        extra["timeout"] = 0  # "kill" means no grace period, like `docker kill`
    if verb in ("stop", "restart"):
        timeout, clause = _timeout(clause)
        if timeout is not None:
            extra["timeout"] = timeout
    target_words_ = target_words(clause, ctx.known)
    targets = select(verb, target_words_, ctx)
    if verb == "remove" and target_words_.quantified and not extra.get("force"):
        # a bulk removal that would fail half-way (or is broader than meant): ask first
        running = [c.name for c in targets if c.state in ("running", "restarting", "paused")]
        if running:
            raise Clarify(
                f"{replies.join(running, 'and')} {'is' if len(running) == 1 else 'are'} "
                "running. Remove only the stopped ones, or force-remove the running ones too?"
            )
    return [PlannedCall(_VERB_TOOLS[verb], {**ctx.container_args(c), **extra}) for c in targets]


def _timeout(clause: Clause) -> tuple[int | None, Clause]:
    """'stop web -t 5', 'restart api with timeout 30'; and the clause with those words taken."""
    for i, token in enumerate(clause[:-1]):
        if token.norm in lx.TIMEOUT_FLAGS and clause[i + 1].norm.isdigit():
            return min(int(clause[i + 1].norm), _MAX_TIMEOUT), clause.take_at(i, i + 1)
    return None, clause


def _wants_new_container(clause: Clause, ctx: PlanContext) -> bool:
    """'start a redis on 6379' creates a container; 'start the worker' starts an existing one."""
    verb_at = next((i for i, t in enumerate(clause) if t.kind == "verb"), -1)
    if verb_at + 1 < len(clause) and clause[verb_at + 1].norm in lx.NEW_CONTAINER_WORDS:
        return True
    spec = run_spec(clause, ctx.images)  # a look: the clause is the same afterwards
    if spec.signals or not spec.image_token:
        return bool(spec.signals)
    image = spec.image_token
    if (":" in image or "/" in image) and not match_word(image, ctx.containers):
        return True
    if names_container(clause, ctx):
        return False
    return image.split(":")[0] in lx.KNOWN_IMAGES or any(
        image_base(local) == image for local in ctx.images
    )


# --- run_container ----------------------------------------------------------------------------


def run(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    if any(t.norm in lx.AUTO_REMOVE_WORDS for t in clause):
        raise Unsupported(lx.AUTO_REMOVE)
    if any(t.norm in lx.CURRENT_FOLDER_WORDS and not t.quoted for t in clause):
        raise Clarify(lx.ASK_ABSOLUTE_PATH)
    spec = run_spec(clause, ctx.images, fallback_image=ctx.last_image)
    if spec.image_token is None:
        raise Clarify("Which image should I run? For example: deploy nginx on port 8080.")
    sources = spec.args.get("volumes", {})
    if any(
        source in lx.CURRENT_FOLDER_WORDS or source.startswith(lx.HOME_FOLDER_PREFIXES)
        for source in sources
    ):
        raise Clarify(lx.ASK_ABSOLUTE_PATH)  # "-v $(pwd):/app", "~/projects at /src"
    unclear = _unclear_words(spec)
    if unclear:
        # a container started without what was asked of it is a change nobody asked for
        raise Clarify(
            f"I'm not sure what {replies.join([repr(w) for w in unclear], 'and')} should set "
            f"on the new {spec.image_token} container. Could you say it as an option, for "
            "example -e KEY=value, -p 8080:80 or -v /srv/data:/data?"
        )
    choice = choose_image(spec.image_token, ctx.images, prefer_local=True)
    if choice.ref is None:
        raise Clarify(f"Which image: {replies.join(choice.options, 'or')}?")
    _not_a_container_name(choice.ref, ctx)
    args: dict[str, Any] = {"image": choice.ref, **spec.args}
    if "ports" in args and spec.image_token != choice.ref:
        # the well-known container port follows the corrected image ("ngnix" -> nginx -> 80)
        args["ports"] = _refill_ports(args["ports"], spec.image_token, choice.ref)
    name = args.get("name") or _derive_name(choice.ref, ctx)
    if "name" not in args:
        ctx.unnamed_runs[name] = args
    ctx.add_planned(ContainerBrief(name=name, image=choice.ref, state="running"))
    return [PlannedCall("run_container", args)]


def _unclear_words(spec: RunSpec) -> list[str]:
    """Words of a run clause that no option took and that say something: not fillers, not the
    option words themselves ("port", "-p"), not a role ("a redis cache")."""
    rest = spec.rest
    ports = {str(inside) for inside in spec.args.get("ports", {}).values()}
    return [
        token.raw
        for token in rest
        if not rest.used(token)
        and token.kind == "word"
        and token.norm not in lx.RUN_OPTION_WORDS
        and token.norm not in lx.TARGET_SYNONYMS
        and token.norm not in lx.RUN_ROLE_WORDS
        and token.norm not in ports  # "port 8080 mapped to 80": said again
    ]


def _not_a_container_name(image: str, ctx: PlanContext) -> None:
    """'deploy web' where web is a container, not an image: ask rather than pull 'web'."""
    if any(ch in image for ch in ":/") or image in lx.KNOWN_IMAGES:
        return
    if any(image_base(local) == image for local in ctx.images):
        return
    named = [c.name for c in ctx.containers if image in (c.name, *name_parts(c.name))]
    if named:
        raise Clarify(
            f"{image!r} is a container ({replies.join(named, 'and')}), not an image I know. "
            "Restart it, or run a new container from which image?"
        )


def _refill_ports(ports: dict[str, str], typed: str, image: str) -> dict[str, str]:
    typed_port = lx.WELL_KNOWN_PORTS.get(image_base(typed))
    real_port = lx.WELL_KNOWN_PORTS.get(image_base(image))
    if typed_port is not None or real_port is None or len(ports) != 1:
        return ports
    host, inside = next(iter(ports.items()))
    return {host: real_port} if inside == host.rsplit(":", 1)[-1] else ports


def _derive_name(image: str, ctx: PlanContext) -> str:
    """'nginx:1.27' -> 'nginx', or 'nginx-2' when that name is taken."""
    base = _NAME_SANITISE_RE.sub("-", image_base(image)).strip("-.") or "app"
    taken = {c.name for c in ctx.containers}
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


# --- exec_in_container ------------------------------------------------------------------------


def exec_(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    command, clause = _exec_command(clause, ctx)
    if not command:
        raise Clarify(
            "Which command should I run, and in which container? For example: run `ls /` in web."
        )
    target_words_ = target_words(clause, ctx.known)
    if target_words_.empty:
        if not ctx.last:
            raise Clarify(f"Which container should I run `{command}` in?")
        target_words_ = dataclasses.replace(target_words_, pronoun=True)  # "in the worker, ..."
    targets = select("exec", target_words_, ctx)
    return [
        PlannedCall("exec_in_container", {**ctx.container_args(c), "command": command})
        for c in targets
    ]


def inside_question(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """'how full is the disk in worker': the command that answers it, run in that container
    (exec_in_container, so it waits for approval like any exec)."""
    command, clause = inside_command(clause)
    if command is None:
        raise Clarify("Which command should I run, and in which container?")
    targets = select("exec", target_words(clause, ctx.known), ctx)
    return [
        PlannedCall("exec_in_container", {**ctx.container_args(c), "command": command})
        for c in targets
    ]


def _exec_command(clause: Clause, ctx: PlanContext) -> tuple[str | None, Clause]:
    """The command as typed: a quote, 'exec ls -la in web', or docker's 'exec web ls -la'; and
    the clause with the command taken, so that what is left names the container."""
    for token in clause:
        if token.quoted and not clause.used(token):
            return token.raw, clause.take(token)
    verb_at = next((i for i, t in enumerate(clause) if t.kind == "verb"), -1)
    rest = clause[verb_at + 1 :].where(lambda t: t.norm not in lx.EXEC_FLAGS)
    for k in range(len(rest) - 1, 0, -1):
        if rest[k].norm in lx.EXEC_IN_WORDS and names_container(rest[k + 1 :], ctx):
            command = [t for t in rest[:k] if t.norm not in lx.EXEC_COMMAND_FILLERS]
            if command:
                return " ".join(t.raw for t in command), clause.take(*rest[: k + 1])
    for k, token in enumerate(rest):
        if is_candidate(token, ctx.known, rest) and match_word(token.norm, ctx.containers):
            tail = rest[k + 1 :]
            return " ".join(t.raw for t in tail) or None, clause.take(*tail)
    return None, clause


# --- images and prune -------------------------------------------------------------------------


def pull(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    refs = image_refs(clause, ctx.images)
    if not refs:
        raise Clarify("Which image should I pull? For example: pull redis:7.")
    calls = []
    for ref in refs:
        choice = choose_image(ref, ctx.images, prefer_local=False)
        calls.append(PlannedCall("pull_image", {"image": choice.ref or ref}))
    ctx.last_image = calls[0].args["image"] if len(calls) == 1 else None
    return calls


def remove_image(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    forced = [t for t in clause if t.norm in lx.FORCE_WORDS]
    force = bool(forced)
    refs = image_refs(clause.take(*forced), ctx.images)
    if not refs:
        raise Clarify("Which image should I remove? For example: remove image redis:6.")
    calls = []
    for ref in refs:
        # "redis" when redis:7 and redis:6 are both here is a question, not a guess
        local = sorted(
            {
                img
                for img in ctx.images
                if img == ref
                or img.rsplit(":", 1)[0] == ref
                or (":" not in ref and image_base(img) == ref)
            }
        )
        if len(local) > 1 and ref not in local:
            raise Clarify(f"Which image: {replies.join(local, 'or')}?")
        args: dict[str, Any] = {"image": local[0] if len(local) == 1 else ref}
        if force:
            args["force"] = True
        calls.append(PlannedCall("remove_image", args))
    return calls


def prune(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """Prune what was named ('prune images'); all three kinds when nothing was."""
    said = {t.canon for t in clause if t.kind in ("noun", "state")}
    kinds = set()
    if said & {"containers", "exited"}:
        kinds.add("containers")
    if said & {"images", "image"}:
        kinds.add("images")
    if "networks" in said:
        kinds.add("networks")
    # "prune everything"; but "nuke all the dangling images" is every dangling image only
    everything = any(t.kind == "quant" for t in clause) and not kinds
    if everything or not kinds:
        return [PlannedCall("prune", {})]
    skipped = {k: False for k in ("containers", "images", "networks") if k not in kinds}
    return [PlannedCall("prune", skipped)]
