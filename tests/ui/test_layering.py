"""ui/ is a thin HTTP client: it never imports Docker, the agent, the tools or the API."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"
FORBIDDEN = {"docker", "agent", "tools", "api", "dockerdeployer", "langchain", "langgraph"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_ui_imports_only_its_client_side() -> None:
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        bad = imported_roots(path) & FORBIDDEN
        assert not bad, f"{path.relative_to(UI.parent)} imports {sorted(bad)}"


def _page_with_a_bug() -> None:
    from ui import session

    session.guarded(lambda: [][1])


def test_a_bug_is_a_readable_banner_not_a_traceback() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page_with_a_bug, default_timeout=60).run()
    assert not at.exception
    assert at.error[0].value.startswith("Something went wrong while drawing this page")
