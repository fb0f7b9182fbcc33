"""Turn a request into tokens: quotes kept verbatim, typos fixed, phrases folded, words classified.

Each token keeps the text as typed (`raw`) next to the lowercase form (`norm`), because values
such as environment variables, paths and commands must reach the tools with their case intact.
Tokens are immutable; a `Clause` is an immutable value too: its tokens and the positions of the
ones already consumed. An extractor returns a new clause with what it took, so what is left can
be read as names without "8080" or "/data" being mistaken for one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import overload

from agent.planner import lexicon as lx

_QUOTED_RE = re.compile(r"`([^`]*)`|\"([^\"]*)\"|“([^”]*)”")
_SINGLE_QUOTED_RE = re.compile(r"(?<![\w'])'([^']+)'(?![\w'])")
_WORD_RE = re.compile(r"[\w./:@+=%>~$*-]+|&&|[,;?!&]")


@dataclass(frozen=True)
class Token:
    norm: str  # lowercase, typo-corrected, phrase-folded
    raw: str  # as typed
    # word | verb | noun | grep | state | quant | excl | conj | break | pronoun | stop | quote,
    # or slot for a verb that is really an option ("restart" in "restart always")
    kind: str = "word"
    canon: str = ""  # canonical meaning for verbs, nouns, states ("bounce" -> "restart")
    quoted: bool = False
    pos: int = -1  # its place in the request: which token this is, in any slice of a clause


@dataclass(frozen=True)
class Clause(Sequence[Token]):
    """Tokens and the positions of those consumed; a slice keeps what was consumed."""

    tokens: tuple[Token, ...] = ()
    taken: frozenset[int] = field(default_factory=frozenset)

    @overload
    def __getitem__(self, index: int) -> Token: ...
    @overload
    def __getitem__(self, index: slice) -> Clause: ...
    def __getitem__(self, index: int | slice) -> Token | Clause:
        if isinstance(index, slice):
            return Clause(self.tokens[index], self.taken)
        return self.tokens[index]

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self) -> Iterator[Token]:
        return iter(self.tokens)

    def used(self, token: Token) -> bool:
        """Whether `token` was consumed (by a slot, a host, a flag), so it names nothing."""
        return token.pos in self.taken

    def take(self, *tokens: Token) -> Clause:
        """This clause with `tokens` consumed too."""
        if not tokens:
            return self
        return Clause(self.tokens, self.taken | {t.pos for t in tokens})

    def take_at(self, *indexes: int) -> Clause:
        """This clause with the tokens at `indexes` consumed too."""
        return self.take(*(self.tokens[i] for i in indexes))

    def where(self, keep: Callable[[Token], bool]) -> Clause:
        """The tokens `keep` accepts, with what was consumed."""
        return Clause(tuple(t for t in self.tokens if keep(t)), self.taken)


def _word_classes() -> dict[str, tuple[str, str]]:
    """Each known word -> (kind, canonical meaning), by the lexicon's precedence of classes."""
    classes: dict[str, tuple[str, str]] = {}
    for kind, table, meaning in lx.WORD_CLASSES:
        for word in table:
            if isinstance(table, Mapping):
                classes.setdefault(word, (kind, table[word]))
            else:
                classes.setdefault(word, (kind, meaning or word))
    return classes


_WORD_CLASS = _word_classes()


def classify_word(word: str) -> tuple[str, str]:
    """Kind and canonical meaning of one lowercase word."""
    return _WORD_CLASS.get(word, ("word", word))


def tokenise(text: str, protected: Collection[str] = ()) -> list[Token]:
    """Split, fix typos (never in `protected` words such as container names), fold phrases."""
    tokens = [
        token
        if token.quoted or token.norm in protected
        else Token(correct_typo(lx.SPELLINGS.get(token.norm, token.norm)), token.raw)
        for token in _raw_tokens(_normalise_unicode(text))
    ]
    tokens = _fold_separable(_fold_phrases(tokens))
    kept = [t for t in tokens if t.norm or t.quoted]
    return [_classified(token, pos) for pos, token in enumerate(kept)]


def _classified(token: Token, pos: int) -> Token:
    if token.quoted:
        return Token(token.norm, token.raw, "quote", quoted=True, pos=pos)
    kind, canon = classify_word(token.norm)
    return Token(token.norm, token.raw, kind, canon, pos=pos)


