"""run_container options from words: ports, env, mounts, name, restart policy, limits, and the
options the guard refuses (privileged, host namespaces, capabilities), passed on as asked.

Order matters: mounts and networks take their "on"/"at" before the port rules look for
"on 8080", and the image is whatever image-like word is left.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.planner import lexicon as lx
from agent.planner.slots import looks_like_image, next_unused, plausible_image, tag_after, with_tag
from agent.planner.targets import image_base
from agent.planner.text import Clause, Token

_PORT_MAP_RE = re.compile(r"^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5}(?:/(?:tcp|udp))?)$")
_ARROW_RE = re.compile(r"^(\d{1,5})->(\d{1,5})$")
_VOLUME_RE = re.compile(r"^([^:\s]+):(/[^:\s]*)(?::(ro|rw))?$")
_ENV_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$")
_SIZE_RE = re.compile(r"^(\d+)(b|k|kb|m|mb|g|gb|mib|gib)?$")
_DOCKER_SOCKET = "/var/run/docker.sock"
_CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")  # as Docker (and the schema)


@dataclass
class RunSpec:
    args: dict[str, Any] = field(default_factory=dict)
    image_token: str | None = None
    image_index: int = -1
    image_known: bool = False  # a well-known, local or tagged image, not just any word
    signals: int = 0  # how many run-only options were found (ports, env, mounts, ...)
    rest: Clause = field(default_factory=Clause)  # the clause with every word above taken


def run_spec(
    clause: Clause, local_images: Sequence[str] = (), fallback_image: str | None = None
) -> RunSpec:
    """Everything a run clause says. `fallback_image` is what "it" means when no image is named
    ("pull redis:7 and run it"). Each step takes its words from the clause it passes on, so
    mounts and networks take their "on"/"at" before the port rules see them."""
    spec = RunSpec()
    args = spec.args  # filled by the steps below
    for step in (
        _cli_command,  # first: the words after the image are the command's, not options
        _restart_policy,
        _name,
        _volumes,
        _network,
        _limits,
        _security,
        _env_and_labels,
        _command,
    ):
        clause = step(clause, args)
    host_ports, clause = _ports(clause)
    # a name or a command alone does not make "logs of web containing 'x'" a deploy
    spec.signals = len(set(args) - {"name", "command"}) + len(host_ports)
    found, clause = _image_to_run(clause, local_images)
    if found is not None:
        spec.image_index, spec.image_token = found
        spec.image_known = plausible_image(spec.image_token, local_images)
    elif fallback_image and any(t.kind == "pronoun" for t in clause):
        spec.image_token, spec.image_known = fallback_image, True
        if not host_ports:
            host_ports, clause = _bare_port_after(clause, spec.image_index)
            spec.signals += len(host_ports)
    if spec.image_token:
        # "a mysql with root password pw on its standard port": what the image itself defines
        standard, clause = _standard_port(clause, spec.image_token)
        host_ports += standard
        settings, clause = _image_settings(clause, spec.image_token)
        if settings:
            args["env"] = {**settings, **args.get("env", {})}
        spec.signals += len(standard) + len(settings)
    if not host_ports and spec.image_token:
        host_ports, clause = _left_over_ports(clause)
        spec.signals += len(host_ports)
    if host_ports:
        args["ports"] = _fill_container_ports(host_ports, spec.image_token or "")
    spec.signals += sum(t.norm in lx.IGNORED_RUN_FLAGS for t in clause)
    spec.rest = clause.take(*(t for t in clause if t.norm in lx.IGNORED_RUN_FLAGS))
    return spec


def _image_to_run(
    clause: Clause, local_images: Sequence[str]
) -> tuple[tuple[int, str] | None, Clause]:
    """The image to run, with its tag ("latest redis" -> redis:latest): the first image-like
    word, preferring one that is a known image ("spin up my nginx" -> nginx, not "my")."""
    candidates = [i for i, t in enumerate(clause) if not clause.used(t) and looks_like_image(t)]
    known = [i for i in candidates if plausible_image(clause[i].norm, local_images)]
    for i in (known or candidates)[:1]:
        token = clause[i]
        tag, clause = tag_after(clause.take_at(i), i)
        if i > 0 and clause[i - 1].norm in lx.LATEST_WORDS:
            clause = clause.take_at(i - 1)
            tag = tag or "latest"
        return (i, with_tag(token.norm, tag)), clause
    return None, clause


def _standard_port(clause: Clause, image: str) -> tuple[list[tuple[str, str | None]], Clause]:
    """'on its standard port': the image's well-known port on the same host port. An image
    without one keeps the words, so the run is asked about rather than guessed."""
    port = lx.WELL_KNOWN_PORTS.get(image_base(image))
    for i, token in enumerate(clause):
        if port is None or clause.used(token) or token.norm not in lx.STANDARD_PORT_WORDS:
            continue
        lead = [j for j in range(max(0, i - 2), i) if clause[j].norm in lx.STANDARD_PORT_LEAD]
        return [(port, port)], clause.take_at(i, *lead)
    return [], clause


def _image_settings(clause: Clause, image: str) -> tuple[dict[str, str], Clause]:
    """'postgres with database shop and password x': the variables the image reads them from
    (POSTGRES_DB, POSTGRES_PASSWORD). A setting the image has no variable for stays unused."""
    variables = lx.IMAGE_SETTINGS.get(image_base(image), {})
    found: dict[str, str] = {}
    env: dict[str, str] = {}
    for i, token in enumerate(clause):
        setting = lx.SETTING_NAMES.get(token.norm)
        if clause.used(token) or token.quoted or setting not in variables:
            continue
        # the value is the next word, past "is"/"=" only: "database named maindb on port 5432"
        # has none (the name and the port took the words after it)
        j = i + 1
        while j < len(clause) and clause[j].norm in lx.SETTING_VALUE_SKIP:
            j += 1
        if j >= len(clause) or clause.used(clause[j]):
            continue
        if not (clause[j].quoted or clause[j].kind in ("word", "stop")):
            continue
        found[setting] = clause[j].raw
        clause = clause.take_at(i, j)
    for setting, value in found.items():
        # "user bob and password pw": the password is bob's, not the administrator's
        if setting == lx.PASSWORD_SETTING and lx.USER_SETTING in found:
            setting = lx.USER_PASSWORD_SETTING if lx.USER_PASSWORD_SETTING in variables else setting
        env[variables[setting]] = value
    return env, clause


def _restart_policy(clause: Clause, args: dict[str, Any]) -> Clause:
    for i, token in enumerate(clause):
        if clause.used(token):
            continue
        if token.norm in lx.RESTART_POLICIES:
            args["restart_policy"] = token.norm
            clause = clause.take_at(i)
        elif token.norm in lx.RESTART_FLAGS and i + 1 < len(clause):
            value = clause[i + 1].norm.replace(" ", "-")
            if value in lx.RESTART_POLICY_VALUES:
                if value not in lx.NO_RESTART_POLICY:
                    args["restart_policy"] = value
                clause = clause.take_at(i, i + 1)
    if "restart_policy" in args:
        for i, token in enumerate(clause):
            if token.norm in lx.RESTART_POLICY_NOISE:
                clause = clause.take_at(i)
    return clause


def _name(clause: Clause, args: dict[str, Any]) -> Clause:
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        is_marker = token.norm in lx.NAME_MARKERS
        # "as cache", "name it web2", "call it edge"; but "as a daemon" is not a name
        if token.norm in lx.NAME_AS_WORDS or (
            token.norm in lx.NAME_VERBS
            and i + 1 < len(clause)
            and clause[i + 1].norm in lx.NAME_VERB_OBJECTS
        ):
            is_marker = True
        if not is_marker:
            continue
        j = next_unused(clause, i + 1, lx.NAME_SKIP)
        if j < 0:
            continue
        value = clause[j]
        if not _CONTAINER_NAME_RE.match(value.raw):
            continue  # "--name 8080:80" is not a name Docker accepts
        if value.quoted or (value.kind in ("word", "stop") and value.norm not in lx.STOPWORDS):
            args["name"] = value.raw
            return clause.take_at(*range(i, j + 1))
    return clause


def _volumes(clause: Clause, args: dict[str, Any]) -> Clause:
    volumes: dict[str, str] = {}
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        if token.norm in lx.DOCKER_SOCKET_WORDS or token.norm == _DOCKER_SOCKET:
            volumes[_DOCKER_SOCKET] = _DOCKER_SOCKET
            clause = clause.take_at(i)
            if i > 0 and clause[i - 1].norm in lx.MOUNT_CUES:
                clause = clause.take_at(i - 1)
            continue
        mapping = _VOLUME_RE.match(token.raw)
        if mapping and not mapping.group(1).isdigit():
            read_only = mapping.group(3) in lx.READ_ONLY_WORDS  # ":ro" (or ":rw")
            target = mapping.group(2) + (":ro" if read_only else "")
            volumes[mapping.group(1)] = target
            clause = clause.take_at(i)
            if i > 0 and clause[i - 1].norm in lx.MOUNT_CUES:
                clause = clause.take_at(i - 1)
            continue
        if _is_path(token.raw):
            # "/srv/site mounted at /usr/share/nginx/html": the source first, then how it goes in
            said = next_unused(clause, i + 1)
            join_i = next_unused(clause, said + 1) if said > 0 else -1
            target_i = next_unused(clause, join_i + 1, lx.MOUNT_TARGET_SKIP) if join_i > 0 else -1
            if said > 0 and clause[said].norm in lx.MOUNT_JOINS - lx.MOUNTED_WORDS:
                join_i, target_i = said, join_i  # "/opt/www as /usr/share/nginx/html"
            if (
                target_i > 0
                and clause[said].norm in lx.MOUNTED_WORDS | lx.MOUNT_JOINS
                and clause[join_i].norm in lx.MOUNT_JOINS
                and clause[target_i].raw.startswith("/")
            ):
                volumes[token.raw] = clause[target_i].raw
                clause = clause.take_at(i, said, join_i, target_i)
                if i > 0 and clause[i - 1].norm in lx.MOUNT_CUES:
                    clause = clause.take_at(i - 1)
                continue
        if token.norm in lx.MOUNT_MARKERS:
            source_i = next_unused(clause, i + 1, lx.MOUNT_SOURCE_SKIP)
            if source_i < 0 or clause[source_i].kind in ("conj", "break", "verb"):
                continue
            if _VOLUME_RE.match(clause[source_i].raw):
                continue  # "-v data:/data": the mapping rule takes it on its own
            source = clause[source_i]
            join_i = next_unused(clause, source_i + 1)
            target_i = next_unused(clause, join_i + 1, lx.MOUNT_TARGET_SKIP)
            if (
                join_i > 0
                and clause[join_i].norm in lx.MOUNT_JOINS
                and target_i > 0
                and clause[target_i].raw.startswith("/")
            ):
                volumes[source.raw] = clause[target_i].raw
                clause = clause.take_at(i, source_i, join_i, target_i)
            elif source.raw.startswith("/"):
                volumes[source.raw] = source.raw
                clause = clause.take_at(i, source_i)
    if volumes:
        for i, token in enumerate(clause):
            if token.norm in lx.READ_ONLY_WORDS and not clause.used(token):
                last = list(volumes)[-1]
                if not volumes[last].endswith(":ro"):
                    volumes[last] += ":ro"
                clause = clause.take_at(i)
        args["volumes"] = volumes
    return clause


def _is_path(raw: str) -> bool:
    return raw.startswith(("/", "./", "../", "~/")) and len(raw) > 1


def _network(clause: Clause, args: dict[str, Any]) -> Clause:
    for i, token in enumerate(clause):
        if clause.used(token):
            continue
        if token.norm in lx.HOST_NETWORK_WORDS:
            args["network_mode"] = "host"
            clause = clause.take_at(i)
        elif token.norm in lx.HOST_PID_WORDS:
            args["pid_mode"] = "host"
            clause = clause.take_at(i)
        elif token.norm in lx.NAMESPACE_FLAGS and i + 1 < len(clause):
            value = clause[i + 1].raw
            key = lx.NAMESPACE_FLAGS[token.norm]
            # "--network host" shares the host's stack (network_mode); "--network backend" joins.
            if key == "network" and (value in lx.NETWORK_MODES or value.startswith("container:")):
                key = "network_mode"
            args[key] = value
            clause = clause.take_at(i, i + 1)
        elif token.kind == "noun" and token.canon == "networks":
            # "on the backend network" / "on network backend" / "join network backend"
            before = _previousnext_unused(clause, i)
            after = next_unused(clause, i + 1)
            if (
                after >= 0
                and clause[after].kind == "word"
                and i > 0
                and clause[i - 1].norm in lx.NETWORK_JOIN_WORDS
            ):
                args["network"] = clause[after].raw
                clause = clause.take_at(i, after)
            elif before >= 0 and clause[before].kind == "word":
                args["network"] = clause[before].raw
                clause = clause.take_at(i, before)
    return clause


def _previousnext_unused(clause: Clause, index: int) -> int:
    for j in range(index - 1, -1, -1):
        if clause.used(clause[j]):
            continue
        if clause[j].norm in lx.NETWORK_NAME_SKIP:
            continue
        return j
    return -1


_MAX_CPUS = 1024  # the schema's limit
_NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")


def _limits(clause: Clause, args: dict[str, Any]) -> Clause:
    """'with 512m memory', '-m 1g', '1 gb ram', '2 cpus', '--cpus 1.5'."""
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        nearby = _nearby(clause, i)
        size = _SIZE_RE.match(token.norm)
        if size and nearby & lx.MEMORY_WORDS and "memory" not in args:
            unit = size.group(2) or ""
            following = clause[i + 1].norm if i + 1 < len(clause) else ""
            if not unit and following in lx.MEMORY_UNITS:
                unit = following
                clause = clause.take_at(i + 1)
            if unit:  # a bare number next to "memory" is too unclear (bytes? megabytes?)
                args["memory"] = size.group(1) + unit[0]
                clause = clause.take_at(i, *_nearby_indexes(clause, i, lx.MEMORY_LIMIT_WORDS))
        elif (
            _NUMBER_RE.match(token.norm)
            and "cpus" not in args
            and _next_to(clause, i, lx.CPU_WORDS)
        ):
            if not 0 < float(token.norm) <= _MAX_CPUS:
                continue
            args["cpus"] = float(token.norm)
            clause = clause.take_at(i, *_nearby_indexes(clause, i, lx.CPU_LIMIT_WORDS))
    return clause


def _next_to(clause: Clause, index: int, wanted: frozenset[str]) -> bool:
    """'2 cpus', '--cpus 2': right before or right after."""
    return any(
        0 <= j < len(clause) and clause[j].norm in wanted and not clause.used(clause[j])
        for j in (index - 1, index + 1)
    )


def _nearby(clause: Clause, index: int) -> set[str]:
    return {t.norm for t in clause[max(0, index - 2) : index + 3] if not clause.used(t)}


def _nearby_indexes(clause: Clause, index: int, wanted: frozenset[str]) -> list[int]:
    window = range(max(0, index - 2), min(len(clause), index + 3))
    return [j for j in window if clause[j].norm in wanted]


def _security(clause: Clause, args: dict[str, Any]) -> Clause:
    for i, token in enumerate(clause):
        if clause.used(token):
            continue
        if token.norm in lx.PRIVILEGED_WORDS:
            args["privileged"] = True
            clause = clause.take_at(i)
            continue
        following = clause[i + 1] if i + 1 < len(clause) else None
        key = lx.LIST_OPTION_WORDS.get(token.norm)
        if following is None or key is None:
            continue
        # capabilities are upper case to Docker ("net_admin" -> NET_ADMIN)
        value = following.raw.upper() if key == "cap_add" else following.raw
        args.setdefault(key, []).append(value)
        clause = clause.take_at(i, i + 1)
    return clause


def _env_and_labels(clause: Clause, args: dict[str, Any]) -> Clause:
    label_mode = False
    for i, token in enumerate(clause):
        if clause.used(token):
            continue
        if token.norm in lx.LABEL_MARKERS:
            label_mode = True
            clause = clause.take_at(i)
            continue
        if token.norm in lx.ENV_MARKERS:
            label_mode = False
            clause = clause.take_at(i)
            continue
        pair = _ENV_RE.match(token.raw)
        if not pair:
            if not token.quoted and token.norm not in lx.ENV_LIST_GLUE:
                label_mode = False
            continue
        key = "labels" if label_mode else "env"
        args.setdefault(key, {})[pair.group(1)] = pair.group(2)
        clause = clause.take_at(i)
    return clause


_COMMAND_KINDS = frozenset({"word", "verb", "noun", "grep"})  # "ls", "env", "top" are programs too


def _program(token: Token) -> bool:
    """Whether `token` can start an unquoted command: a program name or path, not an option, a
    port or a filler ("running on port 80")."""
    return (
        not token.quoted
        and token.kind in _COMMAND_KINDS
        and (token.norm[:1].isalpha() or token.norm.startswith("/"))
    )


def _command_text(tokens: Sequence[Token]) -> str:
    """The command as typed; a quoted argument stays one argument ("sh -c 'echo hi'")."""
    return " ".join(shlex.quote(t.raw) if t.quoted else t.raw for t in tokens)


def _cli_command(clause: Clause, args: dict[str, Any]) -> Clause:
    """`docker run -d --name site -p 8080:80 busybox httpd -f -p 80`: as for docker run, what
    follows the image is its command (so "-p 80" there is httpd's, not a port to publish)."""
    run = next((i for i, t in enumerate(clause) if t.kind == "verb" and t.canon == "run"), -1)
    if run < 0 or run + 1 >= len(clause):
        return clause
    said_as_cli = run > 0 and clause[run - 1].norm in lx.CLI_PREFIXES
    if not (said_as_cli or clause[run + 1].raw.startswith("-")):
        return clause
    j = run + 1
    while j < len(clause) and not clause[j].quoted and clause[j].raw.startswith("-"):
        j += 2 if clause[j].norm in lx.CLI_VALUE_FLAGS else 1
    if j + 1 >= len(clause) or not looks_like_image(clause[j]) or not _program(clause[j + 1]):
        return clause
    args["command"] = _command_text(clause[j + 1 :])
    return clause.take_at(*range(j + 1, len(clause)))


def _command(clause: Clause, args: dict[str, Any]) -> Clause:
    if "command" in args:
        return clause
    for i, token in enumerate(clause):
        if clause.used(token):
            continue
        if token.norm in lx.RUNNING_COMMAND_CUES and _image_before(clause, i):
            end = next(
                (
                    j
                    for j in range(i + 1, len(clause))
                    if clause.used(clause[j]) or clause[j].norm in lx.COMMAND_END_WORDS
                ),
                len(clause),
            )
            if i + 1 < end and _program(clause[i + 1]):
                args["command"] = _command_text(clause[i + 1 : end])
                return clause.take_at(*range(i, end))
        if token.quoted:
            args["command"] = token.raw
            clause = clause.take_at(i)
            if i > 0 and clause[i - 1].norm in lx.COMMAND_CUES:
                clause = clause.take_at(i - 1)
            return clause
        if token.norm in lx.COMMAND_MARKERS and i + 1 < len(clause):
            rest = [t for t in clause[i + 1 :] if not clause.used(t)]
            if rest:
                args["command"] = " ".join(t.raw for t in rest)
                clause = clause.take_at(i, *range(i + 1, len(clause)))
            return clause
    return clause


def _image_before(clause: Clause, index: int) -> bool:
    """Whether an image people run is said before `index` ("httpd ... running x")."""
    return any(
        not clause.used(t) and looks_like_image(t) and plausible_image(t.norm, ())
        for t in clause[:index]
    )


def _port(word: str) -> bool:
    return word.isdigit() and 0 < int(word) < 65536


def _ports(clause: Clause) -> tuple[list[tuple[str, str | None]], Clause]:
    """Host ports with their container port when the user gave it."""
    found: list[tuple[str, str | None]] = []
    for i, token in enumerate(clause):
        if clause.used(token) or token.quoted:
            continue
        mapping = _PORT_MAP_RE.match(token.norm)
        arrow = _ARROW_RE.match(token.norm)
        if mapping:
            host = (
                f"{mapping.group(1)}:{mapping.group(2)}" if mapping.group(1) else mapping.group(2)
            )
            found.append((host, mapping.group(3)))
            clause = clause.take_at(i)
        elif arrow:
            found.append((arrow.group(1), arrow.group(2)))
            clause = clause.take_at(i)
        elif token.norm in lx.PORT_MARKERS:
            j = i + 1
            numbers: list[int] = []
            while j < len(clause) and not clause.used(clause[j]):
                word = clause[j].norm
                if _port(word):
                    numbers.append(j)
                elif word not in lx.PORT_LIST_GLUE or not numbers and word not in lx.PORT_WORDS:
                    break
                j += 1
            if not numbers:
                continue
            clause = clause.take_at(i, *numbers)
            for n in numbers:
                found.append((clause[n].norm, None))
            clause = _container_port_after(clause, numbers[-1], found)
    return found, clause


def _container_port_after(
    clause: Clause, index: int, found: list[tuple[str, str | None]]
) -> Clause:
    """'8080 to 80', '8080 -> 80', '8080 inside port 80', '8080 mapped to 80': the container
    side of the last port."""
    j = index + 1
    lead = [j] if j < len(clause) and clause[j].norm in lx.CONTAINER_PORT_LEADS else []
    j += len(lead)
    if j < len(clause) and clause[j].norm in lx.CONTAINER_PORT_JOINS:
        k = next_unused(clause, j + 1, lx.CONTAINER_PORT_SKIP)
        if k > 0 and _port(clause[k].norm):
            host, _ = found[-1]
            found[-1] = (host, clause[k].norm)
            return clause.take_at(*lead, j, k)
    return clause


def _bare_port_after(clause: Clause, index: int) -> tuple[list[tuple[str, str | None]], Clause]:
    """Telegraphic 'nginx 8080': a number right after the image is the host port."""
    j = next_unused(clause, index + 1, frozenset({","}))
    if j > 0 and _port(clause[j].norm) and int(clause[j].norm) >= 100:
        found: list[tuple[str, str | None]] = [(clause[j].norm, None)]
        return found, _container_port_after(clause.take_at(j), j, found)
    return [], clause


def _left_over_ports(clause: Clause) -> tuple[list[tuple[str, str | None]], Clause]:
    found: list[tuple[str, str | None]] = []
    for i, token in enumerate(clause):
        if (
            not clause.used(token)
            and not token.quoted
            and _port(token.norm)
            and int(token.norm) >= 80
        ):
            clause = clause.take_at(i)
            found.append((token.norm, None))
    return found, clause


def _fill_container_ports(found: list[tuple[str, str | None]], image: str) -> dict[str, str]:
    """A host port alone maps to the image's well-known port once, else to the same number."""
    known = lx.WELL_KNOWN_PORTS.get(image_base(image)) if image else None
    hosts = {host for host, _ in found}
    ports: dict[str, str] = {}
    for host, inside in found:
        if inside is None:
            if known and known not in hosts and known not in ports.values():
                inside = known
            else:
                inside = host.rsplit(":", 1)[-1]
        ports[host] = inside
    return ports
