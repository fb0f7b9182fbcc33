"""Label keys are spelled once, in tools/labels.py; everything else imports them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tools import labels

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tools", "agent", "api", "dockerdeployer", "ui")
DOCKER_PREFIXES = ("com.docker.compose.", "com.docker.stack.", "com.docker.swarm.")
OURS = {labels.RESERVED_LABEL_PREFIX, labels.SELF_LABEL, labels.PROTECT_LABEL}


def _docstrings(tree: ast.Module) -> set[int]:
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def label_literals(source: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(source)
    prose = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            if node.value.startswith(DOCKER_PREFIXES) or node.value in OURS:
                yield node.lineno, node.value


def test_label_keys_are_spelled_only_in_the_labels_module() -> None:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 50
    spelled = [
        f"{path.relative_to(ROOT)}:{line}: {value}"
        for path in files
        if path != ROOT / "tools" / "labels.py"
        for line, value in label_literals(path.read_text())
    ]
    assert not spelled, spelled


def test_the_scan_finds_a_spelled_key() -> None:
    source = 'PROJECT = "com.docker.compose.project"\nf"{x}" == "dockerdeployer.self"\n'
    assert [line for line, _ in label_literals(source)] == [1, 2]
    assert not list(label_literals('"""Reads com.docker.compose.project labels."""\n'))


def test_our_labels_live_under_the_reserved_prefix() -> None:
    for key in (labels.SELF_LABEL, labels.PROTECT_LABEL):
        assert key.startswith(labels.RESERVED_LABEL_PREFIX)
