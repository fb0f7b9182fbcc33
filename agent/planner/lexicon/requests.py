"""What a clause asks for: symptoms, questions, and what the planner cannot do."""

from __future__ import annotations

from agent.planner.lexicon._build import words

CRASH_WORDS = words(
    "crash crashed crashing crashes die died dies dying dead fail failed failing fails failure "
    "broke broken down exit exited exits exiting restart restarted restarting restarts stop "
    "stopped stops unhealthy erroring why-crash wrong misbehaving misbehaves"
)

# --- containers in trouble --------------------------------------------------------------------

# list_containers(condition=...) as said, in precedence order ("failing their health checks" is
# unhealthy, not a failed exit). Phrases fold the longer idioms into these words (tokens.PHRASES).
TROUBLE_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("healthcheck", "unhealthy"),
    ("unhealthy", "unhealthy"),
    ("crash-loop", "restarting"),
    ("exited-nonzero", "exited_nonzero"),
    ("never-started", "never_started"),
    ("failed", "exited_nonzero"),
)
# Taken with a condition: the code in "exited with code 1".
CONDITION_TAIL_WORDS = words("code an error 1 2 3 4 5 6 7 8 9 127 137 139 143 255")
# "what's broken?", "is everything ok?", "any problems?": whatever is in trouble (find_problems).
PROBLEM_WORDS = words(
    "broken problem problems trouble issues issue ok okay fine alright healthy flaky"
)
# "a health check of everything": a health report of all (find_problems), unless failing is
# said ("which containers fail their health checks" lists the unhealthy ones).
HEALTH_CHECK_WORDS = words("healthcheck")
FAILING_WORDS = words("fail fails failing failed unhealthy")
# "did anything crash?", "has something died?": a crash of no container in particular is asked
# about, which a look at everything in trouble answers (exit codes and crash loops, with causes).
ANY_TARGET_WORDS = words("anything something any")
CRASHED_WORDS = words("crash crashed crashes die died dies")
# "figure out why ..." asks for a cause as "why" does.

# "run two nginx containers": copies are a scaling request, which this catalogue cannot do.
COUNT_WORDS = words("two three four five six seven eight nine ten several multiple couple")
RUNNING_COPIES = "running several copies at once"
NON_DOCKER = words(
    "kubectl kubernetes k8s pod pods helm weather joke poem recipe email essay story song"
)

# Actions the catalogue cannot do, named so the reply can say so plainly. They win over read
# nouns ("move api to the backend network" must not just list networks).
UNSUPPORTED_ACTIONS: dict[str, str] = {
    "build": "building images",
    "push": "pushing images",
    "recreate": "recreating a container with the same image",
    "rename": "renaming containers",
    "pause": "pausing containers",
    "commit": "committing containers to images",
    "backup": "backups",
    "login": "registry logins",
    "move": "connecting containers to networks",
    "connect": "connecting containers to networks",
    "disconnect": "connecting containers to networks",
    "copy": "copying files",
    "cp": "copying files",
}
# Topics the catalogue cannot handle: unknown only when nothing else in the clause is understood.
UNSUPPORTED_TOPICS: dict[str, str] = {}

# --- clauses ----------------------------------------------------------------------------------

# Skipped when looking at how the words after "and" begin ("and then also show the logs").
CLAUSE_LEAD_FILLERS = words("then also please can could you and maybe i want to would like next ,")
# "why" asks for the cause when a symptom is named ("why did web crash?"); the folded phrases
# "what went wrong", "what happened" ask for it on their own.
WHY_WORDS = words("why")
CAUSE_QUESTIONS = words("why-crash")
# Words that start a new clause as a verb does ("restart api and why did it crash").
CLAUSE_STARTERS = WHY_WORDS | CAUSE_QUESTIONS

# --- questions and orders ---------------------------------------------------------------------