def _normalise_unicode(text: str) -> str:
    for before, after in lx.TYPOGRAPHY:
        text = text.replace(before, after)
    return text


def _raw_tokens(text: str) -> Iterable[Token]:
    position = 0
    for match in _QUOTED_RE.finditer(text):
        yield from _plain_tokens(text[position : match.start()])
        content = next(group for group in match.groups() if group is not None)
        yield Token(norm=content.lower(), raw=content, quoted=True)
        position = match.end()
    yield from _plain_tokens(text[position:])


def _plain_tokens(segment: str) -> Iterable[Token]:
    for pattern, replacement in lx.CONTRACTIONS:
        segment = pattern.sub(replacement, segment)
    position = 0
    for match in _SINGLE_QUOTED_RE.finditer(segment):
        yield from _words(segment[position : match.start()])
        yield Token(norm=match.group(1).lower(), raw=match.group(1), quoted=True)
        position = match.end()
    yield from _words(segment[position:])


def _words(segment: str) -> Iterable[Token]:
    for match in _WORD_RE.finditer(segment):
        raw = match.group()
        # A sentence-ending full stop separates clauses; inside "nginx:1.27" it does not.
        ends_sentence = raw.endswith(".") and len(raw) > 1
        raw = raw.rstrip(".:") if len(raw) > 1 else raw
        if not raw or raw == ".":
            continue
        yield from _split_flag(raw)
        if ends_sentence:
            yield Token(norm=";", raw=".")


def _split_flag(raw: str) -> Iterable[Token]:
    key, eq, value = raw.partition("=")
    bare = key.lstrip("-").lower()
    flag = bare in lx.DASHED_VALUE_FLAGS if key.startswith("-") else bare in lx.BARE_VALUE_FLAGS
    if eq and value and flag:
        yield Token(norm=key.lower(), raw=key)
        yield Token(norm=value.lower(), raw=value)
    else:
        yield Token(norm=raw.lower(), raw=raw)


# --- typo correction --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def correct_typo(word: str) -> str:
    """The keyword `word` was meant to be, or `word` itself.

    Only alphabetic words of four letters or more that are not known words are candidates; one
    edit (a transposition counts as one) is allowed, two from eight letters on.
    """
    if len(word) < 4 or not word.isalpha() or word in lx.KNOWN_WORDS:
        return word
    limit = 2 if len(word) >= 8 else 1
    letters = sorted(word)
    best, best_rank = word, (limit + 1, 0)
    for target in lx.TYPO_TARGETS:
        if abs(len(target) - len(word)) > limit:
            continue
        # Swapped letters are the commonest slip: on a tie, prefer the anagram ("stast" -> stats).
        rank = (_edit_distance(word, target, limit), 0 if sorted(target) == letters else 1)
        if rank < best_rank:
            best, best_rank = target, rank
    return best


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# --- phrase folding ---------------------------------------------------------------------------

_MAX_PHRASE = max(len(p) for p in lx.PHRASES)


def _fold_phrases(tokens: list[Token]) -> list[Token]:
    folded: list[Token] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 1, -1):
            window = tokens[i : i + size]
            if any(t.quoted for t in window):
                continue
            canonical = lx.PHRASES.get(tuple(t.norm for t in window))
            if canonical is not None:
                folded.append(Token(norm=canonical, raw=" ".join(t.raw for t in window)))
                i += size
                break
        else:
            folded.append(tokens[i])
            i += 1
    return folded


_PARTICLE_GAP = 4  # "take the shop api container down": the verb and particle may be apart


def _fold_separable(tokens: list[Token]) -> list[Token]:
    """'shut the api down' -> 'stop the api': the particle is dropped, the verb replaced."""
    folded = list(tokens)
    for i in range(len(folded)):
        token = folded[i]
        if token.quoted:
            continue
        for j in range(i + 1, min(i + 1 + _PARTICLE_GAP, len(folded))):
            other = folded[j]
            if other.norm in lx.CONJUNCTIONS or other.norm in lx.CLAUSE_BREAKS:
                break
            canonical = lx.SEPARABLE.get((token.norm, other.norm))
            if canonical is not None and not other.quoted:
                folded[i] = Token(canonical, token.raw)
                folded[j] = Token("", other.raw)
                break
    return folded
