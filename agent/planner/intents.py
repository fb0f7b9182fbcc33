"""Clauses and what each one asks for.

A request is cut into clauses where a new verb starts ("restart the api | and show why it
crashed"); "and" between names does not cut ("restart web and api"). Each clause then gets one
intent: the first row of INTENT_RULES that holds, so the order of the rows is the precedence. A
change verb wins (the first one said, or what CHANGE_RULES make of "up the shop project"), after
the questions and refusals above it; else the read nouns decide, possibly several ("logs and
stats for api"). The rows' predicates read ClauseFacts, worked out once per clause when first
asked; the words they compare with are the lexicon's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agent.planner import lexicon as lx
from agent.planner.run_options import run_spec
from agent.planner.slots import looks_like_image
from agent.planner.text import Clause, Token

REMOVING_VOLUMES = "removing volumes"  # the note of an unknown intent, which deploy reads


@dataclass
class Intent:
    # restart | stop | start | remove | run | pull | prune | exec | remove_image | why | read
    # | update | redeploy | rollback | scale | down | teardown | check_update
    # | negated (asked not to) | unknown | empty
    action: str
    reads: list[str] = field(default_factory=list)  # logs stats inspect containers images ...
    note: str | None = None  # why it is unknown, when that can be said


def mark_restart_policy(tokens: Sequence[Token]) -> list[Token]:
    """'restart always' is a run option, not the verb restart: the tokens, with such a "restart"
    a slot rather than a verb."""
    return [_policy_or_verb(tokens, i) for i in range(len(tokens))]


def _policy_or_verb(tokens: Sequence[Token], i: int) -> Token:
    token = tokens[i]
    if token.kind != "verb" or token.canon != "restart":
        return token
    window = tokens[max(0, i - 2) : i + 3]
    if any(t.norm in lx.RESTART_POLICY_CUES for t in window if t is not token):
        return dataclasses.replace(token, kind="slot")
    return token


def split_clauses(tokens: Sequence[Token]) -> list[Clause]:
    clauses: list[Clause] = []
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
                clauses.append(Clause(tuple(current)))
            current = []
            continue
        current.append(token)
    if current:
        clauses.append(Clause(tuple(current)))
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


R = TypeVar("R")


class fact(Generic[R]):
    """A fact worked out the first time a rule asks, then kept on the instance (like
    functools.cached_property, without the lock it takes on Python 3.11)."""

    def __init__(self, compute: Callable[[Any], R]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, facts: Any, owner: type | None = None) -> R:
        value = self.compute(facts)
        facts.__dict__[self.name] = value  # found before this descriptor from now on
        return value


class ClauseFacts:
    """What the rules look at in one clause; each fact is worked out once, when first asked."""

    def __init__(
        self,
        clause: Clause,
        names_container: Callable[[Clause], bool],
        images: Sequence[str],
        container_names: Collection[str],
    ) -> None:
        self.clause = clause
        self.names_container = names_container
        self.images = images
        self.container_names = container_names

    @fact
    def norms(self) -> set[str]:
        return {t.norm for t in self.clause if not t.quoted and t.kind != "slot"}

    @fact
    def verbs(self) -> list[str]:
        return [t.canon for t in self.clause if t.kind == "verb"]

    @fact
    def nouns(self) -> set[str]:
        return {t.canon for t in self.clause if t.kind == "noun"}

    @fact
    def empty(self) -> bool:
        """Fillers only; "anything crash looping?" is fillers and a condition, not empty."""
        fillers = not any(t.quoted or t.kind not in ("stop", "conj", "break") for t in self.clause)
        return fillers and not self.condition

    @fact
    def lead(self) -> str:
        """The first word that is not politeness ("please can you ...")."""
        return next(
            (t.norm for t in self.clause if t.norm not in lx.POLITE_LEADS and not t.quoted), ""
        )

    @fact
    def crash(self) -> bool:
        return bool(self.norms & lx.CRASH_WORDS)

    @fact
    def question(self) -> str | None:
        return _question_about_action(self.clause)

    @fact
    def change(self) -> str | None:
        """The change ordered: a verb, or what the words amount to ("up the shop project")."""
        return first_match(CHANGE_RULES, self)

    @fact
    def verb_said(self) -> str | None:
        """The first change verb, unless a question word leads ("how many run on host2?")."""
        verb = _change_verb(self.clause)
        if self.lead not in lx.QUESTION_WORDS or self.question == "how-to":
            return verb
        # "how much free space does the db have?" asks; "which ones should I restart?" too
        return None if verb in lx.ASKED_NOT_ORDERED else verb

    @fact
    def reads(self) -> list[str]:
        return _reads(self.clause, self.norms, self.verbs, self.nouns, self.names_container)

    @fact
    def unsupported_action(self) -> str | None:
        norms = sorted(self.norms)
        return next((lx.UNSUPPORTED_ACTIONS[w] for w in norms if w in lx.UNSUPPORTED_ACTIONS), None)

    @fact
    def unsupported(self) -> str | None:
        topics = (
            lx.UNSUPPORTED_TOPICS[w] for w in sorted(self.norms) if w in lx.UNSUPPORTED_TOPICS
        )
        return self.unsupported_action or next(topics, None)

    @fact
    def bulk(self) -> bool:
        return bool(self.norms & lx.UNUSED_WORDS)

    @fact
    def condition(self) -> str | None:
        """'unhealthy', 'in a crash loop', 'exited with code 1': a list_containers condition."""
        return next((c for word, c in lx.TROUBLE_CONDITIONS if word in self.norms), None)

    @fact
    def names_beyond_condition(self) -> bool:
        """Whether a container is named, the "1" of "exited with code 1" aside."""
        words = {word for word, _ in lx.TROUBLE_CONDITIONS} | lx.CONDITION_TAIL_WORDS
        rest = self.clause.take(*(t for t in self.clause if t.norm in words))
        return self.names_container(rest)

    @fact
    def per_container_read(self) -> bool:
        return bool(self.nouns & lx.PER_CONTAINER_READS)

    @fact
    def failed_action(self) -> bool:
        """'pg won't start', 'the api fails to start', 'web is not starting': a failure cue just
        before the first change verb, said of a container ("don't start pg" orders, and "I won't
        start anything" is said of no container)."""
        return failed_action(self.clause, self.names_container)

    @fact
    def symptom(self) -> bool:
        """'web keeps crashing': a symptom of a container that is named, not a list question."""
        return (
            self.crash
            and not self.norms & lx.LIST_QUESTION_WORDS
            and self.names_container(self.clause)
        )


T = TypeVar("T")


@dataclass(frozen=True)
class Rule(Generic[T]):
    """One row of a precedence table: when `when` holds, `then` is the answer."""

    name: str
    when: Callable[[ClauseFacts], object]  # truthy or not
    then: Callable[[ClauseFacts], T]


def first_match(rules: Sequence[Rule[T]], facts: ClauseFacts) -> T | None:
    """The answer of the first rule that holds; rows are tried in order, so order is precedence."""
    return next((rule.then(facts) for rule in rules if rule.when(facts)), None)


def _intent(action: str, *reads: str, note: str | None = None) -> Callable[[ClauseFacts], Intent]:
    return lambda _: Intent(action, list(reads), note)


def _verb(verb: str) -> Callable[[ClauseFacts], str]:
    return lambda _: verb


# What a clause orders: the first row that holds.
CHANGE_RULES: tuple[Rule[str], ...] = (
    Rule("a change verb", lambda f: f.verb_said, lambda f: f.verb_said or ""),
    Rule("'up' first: bring up", lambda f: f.lead in lx.UP_WORDS, _verb("start")),
    Rule(
        "compose ... down",
        lambda f: f.norms & lx.COMPOSE_COMMANDS and f.norms & lx.DOWN_WORDS,
        _verb("down"),
    ),
    Rule(
        "compose ... up",
        lambda f: f.norms & lx.COMPOSE_COMMANDS and f.norms & lx.UP_WORDS,
        _verb("start"),
    ),
    Rule("give me a mariadb", lambda f: _asks_for_new(f), _verb("run")),
    Rule(
        "set ... replicas to 3",
        lambda f: f.norms & lx.SET_VERBS and f.norms & lx.REPLICA_WORDS,
        _verb("scale"),
    ),
    Rule(
        "set ... image to v2, set KEY=value",
        lambda f: f.norms & lx.SET_VERBS and _sets_image_or_env(f),
        _verb("update"),
    ),
)

# What one clause asks for: the first row that holds. A change verb wins over reads (the first
# one said), except for the questions and refusals before "an order".
INTENT_RULES: tuple[Rule[Intent], ...] = (
    Rule("nothing but fillers", lambda f: f.empty, _intent("empty")),
    Rule("not about Docker", lambda f: f.norms & lx.NON_DOCKER, _intent("unknown")),
    Rule("a command to run in a container", lambda f: _runs_in_container(f), _intent("exec")),
    Rule(
        "how full is the disk in worker? cat /etc/hosts in web",  # a command answers it
        lambda f: not f.change and _asks_inside(f.clause) and f.names_container(f.clause),
        _intent("inside"),
    ),
    Rule(
        "a health check of everything",
        lambda f: (
            f.norms & lx.HEALTH_CHECK_WORDS
            and any(t.kind == "quant" for t in f.clause)
            and not f.norms & lx.FAILING_WORDS
            and not f.change
            and not f.names_beyond_condition
        ),
        _intent("read", "problems"),
    ),
    Rule(
        "remove the containers that exited with code 1",  # a change picked by a condition: ask
        lambda f: (
            f.change in ("restart", "stop", "start", "remove")
            and f.condition
            and not f.names_beyond_condition
        ),
        lambda f: Intent("ask", note=f.condition),
    ),
    Rule(
        "is anything unhealthy? which containers failed?",
        lambda f: (
            f.condition
            and not f.change
            and not f.per_container_read
            and not f.names_beyond_condition
        ),
        _intent("read", "trouble"),
    ),
    Rule("why it crashed", lambda f: _asks_why(f), _intent("why")),
    Rule("pg won't start, the api fails to start", lambda f: f.failed_action, _intent("why")),
    Rule(
        "did anything crash?",
        lambda f: (
            f.norms & lx.ANY_TARGET_WORDS
            and f.norms & lx.CRASHED_WORDS
            and not f.change
            and not f.per_container_read
            and not f.names_container(f.clause)
        ),
        _intent("read", "problems"),
    ),
    Rule(
        "what's broken? is everything ok?",
        lambda f: (
            f.norms & lx.PROBLEM_WORDS
            and not f.change
            and not f.per_container_read
            and not f.names_container(f.clause)
        ),
        _intent("read", "problems"),
    ),
    Rule("is there a newer image?", lambda f: _asks_about_updates(f), _intent("check_update")),
    Rule(
        "how do I ...?",
        lambda f: f.change and f.question == "how-to",
        _intent("unknown", note="how-to questions"),
    ),
    Rule(
        "when did the worker start?",
        lambda f: f.change in ("restart", "stop", "start", "remove") and f.question == "about",
        _intent("read", "inspect"),
    ),
    Rule(
        "should I update the api?",
        lambda f: f.change in ("update", "redeploy") and f.question == "about",
        _intent("check_update"),
    ),
    Rule(
        "don't restart web",
        lambda f: f.change and _negated(f.clause, f.change),
        lambda f: Intent("negated", note=f.change),
    ),
    Rule(
        "an action no tool does",
        lambda f: f.change is None and f.unsupported_action,
        lambda f: Intent("unknown", note=f.unsupported_action),
    ),
    Rule(
        "stop web in 5 minutes",
        lambda f: f.change and f.change not in ("run", "pull", "exec") and _scheduled(f.clause),
        _intent("unknown", note="scheduling actions for later"),
    ),
    Rule(
        "run two nginx containers",
        lambda f: f.change in ("run", "start") and _copies(f),
        _intent("unknown", note=lx.RUNNING_COPIES),
    ),
    Rule(
        "fetch the logs of web",
        lambda f: f.change in ("pull", "fetch") and set(f.reads) & lx.PER_CONTAINER_READS,
        lambda f: Intent("read", f.reads),
    ),
    Rule("rmi", lambda f: f.change == "rmi", _intent("remove_image")),
    Rule(
        "remove volumes",
        lambda f: f.change == "remove" and "volumes" in f.nouns,
        _intent("unknown", note=REMOVING_VOLUMES),
    ),
    Rule(
        "remove networks",
        lambda f: f.change == "remove" and "networks" in f.nouns and not f.bulk,
        _intent("unknown", note="removing networks"),
    ),
    Rule("remove unused ...", lambda f: f.change == "remove" and f.bulk, _intent("prune")),
    Rule(
        "remove the redis image",
        lambda f: f.change == "remove" and _names_images(f),
        _intent("remove_image"),
    ),
    Rule(
        "prune volumes",
        lambda f: f.change == "prune" and "volumes" in f.nouns,
        _intent("unknown", note="pruning volumes"),
    ),
    Rule("an order", lambda f: f.change, lambda f: _order(f)),
    Rule(
        "a topic no tool covers",  # "docker compose up -d" is not a deploy
        lambda f: f.unsupported and not f.reads,
        lambda f: Intent("unknown", note=f.unsupported),
    ),
    Rule("nginx, port 8080: no verb", lambda f: _telegraphic_run(f), _intent("run")),
    Rule("a read", lambda f: f.reads, lambda f: Intent("read", f.reads)),
    Rule(
        "has the api restarted?",  # its state says
        lambda f: f.symptom and f.question == "about",
        _intent("read", "inspect"),
    ),
    Rule("web keeps crashing", lambda f: f.symptom, _intent("why")),
    Rule("anything else", lambda f: True, lambda f: Intent("unknown", note=f.unsupported)),
)


def classify(
    clause: Clause,
    names_container: Callable[[Clause], bool],
    images: Sequence[str] = (),
    container_names: Collection[str] = (),
) -> Intent:
    """What one clause asks for: the first of INTENT_RULES that holds.

    `names_container` says whether words point at a live container (by name, ID or image);
    `images` are the local images and `container_names` the names and name parts, so that a bare
    "nginx, port 8080" reads as a deploy but "set the api restart policy" does not.
    """
    facts = ClauseFacts(clause, names_container, images, container_names)
    intent = first_match(INTENT_RULES, facts)
    assert intent is not None  # the last rule always holds
    return intent


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


# --- the predicates of the rules --------------------------------------------------------------


def _runs_in_container(f: ClauseFacts) -> bool:
    return "exec" in f.verbs or ("run" in f.verbs and _runs_a_command(f.clause, f.names_container))


def _asks_why(f: ClauseFacts) -> bool:
    """'why did web crash?', 'what went wrong with the api?', 'why won't pg start?'"""
    failed = f.crash or f.norms & lx.NEGATIONS  # "why won't it start": it does not
    return bool((f.norms & lx.WHY_WORDS and failed) or f.norms & lx.CAUSE_QUESTIONS)


def failure_cue(clause: Clause) -> int:
    """Where the failure cue of the first change verb is ("won't" in "pg won't start", "fails"
    in "the api fails to start"), or -1 when that verb is not said to have failed."""
    for i, token in enumerate(clause):
        if token.kind != "verb" or token.canon not in lx.CHANGE_VERBS:
            continue
        k = i - 1
        while k >= 0 and clause[k].norm in lx.FAILURE_CUE_SKIP:
            k -= 1
        if k < 0 or clause[k].quoted or clause[k].norm not in lx.FAILURE_CUES:
            return -1
        imperative = clause[k].norm in lx.IMPERATIVE_NEGATION_LEADS or (
            k > 0 and clause[k - 1].norm in lx.IMPERATIVE_NEGATION_LEADS
        )
        return -1 if imperative else k
    return -1


def failed_action(clause: Clause, names_container: Callable[[Clause], bool]) -> bool:
    """A change verb said to have failed: of a container named before it ("pg won't start"),
    or tried by someone on a container named after it ("I can't start pg")."""
    cue = failure_cue(clause)
    if cue <= 0:
        return False
    if names_container(clause[:cue]):
        return True
    inability = {clause[cue].norm, clause[cue - 1].norm} & lx.INABILITY_CUES
    forbids = any(t.norm in lx.LISTENER_WORDS for t in clause[:cue])
    return bool(inability) and not forbids and names_container(clause[cue + 1 :])


def _asks_inside(clause: Clause) -> bool:
    """A question about the inside of a container: its processes, disk, OS, or a path in it."""
    return inside_command(clause)[0] is not None


def inside_command(clause: Clause) -> tuple[str | None, Clause]:
    """The command that answers a question about a container's inside ('what processes run in
    the db' -> ps aux, 'list the files under /etc' -> ls -la /etc, 'cat /etc/hosts' -> cat
    /etc/hosts), and the clause with the words that asked it taken."""
    asking = [t for t in clause if not t.quoted and t.norm in lx.INSIDE_QUESTION_WORDS]
    for token in clause:
        is_path = token.raw.startswith("/") and len(token.raw) > 1
        if clause.used(token) or token.quoted or not is_path:
            continue
        norms = {t.norm for t in clause if not t.quoted}
        tool = lx.READ_FILE_COMMAND if norms & lx.FILE_READ_WORDS else lx.LIST_DIR_COMMAND
        return f"{tool} {token.raw}", clause.take(token, *asking)
    for token in clause:
        topic = lx.INSIDE_TOPICS.get(token.canon or token.norm)
        if topic is not None and not clause.used(token) and not token.quoted:
            return topic, clause.take(token, *asking)
    return None, clause


def _sets_image_or_env(f: ClauseFacts) -> bool:
    """'set the api image to v2', 'set LOG_LEVEL=debug on mailer', 'switch web to nginx:1.28'."""
    if f.norms & lx.SET_TARGET_MARKERS and (
        f.norms & lx.IMAGE_SETTING_WORDS or any(_image_reference(t, f) for t in f.clause)
    ):
        return True
    return any(_ENV_RE.match(t.raw) for t in f.clause)


def _image_reference(token: Token, f: ClauseFacts) -> bool:
    """'nginx:1.28', 'shop/api:1.5': an image by its full reference, which names no container."""
    word = token.norm
    return (
        looks_like_image(token) and (":" in word or "/" in word) and word not in f.container_names
    )


def _asks_for_new(f: ClauseFacts) -> bool:
    """'give me a mariadb', 'I need a redis on 6379': a new container of a well-known image that
    no live container is named after."""
    if not f.norms & lx.PROVIDE_WORDS:
        return False
    for before, token in zip(f.clause, f.clause[1:], strict=False):
        if before.norm in lx.NEW_CONTAINER_WORDS and token.norm in lx.KNOWN_IMAGES:
            return token.norm not in f.container_names
    return False


def _copies(f: ClauseFacts) -> bool:
    """'run two nginx containers': copies are a scaling request, which no tool does for them."""
    return bool(f.norms & lx.COUNT_WORDS) and not f.norms & lx.REPLICA_WORDS


def _names_images(f: ClauseFacts) -> bool:
    if f.nouns & {"images", "image"}:
        return "containers" not in f.nouns
    # "remove redis:6": a local image by its tag, which names no container
    local = {image.lower() for image in f.images}
    tagged = any(t.norm in local and ":" in t.norm for t in f.clause if not t.quoted)
    return tagged and not f.names_container(f.clause)


def _order(f: ClauseFacts) -> Intent:
    return Intent("pull" if f.change == "fetch" else f.change or "")  # "fetch redis" pulls it


def _asks_about_updates(f: ClauseFacts) -> bool:
    """'is there a newer image for api?', 'any updates for cron?', 'is web up to date?', 'check
    for image updates': a question about updates, not an order to update."""
    clause, norms = f.clause, f.norms
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


def _runs_a_command(clause: Clause, names_container: Callable[[Clause], bool]) -> bool:
    """'run `ls /` in web', or 'in the worker, run `migrate`': a quoted command, and either no
    image or a container said where it runs ("spin up nginx on port 8080 running `x`" is a new
    container: the port after "on" names none)."""
    if not any(t.quoted for t in clause):
        return False
    if not any(looks_like_image(t) for t in clause):
        return True
    return any(
        token.norm in lx.EXEC_IN_WORDS
        and not token.quoted
        and (names_container(clause[i + 1 :]) or _pronoun_next(clause, i + 1))
        for i, token in enumerate(clause)
    )


def _pronoun_next(clause: Clause, start: int) -> bool:
    """'run `ls` in it': the pronoun right after, past "the" and the like."""
    rest = [t for t in clause[start:] if t.norm not in lx.TARGET_LEAD_SKIP]
    return bool(rest) and rest[0].kind == "pronoun"


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


def _reads(
    clause: Clause,
    norms: set[str],
    verbs: list[str],
    nouns: set[str],
    names_container: Callable[[Clause], bool],
) -> list[str]:
    reads: list[str] = []
    if "disk" in nouns and not names_container(clause):
        return ["disk"]  # "how much disk are images using": docker system df
    if "diagnose" in nouns:
        reads.append("diagnose")
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
    other_lists = bool(set(reads) & {"images", "networks", "volumes", "system"})
    # "is docker running in swarm mode?" asks about the installation, not for a list
    states = [t for t in clause if t.kind == "state"] if "system" not in reads else []
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


def _telegraphic_run(f: ClauseFacts) -> bool:
    """'nginx, port 8080, detached': no verb, but run options and a known image.

    The image must be one people run ("nginx", "shop/api:1.4", a local one): "set the api
    restart policy to always" has a run option too, and "set" is no image.
    """
    if f.verbs or "logs" in f.reads:
        return False
    spec = run_spec(f.clause, f.images)
    image = spec.image_token or ""
    named = image in f.container_names and image not in lx.KNOWN_IMAGES
    return spec.signals > 0 and spec.image_known and not named
