"""Helpers for the real-engine tests: gateways with chosen settings, an approval shortcut, an
engine request counter and a unix-socket forwarder that can be stopped like an engine."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tests.conftest import RUN_ID, TEST_LABEL
from tests.live_server import free_port as free_port  # re-exported for the tests here
from tools.engine import DEFAULT_SOCKET, Engine
from tools.gateway import CallOutcome, ToolGateway
from tools.guard.policy import Actor


@pytest.fixture
def make_gateway(tmp_path, engine: Engine) -> Callable[..., ToolGateway]:
    """A gateway over the real engine with settings overrides (protected names, caps...)."""

    def factory(engine_: Engine | None = None, **overrides: Any) -> ToolGateway:
        home = tmp_path / f"home-{uuid.uuid4().hex[:6]}"
        overrides.setdefault("bind_roots", [str(tmp_path)])
        settings = Settings(home=home, _env_file=None, **overrides)  # type: ignore[call-arg]
        return build_gateway(settings, engine=engine_ or engine)

    return factory


def approved(gateway: ToolGateway, actor: Actor, tool: str, args: dict[str, Any]) -> CallOutcome:
    """Propose, check it waits for a person, approve as the same actor, return the outcome."""
    proposal = gateway.call(actor, tool, args)
    assert proposal.status == "pending_approval", proposal.message
    return gateway.decide(proposal.approval["id"], actor, approve=True)  # type: ignore[index]


def case_labels(case: str) -> dict[str, str]:
    """Our run label plus a per-test one, so a query can only ever see this test's objects."""
    return {TEST_LABEL: RUN_ID, "ddt.case": case}


def new_case() -> str:
    return uuid.uuid4().hex[:10]


@contextlib.contextmanager
def count_engine_requests(engine: Engine) -> Iterator[list[str]]:
    """Every HTTP request the engine client sends while the block runs, as 'METHOD path'."""
    api = engine.api
    sent: list[str] = []
    real_send = api.send

    def counting_send(request: Any, **kwargs: Any) -> Any:
        sent.append(f"{request.method} {request.path_url}")
        return real_send(request, **kwargs)

    api.send = counting_send  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        del api.send  # back to the class's method


class SocketForwarder:
    """Accepts on a unix socket and pipes each connection to the real engine's socket.

    `stop()` closes the listener and every open connection (like an engine going away);
    `start()` listens again on the same path; `start(hang=True)` accepts and never answers.
    """

    def __init__(self, path: str, upstream: str = DEFAULT_SOCKET) -> None:
        self.path = path
        self.upstream = upstream
        self.hang = False
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self, hang: bool = False) -> None:
        self.hang = hang
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        server.listen(32)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            # shutdown wakes the thread blocked in accept(); close alone would not.
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            if self.hang:
                with self._lock:
                    self._open.append(client)
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def forwarder() -> Iterator[SocketForwarder]:
    # Short path (unix sockets allow ~107 bytes) in a directory anyone may traverse, so a
    # child that dropped to `nobody` reaches the socket and meets only its own permissions.
    directory = tempfile.mkdtemp(prefix="ddt-fwd-")
    os.chmod(directory, 0o755)
    fwd = SocketForwarder(os.path.join(directory, "docker.sock"))
    fwd.start()
    yield fwd
    fwd.stop()
    shutil.rmtree(directory, ignore_errors=True)
