"""Rules as data: the planner's words live in its lexicon (STYLE.md rule 12).

Outside agent/planner/lexicon/, planner code may compare words only with the lexicon's meanings
(token kinds, canonical words, intents: `lexicon.meanings`), tool and argument names from the
catalogue, or non-words (punctuation and Docker syntax such as ":", "/", "->"; text with spaces
is a reply, not a word). Any other word in a comparison, a membership test, a set operation or a
collection literal, a `words(...)` call, or a module-level table made of lexicon tables is a word
table outside the lexicon, and the scan below names it, with its file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.planner import lexicon
from agent.planner.lexicon import meanings
from tools.catalogue import all_tools

PLANNER = Path(__file__).resolve().parents[2] / "agent" / "planner"
LEXICON = PLANNER / "lexicon"
# Calls that build word tables: only the lexicon makes them.
_TABLE_BUILDERS = frozenset({"words", "aliases"})
_COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
_SET_OPERATORS = (ast.BitAnd, ast.BitOr, ast.Sub, ast.BitXor)
_COLLECTIONS = (ast.Tuple, ast.List, ast.Set, ast.Dict)
_LETTER_RE = re.compile(r"[A-Za-z]")


def _allowed_strings() -> frozenset[str]:
    tools = all_tools()
    names = {spec.name for spec in tools}
    arguments = {field for spec in tools for field in spec.input_model.model_fields}
    return meanings.MEANINGS | names | arguments


def _is_word(value: str) -> bool:
    """A string that could be something a user types: letters, and no spaces (prose)."""
    return bool(_LETTER_RE.search(value)) and not any(ch.isspace() for ch in value)


def _strings(node: ast.AST) -> Iterator[ast.Constant]:
    """String constants a comparison or set operation uses: the operand, or a literal's items."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, _COLLECTIONS):
        items = [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts
        for item in items:
            if item is not None:
                yield from _strings(item)


def _not_words(tree: ast.Module) -> Iterator[ast.AST]:
    """Where strings are names, not words: type annotations (`Literal["calls", ...]`), __all__."""
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef) and node.returns is not None:
            yield node.returns
        elif isinstance(node, ast.Assign) and {ast.unparse(t) for t in node.targets} <= {"__all__"}:
            yield node.value


def word_literals(source: str, allowed: frozenset[str]) -> list[tuple[int, str]]:
    """(line, what) for each English word written outside the lexicon in `source`."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    skipped = {id(sub) for node in _not_words(tree) for sub in ast.walk(node)}

    def flag(constants: Iterator[ast.Constant]) -> None:
        for constant in constants:
            value = str(constant.value)
            if _is_word(value) and value not in allowed and id(constant) not in skipped:
                found.append((constant.lineno, repr(value)))

    for statement in tree.body:  # a table made of lexicon tables: `_WORDS = lx.A | lx.B`
        if not isinstance(statement, ast.Assign | ast.AnnAssign):
            continue
        value = statement.value
        if isinstance(value, ast.BinOp) and isinstance(value.op, _SET_OPERATORS):
            found.append((statement.lineno, f"{ast.unparse(value)[:60]} builds a word table"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(op, _COMPARISONS) for op in node.ops):
                for operand in operands:
                    flag(_strings(operand))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _SET_OPERATORS):
            for operand in (node.left, node.right):
                if isinstance(operand, _COLLECTIONS):
                    flag(_strings(operand))
        elif isinstance(node, _COLLECTIONS):
            flag(_strings(node))  # a table inside a function: `skip = ("the", "a")`
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            literal_split = (
                name == "split"
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Constant)
            )
            if name in _TABLE_BUILDERS or literal_split:
                found.append((node.lineno, f"{ast.unparse(node)[:60]} builds a word table"))
    return sorted(set(found))


def _planner_modules() -> list[Path]:
    return sorted(p for p in PLANNER.rglob("*.py") if LEXICON not in p.parents)


@pytest.mark.parametrize("path", _planner_modules(), ids=lambda p: p.name)
def test_words_live_in_the_lexicon(path: Path) -> None:
    found = word_literals(path.read_text(), _allowed_strings())
    where = [f"{path.name}:{line}: {what}" for line, what in found]
    assert not where, "English outside agent/planner/lexicon/ (move it to a table):\n" + "\n".join(
        where
    )


@pytest.mark.parametrize(
    "source",
    [
        '_STOP_WORDS = frozenset({"halt", "stop"})',
        'def f(x): return x in ("stop", "halt")',
        'def f(norms): return norms & {"unused", "dangling"}',
        'def f(t): return t.norm == "latest"',
        'def f(t): return "whether" in t',
        'def f(t): return next_unused(t, skip=frozenset({"the", "container"}))',
        'QUESTIONS = words("how what")',
        'def f(x): return x in "stop halt".split()',
        "_WORKLOAD = lx.PROJECT_WORDS | lx.STACK_WORDS",
    ],
)
def test_the_scan_finds_a_word_table(source: str) -> None:
    assert word_literals(source, _allowed_strings()), source


@pytest.mark.parametrize(
    "source",
    [
        'def f(t): return t.kind in ("stop", "conj", "break")',  # token kinds
        'def f(verb): return verb in ("restart", "stop")',  # canonical verbs
        'def f(args): return "restart_policy" in args or "name" in args',  # argument names
        'def f(call): return call.tool == "list_containers"',  # tool names
        'def f(ref): return ":" in ref or "/" in ref',  # Docker syntax
        'def f(v): return {"logs": "show the logs of"}.get(v, v)',  # prose for replies
    ],
)
def test_the_scan_lets_meanings_and_syntax_through(source: str) -> None:
    assert not word_literals(source, _allowed_strings()), source


def test_each_table_is_defined_once() -> None:
    """Topics are re-exported into one namespace: a name in two modules would hide one table."""
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted(LEXICON.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    if target.id in seen:
                        clashes.append(f"{target.id}: {seen[target.id]} and {path.name}")
                    seen[target.id] = path.name
                    assert hasattr(lexicon, target.id), f"{target.id} is not re-exported"
    assert not clashes, clashes
