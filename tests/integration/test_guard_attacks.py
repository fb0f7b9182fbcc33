"""Attack tests for issue 12, "hard denials at the engine boundary", on the real engine.

Every attack is asked for by an ADMIN and, when the gateway wants a person's approval, approved
by an admin: a hard denial holds whatever the role or approval. The verdict is read from the
engine (no container, not even one left in state "created"; no volume, network or service of
the attack), not only from the gateway's answer. The attacks:

- run_container with refused options: the engine's privileges, host and `container:`
  namespaces, inline seccomp/AppArmor, binds outside the allowed roots (`bind_roots`), binds of
  the product's own state directory (the JWT secret) or a parent of it, symlinked bind sources,
  local volumes that mount the host's disk (`type=ext4` on the root device, `type=overlay` with
  `lowerdir=/etc`, `o=bind`), and reserved `dockerdeployer.*` labels;
- compose_up and stack_deploy of projects doing the same through compose (volume driver_opts,
  an external network named `host`, `network_mode: container:...`, `secrets`/`configs` files,
  `env_file`, labels);
- an operator starting, restarting, scaling or updating a container or swarm service made
  outside the product with options the guard refuses to create (an admin may, with approval,
  and it runs unchanged);
- "denials first": a privileged container of a missing image is denied for being privileged;
- some of these driven end to end through the agent with a scripted OpenAI-compatible server;
- a symlink flipped by a container between the guard's check and the engine's mount.

Plus positive controls (a named volume, a bind under an allowed root, a tmpfs, a compose
project binding its own directory do run), so the suite can fail the other way too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import pytest
import yaml
from docker.types import ContainerSpec, Mount, ServiceMode, TaskTemplate

from agent.assistant import Assistant, ChatResult
from agent.factory import build_assistant
from api.security import load_jwt_secret
from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tests.agent.openai_stub import ScriptedOpenAI, tool_call
from tests.conftest import RUN_ID, SLEEPER, TEST_IMAGE, TEST_LABEL, ContainerFactory, unique
from tests.integration.attack_helpers import (
    CASE_LABEL,
    Attempt,
    attempt,
    containers_of_case,
    remove_case,
    root_block_device,
)
from tests.integration.conftest import approved, case_labels, new_case
from tests.integration.test_compose import resources_of, service, take_down
from tests.integration.test_swarm import converged, eventually
from tools.compose_cli import ComposeUnavailable, detect_cli
from tools.engine import Engine
from tools.errors import PolicyDenied
from tools.gateway import ToolGateway
from tools.guard.policy import SELF_LABEL, Actor

if TYPE_CHECKING:
    from tests.second_engine import SecondEngine

pytest_plugins = ["tests.second_engine"]
pytestmark = pytest.mark.integration

PROTECT_LABEL = "dockerdeployer.protected"
STACK_LABEL = "com.docker.stack.namespace"
NOT_OURS = "not created through the assistant"
SECCOMP_ALLOW_ALL = "seccomp=" + json.dumps({"defaultAction": "SCMP_ACT_ALLOW"})
MISSING_IMAGE = "ubuntu:24.04"  # no registry here: never on the test engine


# --- the arena: a state directory, bind roots, the product's own container ----------------------


@dataclass
class Arena:
    """Paths and objects one test's attacks aim at. Everything is labelled with the run label
    and the test's case label; `remove_case` removes exactly that."""

    client: docker.DockerClient
    case: str
    base: Path  # the parent of the state directory (a "parent of Settings.home")
    home: Path  # Settings.home of every gateway the test builds; holds the JWT secret
    root: Path  # a bind root, allowed where a test says so
    elsewhere: Path  # a harmless host directory under no bind root
    containers: ContainerFactory
    _product: str | None = None

    @property
    def labels(self) -> dict[str, str]:
        return case_labels(self.case)

    @property
    def secret(self) -> Path:
        return self.home / "jwt_secret"

    @property
    def product(self) -> str:
        """A running container labelled as DockerDeployer itself (made with the SDK)."""
        if self._product is None:
            # Shareable IPC, as a target must be for `ipc: container:` to work at all.
            made = self.containers("self", labels={SELF_LABEL: "true"}, ipc_mode="shareable")
            self._product = str(made.name)
        return self._product

    @property
    def rootdev(self) -> tuple[str, str]:
        found = root_block_device()
        if found is None:
            pytest.skip("the host's root filesystem is not on a block device here")
        return found

    def volume(self, **driver_opts: str) -> str:
        """A local volume with these driver options, made directly with the SDK."""
        name = unique("vol")
        self.client.volumes.create(
            name, driver="local", driver_opts=driver_opts, labels=self.labels
        )
        return name

    def overlay_on_etc(self) -> dict[str, str]:
        """driver_opts of a read-only overlay whose lower layer is the host's /etc."""
        empty = self.base / f"empty-{uuid.uuid4().hex[:6]}"
        empty.mkdir()
        return {"type": "overlay", "device": "overlay", "o": f"lowerdir=/etc:{empty}"}

    def allow_all(self) -> Path:
        """A seccomp profile file that allows every system call."""
        path = self.base / "allow-all.json"
        path.write_text(SECCOMP_ALLOW_ALL.removeprefix("seccomp="))
        return path

    def link(self, target: Path | str) -> str:
        """A symlink inside the bind root pointing at `target`."""
        path = self.root / f"link-{uuid.uuid4().hex[:6]}"
        path.symlink_to(target)
        return str(path)

    def data_dir(self) -> Path:
        path = self.root / "data"
        path.mkdir(exist_ok=True)
        return path


