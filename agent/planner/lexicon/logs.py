"""Log reads: the words that filter log lines."""

from __future__ import annotations

from agent.planner.lexicon._build import aliases, words

# Words that ask for log lines containing a term ("errors in the api" -> grep "error").
GREP_NOUNS: dict[str, str] = {
    **aliases("error", "error errors err"),
    **aliases("exception", "exception exceptions"),
    **aliases("warn", "warning warnings warn"),
    **aliases("timeout", "timeout timeouts"),
    **aliases("fatal", "fatal"),
    **aliases("panic", "panic"),
    **aliases("traceback", "traceback"),
}
GREP_MARKERS = words(
    "grep containing contain contains matching match mentioning mention mentions filter search with"
)
