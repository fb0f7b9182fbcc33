"""Containers: the words around container names, lifecycle options, exec and list filters."""

from __future__ import annotations

from agent.planner.lexicon._build import words

# --- naming containers ------------------------------------------------------------------------

# Words that make a phrase mean every match: "the web containers", "the exited ones".
PLURAL_NOUNS = words("containers ones services instances boxes apps")
# Skipped when looking at what comes before a phrase: "restart the api", "logs of my web".
TARGET_LEAD_SKIP = words("the a an my our your this that these those me us please")
# After these a word is said as a target: "logs of web", "errors in the api".
TARGET_PREPOSITIONS = words("of for in on from inside into at about with to")
# "the shop stack", "web in the blog project": the word before names a group to look within.
GROUP_NOUNS = words("project stack")
# "containers", "instances": the list, not one container ("the worker container").
PLURAL_CONTAINER_WORDS = words("containers instances")
# "restart the thing that crashed": one container, even when a state picks it.
SINGULAR_TARGET_NOUNS = words("thing one container box instance")
# "the container I just started": by recency (tokens.PHRASES folds the idioms into this word).
RECENT_REFERENCES = words("just-started")
# "restart everything else": all but what an earlier clause held back ("don't touch the db").
OTHERS_WORDS = words("else")
CONTAINER_WORDS = words("container containers")

# --- lifecycle --------------------------------------------------------------------------------

FORCE_WORDS = words("force forcefully forcibly forced -f --force")
# "kill web": no grace period, like `docker kill`.
NO_GRACE_WORDS = words("kill")
TIMEOUT_FLAGS = words("-t --time --timeout timeout")
# "start a redis on 6379", "start a new worker": a new container, not an existing one.
NEW_CONTAINER_WORDS = words("a an new another fresh")
# "give me a mariadb", "I need a redis": asking for a new container of a well-known image.
PROVIDE_WORDS = words("give get need want")

# --- exec -------------------------------------------------------------------------------------

EXEC_FLAGS = words("-it -i -t -ti")
# "run `ls /` in web", "exec ls -la inside the worker"
EXEC_IN_WORDS = words("in inside on")
# Not part of the command: "run the command ls in web".
EXEC_COMMAND_FILLERS = words("command the cmd")

# --- questions a command in the container answers --------------------------------------------

# Topic (a word, or a noun's meaning) -> the command that answers it.
INSIDE_TOPICS: dict[str, str] = {
    **dict.fromkeys(words("processes process procs"), "ps aux"),
    "disk": "df -h",  # the nouns disk, space, storage, df, size
    **dict.fromkeys(words("os distro distribution"), "cat /etc/os-release"),
}
# With a path: these read a file ("cat /etc/hosts in web"); otherwise the folder is listed.
FILE_READ_WORDS = words("cat print read contents content open")
READ_FILE_COMMAND = "cat"
LIST_DIR_COMMAND = "ls -la"
# Taken with the question: "list the files under /etc on the api".
INSIDE_QUESTION_WORDS = FILE_READ_WORDS | words("files file ls dir directory folder under")

# --- list filters -----------------------------------------------------------------------------

LIST_NAME_MARKERS = words("named called name")
LIST_LABEL_MARKERS = words("label labelled labeled")
# Skipped between "image" and the image it names: "from the image nginx", "based on postgres".
IMAGE_FILTER_SKIP = words("the a an image from of using based on")