@pytest.fixture
def arena(
    tmp_path: Path, docker_client: docker.DockerClient, make_container: ContainerFactory
) -> Iterator[Arena]:
    home = tmp_path / "state"
    load_jwt_secret(Settings(home=home, _env_file=None))  # type: ignore[call-arg]
    assert (home / "jwt_secret").is_file()
    for sub in ("binds", "elsewhere"):
        (tmp_path / sub).mkdir()
    made = Arena(
        client=docker_client,
        case=new_case(),
        base=tmp_path,
        home=home,
        root=tmp_path / "binds",
        elsewhere=tmp_path / "elsewhere",
        containers=make_container,
    )
    yield made
    remove_case(docker_client, made.case)


@pytest.fixture
def guarded(arena: Arena, engine: Engine) -> Callable[..., ToolGateway]:
    """A gateway over the main engine whose state directory is the arena's."""

    def factory(engine_: Engine | None = None, **overrides: Any) -> ToolGateway:
        settings = Settings(home=arena.home, _env_file=None, **overrides)  # type: ignore[call-arg]
        return build_gateway(settings, engine=engine_ or engine)

    return factory


def assert_refused(result: Attempt) -> None:
    assert result.refused, f"the attack was not refused: {result}"


# --- run_container ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunAttack:
    args: Callable[[Arena], dict[str, Any]]
    bind_roots: Callable[[Arena], list[Path]] | None = None  # None: the setting is unset


def _parent_of_home(a: Arena) -> list[Path]:
    """Roots that contain the state directory: only the state-directory rule refuses it."""
    return [a.base]


def _root(a: Arena) -> list[Path]:
    return [a.root]


