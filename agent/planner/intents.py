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
from agent.planner.lexicon import words
from agent.planner.run_options import run_spec
from agent.planner.slots import looks_like_image
from agent.planner.text import Token

_POLICY_WORDS = words("always unless-stopped on-failure policy automatically auto --restart")
_CLAUSE_LEAD_SKIP = words("then also please can could you and maybe i want to would like next ,")
_CLAUSE_STARTERS = frozenset({"why", "why-crash"})
_READ_NOUN_STARTERS = frozenset({"logs", "stats", "inspect"})
_LIST_HINTS = frozenset({"what", "which", "any", "anything", "how", "whats"})


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
        if any(t.norm in _POLICY_WORDS for t in window if t is not token):
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
        if token.norm in _CLAUSE_LEAD_SKIP:
            continue
        if token.kind == "verb" or token.norm in _CLAUSE_STARTERS:
            return "verb"
        if token.kind == "noun" and token.canon in _READ_NOUN_STARTERS:
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
    if ("why" in norms and crash) or "why-crash" in norms:
        return Intent("why")
    if _asks_about_updates(clause, norms):
        return Intent("check_update")  # "is there a newer image for api?" changes nothing
    change = _change_verb(clause)
    lead = next((t.norm for t in clause if t.norm not in _POLITE_LEADS and not t.quoted), "")
    if change == "run" and lead in _QUESTION_WORDS:
        change = None  # "how many containers run on host2?" asks, it does not deploy
    if change is None and lead == "up":
        change = "start"  # "up the shop project"
    if change is None and norms & {"compose", "docker-compose"}:
        if "down" in norms:
            change = "down"  # "docker-compose -p shop down"
        elif "up" in norms:
            change = "start"
    if change is None and norms & _SET_WORDS:
        if norms & lx.REPLICA_WORDS:
            change = "scale"  # "set worker replicas to 3"
        elif (norms & _IMAGE_WORDS and "to" in norms) or any(_ENV_RE.match(t.raw) for t in clause):
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
    if crash and not norms & _LIST_HINTS and names_container(clause):
        if _question_about_action(clause) == "about":
            return Intent("read", ["inspect"])  # "has the api restarted?": its state says
        return Intent("why")  # "web keeps crashing"
    return Intent("unknown", note=unsupported)


_ABOUT_QUESTIONS = words("when did has have was were")
_SET_WORDS = words("set change switch move")
_QUESTION_WORDS = words("how what which who where whats")
# New verbs that are nouns as often: "the mailer update broke things" orders nothing.
_NOUN_LIKE_VERBS = words("update rollback redeploy scale")
_DETERMINERS = words("the a an this that last latest recent its their my our failed bad new")
_TRIGGERS = words("force do perform trigger kick run start please")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
_IMAGE_WORDS = words("image tag version")
_UPDATE_QUESTION_WORDS = words("newer outdated up-to-date stale")
_UPDATE_AS_NOUN = words("an any for no new available check need needs there image updates")
_NEW_WORDS = words("new newer latest current old older")
_RELEASE_WORDS = words("version image tag release")
_QUESTION_LEADS = words("is are any does do has have whether if")
_POLITE_LEADS = words("please can could would will you hey ok so and just")


def _change_verb(clause: Sequence[Token]) -> str | None:
    """The first verb that orders a change; 'the update', 'mailer update' are nouns."""
    for i, token in enumerate(clause):
        if token.kind != "verb" or token.canon not in lx.CHANGE_VERBS:
            continue
        if token.canon in _NOUN_LIKE_VERBS and i > 0:
            before = clause[i - 1]
            if before.norm in _DETERMINERS:
                if i < 2 or clause[i - 2].norm not in _TRIGGERS:
                    continue  # "the last update", but "force a redeploy" orders one
            elif before.kind == "word" and not before.quoted:
                continue  # "the mailer update broke things"
        return token.canon
    return None


def _asks_about_updates(clause: Sequence[Token], norms: set[str]) -> bool:
    """'is there a newer image for api?', 'any updates for cron?', 'is web up to date?', 'check
    for image updates': a question about updates, not an order to update."""
    content = [t for t in clause if not t.quoted and t.norm not in _POLITE_LEADS]
    first = content[0] if content else None
    ordered = first is not None and first.kind == "verb" and first.canon == "update"
    if ordered:
        return False  # "update api to the newer image" is an order
    if norms & _UPDATE_QUESTION_WORDS:
        return True
    for i, token in enumerate(clause):
        if token.kind == "verb" and token.canon == "update":
            before = {t.norm for t in clause[max(0, i - 2) : i]}
            after = clause[i + 1].norm if i + 1 < len(clause) else ""
            if before & _UPDATE_AS_NOUN or after == "available":
                return True
    lead = first.norm if first is not None else ""
    return lead in _QUESTION_LEADS and bool(norms & _NEW_WORDS) and bool(norms & _RELEASE_WORDS)


