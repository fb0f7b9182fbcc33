"""run_container options: ports, mounts, name, restart policy, limits, security, env, command."""

from __future__ import annotations

from agent.planner.lexicon._build import words

# --- restart policy ---------------------------------------------------------------------------

# Docker's restart policies as said ("always", "unless stopped" -> "unless-stopped").
RESTART_POLICIES = words("always unless-stopped on-failure")
NO_RESTART_POLICY = words("no")
RESTART_POLICY_VALUES = RESTART_POLICIES | NO_RESTART_POLICY  # "--restart no" is said too
RESTART_FLAGS = words("--restart")
# Near "restart", these make it a run option ("restart always"), not the verb restart.
RESTART_POLICY_CUES = words("always unless-stopped on-failure policy automatically auto --restart")
# Taken with a restart policy: "with restart policy always", "restarting automatically".
RESTART_POLICY_NOISE = words("restart restarts restarting policy auto automatically")

# --- name -------------------------------------------------------------------------------------

NAME_MARKERS = words("called named --name name")
# "as cache"; "name it web2", "call it edge" ("as a daemon" is no name: "a" is a filler).
NAME_AS_WORDS = words("as")
NAME_VERBS = words("name call")
NAME_VERB_OBJECTS = words("it")
NAME_SKIP = words("it the container")

# --- ports ------------------------------------------------------------------------------------

PORT_WORDS = words("port ports")
PORT_MARKERS = words(
    "port ports on at expose exposed exposing publish published publishing -p --publish map mapped "
    "mapping listening listen bind forward host"
)
# Between the numbers of one list: "ports 80, 443 and 8080".
PORT_LIST_GLUE = words("and , port ports & plus")
# "8080 to 80", "8080 -> 80", "8080 inside port 80": the container side follows.
CONTAINER_PORT_JOINS = words("to -> inside into :")
CONTAINER_PORT_SKIP = words("container port the")
# Said between the host port and the join: "8080 mapped to 80", "8080 forwarded to 80".
CONTAINER_PORT_LEADS = words("mapped mapping forwarded forwarding bound published")

# --- mounts -----------------------------------------------------------------------------------

# Said just before a mapping ("-v data:/data", "mount the docker socket") and taken with it.
MOUNT_CUES = words("mount mounted mounting bind attach with volume -v --volume --mount")
# "mount /srv/data at /data", "volume logs to /var/log": a source and a target follow.
MOUNT_MARKERS = words("mount mounting volume -v --volume bind")
MOUNT_SOURCE_SKIP = words("a the my volume named called dir directory folder path host")
MOUNT_JOINS = words("at to on into in as onto under -> mounted")
MOUNT_TARGET_SKIP = words("the container path")
# "/srv/site mounted at /usr/share/nginx/html": said after the source, before the join.
MOUNTED_WORDS = words("mounted mapped bound")
READ_ONLY_WORDS = words("read-only readonly ro")
DOCKER_SOCKET_WORDS = words("docker-socket")

# --- networks and namespaces ------------------------------------------------------------------

HOST_NETWORK_WORDS = words("host-network")
HOST_PID_WORDS = words("host-pid")
# Flags that take a namespace -> the run_container argument.
NAMESPACE_FLAGS: dict[str, str] = {
    "--network": "network",
    "--net": "network",
    "--pid": "pid_mode",
    "--ipc": "ipc_mode",
    "--uts": "uts_mode",
    "--userns": "userns_mode",
}
# "--network host" shares the host's stack (network_mode); "--network backend" joins one.
NETWORK_MODES = words("host none")
# "on the backend network", "join network backend": the word before "network".
NETWORK_JOIN_WORDS = words("on to join in network into attach")
# Skipped before a network's name: "the backend network".
NETWORK_NAME_SKIP = words("the a my")

# --- limits -----------------------------------------------------------------------------------