RUN_ATTACKS: dict[str, RunAttack] = {
    # The engine's own privileges and the host's namespaces.
    "privileged": RunAttack(lambda a: {"privileged": True}),
    "cap-add-sys-admin": RunAttack(lambda a: {"cap_add": ["SYS_ADMIN"]}),
    "cap-add-cap-prefix-lowercase": RunAttack(lambda a: {"cap_add": ["cap_sys_admin"]}),
    "cap-add-all": RunAttack(lambda a: {"cap_add": ["ALL"]}),
    "device-root-disk": RunAttack(lambda a: {"devices": [f"{a.rootdev[0]}:/dev/xvda"]}),
    "pid-host": RunAttack(lambda a: {"pid_mode": "host"}),
    "ipc-host": RunAttack(lambda a: {"ipc_mode": "host"}),
    "uts-host": RunAttack(lambda a: {"uts_mode": "host"}),
    "userns-host": RunAttack(lambda a: {"userns_mode": "host"}),
    "network-mode-host": RunAttack(lambda a: {"network_mode": "host"}),
    "network-host": RunAttack(lambda a: {"network": "host"}),
    # Another container's namespaces: here the product's own (its API listens on loopback).
    "network-mode-container-product": RunAttack(
        lambda a: {"network_mode": f"container:{a.product}"}
    ),
    "network-container-product": RunAttack(lambda a: {"network": f"container:{a.product}"}),
    "ipc-container-product": RunAttack(lambda a: {"ipc_mode": f"container:{a.product}"}),
    "pid-container-product": RunAttack(lambda a: {"pid_mode": f"container:{a.product}"}),
    "volumes-from-product": RunAttack(lambda a: {"volumes_from": [a.product]}),
    # Confinement switched off, by name or inline.
    "seccomp-unconfined": RunAttack(lambda a: {"security_opt": ["seccomp=unconfined"]}),
    "seccomp-inline-allow-all": RunAttack(lambda a: {"security_opt": [SECCOMP_ALLOW_ALL]}),
    "apparmor-inline-profile": RunAttack(
        lambda a: {"security_opt": ["apparmor=ddt-attacker-profile"]}
    ),
    # Host paths that are the host.
    "bind-slash": RunAttack(lambda a: {"volumes": {"/": "/host"}}),
    "mounts-bind-slash": RunAttack(
        lambda a: {"mounts": [{"type": "bind", "source": "/", "target": "/host"}]}
    ),
    "bind-docker-socket": RunAttack(
        lambda a: {"volumes": {"/var/run/docker.sock": "/var/run/docker.sock"}}
    ),
    "bind-etc": RunAttack(lambda a: {"volumes": {"/etc": "/host-etc:ro"}}),
    # The product's own state directory (JWT secret, database), even under an allowed root.
    "bind-state-home": RunAttack(lambda a: {"volumes": {str(a.home): "/state"}}, _parent_of_home),
    "bind-state-home-unnormalised": RunAttack(
        lambda a: {"volumes": {f"{a.base}//state/./": "/state"}}, _parent_of_home
    ),
    "bind-jwt-secret-file": RunAttack(
        lambda a: {"volumes": {str(a.secret): "/jwt:ro"}}, _parent_of_home
    ),
    "bind-parent-of-state-home": RunAttack(
        lambda a: {"volumes": {str(a.base): "/up"}}, _parent_of_home
    ),
    "mounts-bind-state-home": RunAttack(
        lambda a: {"mounts": [{"type": "bind", "source": str(a.home), "target": "/state"}]},
        _parent_of_home,
    ),
    "volume-o-bind-state-home": RunAttack(
        lambda a: {"volumes": {a.volume(type="none", o="bind", device=str(a.home)): "/state"}},
        _parent_of_home,
    ),
    # Binds outside the allowed roots, or with no roots configured at all.
    "bind-without-bind-roots": RunAttack(lambda a: {"volumes": {str(a.data_dir()): "/data"}}),
    "bind-outside-bind-roots": RunAttack(lambda a: {"volumes": {str(a.elsewhere): "/data"}}, _root),
    "bind-dotdot-out-of-root": RunAttack(
        lambda a: {"volumes": {f"{a.root}/../elsewhere": "/data"}}, _root
    ),
    "mounts-bind-outside-bind-roots": RunAttack(
        lambda a: {"mounts": [{"type": "bind", "source": str(a.elsewhere), "target": "/d"}]},
        _root,
    ),
    # Symlinks inside an allowed root.
    "symlink-in-root-to-etc": RunAttack(lambda a: {"volumes": {a.link("/etc"): "/x"}}, _root),
    "symlink-in-root-to-state-home": RunAttack(
        lambda a: {"volumes": {a.link(a.home): "/x"}}, _root
    ),
    "symlink-in-root-to-outside": RunAttack(
        lambda a: {"volumes": {a.link(a.elsewhere): "/x"}}, _root
    ),
    "mounts-bind-symlink-to-etc": RunAttack(
        lambda a: {"mounts": [{"type": "bind", "source": a.link("/etc"), "target": "/x"}]},
        _root,
    ),
    # Local volumes that mount the host's disk (made outside, used by name).
    "volume-ext4-root-device": RunAttack(
        lambda a: {"volumes": {a.volume(type=a.rootdev[1], device=a.rootdev[0]): "/host"}}
    ),
    "mounts-volume-ext4-root-device": RunAttack(
        lambda a: {
            "mounts": [
                {
                    "type": "volume",
                    "source": a.volume(type=a.rootdev[1], device=a.rootdev[0]),
                    "target": "/host",
                }
            ]
        }
    ),
    "volume-overlay-lowerdir-etc": RunAttack(
        lambda a: {"volumes": {a.volume(**a.overlay_on_etc()): "/host-etc"}}
    ),
    "volume-o-bind-etc": RunAttack(
        lambda a: {"volumes": {a.volume(type="none", o="bind", device="/etc"): "/host-etc"}}
    ),
    # Reserved labels: a container nobody could stop or remove through the product.
    "label-self": RunAttack(lambda a: {"labels": {SELF_LABEL: "true"}}),
    "label-self-empty-value": RunAttack(lambda a: {"labels": {SELF_LABEL: ""}}),
    "label-protected": RunAttack(lambda a: {"labels": {PROTECT_LABEL: "true"}}),
    "label-other-reserved": RunAttack(lambda a: {"labels": {"dockerdeployer.owner": "mallory"}}),
}


def run_args(arena: Arena, attack: RunAttack) -> dict[str, Any]:
    """run_container arguments: the attack's, named and labelled so the engine can be asked."""
    args = attack.args(arena)
    return {
        "image": TEST_IMAGE,
        "command": SLEEPER,
        **args,
        "name": unique("atk"),
        "labels": {**arena.labels, **args.get("labels", {})},
    }


def roots_of(arena: Arena, attack: RunAttack) -> dict[str, Any]:
    if attack.bind_roots is None:
        return {}
    return {"bind_roots": [str(p) for p in attack.bind_roots(arena)]}


def no_container(client: docker.DockerClient, arena: Arena, name: str) -> list[str]:
    """What the engine holds of the attack: by the case label and by name."""
    found = containers_of_case(client, arena.case)
    for item in client.api.containers(all=True, filters={"name": name}):
        if item["Names"][0].lstrip("/") == name:
            found.append(f"container {name} ({item['State']})")
    return sorted(set(found))


@pytest.mark.parametrize("name", sorted(RUN_ATTACKS))
def test_run_container_attack_is_refused_and_nothing_is_created(
    name, arena, guarded, docker_client, test_image, admin
):
    attack = RUN_ATTACKS[name]
    args = run_args(arena, attack)
    gateway = guarded(**roots_of(arena, attack))

    result = attempt(gateway, admin, "run_container", args, approver=admin)

    assert_refused(result)
    assert no_container(docker_client, arena, args["name"]) == []


