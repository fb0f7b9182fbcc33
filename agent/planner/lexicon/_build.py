"""Helpers that keep long word lists readable: one string per list."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A word set written as one string, so long lists stay readable."""
    return frozenset(text.split())


def aliases(canonical: str, text: str) -> dict[str, str]:
    """Every word of `text` -> `canonical`."""
    return dict.fromkeys(text.split(), canonical)
