"""Resolve the words that name containers against the live list.

A phrase ("the shop api", "web", "3f2a") resolves by the strongest rule that matches anything:
exact name, ID prefix, name part, substring, image, role synonym ("database"), then a close
spelling (difflib). Several matches without "all"/"both" is ambiguous: the caller asks which.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.planner import ContainerBrief
from agent.planner import lexicon as lx
from agent.planner.text import Clause, Token

_HEX_RE = re.compile(r"^[0-9a-f]{3,64}$")
_PART_SPLIT_RE = re.compile(r"[-_.]")
_FUZZY_CUTOFF = 0.75


def image_base(image: str) -> str:
    """'registry:5000/shop/api:1.4@sha256:..' -> 'api'."""
    ref = image.split("@", 1)[0]
    name = ref.rsplit("/", 1)[-1]
    return name.split(":", 1)[0].lower()


def name_parts(name: str) -> list[str]:
    return [part for part in _PART_SPLIT_RE.split(name.lower()) if part]


def container_words(containers: Sequence[ContainerBrief]) -> set[str]:
    """Words that point at a container, so typo correction and stopwords leave them alone."""
    words: set[str] = set()
    for container in containers:
        words.add(container.name.lower())
        words.update(name_parts(container.name))
        words.add(image_base(container.image))
    return words


def match_word(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    """Containers one word points at, by the strongest rule that matches anything."""
    exact = [c for c in containers if c.name.lower() == word]
    if exact:
        return exact
    if _looks_like_id(word):
        by_id = [c for c in containers if c.id and c.id.lower().startswith(word)]
        if by_id:
            return by_id
    for rule in (_by_part, _by_substring, _by_image, _by_project):
        found = rule(word, containers)
        if found:
            return found
    for synonym in lx.TARGET_SYNONYMS.get(word, ()):
        found = _by_part(synonym, containers) or _by_image(synonym, containers)
        if found:
            return found
    return _by_spelling(word, containers)


def _looks_like_id(word: str) -> bool:
    """'3f2a', 'c3d4e5': hex with a digit (or long). 'add', 'cafe', 'bad' are words, not IDs."""
    return bool(_HEX_RE.match(word)) and (any(ch.isdigit() for ch in word) or len(word) >= 8)


def _by_part(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    return [c for c in containers if word in name_parts(c.name)]


def _by_substring(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    if len(word) < 3:
        return []
    return [c for c in containers if word in c.name.lower()]


def _by_image(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    return [c for c in containers if image_base(c.image) == word or c.image.lower() == word]


def _by_project(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    return [c for c in containers if c.labels.get(lx.COMPOSE_PROJECT, "").lower() == word]


def _by_spelling(word: str, containers: Sequence[ContainerBrief]) -> list[ContainerBrief]:
    """Typos in names ("ngnix", "wroker"): the closest name, name part or image, if close.

    Only plain words: a full name like "blog-db-1" that does not exist must not turn into
    "blog-web-1", which is one edit away and a different container.
    """
    if len(word) < 4 or not word.isalpha():
        return []
    keys: dict[str, list[ContainerBrief]] = {}
    for container in containers:
        for key in {container.name.lower(), *name_parts(container.name)}:
            keys.setdefault(key, []).append(container)
    best = difflib.get_close_matches(word, list(keys), n=1, cutoff=_FUZZY_CUTOFF)
    if best:
        return keys[best[0]]
    images: dict[str, list[ContainerBrief]] = {}
    for container in containers:
        images.setdefault(image_base(container.image), []).append(container)
    best = difflib.get_close_matches(word, list(images), n=1, cutoff=_FUZZY_CUTOFF)
    return images[best[0]] if best else []


# --- phrases in a clause ----------------------------------------------------------------------


@dataclass
class TargetWords:
    """The parts of a clause that say which containers: phrases, 'all', 'except', 'it'."""

    phrases: list[list[Token]] = field(default_factory=list)
    excluded: list[list[Token]] = field(default_factory=list)
    quantified: bool = False  # "all", "every", "both", or a plural like "exited containers"
    pronoun: bool = False  # "it", "them": the previous clause's targets
    states: list[str] = field(default_factory=list)  # "running", "exited", ...
    scopes: list[Token] = field(default_factory=list)  # "blog" in "web in the blog project"
    # phrases not where a target is said ("web keeps dying": "dying"); if they name nothing
    # while another phrase does, they are fillers, not a container to ask about
    loose: list[list[Token]] = field(default_factory=list)
    singular: bool = False  # "the thing that crashed", "the one": one container is meant
    recent: bool = False  # "the container I just started": by when, which no brief says
    others: bool = False  # "everything else": all but what was held back

    @property
    def empty(self) -> bool:
        return not (self.phrases or self.quantified or self.pronoun or self.scopes)


def is_candidate(token: Token, known: set[str], clause: Clause) -> bool:
    """Whether `token` of `clause` may name a container: an unused plain word, or a filler that
    is a container's name ("app")."""
    if clause.used(token) or token.quoted:
        return False
    if token.norm in lx.PHRASE_MEANINGS and token.norm not in known:
        return False  # "what happened", "keep watching": folded idioms name nothing
    if token.norm.isdigit() and len(token.norm) < 3 and token.norm not in known:
        return False  # "the 2 stopped containers", "top 5": a count, not a name
    if token.kind == "word":
        return True
    # A filler word still names a container that is called exactly that ("app", "server").
    return token.kind == "stop" and token.norm in known


