"""Model-facing text lives here as plain files, so it can be read, reviewed and measured."""

from __future__ import annotations

from importlib import resources


def load(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8").strip()
