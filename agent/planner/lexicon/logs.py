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
    "grep --grep containing contain contains matching match mentioning mention mentions filter "
    "search with"
)
# "with" is too common to mean grep unless "errors" or the like follows ("logs with errors").
LOOSE_GREP_MARKERS = words("with")
# Skipped between a grep marker and its term: "search the db logs for deadlock".
GREP_SKIP = words("for by the a an lines line word string text term on about of")

# Time units as people write them -> Docker's one-letter unit ("10 minutes", "2h", "3 days").
DURATION_UNITS: dict[str, str] = {
    **aliases("s", "s sec secs second seconds"),
    **aliases("m", "m min mins minute minutes"),
    **aliases("h", "h hr hrs hour hours"),
    **aliases("d", "d day days"),
    **aliases("w", "w week weeks"),
}
# Units written straight after the number: "10m", "2hrs", "3days" (not "10minutes").
COMPACT_DURATION_UNITS = words("s sec secs m min mins h hr hrs d day days w")
# Said before or after a duration and taken with it: "in the last 10 minutes", "2 hours ago".
TIME_MARKERS = words("since --since last past for in the within from over ago previous")
AGO_WORDS = words("ago")
SINCE_FLAGS = words("--since")
# "last hour", "past day": one unit.
ONE_UNIT_WORDS = words("last past previous")
# "last 50", "--tail 20", "50 lines": how many lines.
TAIL_MARKERS = words("--tail -n tail last latest recent")
LINE_WORDS = words("lines line entries rows messages")
# A snapshot is all a tool call can return: following and timestamps are dropped.
FOLLOW_WORDS = words("-f --follow follow live stream streaming -t --timestamps timestamps")
