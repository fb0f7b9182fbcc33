"""Word tables of the rules planner: the only place that knows English.

Every alias folds into one canonical word, so the rest of the planner compares against a
small, fixed vocabulary instead of a thousand spellings. One module per topic; each is data
only, and every table is re-exported here, so the planner reads `lexicon.X` whatever the topic:

  tokens      typography, contractions, spellings, phrases, separable verbs, word classes, typos
  verbs       verbs -> canonical verbs
  nouns       nouns -> canonical nouns; container states
  requests    what a clause asks for: clauses, questions, negations, what cannot be done
  containers  words around container names; lifecycle, exec and list-filter words
  logs        log windows and filters
  run         run_container options
  images      well-known images, their ports, tags
  updates     image updates, health windows, rollbacks, replicas
  workloads   compose projects, Swarm services and stacks
  hosts       Docker hosts
  meanings    the canonical vocabulary the tables fold into, which the rest of the planner uses
"""

from __future__ import annotations

from agent.planner.lexicon._build import aliases as aliases
from agent.planner.lexicon._build import words as words
from agent.planner.lexicon.containers import *  # noqa: F403
from agent.planner.lexicon.hosts import *  # noqa: F403
from agent.planner.lexicon.images import *  # noqa: F403
from agent.planner.lexicon.logs import *  # noqa: F403
from agent.planner.lexicon.meanings import *  # noqa: F403
from agent.planner.lexicon.nouns import *  # noqa: F403
from agent.planner.lexicon.requests import *  # noqa: F403
from agent.planner.lexicon.run import *  # noqa: F403
from agent.planner.lexicon.tokens import *  # noqa: F403
from agent.planner.lexicon.updates import *  # noqa: F403
from agent.planner.lexicon.verbs import *  # noqa: F403
from agent.planner.lexicon.workloads import *  # noqa: F403