# --- denials first: the verdict does not wait for the image -----------------------------------


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ({"privileged": True}, "privileged"),
        ({"cap_add": ["SYS_ADMIN"]}, "SYS_ADMIN"),
        ({"volumes": {"/etc": "/host-etc"}}, "/etc"),
    ],
    ids=["privileged", "cap-add", "bind-etc"],
)
def test_a_refused_option_of_a_missing_image_is_denied_for_the_option(
    option, reason, arena, guarded, docker_client, test_image, admin
):
    """'run a privileged ubuntu container': denied for being privileged, not 'no image'."""
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(MISSING_IMAGE)
    name = unique("ubuntu")

    outcome = guarded().call(
        admin,
        "run_container",
        {"image": MISSING_IMAGE, "name": name, "labels": arena.labels, **option},
    )

    assert (outcome.status, outcome.error_code) == ("denied", "denied"), outcome.message
    assert reason in outcome.message
    assert outcome.approval is None
    assert no_container(docker_client, arena, name) == []
    with pytest.raises(docker.errors.ImageNotFound):  # nothing was pulled on the way
        docker_client.images.get(MISSING_IMAGE)


# --- positive controls: the allow-list lets ordinary containers run ---------------------------


def run_and_inspect(gateway: ToolGateway, admin: Actor, args: dict[str, Any], client: Any) -> Any:
    outcome = approved(gateway, admin, "run_container", args)
    assert outcome.status == "executed", outcome.message
    container = client.containers.get(args["name"])
    assert container.status == "running"
    return container


def test_control_a_named_volume_runs(arena, guarded, docker_client, test_image, admin):
    volume = arena.volume()  # a plain local volume: no driver options
    args = run_args(arena, RunAttack(lambda a: {"volumes": {volume: "/data"}}))

    container = run_and_inspect(guarded(), admin, args, docker_client)

    [mount] = container.attrs["Mounts"]
    assert (mount["Type"], mount["Name"], mount["Destination"]) == ("volume", volume, "/data")


def test_control_a_bind_under_an_allowed_root_runs(
    arena, guarded, docker_client, test_image, admin
):
    data = arena.data_dir()
    (data / "marker").write_text(f"marker-{arena.case}\n")
    args = run_args(arena, RunAttack(lambda a: {"volumes": {str(data): "/data:ro"}}))

    container = run_and_inspect(guarded(bind_roots=[str(arena.root)]), admin, args, docker_client)

    code, output = container.exec_run(["cat", "/data/marker"])
    assert (code, output.decode().strip()) == (0, f"marker-{arena.case}")


def test_control_a_tmpfs_mount_runs(arena, guarded, docker_client, test_image, admin):
    args = run_args(
        arena, RunAttack(lambda a: {"mounts": [{"type": "tmpfs", "target": "/scratch"}]})
    )

    container = run_and_inspect(guarded(), admin, args, docker_client)

    assert [m["Type"] for m in container.attrs["HostConfig"]["Mounts"]] == ["tmpfs"]
    code, _ = container.exec_run(["sh", "-c", "echo ok > /scratch/f && cat /scratch/f"])
    assert code == 0


# --- compose_up -------------------------------------------------------------------------------


class ComposeRoot:
    """Writes compose projects under one root (for take_down from test_compose)."""

    def __init__(self, root: Path, arena: Arena) -> None:
        self.root = root
        self.arena = arena
        self.written: list[tuple[str, Path]] = []

    def write(self, service_extra: dict[str, Any], top: dict[str, Any]) -> str:
        """One service `web` from the test image with `service_extra`; top-level keys `top`.
        Every network, volume and service carries the run and case labels."""
        labels = self.arena.labels
        extra = dict(service_extra)
        own_labels = extra.pop("labels", {})
        web = service(**extra, labels={**labels, **own_labels})
        web["deploy"] = {"replicas": 1, "labels": dict(labels)}  # used by stack deploy only
        config: dict[str, Any] = {"version": "3.8", "services": {"web": web}}
        networks = {"default": {"labels": dict(labels)}}
        for key, value in (top.get("networks") or {}).items():
            external = value.get("external")
            networks[key] = value if external else {**value, "labels": dict(labels)}
        config["networks"] = networks
        if top.get("volumes"):
            config["volumes"] = {
                key: {**value, "labels": dict(labels)} for key, value in top["volumes"].items()
            }
        for key in ("secrets", "configs"):
            if top.get(key):
                config[key] = top[key]
        name = f"ddt-{uuid.uuid4().hex[:8]}"
        directory = self.root / name
        directory.mkdir()
        file = directory / "compose.yaml"
        file.write_text(yaml.safe_dump(config, sort_keys=False))
        self.written.append((name, file))
        return name


@pytest.fixture
def compose_root(
    tmp_path: Path, arena: Arena, engine: Engine, docker_client: docker.DockerClient
) -> Iterator[ComposeRoot]:
    try:
        detect_cli()
    except ComposeUnavailable as exc:
        pytest.fail(f"{exc.message} (scripts/ensure-engine.sh installs it)", pytrace=False)
    root = tmp_path / "projects"
    root.mkdir()
    made = ComposeRoot(root, arena)
    try:
        yield made
    finally:
        take_down(made, engine, docker_client)


