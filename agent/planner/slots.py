"""Slot extraction: the arguments inside a clause (log window, images); shared helpers.

Every extractor returns what it found and the clause with the tokens it consumed taken, so what
is left over can be read as container names without "8080" or "/data" being mistaken for one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.planner import lexicon as lx
from agent.planner.targets import image_base
from agent.planner.text import Clause, Token

_INT_RE = re.compile(r"^\d{1,6}$")
# "10m", "2hrs": a number and a unit in one word
_DURATION_RE = re.compile(rf"^(\d+)({'|'.join(sorted(lx.COMPACT_DURATION_UNITS))})$")
_MAX_TAIL = 10_000  # the schema's limit: "last 99999 lines" asks for as many as allowed
_HEX_ID_RE = re.compile(r"^(sha256:)?[0-9a-f]{6,64}$")
_TAG_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,127}$")  # Docker's tag grammar
_IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._/:@+-]*$")
_VERSION_RE = re.compile(r"^v?\d+(\.\d+)*(-[a-z0-9.]+)?$")


def next_unused(clause: Clause, start: int = 0, skip: frozenset[str] = frozenset()) -> int:
    """Index of the next unused token from `start`, skipping `skip` words; -1 if none."""
    for i in range(start, len(clause)):
        token = clause[i]
        if clause.used(token):
            continue
        if not token.quoted and token.norm in skip:
            continue
        return i
    return -1


# --- logs -------------------------------------------------------------------------------------


@dataclass
class LogOptions:
    tail: int | None = None
    since: str | None = None
    grep: str | None = None

    def args(self) -> dict[str, Any]:
        found = {"tail": self.tail, "since": self.since, "grep": self.grep}
        return {key: value for key, value in found.items() if value is not None}


def log_options(clause: Clause, names: Collection[str] = ()) -> tuple[LogOptions, Clause]:
    """tail, since and grep of a logs clause, and the clause with their words taken; `names`
    (container words) are never the grep term."""
    # a snapshot is all a tool call can return: "follow" and "timestamps" are dropped
    clause = clause.take(*(t for t in clause if t.norm in lx.FOLLOW_WORDS))
    since, clause = _since(clause)
    tail, clause = _tail(clause)
    grep, clause = _grep(clause, names)
    return LogOptions(tail=tail, since=since, grep=grep), clause


def _since(clause: Clause) -> tuple[str | None, Clause]:
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        compact = _DURATION_RE.match(token.norm)
        if compact:
            since = compact.group(1) + lx.DURATION_UNITS[compact.group(2)]
            return since, _take_markers(clause.take_at(i), i)
        following = clause[i + 1].norm if i + 1 < len(clause) else ""
        if _INT_RE.match(token.norm) and following in lx.DURATION_UNITS and len(following) > 1:
            since = token.norm + lx.DURATION_UNITS[following]
            return since, _take_markers(clause.take_at(i, i + 1), i)
        # "last hour", "past day": one unit
        if token.norm in lx.ONE_UNIT_WORDS and following in lx.DURATION_UNITS:
            since = "1" + lx.DURATION_UNITS[following]
            return since, _take_markers(clause.take_at(i, i + 1), i)
        if token.norm in lx.SINCE_FLAGS:
            # "--since 1h"; never a comma ("docker, logs, --since, 1h"): the tool refuses it
            j = next((k for k in range(i + 1, len(clause)) if _has_value(clause[k])), -1)
            if j > 0:
                return clause[j].raw, clause.take_at(i, j)
    return None, clause


def _has_value(token: Token) -> bool:
    return any(ch.isalnum() for ch in token.raw)


def _take_markers(clause: Clause, index: int) -> Clause:
    """Take 'in the last' before and 'ago' after a duration too."""
    markers = []
    j = index - 1
    while j >= 0 and not clause[j].quoted and clause[j].norm in lx.TIME_MARKERS:
        markers.append(j)
        j -= 1
    markers += [
        k for k in (index + 1, index + 2) if k < len(clause) and clause[k].norm in lx.AGO_WORDS
    ]
    return clause.take_at(*markers)


def _tail(clause: Clause) -> tuple[int | None, Clause]:
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted or not _INT_RE.match(token.norm):
            continue
        previous = clause[i - 1].norm if i > 0 else ""
        following = clause[i + 1].norm if i + 1 < len(clause) else ""
        if previous in lx.TAIL_MARKERS or following in lx.LINE_WORDS or int(token.norm) <= 10_000:
            taken = [i]
            if previous in lx.TAIL_MARKERS:
                taken.append(i - 1)
            if following in lx.LINE_WORDS:
                taken.append(i + 1)
            return min(max(1, int(token.norm)), _MAX_TAIL), clause.take_at(*taken)
    return None, clause


def _grep_term(clause: Clause, start: int, names: Collection[str]) -> int:
    """'search the db logs for deadlock': past fillers, names and nouns to the term."""
    for j in range(start, len(clause)):
        token = clause[j]
        if (
            clause.used(token)
            or token.norm in lx.GREP_SKIP
            or token.norm in names
            or token.kind == "noun"
        ):
            continue
        return -1 if token.kind in ("verb", "conj", "break", "pronoun") else j
    return -1


def _grep(clause: Clause, names: Collection[str]) -> tuple[str | None, Clause]:
    """A quoted term wins ("search the db logs for 'deadlock'"); then the word after a marker
    ("grep timeout"); then a word like "errors" on its own."""
    markers = lx.GREP_MARKERS
    for i, token in enumerate(clause):
        if token.quoted and not clause.used(token):
            marked = [j for j, t in enumerate(clause) if t.norm in markers and not t.quoted]
            return token.raw, clause.take_at(i, *marked)
    for i, token in enumerate(clause):
        if clause.used(token) or token.norm not in markers:
            continue
        j = _grep_term(clause, i + 1, names)
        if j < 0 or (token.norm in lx.LOOSE_GREP_MARKERS and clause[j].kind != "grep"):
            continue  # "with" is too common to mean grep unless "errors" or the like follows
        term = clause[j]
        return (term.canon if term.kind == "grep" else term.norm), clause.take_at(i, j)
    for i, token in enumerate(clause):
        if token.kind == "grep" and not clause.used(token):
            return token.canon, clause.take_at(i)
    return None, clause


# --- images -----------------------------------------------------------------------------------


def looks_like_image(token: Token) -> bool:
    word = token.norm
    return (
        not token.quoted
        and token.kind == "word"
        and bool(_IMAGE_RE.match(word))
        and any(ch.isalpha() for ch in word)
        and not word.startswith("-")
        and ".." not in word
    )


@dataclass
class ImageChoice:
    ref: str | None = None
    options: list[str] = field(default_factory=list)  # several local images matched: ask


def image_refs(clause: Clause, local_images: Sequence[str] = ()) -> list[str]:
    """Image references in a clause ('redis 7' -> 'redis:7', 'latest postgres' -> ':latest').

    When some are images people actually use, other stray words are dropped, so "remove image
    redis:6 as well" does not also try to remove an image called "well".
    """
    found: list[str] = []
    latest = any(t.norm in lx.LATEST_WORDS and not clause.used(t) for t in clause)
    for i, token in enumerate(clause.tokens):
        if clause.used(token) or not looks_like_image(token):
            continue
        tag, clause = tag_after(clause.take_at(i), i)
        found.append(with_tag(token.norm, tag))
    if latest and len(found) == 1 and ":" not in found[0].rsplit("/", 1)[-1]:
        found[0] += ":latest"
    known = [ref for ref in found if plausible_image(ref, local_images) or _HEX_ID_RE.match(ref)]
    return known or found


def with_tag(ref: str, tag: str | None) -> str:
    if tag and ":" not in ref.rsplit("/", 1)[-1]:
        return f"{ref}:{tag}"
    return ref


def tag_after(clause: Clause, index: int) -> tuple[str | None, Clause]:
    """The tag said after an image: "redis 7", "nginx version 1.27", "node tag 20-slim"; and the
    clause with the tag's words taken."""
    j = next_unused(clause, index + 1)
    if j < 0 or j > index + 3:
        return None, clause
    word = clause[j].norm
    if word in lx.IMAGE_TAG_MARKERS and j + 1 < len(clause):
        if not _TAG_RE.match(clause[j + 1].norm):
            return None, clause
        return clause[j + 1].norm, clause.take_at(j, j + 1)
    if j != index + 1:
        return None, clause
    if word in lx.VARIANT_TAGS or word.endswith(lx.VARIANT_TAG_SUFFIXES):
        return word, clause.take_at(j)
    # "postgres 16", "nginx 1.27": a version; "nginx 8080" is a port, left for the port rules.
    if _VERSION_RE.match(word) and ("." in word or not word.isdigit() or int(word) < 100):
        return word, clause.take_at(j)
    return None, clause


