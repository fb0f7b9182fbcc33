"""Clauses and what each one asks for.

A request is cut into clauses where a new verb starts ("restart the api | and show why it
crashed"); "and" between names does not cut ("restart web and api"). Each clause then gets one
intent: a change verb wins (the first one said), else the read nouns decide, possibly several
("logs and stats for api").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from agent.planner import lexicon as lx
from agent.planner.run_options import run_spec
from agent.planner.slots import looks_like_image
from agent.planner.text import Token

REMOVING_VOLUMES = "removing volumes"  # the note of an unknown intent, which deploy reads


@dataclass
class Intent:
    # restart | stop | start | remove | run | pull | prune | exec | remove_image | why | read
    # | update | redeploy | rollback | scale | down | teardown | check_update
    # | negated (asked not to) | unknown | empty
    action: str
    reads: list[str] = field(default_factory=list)  # logs stats inspect containers images ...
    note: str | None = None  # why it is unknown, when that can be said


def mark_restart_policy(tokens: Sequence[Token]) -> None:
    """'restart always' is a run option, not the verb restart: take it out of the verbs."""
    for i, token in enumerate(tokens):
        if token.kind != "verb" or token.canon != "restart":
            continue
        window = tokens[max(0, i - 2) : i + 3]
        if any(t.norm in lx.RESTART_POLICY_CUES for t in window if t is not token):
            token.kind = "slot"


def split_clauses(tokens: Sequence[Token]) -> list[list[Token]]:
    clauses: list[list[Token]] = []
    current: list[Token] = []
    for i, token in enumerate(tokens):
        is_break = token.kind == "break"
        if not is_break and token.norm in lx.SOFT_BREAKS:
            starts = _starts_clause(tokens, i + 1)
            # "show logs and stats": one read clause; "restart api and logs": a new one
            changes = any(t.kind == "verb" and t.canon in lx.CHANGE_VERBS for t in current)
            is_break = bool(current) and (starts == "verb" or (starts == "noun" and changes))
        if is_break:
            if current:
                clauses.append(current)
            current = []
            continue
        current.append(token)
    if current:
        clauses.append(current)
    return clauses


def _starts_clause(tokens: Sequence[Token], start: int) -> str | None:
    """'verb' if a new clause starts at `start`, 'noun' if it might ("and logs"), else None."""
    for token in tokens[start:]:
        if token.quoted:
            return None
        if token.norm in lx.CLAUSE_LEAD_FILLERS:
            continue
        if token.kind == "verb" or token.norm in lx.CLAUSE_STARTERS:
            return "verb"
        if token.kind == "noun" and token.canon in lx.PER_CONTAINER_READS:
            return "noun"
        return None
    return None


def classify(
    clause: Sequence[Token],
    names_container: Callable[[Sequence[Token]], bool],
    images: Sequence[str] = (),
    container_names: Collection[str] = (),
) -> Intent:
    """What one clause asks for.

    `names_container` says whether words point at a live container (by name, ID or image);
    `images` are the local images and `container_names` the names and name parts, so that a bare
    "nginx, port 8080" reads as a deploy but "set the api restart policy" does not.
    """
    norms = {t.norm for t in clause if not t.quoted and t.kind != "slot"}
    verbs = [t.canon for t in clause if t.kind == "verb"]
    nouns = {t.canon for t in clause if t.kind == "noun"}
    if not any(t.quoted or t.kind not in ("stop", "conj", "break") for t in clause):
        return Intent("empty")
    if norms & lx.NON_DOCKER:
        return Intent("unknown")
    if "exec" in verbs or ("run" in verbs and _runs_a_command(clause, norms)):
        return Intent("exec")
    crash = bool(norms & lx.CRASH_WORDS)
    if (norms & lx.WHY_WORDS and crash) or norms & lx.CAUSE_QUESTIONS:
        return Intent("why")
    if _asks_about_updates(clause, norms):
        return Intent("check_update")  # "is there a newer image for api?" changes nothing
    change = _change_verb(clause)
    lead = next((t.norm for t in clause if t.norm not in lx.POLITE_LEADS and not t.quoted), "")
    if change == "run" and lead in lx.QUESTION_WORDS:
        change = None  # "how many containers run on host2?" asks, it does not deploy
    if change is None and lead in lx.UP_WORDS:
        change = "start"  # "up the shop project"
    if change is None and norms & lx.COMPOSE_COMMANDS:
        if norms & lx.DOWN_WORDS:
            change = "down"  # "docker-compose -p shop down"
        elif norms & lx.UP_WORDS:
            change = "start"
    if change is None and norms & lx.SET_VERBS:
        if norms & lx.REPLICA_WORDS:
            change = "scale"  # "set worker replicas to 3"
        elif (norms & lx.IMAGE_SETTING_WORDS and norms & lx.SET_TARGET_MARKERS) or any(
            _ENV_RE.match(t.raw) for t in clause
        ):
            change = "update"  # "set the api image to v2", "set LOG_LEVEL=debug on mailer"
    if change is not None:
        question = _question_about_action(clause)
        if question == "how-to":
            return Intent("unknown", note="how-to questions")
        if question == "about" and change in ("restart", "stop", "start", "remove"):
            return Intent("read", ["inspect"])  # "when did the worker start?" starts nothing
        if question == "about" and change in ("update", "redeploy"):
            return Intent("check_update")  # "should I update the api?"
        if _negated(clause, change):
            return Intent("negated", note=change)  # "don't restart web": nothing to do
    reads = _reads(clause, norms, verbs, nouns, names_container)
    action = next(
        (lx.UNSUPPORTED_ACTIONS[w] for w in sorted(norms) if w in lx.UNSUPPORTED_ACTIONS), None
    )
    topic = next(
        (lx.UNSUPPORTED_TOPICS[w] for w in sorted(norms) if w in lx.UNSUPPORTED_TOPICS), None
    )
    unsupported = action or topic
    if action and change is None:
        return Intent("unknown", note=action)
    if change is not None:
        if change not in ("run", "pull", "exec") and _scheduled(clause):
            return Intent("unknown", note="scheduling actions for later")
        if change in ("run", "start") and norms & lx.COUNT_WORDS and not norms & lx.REPLICA_WORDS:
            return Intent("unknown", note="running several copies at once")
        return _change_intent(change, norms, nouns, reads)
    if unsupported and not reads:
        return Intent("unknown", note=unsupported)  # "docker compose up -d" is not a deploy
    if not verbs and "logs" not in reads and _telegraphic_run(clause, images, container_names):
        return Intent("run")
    if reads:
        return Intent("read", reads)
    if crash and not norms & lx.LIST_QUESTION_WORDS and names_container(clause):
        if _question_about_action(clause) == "about":
            return Intent("read", ["inspect"])  # "has the api restarted?": its state says
        return Intent("why")  # "web keeps crashing"
    return Intent("unknown", note=unsupported)


_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


def _change_verb(clause: Sequence[Token]) -> str | None:
    """The first verb that orders a change; 'the update', 'mailer update' are nouns."""
    for i, token in enumerate(clause):
        if token.kind != "verb" or token.canon not in lx.CHANGE_VERBS:
            continue
        if token.canon in lx.NOUN_LIKE_VERBS and i > 0:
            before = clause[i - 1]
            if before.norm in lx.DETERMINERS:
                if i < 2 or clause[i - 2].norm not in lx.TRIGGER_WORDS:
                    continue  # "the last update", but "force a redeploy" orders one
            elif before.kind == "word" and not before.quoted:
                continue  # "the mailer update broke things"
        return token.canon
    return None


def _asks_about_updates(clause: Sequence[Token], norms: set[str]) -> bool:
    """'is there a newer image for api?', 'any updates for cron?', 'is web up to date?', 'check
    for image updates': a question about updates, not an order to update."""
    content = [t for t in clause if not t.quoted and t.norm not in lx.POLITE_LEADS]
    first = content[0] if content else None
    ordered = first is not None and first.kind == "verb" and first.canon == "update"
    if ordered:
        return False  # "update api to the newer image" is an order
    if norms & lx.UPDATE_QUESTION_WORDS:
        return True
    for i, token in enumerate(clause):
        if token.kind == "verb" and token.canon == "update":
            before = {t.norm for t in clause[max(0, i - 2) : i]}
            after = clause[i + 1].norm if i + 1 < len(clause) else ""
            if before & lx.UPDATE_NOUN_CUES or after in lx.UPDATE_AVAILABLE_WORDS:
                return True
    lead = first.norm if first is not None else ""
    return (
        lead in lx.YES_NO_LEADS
        and bool(norms & lx.RELEASE_AGE_WORDS)
        and bool(norms & lx.RELEASE_WORDS)
    )


