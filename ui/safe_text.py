"""Text from containers and models is untrusted: it must never turn into live markdown.

Untrusted text is shown with `st.code` / `st.text` / dataframes. Two places still go through a
markdown renderer and use these helpers: widget labels (`escape_markdown`) and the assistant's
reply (`safe_reply`: markdown kept, but no images, links, raw HTML, colours or maths).
"""

from __future__ import annotations

import json
import re
from typing import Any

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def escape_markdown(text: str, single_line: bool = True) -> str:
    """Plain text for a markdown-rendering label: every markdown character escaped."""
    if single_line:
        text = " ".join(text.split())
    return _MD_SPECIALS.sub(r"\\\1", text)


def _defuse(prose: str) -> str:
    """Outside code: no links or images (`[` escaped), no raw HTML or autolinks (`<`), no
    Streamlit colour/icon directives or LaTeX."""
    prose = prose.replace("\\", "\\\\")
    prose = prose.replace("[", "\\[").replace("]", "\\]")
    prose = prose.replace("<", "&lt;")
    return prose.replace("$", "\\$")


def _defuse_line(line: str) -> str:
    out: list[str] = []
    last = 0
    for match in _INLINE_CODE.finditer(line):
        out.append(_defuse(line[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_defuse(line[last:]))
    return "".join(out)


def safe_reply(text: str) -> str:
    """The assistant's reply as markdown that fetches nothing and runs nothing.

    Fenced and inline code are kept verbatim (they render as code, never as markup)."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is not None:
            lines.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            lines.append(line)
            continue
        lines.append(_defuse_line(line))
    return "\n".join(lines)


def clip(text: str, limit: int = 4000) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def as_text(value: Any, limit: int = 4000) -> str:
    """A tool result for `st.code`: strings as they are, everything else as indented JSON."""
    if isinstance(value, str):
        return clip(value, limit)
    return clip(json.dumps(value, indent=2, sort_keys=True, default=str), limit)


def short_id(value: str | None) -> str:
    value = value or ""
    return value.removeprefix("sha256:")[:12]


def human_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