ComposeAttack = Callable[[Arena], tuple[dict[str, Any], dict[str, Any]]]

COMPOSE_ATTACKS: dict[str, ComposeAttack] = {
    "volume-ext4-root-device": lambda a: (
        {"volumes": ["hostdisk:/host"]},
        {
            "volumes": {
                "hostdisk": {
                    "driver": "local",
                    "driver_opts": {"type": a.rootdev[1], "device": a.rootdev[0]},
                }
            }
        },
    ),
    "volume-overlay-lowerdir-etc": lambda a: (
        {"volumes": ["hostetc:/host-etc"]},
        {"volumes": {"hostetc": {"driver": "local", "driver_opts": a.overlay_on_etc()}}},
    ),
    "network-external-named-host": lambda a: (
        {"networks": ["hostnet"]},
        {"networks": {"hostnet": {"external": True, "name": "host"}}},
    ),
    "network-external-dict-name-host": lambda a: (
        {"networks": ["hostnet"]},
        {"networks": {"hostnet": {"external": {"name": "host"}}}},
    ),
    "network-mode-host": lambda a: ({"network_mode": "host"}, {}),
    "network-mode-container-product": lambda a: ({"network_mode": f"container:{a.product}"}, {}),
    "privileged": lambda a: ({"privileged": True}, {}),
    # Compose reads the profile file itself and sends its JSON inline to the engine.
    "seccomp-profile-allow-all": lambda a: ({"security_opt": [f"seccomp={a.allow_all()}"]}, {}),
    "bind-state-home": lambda a: ({"volumes": [f"{a.home}:/state"]}, {}),
    "bind-parent-of-state-home": lambda a: ({"volumes": [f"{a.base}:/up"]}, {}),
    "bind-outside-the-project": lambda a: ({"volumes": [f"{a.elsewhere}:/data"]}, {}),
    "secrets-file-jwt-secret": lambda a: (
        {"secrets": ["jwt"]},
        {"secrets": {"jwt": {"file": str(a.secret)}}},
    ),
    "secrets-file-etc-shadow": lambda a: (
        {"secrets": ["shadow"]},
        {"secrets": {"shadow": {"file": "/etc/shadow"}}},
    ),
    "configs-file-jwt-secret": lambda a: (
        {"configs": ["jwt"]},
        {"configs": {"jwt": {"file": str(a.secret)}}},
    ),
    "env-file-etc-shadow": lambda a: ({"env_file": "/etc/shadow"}, {}),
    "env-file-jwt-secret": lambda a: ({"env_file": str(a.secret)}, {}),
    "label-self": lambda a: ({"labels": {SELF_LABEL: "true"}}, {}),
    "label-other-reserved": lambda a: ({"labels": {"dockerdeployer.owner": "mallory"}}, {}),
}


@pytest.mark.parametrize("name", sorted(COMPOSE_ATTACKS))
def test_compose_up_attack_is_refused_and_nothing_is_created(
    name, arena, compose_root, guarded, docker_client, test_image, admin
):
    service_extra, top = COMPOSE_ATTACKS[name](arena)
    project = compose_root.write(service_extra, top)
    gateway = guarded(compose_dirs=[str(compose_root.root)])

    result = attempt(gateway, admin, "compose_up", {"project": project}, approver=admin)

    assert_refused(result)
    assert resources_of(docker_client, project) == []
    assert containers_of_case(docker_client, arena.case) == []


def test_compose_secrets_never_reach_what_the_approver_is_shown(
    arena, compose_root, guarded, test_image, admin
):
    """An env_file of the state directory: its contents must not land in the answer."""
    project = compose_root.write({"env_file": str(arena.secret)}, {})
    outcome = guarded(compose_dirs=[str(compose_root.root)]).call(
        admin, "compose_up", {"project": project}
    )
    secret = arena.secret.read_text().strip()
    assert secret not in json.dumps(outcome.public(), default=str)
    assert secret not in json.dumps(outcome.preview or {}, default=str)


def test_control_a_compose_project_binding_its_own_directory_runs(
    arena, compose_root, guarded, docker_client, test_image, admin
):
    project = compose_root.write(
        {"volumes": ["./data:/data:ro", "cache:/cache"]}, {"volumes": {"cache": {}}}
    )
    data = compose_root.root / project / "data"
    data.mkdir()
    (data / "marker").write_text(f"marker-{arena.case}\n")

    outcome = approved(
        guarded(compose_dirs=[str(compose_root.root)]), admin, "compose_up", {"project": project}
    )

    assert outcome.status == "executed", outcome.message
    [item] = docker_client.api.containers(filters={"label": f"{CASE_LABEL}={arena.case}"})
    code, output = docker_client.containers.get(item["Id"]).exec_run(["cat", "/data/marker"])
    assert (code, output.decode().strip()) == (0, f"marker-{arena.case}")


# --- stack_deploy on the swarm engine -----------------------------------------------------------