# Skipped before the first word of a request that is not just politeness.
POLITE_LEADS = words("please can could would will you hey ok so and just")
# A question, not an order: "how many containers run on host2?" deploys nothing.
QUESTION_WORDS = words("how what which who where whats")
# Change verbs that, after a question word, are part of the question, not an order.
ASKED_NOT_ORDERED = words("run prune remove")
# With a state word they ask for a list ("which are exited?"); with a symptom, not for a cause.
LIST_QUESTION_WORDS = words("what which any anything how whats")
# "how is the db": a look at one container.
HOW_WORDS = words("how")
# "is web running?", "are they up?": with a state word, a question about state.
BE_WORDS = words("is are")
# "is web running?", "has api been restarted?": about one container when it is named.
STATE_QUESTION_WORDS = words("is are has been")
# Skipped before the two words that tell a question about an action from an order.
QUESTION_LEAD_FILLERS = words("and , so but ok hey")
# "how do I stop a container?": instructions, not an order.
HOW_TO_OPENINGS: frozenset[tuple[str, ...]] = frozenset(
    {("how", "do"), ("how", "to"), ("how", "can"), ("how", "would"), ("how", "should")}
)
# "when did web stop?", "has the worker restarted?": about an action, not an order.
ABOUT_QUESTION_LEADS = words("when did has have was were")
ABOUT_QUESTION_OPENINGS: frozenset[tuple[str, ...]] = frozenset({("should", "i"), ("should", "we")})
# "don't restart web": a "not" just before the verb ("won't", "can't" are "wo not", "ca not").
NEGATIONS = words("not never no dont cannot wont cant doesnt isnt didnt")
# "pg won't start", "the api fails to start", "why can't web start": said of a container, the
# action did not happen: a symptom to diagnose, never an order (nor a refusal to act).
FAILURE_CUES = NEGATIONS | words("fail fails failed failing refuse refuses refused refusing unable")
# Said by someone, these tell an attempt that failed ("I can't start pg", "we are unable to
# start the api"), where "I won't start pg" is an intention.
INABILITY_CUES = words("cannot cant unable fail fails failed failing ca could")
# ... but said to the assistant it forbids: "you cannot remove the worker".
LISTENER_WORDS = words("you")
# Between the cue and the verb: "fails to start".
FAILURE_CUE_SKIP = words("to")
# "do not start pg", "don't restart it": an order not to act, whatever is said before it.
IMPERATIVE_NEGATION_LEADS = words("do dont")
# "up the shop project": "up" first is "bring up".
UP_WORDS = words("up")
DOWN_WORDS = words("down")
# "set worker replicas to 3", "set the api image to v2", "set LOG_LEVEL=debug on mailer".
SET_VERBS = words("set change switch move")
SET_TARGET_MARKERS = words("to onto")
IMAGE_SETTING_WORDS = words("image tag version")

# --- updates: asked about or ordered ----------------------------------------------------------

# "is there a newer image for api?", "is web up to date?": a question about updates.
UPDATE_QUESTION_WORDS = words("newer outdated up-to-date stale")
# Just before "update", these make it a noun: "any updates", "check for updates", "an update".
UPDATE_NOUN_CUES = words("an any for no new available check need needs there image updates")
# "update available"
UPDATE_AVAILABLE_WORDS = words("available")
# "is there a new version of nginx?": a yes/no lead, a release-age word and a release word.
YES_NO_LEADS = words("is are any does do has have whether if")
RELEASE_AGE_WORDS = words("new newer latest current old older")
RELEASE_WORDS = words("version image tag release")
# Before a noun-like verb these make it a noun ("the last update") ...
DETERMINERS = words("the a an this that last latest recent its their my our failed bad new")
# ... unless one of these orders it ("force a redeploy", "do an update").
TRIGGER_WORDS = words("force do perform trigger kick run start please")

# --- what the planner does not do -------------------------------------------------------------

# "stop web in 5 minutes", "restart api tomorrow": a delayed action.
LATER_WORDS = words(
    "tomorrow tonight later midnight schedule scheduled nightly daily weekly hourly"
)
DELAY_PREPOSITIONS = words("in after")
# Time units of a delay, singular (a trailing "s" is dropped before the lookup).
DELAY_UNITS = words("second sec minute min hour hr day")
# "remove unused images", "delete dangling images": a prune.
UNUSED_WORDS = words("unused dangling orphaned orphan")