def _runs_a_command(clause: Sequence[Token], norms: set[str]) -> bool:
    """'run `ls /` in web', or 'in the worker, run `migrate`': a quoted command and no image."""
    if not any(t.quoted for t in clause):
        return False
    return bool(norms & lx.EXEC_IN_WORDS) or not any(looks_like_image(t) for t in clause)


def _question_about_action(clause: Sequence[Token]) -> str | None:
    """'when did web stop?', 'should I restart the api?' ask about an action: 'about'.
    'how do I stop a container?' asks for instructions: 'how-to'. 'can you restart web?' is a
    polite request: None."""
    lead = tuple(t.norm for t in clause if t.norm not in lx.QUESTION_LEAD_FILLERS)[:2]
    if lead in lx.HOW_TO_OPENINGS:
        return "how-to"
    if lead[:1] and lead[0] in lx.ABOUT_QUESTION_LEADS or lead in lx.ABOUT_QUESTION_OPENINGS:
        return "about"
    return None


def _negated(clause: Sequence[Token], verb: str) -> bool:
    """'don't restart web', 'never remove the worker': a 'not' just before the verb."""
    for i, token in enumerate(clause):
        if token.kind == "verb" and token.canon == verb:
            before = {t.norm for t in clause[max(0, i - 2) : i]}
            return bool(before & lx.NEGATIONS)
    return False