_HOW_TO = {("how", "do"), ("how", "to"), ("how", "can"), ("how", "would"), ("how", "should")}
_NEGATIONS = words("not never no dont")


def _runs_a_command(clause: Sequence[Token], norms: set[str]) -> bool:
    """'run `ls /` in web', or 'in the worker, run `migrate`': a quoted command and no image."""
    if not any(t.quoted for t in clause):
        return False
    return bool(norms & {"in", "inside", "on"}) or not any(looks_like_image(t) for t in clause)


def _question_about_action(clause: Sequence[Token]) -> str | None:
    """'when did web stop?', 'should I restart the api?' ask about an action: 'about'.
    'how do I stop a container?' asks for instructions: 'how-to'. 'can you restart web?' is a
    polite request: None."""
    lead = [t.norm for t in clause if t.norm not in ("and", ",", "so", "but", "ok", "hey")][:2]
    if tuple(lead) in _HOW_TO:
        return "how-to"
    if lead[:1] and lead[0] in _ABOUT_QUESTIONS or lead in (["should", "i"], ["should", "we"]):
        return "about"
    return None


def _negated(clause: Sequence[Token], verb: str) -> bool:
    """'don't restart web', 'never remove the worker': a 'not' just before the verb."""
    for i, token in enumerate(clause):
        if token.kind == "verb" and token.canon == verb:
            before = {t.norm for t in clause[max(0, i - 2) : i]}
            return bool(before & _NEGATIONS)
    return False


_LATER_WORDS = frozenset({"tomorrow", "tonight", "later", "midnight"})


def _scheduled(clause: Sequence[Token]) -> bool:
    """'stop web in 5 minutes': a delayed action the planner must not run right now."""
    norms = [t.norm for t in clause]
    if _LATER_WORDS & set(norms):
        return True
    return any(
        word in ("in", "after")
        and i + 2 < len(norms)
        and norms[i + 1].isdigit()
        and norms[i + 2].rstrip("s") in ("second", "sec", "minute", "min", "hour", "hr", "day")
        for i, word in enumerate(norms)
    )


def _change_intent(verb: str, norms: set[str], nouns: set[str], reads: list[str]) -> Intent:
    if verb in ("pull", "fetch") and set(reads) & {"logs", "stats", "inspect"}:
        return Intent("read", reads)  # "fetch the logs of web"
    if verb == "fetch":
        verb = "pull"
    bulk = bool(norms & {"unused", "dangling", "orphaned", "orphan"})
    if verb == "rmi":
        return Intent("remove_image")
    if verb == "remove":
        if "volumes" in nouns:
            return Intent("unknown", note="removing volumes")
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
        or (named and norms & {"port", "ports"})
    ):
        reads.append("inspect")
    if "images" in nouns or ("image" in nouns and not named and "containers" not in nouns):
        reads.append("images")
    if "networks" in nouns:
        reads.append("networks")
    if "volumes" in nouns:
        reads.append("volumes")
    about_host = bool(norms & {"host", "machine", "node", "server"}) and not named
    if "system" in nouns or ("info" in nouns and not named) or (about_host and "stats" in reads):
        if "stats" in reads and about_host:
            reads.remove("stats")  # "how many cpus does the host have"
        reads.append("system")
    states = [t for t in clause if t.kind == "state"]
    other_lists = bool(set(reads) & {"images", "networks", "volumes", "system"})
    # "the worker container" names one container; "containers" (or no name) asks for the list
    listing = "containers" in nouns and (bool(norms & {"containers", "instances"}) or not named)
    asks_list = (
        listing
        or ("list" in verbs and not other_lists)
        or ("status" in nouns and not named)
        or (states and (norms & _LIST_HINTS or norms & {"is", "are"} or "show" in verbs))
    )
    if asks_list and not set(reads) & {"logs", "stats", "inspect"}:
        if named and not (listing or "list" in verbs) and norms & {"is", "are", "has", "been"}:
            reads.append("inspect")  # "is web running?"
        else:
            reads.append("containers")
    if not reads and named and ("show" in verbs or "how" in norms):
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
