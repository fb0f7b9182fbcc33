"""Which Docker host a clause is about: "on host2", "on all hosts", "which host runs X?".

The host words are taken out of the clause first (`HostScope.clause` has them consumed), so
"host2" is never read as a container or an image. A host that is not configured gets a question
listing the ones that are; when the caller did not say which hosts exist, an explicit "on host2"
is passed on as said and the tools check it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.planner import PlannedCall, replies
from agent.planner import lexicon as lx
from agent.planner.selection import ALL_HOSTS, Clarify, PlanContext, names_container
from agent.planner.targets import match_word, resolve_phrases, target_words
from agent.planner.text import Clause, Token

# "host3", "node-2", "db.example.com": names of machines, not of containers or images
_HOST_LIKE_RE = re.compile(r"^(?=[a-z0-9-]*[a-z])[a-z0-9][a-z0-9-]*\d$|^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_HOST_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_VERSION_RE = re.compile(r"^v?\d+(\.\d+)*$")


@dataclass(frozen=True)
class HostScope:
    host: str | None  # a host name, "all", or None (not said)
    which: bool  # "which host runs the api?", "where is cron running?"
    clause: Clause  # the clause with the words that said so taken


def extract(clause: Clause, ctx: PlanContext) -> HostScope:
    """Take the host words out of a clause; `Clarify` when the host named is not configured."""
    host: str | None = None
    which = False
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        following = _next_content(clause, i + 1)
        if token.norm in lx.EVERYWHERE_WORDS:
            host = ALL_HOSTS
            clause = clause.take_at(i)
        elif (
            token.norm in lx.ALL_WORDS
            and following is not None
            and _is_host_noun(clause, following)
        ):
            host = ALL_HOSTS  # "on all hosts", "across every machine"
            clause = _take_preposition(clause.take_at(i, following), i)
        elif (
            token.norm in lx.WHICH_WORDS
            and following is not None
            and _is_host_noun(clause, following)
        ):
            which = True  # "which host runs the api?"
            clause = clause.take_at(i, following)
        elif token.norm in lx.WHERE_WORDS and {t.norm for t in clause[i + 1 :]} & lx.WHERE_VERBS:
            which = True  # "where is cron running?"
            clause = clause.take_at(i)
    if host is None:
        host, clause = _named_host(clause, ctx)
    return HostScope(host, which, clause)


def _next_content(clause: Clause, start: int) -> int | None:
    tokens = clause.tokens  # called for every word: index the tuple directly
    for j in range(start, min(start + 3, len(tokens))):
        if tokens[j].norm not in lx.HOST_LEAD_FILLERS:
            return j
    return None


def _is_host_noun(clause: Sequence[Token], index: int) -> bool:
    return not clause[index].quoted and clause[index].norm in lx.HOST_NOUNS


def _take_preposition(clause: Clause, index: int) -> Clause:
    j = index - 1
    while j >= 0 and clause[j].norm in lx.HOST_LEAD_FILLERS:
        j -= 1
    if j >= 0 and clause[j].norm in lx.HOST_SCOPE_PREPOSITIONS:
        return clause.take_at(j)
    return clause


def _named_host(clause: Clause, ctx: PlanContext) -> tuple[str | None, Clause]:
    configured = {h.lower(): h for h in ctx.hosts}
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        marked = _marked_as_host(clause, i)
        word = token.norm
        if word in configured and (marked or not _names_something(word, ctx)):
            return configured[word], _take_host(clause, i)
        if not marked or not _HOST_NAME_RE.match(word) or _names_something(word, ctx):
            continue
        if token.kind != "word" or word.isdigit() or _VERSION_RE.match(word):
            continue
        after_noun = i > 0 and clause[i - 1].norm in lx.HOST_NOUNS
        if not (after_noun or _HOST_LIKE_RE.match(word)):
            continue
        close = _close_host(word, list(configured))
        if close is not None:
            return configured[close], _take_host(clause, i)
        if ctx.hosts:
            raise Clarify(replies.unknown_host(token.raw, ctx.hosts))
        return token.raw, _take_host(clause, i)  # not told which hosts exist: the tools check it
    return None, clause


def _marked_as_host(clause: Clause, index: int) -> bool:
    """'on host2', 'host host2', 'host2 host', 'the host2 machine'."""
    tokens = clause.tokens  # called for every word: index the tuple directly
    j = index - 1
    while j >= 0 and tokens[j].norm in lx.HOST_LEAD_FILLERS:
        j -= 1
    before = tokens[j] if j >= 0 else None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if before is not None and not clause.used(before) and before.norm in lx.HOST_MARKERS:
        return True
    return after is not None and not clause.used(after) and after.norm in lx.HOST_NOUNS


def _names_something(word: str, ctx: PlanContext) -> bool:
    return (
        word in ctx.known
        or word in ctx.workload_words
        or word in lx.KNOWN_IMAGES
        or bool(match_word(word, ctx.all_containers))
    )


def _close_host(word: str, hosts: list[str]) -> str | None:
    """'hots2' -> host2; never 'host3' -> host2: digits must agree."""
    digits = re.sub(r"\D", "", word)
    same_digits = [h for h in hosts if re.sub(r"\D", "", h) == digits]
    best = difflib.get_close_matches(word, same_digits, n=1, cutoff=0.75)
    return best[0] if best else None


def _take_host(clause: Clause, index: int) -> Clause:
    """The host name, the noun beside it and the preposition before: "on the host2 machine"."""
    clause = _take_preposition(clause.take_at(index), index)
    for j in (index - 1, index + 1):
        if 0 <= j < len(clause) and clause[j].norm in lx.HOST_NOUNS:
            clause = _take_preposition(clause.take_at(j), j)
    return clause


# --- requests about hosts themselves -------------------------------------------------------


def which_host(clause: Clause, ctx: PlanContext) -> list[PlannedCall]:
    """'which host runs the api?': list that container everywhere; the listing shows hosts."""
    args: dict[str, object] = {"host": ALL_HOSTS}
    phrases = target_words(clause, ctx.known).phrases
    if not phrases and not names_container(clause, ctx):
        return _each_host(ctx)  # "which hosts are there?"
    if phrases:
        found = resolve_phrases(phrases[:1], ctx.all_containers, every=True)
        names = sorted({c.name for c in found.containers})
        args["name"] = names[0] if len(names) == 1 else phrases[0][0].norm
    return [PlannedCall("list_containers", args)]


def host_question(clause: Clause, ctx: PlanContext) -> list[PlannedCall] | None:
    """'is host2 up?' -> system_info there; 'list hosts' -> system_info on each host."""
    norms = {t.norm for t in clause if not t.quoted}
    if ctx.host:
        lead = next((t.norm for t in clause if t.norm not in lx.HOST_POLITE_LEADS), "")
        asks = lead in lx.HOST_CHECK_LEADS and not norms & lx.WHICH_WORDS
        about_containers = names_container(clause, ctx) or norms & lx.CONTAINER_WORDS
        if asks and norms & lx.HOST_STATUS_WORDS and not about_containers:
            if ctx.host == ALL_HOSTS:
                return _each_host(ctx)  # "are all hosts up?"
            return [PlannedCall("system_info", {"host": ctx.host})]
        return None
    unused = {t.norm for t in clause if not clause.used(t) and not t.quoted}
    if unused & lx.HOSTS_LIST_WORDS and not names_container(clause, ctx):
        others = [
            t for t in clause if not clause.used(t) and t.kind == "noun" and t.canon != "info"
        ]
        if not others:
            return _each_host(ctx)
    return None


def only_host(clause: Clause) -> bool:
    """Whether a clause said nothing but its host ("on host2, ...")."""
    return not any(
        not clause.used(t) and (t.quoted or t.kind not in ("stop", "conj", "break")) for t in clause
    )


def _each_host(ctx: PlanContext) -> list[PlannedCall]:
    """The hosts themselves: system_info answers for each (and says which one is down)."""
    if not ctx.hosts:
        return [PlannedCall("system_info", {})]
    return [PlannedCall("system_info", {"host": h}) for h in ctx.hosts]


# --- the host argument on each call -----------------------------------------------------------


def apply(
    calls: list[PlannedCall], ctx: PlanContext, read_tools: frozenset[str]
) -> list[PlannedCall]:
    """Give every call its host: the one the clause named; one call per host for 'all' (only
    listing containers spans hosts in one call); a question when a change on several hosts
    names neither a host nor a container the tools could find it by."""
    host = ctx.host
    placed: list[PlannedCall] = []
    for call in calls:
        if "host" in call.args:
            placed.append(call)
        elif host == ALL_HOSTS:
            if call.tool == "list_containers":
                placed.append(PlannedCall(call.tool, {**call.args, "host": ALL_HOSTS}))
            elif "container" in call.args:
                placed.append(call)  # found among every host's containers
            elif ctx.hosts:
                placed += [PlannedCall(call.tool, {**call.args, "host": h}) for h in ctx.hosts]
            else:
                raise Clarify("Which host? I was not told which Docker hosts are configured.")
        elif host is not None:
            placed.append(PlannedCall(call.tool, {**call.args, "host": host}))
        elif ctx.multi_host and call.tool not in read_tools and "container" not in call.args:
            raise Clarify(replies.needs_host(ctx.hosts))
        else:
            placed.append(call)
    return placed