@pytest.fixture
def stack_root(tmp_path: Path, arena: Arena, second_engine: SecondEngine) -> Iterator[ComposeRoot]:
    root = tmp_path / "stacks"
    root.mkdir()
    made = ComposeRoot(root, arena)
    yield made
    client = second_engine.client
    for stack, _ in made.written:
        in_stack = {"label": f"{STACK_LABEL}={stack}"}
        for svc in client.services.list(filters=in_stack):
            svc.remove()
        deadline = time.monotonic() + 60
        while client.api.containers(all=True, filters=in_stack) and time.monotonic() < deadline:
            time.sleep(0.3)
        ours = {"label": [f"{STACK_LABEL}={stack}", f"{TEST_LABEL}={RUN_ID}"]}
        for net in client.api.networks(filters=ours):
            client.api.remove_network(net["Id"])
        for vol in (client.api.volumes(filters=ours) or {}).get("Volumes") or []:
            client.api.remove_volume(vol["Name"], force=True)


STACK_ATTACKS = (
    "volume-ext4-root-device",
    "volume-overlay-lowerdir-etc",
    "network-external-named-host",
    "bind-state-home",
    "label-self",
)


@pytest.mark.parametrize("name", STACK_ATTACKS)
def test_stack_deploy_attack_is_refused_and_no_service_is_created(
    name, arena, stack_root, guarded, second_engine, admin
):
    service_extra, top = COMPOSE_ATTACKS[name](arena)
    stack = stack_root.write(service_extra, top)
    gateway = guarded(
        Engine(host=second_engine.url, name="host2"), compose_dirs=[str(stack_root.root)]
    )

    result = attempt(gateway, admin, "stack_deploy", {"project": stack}, approver=admin)

    assert_refused(result)
    client = second_engine.client
    in_stack = {"label": f"{STACK_LABEL}={stack}"}
    assert [s.name for s in client.services.list(filters=in_stack)] == []
    assert [n["Name"] for n in client.api.networks(filters=in_stack)] == []


# --- objects made outside the product with options the guard refuses --------------------------

OUTSIDE_OPTIONS: dict[str, dict[str, Any]] = {
    "privileged": {"privileged": True},
    "bind-etc": {"volumes": {"/etc": {"bind": "/host-etc", "mode": "ro"}}},
    "cap-add-sys-admin": {"cap_add": ["SYS_ADMIN"]},
    "seccomp-unconfined": {"security_opt": ["seccomp=unconfined"]},
}
# Options a container can really run with on every test engine (a sandboxed engine may be
# unable to start privileged containers: runc "unable to apply caps").
STARTABLE = sorted(set(OUTSIDE_OPTIONS) - {"privileged"})
CARRIED_KEYS = (
    "Privileged", "CapAdd", "Binds", "Mounts", "Devices", "SecurityOpt", "NetworkMode",
    "PidMode", "IpcMode", "UTSMode", "UsernsMode", "VolumesFrom",
)  # fmt: skip


def outside(arena: Arena, option: str, start: bool) -> Any:
    """A container made directly with the SDK, as someone on the host would."""
    return arena.containers(
        "outside", start=start, labels={CASE_LABEL: arena.case}, **OUTSIDE_OPTIONS[option]
    )


def carried(client: docker.DockerClient, container_id: str) -> dict[str, Any]:
    info = client.api.inspect_container(container_id)
    host_config = info["HostConfig"]
    return {
        "id": info["Id"],
        "image": info["Config"]["Image"],
        "cmd": info["Config"]["Cmd"],
        **{key: host_config.get(key) for key in CARRIED_KEYS},
    }


@pytest.mark.parametrize("option", sorted(OUTSIDE_OPTIONS))
def test_an_operator_may_not_start_a_container_made_outside_with_refused_options(
    option, arena, guarded, docker_client, test_image, operator, admin
):
    container = outside(arena, option, start=False)

    result = attempt(guarded(), operator, "start_container", {"container": container.name}, admin)

    assert_refused(result)
    assert NOT_OURS in result.message
    state = docker_client.api.inspect_container(container.id)["State"]
    assert (state["Status"], state["StartedAt"][:4]) == ("created", "0001")  # never started


@pytest.mark.parametrize("option", STARTABLE)
def test_an_operator_may_not_restart_a_container_made_outside_with_refused_options(
    option, arena, guarded, docker_client, test_image, operator, admin
):
    container = outside(arena, option, start=True)
    started = docker_client.api.inspect_container(container.id)["State"]["StartedAt"]

    result = attempt(guarded(), operator, "restart_container", {"container": container.name}, admin)

    assert_refused(result)
    assert NOT_OURS in result.message
    assert docker_client.api.inspect_container(container.id)["State"]["StartedAt"] == started


@pytest.mark.parametrize("auto_approve", [False, True], ids=["plain", "auto-approve-on"])
@pytest.mark.parametrize("option", STARTABLE)
def test_an_admin_may_start_it_with_explicit_approval_and_it_runs_unchanged(
    option, auto_approve, arena, guarded, docker_client, test_image, admin
):
    container = outside(arena, option, start=False)
    before = carried(docker_client, container.id)
    roles = ["operator", "admin"] if auto_approve else []
    gateway = guarded(auto_approve_roles=roles)

    proposal = gateway.call(admin, "start_container", {"container": container.name})

    assert proposal.status == "pending_approval", proposal.message  # never auto-approved
    assert proposal.approval is not None
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)
    assert outcome.status == "executed", outcome.message
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]
    assert carried(docker_client, container.id) == before  # the same container, nothing added