def plausible_image(ref: str, local_images: Sequence[str]) -> bool:
    """A tagged or namespaced reference, a well-known image (or a slip of one), or a local one."""
    if ":" in ref or "/" in ref:
        return True
    if ref in lx.KNOWN_IMAGES or any(image_base(img) == ref for img in local_images):
        return True
    return bool(difflib.get_close_matches(ref, sorted(lx.KNOWN_IMAGES), n=1, cutoff=0.8))


def choose_image(ref: str, local_images: Sequence[str], *, prefer_local: bool) -> ImageChoice:
    """Fix a misspelt well-known image; with `prefer_local`, 'api' -> the local 'shop/api:1.4'."""
    name, _, tag = ref.partition(":")
    if name in lx.HUB_NAMES:
        name = lx.HUB_NAMES[name]
        ref = name + (f":{tag}" if tag else "")
    if "/" in name or name in lx.KNOWN_IMAGES:
        return ImageChoice(ref)
    if prefer_local:
        local = sorted(
            {
                img
                for img in local_images
                if image_base(img) == name and (not tag or img.rsplit(":", 1)[-1] == tag)
            }
        )
        if len(local) == 1:
            return ImageChoice(local[0])
        if len(local) > 1:
            return ImageChoice(options=local)
    bases = sorted(lx.KNOWN_IMAGES | {image_base(img) for img in local_images})
    close = difflib.get_close_matches(name, bases, n=1, cutoff=0.8)
    if close:
        return ImageChoice(close[0] + (f":{tag}" if tag else ""))
    return ImageChoice(ref)
