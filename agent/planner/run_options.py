"""run_container options from words: ports, env, mounts, name, restart policy, limits, and the
options the guard refuses (privileged, host namespaces, capabilities), passed on as asked.

Order matters: mounts and networks take their "on"/"at" before the port rules look for
"on 8080", and the image is whatever image-like word is left.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.planner import lexicon as lx
from agent.planner.slots import (
    looks_like_image,
    next_unused,
    plausible_image,
    tag_after,
    take,
    with_tag,
)
from agent.planner.targets import image_base
from agent.planner.text import Token

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


def run_spec(
    tokens: Sequence[Token], local_images: Sequence[str] = (), fallback_image: str | None = None
) -> RunSpec:
    """Everything a run clause says; consumes the tokens it reads. `fallback_image` is what
    "it" means when no image is named ("pull redis:7 and run it")."""
    spec = RunSpec()
    args = spec.args
    _restart_policy(tokens, args)
    _name(tokens, args)
    _volumes(tokens, args)
    _network(tokens, args)
    _limits(tokens, args)
    _security(tokens, args)
    _env_and_labels(tokens, args)
    _command(tokens, args)
    host_ports = _ports(tokens)
    # a name or a command alone does not make "logs of web containing 'x'" a deploy
    spec.signals = len(set(args) - {"name", "command"}) + len(host_ports)
    found = _image_to_run(tokens, local_images)
    if found is not None:
        spec.image_index, spec.image_token = found
        spec.image_known = plausible_image(spec.image_token, local_images)
    elif fallback_image and any(t.kind == "pronoun" for t in tokens):
        spec.image_token, spec.image_known = fallback_image, True
        if not host_ports:
            host_ports = _bare_port_after(tokens, spec.image_index)
            spec.signals += len(host_ports)
    if not host_ports and spec.image_token:
        host_ports = _left_over_ports(tokens)
        spec.signals += len(host_ports)
    if host_ports:
        args["ports"] = _fill_container_ports(host_ports, spec.image_token or "")
    for i, token in enumerate(tokens):
        if token.norm in lx.IGNORED_RUN_FLAGS:
            spec.signals += 1
            take(tokens, i)
    return spec


def _image_to_run(tokens: Sequence[Token], local_images: Sequence[str]) -> tuple[int, str] | None:
    """The image to run, with its tag ("latest redis" -> redis:latest): the first image-like
    word, preferring one that is a known image ("spin up my nginx" -> nginx, not "my")."""
    candidates = [i for i, t in enumerate(tokens) if not t.used and looks_like_image(t)]
    known = [i for i in candidates if plausible_image(tokens[i].norm, local_images)]
    for i in (known or candidates)[:1]:
        token = tokens[i]
        take(tokens, i)
        ref = token.norm
        tag = tag_after(tokens, i)
        if i > 0 and tokens[i - 1].norm in lx.LATEST_WORDS:
            take(tokens, i - 1)
            tag = tag or "latest"
        return i, with_tag(ref, tag)
    return None


def _restart_policy(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    for i, token in enumerate(tokens):
        if token.used:
            continue
        if token.norm in lx.RESTART_POLICIES:
            args["restart_policy"] = token.norm
            take(tokens, i)
        elif token.norm in lx.RESTART_FLAGS and i + 1 < len(tokens):
            value = tokens[i + 1].norm.replace(" ", "-")
            if value in lx.RESTART_POLICIES | lx.NO_RESTART_POLICY:
                if value not in lx.NO_RESTART_POLICY:
                    args["restart_policy"] = value
                take(tokens, i, i + 1)
    if "restart_policy" in args:
        for i, token in enumerate(tokens):
            if token.norm in lx.RESTART_POLICY_NOISE:
                take(tokens, i)


def _name(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    for i, token in enumerate(tokens):
        if token.used or token.quoted:
            continue
        is_marker = token.norm in lx.NAME_MARKERS
        # "as cache", "name it web2", "call it edge"; but "as a daemon" is not a name
        if token.norm in lx.NAME_AS_WORDS or (
            token.norm in lx.NAME_VERBS
            and i + 1 < len(tokens)
            and tokens[i + 1].norm in lx.NAME_VERB_OBJECTS
        ):
            is_marker = True
        if not is_marker:
            continue
        j = next_unused(tokens, i + 1, lx.NAME_SKIP)
        if j < 0:
            continue
        value = tokens[j]
        if not _CONTAINER_NAME_RE.match(value.raw):
            continue  # "--name 8080:80" is not a name Docker accepts
        if value.quoted or (value.kind in ("word", "stop") and value.norm not in lx.STOPWORDS):
            args["name"] = value.raw
            take(tokens, *range(i, j + 1))
            return


def _volumes(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    volumes: dict[str, str] = {}
    for i, token in enumerate(tokens):
        if token.used or token.quoted:
            continue
        if token.norm in lx.DOCKER_SOCKET_WORDS or token.norm == _DOCKER_SOCKET:
            volumes[_DOCKER_SOCKET] = _DOCKER_SOCKET
            take(tokens, i)
            if i > 0 and tokens[i - 1].norm in lx.MOUNT_CUES:
                take(tokens, i - 1)
            continue
        mapping = _VOLUME_RE.match(token.raw)
        if mapping and not mapping.group(1).isdigit():
            read_only = mapping.group(3) in lx.READ_ONLY_WORDS  # ":ro" (or ":rw")
            target = mapping.group(2) + (":ro" if read_only else "")
            volumes[mapping.group(1)] = target
            take(tokens, i)
            if i > 0 and tokens[i - 1].norm in lx.MOUNT_CUES:
                take(tokens, i - 1)
            continue
        if token.norm in lx.MOUNT_MARKERS:
            source_i = next_unused(tokens, i + 1, lx.MOUNT_SOURCE_SKIP)
            if source_i < 0 or tokens[source_i].kind in ("conj", "break", "verb"):
                continue
            if _VOLUME_RE.match(tokens[source_i].raw):
                continue  # "-v data:/data": the mapping rule takes it on its own
            source = tokens[source_i]
            join_i = next_unused(tokens, source_i + 1)
            target_i = next_unused(tokens, join_i + 1, lx.MOUNT_TARGET_SKIP)
            if (
                join_i > 0
                and tokens[join_i].norm in lx.MOUNT_JOINS
                and target_i > 0
                and tokens[target_i].raw.startswith("/")
            ):
                volumes[source.raw] = tokens[target_i].raw
                take(tokens, i, source_i, join_i, target_i)
            elif source.raw.startswith("/"):
                volumes[source.raw] = source.raw
                take(tokens, i, source_i)
    if volumes:
        for i, token in enumerate(tokens):
            if token.norm in lx.READ_ONLY_WORDS and not token.used:
                last = list(volumes)[-1]
                if not volumes[last].endswith(":ro"):
                    volumes[last] += ":ro"
                take(tokens, i)
        args["volumes"] = volumes


def _network(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    for i, token in enumerate(tokens):
        if token.used:
            continue
        if token.norm in lx.HOST_NETWORK_WORDS:
            args["network_mode"] = "host"
            take(tokens, i)
        elif token.norm in lx.HOST_PID_WORDS:
            args["pid_mode"] = "host"
            take(tokens, i)
        elif token.norm in lx.NAMESPACE_FLAGS and i + 1 < len(tokens):
            value = tokens[i + 1].raw
            key = lx.NAMESPACE_FLAGS[token.norm]
            # "--network host" shares the host's stack (network_mode); "--network backend" joins.
            if key == "network" and (value in lx.NETWORK_MODES or value.startswith("container:")):
                key = "network_mode"
            args[key] = value
            take(tokens, i, i + 1)
        elif token.kind == "noun" and token.canon == "networks":
            # "on the backend network" / "on network backend" / "join network backend"
            before = _previousnext_unused(tokens, i)
            after = next_unused(tokens, i + 1)
            if (
                after >= 0
                and tokens[after].kind == "word"
                and i > 0
                and tokens[i - 1].norm in lx.NETWORK_JOIN_WORDS
            ):
                args["network"] = tokens[after].raw
                take(tokens, i, after)
            elif before >= 0 and tokens[before].kind == "word":
                args["network"] = tokens[before].raw
                take(tokens, i, before)


def _previousnext_unused(tokens: Sequence[Token], index: int) -> int:
    for j in range(index - 1, -1, -1):
        if tokens[j].used:
            continue
        if tokens[j].norm in lx.NETWORK_NAME_SKIP:
            continue
        return j
    return -1


_MAX_CPUS = 1024  # the schema's limit
_NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")


def _limits(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    """'with 512m memory', '-m 1g', '1 gb ram', '2 cpus', '--cpus 1.5'."""
    for i, token in enumerate(tokens):
        if token.used or token.quoted:
            continue
        nearby = _nearby(tokens, i)
        size = _SIZE_RE.match(token.norm)
        if size and nearby & lx.MEMORY_WORDS and "memory" not in args:
            unit = size.group(2) or ""
            following = tokens[i + 1].norm if i + 1 < len(tokens) else ""
            if not unit and following in lx.MEMORY_UNITS:
                unit = following
                take(tokens, i + 1)
            if unit:  # a bare number next to "memory" is too unclear (bytes? megabytes?)
                args["memory"] = size.group(1) + unit[0]
                take(tokens, i, *_nearby_indexes(tokens, i, lx.MEMORY_LIMIT_WORDS))
        elif (
            _NUMBER_RE.match(token.norm)
            and "cpus" not in args
            and _next_to(tokens, i, lx.CPU_WORDS)
        ):
            if not 0 < float(token.norm) <= _MAX_CPUS:
                continue
            args["cpus"] = float(token.norm)
            take(tokens, i, *_nearby_indexes(tokens, i, lx.CPU_LIMIT_WORDS))


def _next_to(tokens: Sequence[Token], index: int, wanted: frozenset[str]) -> bool:
    """'2 cpus', '--cpus 2': right before or right after."""
    return any(
        0 <= j < len(tokens) and tokens[j].norm in wanted and not tokens[j].used
        for j in (index - 1, index + 1)
    )


def _nearby(tokens: Sequence[Token], index: int) -> set[str]:
    return {t.norm for t in tokens[max(0, index - 2) : index + 3] if not t.used}


def _nearby_indexes(tokens: Sequence[Token], index: int, wanted: frozenset[str]) -> list[int]:
    window = range(max(0, index - 2), min(len(tokens), index + 3))
    return [j for j in window if tokens[j].norm in wanted]


def _security(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    for i, token in enumerate(tokens):
        if token.used:
            continue
        if token.norm in lx.PRIVILEGED_WORDS:
            args["privileged"] = True
            take(tokens, i)
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        key = lx.LIST_OPTION_WORDS.get(token.norm)
        if following is None or key is None:
            continue
        # capabilities are upper case to Docker ("net_admin" -> NET_ADMIN)
        value = following.raw.upper() if key == "cap_add" else following.raw
        args.setdefault(key, []).append(value)
        take(tokens, i, i + 1)


def _env_and_labels(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    label_mode = False
    for i, token in enumerate(tokens):
        if token.used:
            continue
        if token.norm in lx.LABEL_MARKERS:
            label_mode = True
            take(tokens, i)
            continue
        if token.norm in lx.ENV_MARKERS:
            label_mode = False
            take(tokens, i)
            continue
        pair = _ENV_RE.match(token.raw)
        if not pair:
            if not token.quoted and token.norm not in lx.ENV_LIST_GLUE:
                label_mode = False
            continue
        key = "labels" if label_mode else "env"
        args.setdefault(key, {})[pair.group(1)] = pair.group(2)
        take(tokens, i)


def _command(tokens: Sequence[Token], args: dict[str, Any]) -> None:
    for i, token in enumerate(tokens):
        if token.used:
            continue
        if token.quoted:
            args["command"] = token.raw
            take(tokens, i)
            if i > 0 and tokens[i - 1].norm in lx.COMMAND_CUES:
                take(tokens, i - 1)
            return
        if token.norm in lx.COMMAND_MARKERS and i + 1 < len(tokens):
            rest = [t for t in tokens[i + 1 :] if not t.used]
            if rest:
                args["command"] = " ".join(t.raw for t in rest)
                take(tokens, i, *range(i + 1, len(tokens)))
            return


def _port(word: str) -> bool:
    return word.isdigit() and 0 < int(word) < 65536


def _ports(tokens: Sequence[Token]) -> list[tuple[str, str | None]]:
    """Host ports with their container port when the user gave it."""
    found: list[tuple[str, str | None]] = []
    for i, token in enumerate(tokens):
        if token.used or token.quoted:
            continue
        mapping = _PORT_MAP_RE.match(token.norm)
        arrow = _ARROW_RE.match(token.norm)
        if mapping:
            host = (
                f"{mapping.group(1)}:{mapping.group(2)}" if mapping.group(1) else mapping.group(2)
            )
            found.append((host, mapping.group(3)))
            take(tokens, i)
        elif arrow:
            found.append((arrow.group(1), arrow.group(2)))
            take(tokens, i)
        elif token.norm in lx.PORT_MARKERS:
            j = i + 1
            numbers: list[int] = []
            while j < len(tokens) and not tokens[j].used:
                word = tokens[j].norm
                if _port(word):
                    numbers.append(j)
                elif word not in lx.PORT_LIST_GLUE or not numbers and word not in lx.PORT_WORDS:
                    break
                j += 1
            if not numbers:
                continue
            take(tokens, i, *numbers)
            for n in numbers:
                found.append((tokens[n].norm, None))
            _container_port_after(tokens, numbers[-1], found)
    return found


def _container_port_after(
    tokens: Sequence[Token], index: int, found: list[tuple[str, str | None]]
) -> None:
    """'8080 to 80', '8080 -> 80', '8080 inside port 80': the container side of the last port."""
    j = index + 1
    if j < len(tokens) and tokens[j].norm in lx.CONTAINER_PORT_JOINS:
        k = next_unused(tokens, j + 1, lx.CONTAINER_PORT_SKIP)
        if k > 0 and _port(tokens[k].norm):
            host, _ = found[-1]
            found[-1] = (host, tokens[k].norm)
            take(tokens, j, k)


def _bare_port_after(tokens: Sequence[Token], index: int) -> list[tuple[str, str | None]]:
    """Telegraphic 'nginx 8080': a number right after the image is the host port."""
    j = next_unused(tokens, index + 1, frozenset({","}))
    if j > 0 and _port(tokens[j].norm) and int(tokens[j].norm) >= 100:
        take(tokens, j)
        found: list[tuple[str, str | None]] = [(tokens[j].norm, None)]
        _container_port_after(tokens, j, found)
        return found
    return []


def _left_over_ports(tokens: Sequence[Token]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for i, token in enumerate(tokens):
        if not token.used and not token.quoted and _port(token.norm) and int(token.norm) >= 80:
            take(tokens, i)
            found.append((token.norm, None))
    return found


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
