"""Untrusted text never becomes live markdown: no images, links, raw HTML, colours or maths."""

from __future__ import annotations

import pytest

from tests.ui.helpers import unescaped
from ui.safe_text import as_text, clip, escape_markdown, human_bytes, safe_reply, short_id


@pytest.mark.parametrize(
    "hostile",
    [
        "![pixel](http://attacker.example/t.png)",
        "![ref][x]\n\n[x]: http://attacker.example/t.png",
        "[click me](http://attacker.example/phish)",
        ":red[alarm] :material/warning:",
    ],
)
def test_reply_cannot_form_images_or_links(hostile: str) -> None:
    out = safe_reply(f"Here you go: {hostile}")
    assert not unescaped(out, "[")
    assert not unescaped(out, "]")


def test_reply_escapes_raw_html_and_maths() -> None:
    out = safe_reply('<img src=x onerror="alert(1)"> <script>x</script> costs $5 and $6')
    assert "<" not in out
    assert "&lt;img" in out
    assert not unescaped(out, "$")


def test_reply_keeps_markdown_of_its_own_and_code_verbatim() -> None:
    reply = (
        "**Done**: restarted `web` (`docker restart -t 10 web`).\n"
        "```text\n![x](http://a/b.png) <b>log line</b>\n```\n"
        "- item"
    )
    out = safe_reply(reply)
    assert out.startswith("**Done**: restarted `web` (`docker restart -t 10 web`).")
    assert "```text\n![x](http://a/b.png) <b>log line</b>\n```" in out
    assert out.endswith("- item")


def test_reply_unclosed_fence_stays_code() -> None:
    assert safe_reply("```\n![x](y)") == "```\n![x](y)"


def test_escape_markdown_makes_labels_plain() -> None:
    out = escape_markdown("**bold** [a](b) ![i](j) `c` <x> :red[y]\nnext")
    for token in ("*", "[", "]", "(", "`", "<", "!", ":"):
        assert not unescaped(out, token), token
    assert "\n" not in out


def test_small_formatters() -> None:
    assert clip("abc", 10) == "abc"
    assert clip("a" * 20, 5).startswith("aaaaa\n… (15 more")
    assert as_text({"b": 1, "a": [1]}) == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert short_id("sha256:0123456789abcdef") == "0123456789ab"
    assert human_bytes(512) == "512 B"
    assert human_bytes(3 * 2**20) == "3.0 MiB"