def test_control_an_operator_may_start_a_container_the_product_made(
    arena, guarded, docker_client, test_image, operator, admin
):
    gateway = guarded()
    args = run_args(arena, RunAttack(lambda a: {}))
    container = run_and_inspect(gateway, admin, args, docker_client)
    container.stop(timeout=5)

    outcome = approved(gateway, operator, "start_container", {"container": args["name"]})

    assert outcome.status == "executed", outcome.message
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]


@pytest.fixture
def etc_service(second_engine: SecondEngine, arena: Arena) -> Iterator[dict[str, Any]]:
    """A swarm service binding the host's /etc, made directly with the SDK."""
    client = second_engine.client
    name = unique("etcsvc")
    created = client.api.create_service(
        TaskTemplate(
            ContainerSpec(
                TEST_IMAGE,
                command=SLEEPER,
                mounts=[Mount("/host-etc", "/etc", type="bind", read_only=True)],
            )
        ),
        name=name,
        labels=arena.labels,
        mode=ServiceMode("replicated", 1),
    )
    try:
        eventually(lambda: converged(client, created["ID"], 1), f"{name} starting")
        yield {"id": created["ID"], "name": name}
    finally:
        try:
            client.api.remove_service(created["ID"])
        except docker.errors.NotFound:
            pass


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("scale_service", {"replicas": 2}),
        ("update_service", {"env": {"MODE": "new"}}),
        ("restart_service", {}),
    ],
    ids=["scale", "update", "restart"],
)
def test_an_operator_may_not_change_a_service_made_outside_that_binds_etc(
    tool, args, etc_service, guarded, second_engine, operator, admin
):
    client = second_engine.client
    before = client.api.inspect_service(etc_service["id"])
    gateway = guarded(Engine(host=second_engine.url, name="host2"))

    result = attempt(gateway, operator, tool, {"service": etc_service["name"], **args}, admin)

    assert_refused(result)
    assert NOT_OURS in result.message
    after = client.api.inspect_service(etc_service["id"])
    assert after["Version"]["Index"] == before["Version"]["Index"]
    assert after["Spec"] == before["Spec"]


# What an update through the SDK fills in by itself: the engine's defaults, not options.
ENGINE_DEFAULTS = {"DNSConfig", "StopGracePeriod", "Isolation"}