def _scheduled(clause: Sequence[Token]) -> bool:
    """'stop web in 5 minutes': a delayed action the planner must not run right now."""
    norms = [t.norm for t in clause]
    if lx.LATER_WORDS & set(norms):
        return True
    return any(
        word in lx.DELAY_PREPOSITIONS
        and i + 2 < len(norms)
        and norms[i + 1].isdigit()
        and norms[i + 2].rstrip("s") in lx.DELAY_UNITS
        for i, word in enumerate(norms)
    )


def _change_intent(verb: str, norms: set[str], nouns: set[str], reads: list[str]) -> Intent:
    if verb in ("pull", "fetch") and set(reads) & lx.PER_CONTAINER_READS:
        return Intent("read", reads)  # "fetch the logs of web"
    if verb == "fetch":
        verb = "pull"
    bulk = bool(norms & lx.UNUSED_WORDS)
    if verb == "rmi":
        return Intent("remove_image")
    if verb == "remove":
        if "volumes" in nouns:
            return Intent("unknown", note=REMOVING_VOLUMES)
        if "networks" in nouns and not bulk:
            return Intent("unknown", note="removing networks")
        if bulk:
            return Intent("prune")
        if nouns & {"images", "image"} and "containers" not in nouns:
            return Intent("remove_image")
    if verb == "prune" and "volumes" in nouns:
        return Intent("unknown", note="pruning volumes")
    return Intent(verb)


def _reads(
    clause: Sequence[Token],
    norms: set[str],
    verbs: list[str],
    nouns: set[str],
    names_container: Callable[[Sequence[Token]], bool],
) -> list[str]:
    reads: list[str] = []
    has_grep = any(t.kind == "grep" for t in clause)
    if "logs" in nouns or has_grep:
        reads.append("logs")
    if "stats" in nouns:
        reads.append("stats")
    named = names_container(clause)
    if (
        "inspect" in nouns
        or (named and nouns & {"info", "status"})
        or (named and norms & lx.PORT_WORDS)
    ):
        reads.append("inspect")
    if "images" in nouns or ("image" in nouns and not named and "containers" not in nouns):
        reads.append("images")
    if "networks" in nouns:
        reads.append("networks")
    if "volumes" in nouns:
        reads.append("volumes")
    about_host = bool(norms & lx.HOST_QUESTION_NOUNS) and not named
    if "system" in nouns or ("info" in nouns and not named) or (about_host and "stats" in reads):
        if "stats" in reads and about_host:
            reads.remove("stats")  # "how many cpus does the host have"
        reads.append("system")
    states = [t for t in clause if t.kind == "state"]
    other_lists = bool(set(reads) & {"images", "networks", "volumes", "system"})
    # "the worker container" names one container; "containers" (or no name) asks for the list
    listing = "containers" in nouns and (bool(norms & lx.PLURAL_CONTAINER_WORDS) or not named)
    asks_list = (
        listing
        or ("list" in verbs and not other_lists)
        or ("status" in nouns and not named)
        or (states and (norms & lx.LIST_QUESTION_WORDS or norms & lx.BE_WORDS or "show" in verbs))
    )
    if asks_list and not set(reads) & lx.PER_CONTAINER_READS:
        if named and not (listing or "list" in verbs) and norms & lx.STATE_QUESTION_WORDS:
            reads.append("inspect")  # "is web running?"
        else:
            reads.append("containers")
    if not reads and named and ("show" in verbs or norms & lx.HOW_WORDS):
        reads.append("inspect")  # "show me api", "how is the db"
    if (
        not reads
        and ("show" in verbs or "list" in verbs)
        and any(t.kind == "quant" for t in clause)
    ):
        reads.append("containers")  # "show everything"
    return reads


def _telegraphic_run(
    clause: Sequence[Token], images: Sequence[str], container_names: Collection[str]
) -> bool:
    """'nginx, port 8080, detached': no verb, but run options and a known image.

    The image must be one people run ("nginx", "shop/api:1.4", a local one): "set the api
    restart policy to always" has a run option too, and "set" is no image.
    """
    trial = [dataclasses.replace(token) for token in clause]  # the trial must not consume words
    spec = run_spec(trial, images)
    image = spec.image_token or ""
    named = image in container_names and image not in lx.KNOWN_IMAGES
    return spec.signals > 0 and spec.image_known and not named
