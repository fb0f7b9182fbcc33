"""Small readers over an AppTest's element tree."""

from __future__ import annotations

import re
from typing import Any

from streamlit.testing.v1 import AppTest


def plain(markdown: str) -> str:
    """Undo the console's markdown escaping, to compare with what a person reads."""
    return re.sub(r"\\(.)", r"\1", markdown)


def alerts(at: Any, kind: str = "error") -> list[str]:
    return [plain(str(e.value)) for e in getattr(at, kind)]


def shown_text(at: AppTest) -> str:
    """Everything a person would read: markdown, captions, text, code, alerts, row labels."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "text", "code", "error", "warning", "info", "success",
                 "title", "subheader"):  # fmt: skip
        parts.extend(plain(str(e.value)) for e in getattr(at, kind))
    parts.extend(s.label for s in at.status)
    parts.extend(e.label for e in at.expander)
    return "\n".join(parts)


def button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; have {[b.label for b in at.button]}"
    return matches[0]


def unescaped(text: str, token: str) -> bool:
    """True if `token` occurs in markdown `text` without a backslash escape before it."""
    start = 0
    while (index := text.find(token, start)) != -1:
        backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
        if backslashes % 2 == 0:
            return True
        start = index + 1
    return False


def assert_clean(at: AppTest) -> None:
    """No exception and no "something went wrong" banner: only intended messages."""
    assert not at.exception, [e.value for e in at.exception]
    broken = [a for a in alerts(at) if a.startswith("Something went wrong")]
    assert not broken, broken