@pytest.mark.parametrize("auto_approve", [False, True], ids=["plain", "auto-approve-on"])
def test_an_admin_may_scale_it_with_explicit_approval_and_the_mount_is_carried_unchanged(
    auto_approve, etc_service, guarded, second_engine, admin
):
    client = second_engine.client
    spec = client.api.inspect_service(etc_service["id"])["Spec"]["TaskTemplate"]["ContainerSpec"]
    gateway = guarded(
        Engine(host=second_engine.url, name="host2"),
        auto_approve_roles=["operator", "admin"] if auto_approve else [],
    )

    proposal = gateway.call(admin, "scale_service", {"service": etc_service["name"], "replicas": 2})

    assert proposal.status == "pending_approval", proposal.message  # never auto-approved
    assert proposal.approval is not None
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)
    assert outcome.status == "executed", outcome.message
    eventually(lambda: converged(client, etc_service["id"], 2), "2 running tasks")
    after = client.api.inspect_service(etc_service["id"])["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert after["Mounts"] == spec["Mounts"]
    assert {key: after.get(key) for key in spec} == spec  # nothing dropped or changed
    assert set(after) - set(spec) <= ENGINE_DEFAULTS  # and nothing added but engine defaults


# --- end to end through the agent, a scripted model making the hostile call ---------------------


@pytest.fixture
def stub() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def wire_assistant(arena: Arena, stub: ScriptedOpenAI, engine: Engine) -> Callable[..., Assistant]:
    def make(**overrides: Any) -> Assistant:
        settings = Settings(  # type: ignore[call-arg]
            home=arena.home, _env_file=None, model="scripted-1", base_url=stub.base_url,
            api_key="sk-test", model_timeout=10.0, model_max_retries=0, **overrides,
        )  # fmt: skip
        return build_assistant(settings, build_gateway(settings, engine=engine))

    return make


def chat_and_approve(
    assistant: Assistant, stub: ScriptedOpenAI, admin: Actor, request: str, args: dict[str, Any]
) -> tuple[ChatResult, list[str]]:
    """The model answers `request` with exactly this run_container call; every approval it
    raises is granted by the admin; returns the final turn and how each decision went."""
    stub.script({"tool_calls": [tool_call("run_container", args)]}, {"content": "Done."})
    result = assistant.chat(admin, request)
    decisions = []
    for approval in result.approvals:
        try:
            decisions.append(assistant.gateway.decide(approval["id"], admin, True).status)
        except PolicyDenied as exc:
            decisions.append(f"denied: {exc.message}")
    if result.approvals:
        result = assistant.resume(admin, result.thread_id)
    return result, decisions


AGENT_ATTACKS: dict[str, RunAttack] = {
    name: RUN_ATTACKS[name]
    for name in (
        "bind-state-home",
        "seccomp-inline-allow-all",
        "label-self",
        "network-mode-container-product",
        "volume-ext4-root-device",
    )
}


@pytest.mark.parametrize("name", sorted(AGENT_ATTACKS))
def test_agent_hostile_call_approved_by_an_admin_still_creates_nothing(
    name, arena, stub, wire_assistant, docker_client, test_image, admin
):
    attack = AGENT_ATTACKS[name]
    args = run_args(arena, attack)
    assistant = wire_assistant(**roots_of(arena, attack))

    result, decisions = chat_and_approve(assistant, stub, admin, f"please do: {name}", args)

    calls = [(c["tool"], c["status"]) for c in result.tool_calls]
    assert calls and calls[-1][0] == "run_container", calls
    assert calls[-1][1] in ("denied", "failed"), (calls, decisions)
    assert "executed" not in decisions, decisions
    assert assistant.gateway.audit.query(tool="run_container", event="executed") == []
    assert assistant.gateway.audit.query(tool="run_container"), "the call never reached the guard"
    assert no_container(docker_client, arena, args["name"]) == []


def test_agent_run_a_privileged_ubuntu_container_is_denied_for_being_privileged(
    arena, stub, wire_assistant, docker_client, test_image, admin
):
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(MISSING_IMAGE)
    args = {"image": MISSING_IMAGE, "privileged": True, "name": unique("ubuntu"),
            "labels": arena.labels}  # fmt: skip
    assistant = wire_assistant()

    result, decisions = chat_and_approve(
        assistant, stub, admin, "run a privileged ubuntu container", args
    )

    assert decisions == []  # denied before any approval was offered
    [call] = [c for c in result.tool_calls if c["tool"] == "run_container"]
    assert call["status"] == "denied", call
    assert "privileged" in call["message"], call
    assert no_container(docker_client, arena, args["name"]) == []


# --- a symlink flipped between the guard's check and the engine's mount -----------------------

RACE_ATTEMPTS = 200
# Inside the helper, /r is the bind root. /r/x cycles through: a real directory (held a few ms,
# so a guard's checks can see it); a symlink to a directory inside the root; a symlink to /etc
# (held a few ms, so a mount can meet it); back. Symlinks are swapped in with rename(2), so x is
# never missing between them. A link is made inside the container but followed by the engine
# on the host: `/etc` is the host's /etc.
FLIPPER = (
    "trap 'exit 0' TERM; mkdir /r/d /r/real; while :; do "
    "mv -T /r/d /r/x; usleep 5000; mv -T /r/x /r/d; "
    "ln -s real /r/t; mv -T /r/t /r/x; "
    "ln -s /etc /r/t; mv -T /r/t /r/x; usleep 5000; "
    "ln -s real /r/t; mv -T /r/t /r/x; "
    "rm -f /r/x; done 2>/dev/null"
)


# Not slow any more: while the flipper can write the bind root, every attempt is refused up
# front (about 5 s for 200); admitted attempts took about 3.5 min.
def test_a_symlink_flipped_between_check_and_mount_never_mounts_host_etc(
    arena, guarded, docker_client, test_image, admin
):
    root = arena.root
    gateway = guarded(bind_roots=[str(root)])
    source = root / "x"

    def run(name: str) -> Attempt:
        args = {"image": TEST_IMAGE, "name": name, "command": SLEEPER,
                "volumes": {str(source): "/mnt:ro"}, "labels": arena.labels}  # fmt: skip
        return attempt(gateway, admin, "run_container", args, approver=admin)

    # Control: before anyone flips it, a real directory there is bound and runs.
    source.mkdir()
    control = unique("race-control")
    assert run(control).status == "executed"
    docker_client.containers.get(control).remove(force=True)
    source.rmdir()

    arena.containers(
        "flipper",
        command=["sh", "-c", FLIPPER],
        volumes={str(root): {"bind": "/r", "mode": "rw"}},
        labels={CASE_LABEL: arena.case},
    )
    seen: dict[str, int] = {}
    said: dict[str, str] = {}  # the last message of each kind of outcome, for a failure report
    leaks: list[str] = []
    for number in range(RACE_ATTEMPTS):
        name = unique(f"race{number}")
        result = run(name)
        where = f"{result.status}@{result.stage}"
        seen[where] = seen.get(where, 0) + 1
        said[where] = result.message
        for item in docker_client.api.containers(all=True, filters={"name": name}):
            container = docker_client.containers.get(item["Id"])
            if container.status == "running":
                code, _ = container.exec_run(["test", "-e", "/mnt/passwd"])
                if code == 0:
                    leaks.append(f"attempt {number}: {name} has host /etc at /mnt ({result})")
            container.remove(force=True)
        if leaks:
            break

    assert leaks == [], f"host /etc was mounted; outcomes so far: {seen}, saying {said}"