def target_words(clause: Clause, known: set[str]) -> TargetWords:
    words = TargetWords()
    current: list[Token] = []
    excluding = False
    plural_seen = False

    def close() -> None:
        nonlocal current
        if current:
            (words.excluded if excluding else words.phrases).append(current)
            if not excluding and not _in_target_position(clause, current[0]):
                words.loose.append(current)
            current = []

    for token in clause:
        if clause.used(token):
            close()
            continue
        if token.norm in lx.RECENT_REFERENCES:
            words.recent = True
            close()
            continue
        if token.norm in lx.OTHERS_WORDS and not token.quoted:
            words.others = True
            close()
            continue
        if token.norm in lx.SINGULAR_TARGET_NOUNS and token.norm not in known:
            words.singular = True
        if token.norm in lx.PLURAL_NOUNS and token.norm not in known:
            plural_seen = True
            close()
        elif token.norm in lx.GROUP_NOUNS and current and not excluding:
            words.scopes.append(current.pop())
            close()
        elif is_candidate(token, known, clause):
            current.append(token)
        elif token.kind == "pronoun":
            words.pronoun = True
            close()
        elif token.kind == "quant":
            words.quantified = True
            close()
        elif token.kind == "excl":
            close()
            excluding = True
        elif token.kind == "state":
            words.states.append(token.canon)
            close()
        elif token.kind in ("conj", "verb", "break") or token.canon == "containers":
            close()
        # other stopwords and nouns are transparent: "the shop api box"
    close()
    if (plural_seen and (words.states or words.phrases)) or (words.scopes and not words.phrases):
        words.quantified = True
    if plural_seen or words.quantified:
        words.singular = False
    return words


def _in_target_position(clause: Clause, first: Token) -> bool:
    """Whether a phrase starts where a target is said: first in the clause, or after a verb, a
    conjunction, 'all'/'except', a noun ("logs web") or a preposition ("logs of web")."""
    index = next(i for i, t in enumerate(clause) if t is first)
    for token in reversed(clause[:index]):
        if token.norm in lx.TARGET_LEAD_SKIP and not token.quoted:
            continue
        kinds = ("verb", "conj", "excl", "quant", "noun", "break", "state", "slot")
        return token.kind in kinds or token.norm in lx.TARGET_PREPOSITIONS
    return True


@dataclass
class Resolved:
    containers: list[ContainerBrief] = field(default_factory=list)
    ambiguous: list[list[ContainerBrief]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def resolve_phrases(
    phrases: Sequence[Sequence[Token]], containers: Sequence[ContainerBrief], every: bool
) -> Resolved:
    """Each phrase -> containers. With `every`, several matches are all meant, not ambiguous."""
    result = Resolved()
    for phrase in phrases:
        for group in _phrase_groups(phrase, containers):
            if group is None:
                result.missing.append(" ".join(t.raw for t in phrase))
            elif len(group) == 1 or every:
                result.containers.extend(c for c in group if c not in result.containers)
            else:
                result.ambiguous.append(group)
    return result


def _phrase_groups(
    phrase: Sequence[Token], containers: Sequence[ContainerBrief]
) -> list[list[ContainerBrief] | None]:
    """Words of one phrase narrow each other ("shop web"); if they cannot, each stands alone."""
    matches = [match_word(t.norm, containers) for t in phrase]
    found = [m for m in matches if m]
    if not found:
        return [None]
    common = [c for c in found[0] if all(c in m for m in found[1:])]
    if common:
        return [common]
    return [list(m) for m in found]


def ordered(
    selected: Sequence[ContainerBrief], containers: Sequence[ContainerBrief]
) -> list[ContainerBrief]:
    """Selected containers in live-list order, without duplicates."""
    chosen = {id(c) for c in selected}
    return [c for c in containers if id(c) in chosen]
