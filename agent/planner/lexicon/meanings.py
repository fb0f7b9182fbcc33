"""The planner's own vocabulary: what the tables fold words into, and its names for what it found.

Code outside the lexicon compares words only with these (and with tool and argument names);
every other word it needs is read from a table in this package. tests/unit/test_planner_lexicon.py
holds the planner to that.
"""

from __future__ import annotations

from agent.planner.lexicon._build import words
from agent.planner.lexicon.logs import GREP_NOUNS
from agent.planner.lexicon.nouns import NOUN_ALIASES, STATE_SETS, STATE_WORDS
from agent.planner.lexicon.tokens import WORD_CLASSES
from agent.planner.lexicon.verbs import VERB_ALIASES

# What a token is: a class of WORD_CLASSES, or a plain word, a quoted value, or a verb that is
# really a run option ("restart" in "restart always").
TOKEN_KINDS = frozenset({kind for kind, _, _ in WORD_CLASSES}) | words("word quote slot")
# What verbs, nouns, log filters and states fold into ("all" for "every", "both", ...);
# Docker's container states.
CANONICAL_WORDS = frozenset(
    {
        *(meaning for _, _, meaning in WORD_CLASSES if meaning is not None),
        *VERB_ALIASES.values(),
        *NOUN_ALIASES.values(),
        *GREP_NOUNS.values(),
        *STATE_WORDS.values(),
        *(state for states in STATE_SETS.values() for state in states),
    }
)
# What one clause asks for (intents.Intent.action).
INTENTS = words(
    "restart stop start remove run pull prune exec remove_image why read update redeploy rollback "
    "scale down teardown check_update negated unknown empty ask inside"
)
# A question about an action ("when did web stop?"), or for instructions ("how do I stop it?").
QUESTION_KINDS = words("about how-to")
# Reads that are not nouns of their own: containers in a condition, everything in trouble.
EXTRA_READS = words("trouble problems")
# What a clause says it is about (workloads.said), and what "it" refers to afterwards.
WORKLOAD_KINDS = words("project compose stack service container")
ANTECEDENT_KINDS = words("containers project services")

MEANINGS = (
    TOKEN_KINDS
    | CANONICAL_WORDS
    | INTENTS
    | QUESTION_KINDS
    | WORKLOAD_KINDS
    | ANTECEDENT_KINDS
    | EXTRA_READS
)
