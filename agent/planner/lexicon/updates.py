"""Image updates, rollbacks and scaling: the new image, health windows, replicas."""

from __future__ import annotations

from agent.planner.lexicon._build import words
from agent.planner.lexicon.logs import DURATION_UNITS
from agent.planner.lexicon.requests import SET_VERBS

# Taken from an update so they are not read as targets: "make web run nginx:1.28".
UPDATE_SET_VERBS = SET_VERBS | words("make")
# Taken from a check for updates: "is there a newer image for api?".
UPDATE_CHECK_WORDS = words(
    "newer outdated up-to-date stale available latest update updates new need needs there any"
)

# --- the image asked for ----------------------------------------------------------------------

# "update api to :v2", "roll out shop/api:1.5 onto the api": the image or tag follows.
IMAGE_MARKERS = words("to -> onto")
# "update web with 1.28", "redeploy using nginx:1.28": only a clear image or tag follows.
LOOSE_IMAGE_MARKERS = words("with using")
ANY_IMAGE_MARKERS = IMAGE_MARKERS | LOOSE_IMAGE_MARKERS
# Skipped after a marker: "to the new version 2".
IMAGE_SPEC_SKIP = words("the a an image version tag new release")
# After a marker, these say a tag follows: "to version 2", "to tag beta".
TAG_MARKERS = words("version tag release")
# After a marker, the image this plan just pulled: "pull nginx:1.28 and update web to it".
PULLED_IMAGE_PRONOUNS = words("it")

# --- health windows ---------------------------------------------------------------------------

# "wait 60 seconds for it to be healthy", "timeout 2m", "a 120 second health timeout".
HEALTH_TIMEOUT_WORDS = words("wait timeout --health-timeout health-timeout")
# Health windows are seconds or minutes.
HEALTH_WINDOW_UNITS = frozenset(u for u, unit in DURATION_UNITS.items() if unit in ("s", "m"))
MINUTE_UNITS = frozenset(u for u, unit in DURATION_UNITS.items() if unit == "m")
# "give it 90 seconds to become healthy": taken with the window.
SETTLE_WORDS = words("give it become becomes get be to for healthy ready settle up come time")
SETTLE_VERBS = words("give")  # a verb ("give" shows), taken all the same
# A clause that only gives a health window: "and give it 90 seconds to become healthy".
HEALTH_WORDS = words("healthy health ready settle become come")
HEALTH_CLAUSE_FILLERS = words("become")

# --- rollbacks and replicas -------------------------------------------------------------------

# "... and roll it back if it fails": what an image update does anyway.
CONDITION_WORDS = words("if when should unless in")
REPLICA_NOUNS = words("replicas replica")
REPLICAS_ASSIGNMENT = "replicas="  # "replicas=3"
# "scale worker up by 2", "scale worker down by 1": relative to the current number.
RELATIVE_WORDS = words("by")
FEWER_WORDS = words("down fewer less")
