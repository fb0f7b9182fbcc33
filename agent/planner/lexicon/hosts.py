"""Docker hosts: the words that name machines."""

from __future__ import annotations

from agent.planner.lexicon._build import words

HOST_NOUNS = words("host hosts machine machines server servers node nodes engine engines")