MEMORY_WORDS = words("memory ram mem -m --memory")
# "which containers use the most memory": container_stats for all, sorted by memory or cpu.
STATS_SORT_WORDS: dict[str, str] = {
    **dict.fromkeys(words("memory ram mem"), "memory"),
    **dict.fromkeys(words("cpu cpus cores load"), "cpu"),
}
MEMORY_LIMIT_WORDS = MEMORY_WORDS | words("limit of")
MEMORY_UNITS = words("b k kb m mb g gb")
CPU_WORDS = words("cpu cpus --cpus cores core vcpu vcpus")
CPU_LIMIT_WORDS = CPU_WORDS | words("limit")

# --- security, environment, labels, command ---------------------------------------------------

PRIVILEGED_WORDS = words("privileged --privileged")
# Options that take one value each time they are said -> the run_container argument.
LIST_OPTION_WORDS: dict[str, str] = {
    **dict.fromkeys(words("--cap-add cap capability capabilities cap_add"), "cap_add"),
    **dict.fromkeys(words("--device device"), "devices"),
    "--security-opt": "security_opt",
    "--volumes-from": "volumes_from",
}
LABEL_MARKERS = words("-l --label label labels labelled labeled")
ENV_MARKERS = words("-e --env env environment variable variables")
# Between KEY=value pairs of one list: "-e A=1 and B=2, with C=3".
ENV_LIST_GLUE = words("and , with")
COMMAND_MARKERS = words("command cmd --entrypoint")
# "spin up httpd as web2 running httpd-foreground": after the image, "running" and a program
# (not "running on port 80") say its command, up to the next of COMMAND_END_WORDS.
RUNNING_COMMAND_CUES = words("running")
COMMAND_END_WORDS = words(
    "on at as with named called and then , exposing publishing publish mapped listening using"
)
# `docker run [options] IMAGE [COMMAND] [ARG...]`, pasted: said after "docker" (or "docker
# container"), or with an option right after "run" ("run -it ubuntu bash").
CLI_PREFIXES = words("docker container")
# Options of `docker run` that take a value, so the word after them is not the image.
CLI_VALUE_FLAGS = words(
    "--name -p --publish -e --env --env-file -v --volume --mount -l --label --restart --network "
    "--net -m --memory --cpus --pid --ipc --uts --userns --cap-add --cap-drop --device "
    "--security-opt --volumes-from -w --workdir -u --user --hostname --add-host --dns "
    "--log-driver --log-opt --platform --health-cmd --shm-size --ulimit"
)
# Said just before a quoted command: "with command `echo hi`", "running 'sleep 5'".
COMMAND_CUES = words("command cmd running")
# Flags a single planned call has no use for: detached is how containers run anyway.
# "--rm", "throw it away when it exits": no tool removes a container when it exits; say so.
AUTO_REMOVE_WORDS = words("--rm")
AUTO_REMOVE = "removing a container automatically when it exits (--rm)"
# "the current folder": the server cannot see the user's folder; ask for an absolute path.
CURRENT_FOLDER_WORDS = words("cwd . ./ $pwd ${pwd}")
# "~/projects": the home folder of whom, on which machine? Asked the same way.
HOME_FOLDER_PREFIXES = ("~",)
ASK_ABSOLUTE_PATH = (
    "Which host folder should I mount? Give its absolute path on the Docker host (for example "
    "/srv/site): I can't see the folder you are in."
)
# The words that introduce options, left over once the option is read: never unclear.
RUN_OPTION_WORDS = words(
    "port ports -p --publish publish publishing mapped mapping map mount mounted mounting bind "
    "volume volumes -v --volume detach"
)
# What a new container is for, said next to its image ("an apache web server", "a redis
# cache"): a description, not an option to ask about.
RUN_ROLE_WORDS = words("web webserver site frontend backend database db cache proxy queue broker")
IGNORED_RUN_FLAGS = words(
    "-d --detach -it -i -t -ti detached daemon daemonized --interactive --tty"
)
