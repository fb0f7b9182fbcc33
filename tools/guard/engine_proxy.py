"""A filtering engine socket for the CLIs the product spawns (compose, `docker stack deploy`).

Those CLIs build their own Engine API request bodies, so checking the product's reading of a
compose file is not enough. For each run they get `DOCKER_HOST=unix://<private socket>`;
every HTTP request arriving there is parsed and re-issued through the engine's guarded SDK
client, so the same allow-list judges exactly what the CLI sent, on every kind of host (the
SDK carries the request to a unix socket, tcp+TLS or ssh engine). A refused request gets a
403 with the reason, which the CLI prints. Connection upgrades (attach, interactive exec) are
refused: the tools that spawn CLIs never need them.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import requests

from tools.errors import DockerDeployerError
from tools.guard.boundary import Scope, current_scope, scoped

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te",
     "trailer", "proxy-connection", "host"}
)  # fmt: skip
MAX_BODY = 512 * 1024 * 1024


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    api: Any
    scope: Scope


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def address_string(self) -> str:
        return "cli"  # a unix socket has no client address

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            size = 0
            while True:
                line = self.rfile.readline(1024).split(b";")[0].strip()
                length = int(line or b"0", 16)
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                size += length
                if size > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(length))
                self.rfile.readline(8)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _refuse(self, status: int, message: str) -> None:
        data = json.dumps({"message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _relay(self) -> None:
        self.close_connection = True
        if self.headers.get("Upgrade") or "upgrade" in self.headers.get("Connection", "").lower():
            self._refuse(403, "refused by the engine guard: attaching to containers is not allowed")
            return
        try:
            body = self._body()
        except ValueError as exc:
            self._refuse(413, str(exc))
            return
        api = self.server.api
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            with scoped(self.server.scope):
                response = api.request(
                    self.command, api.base_url + self.path, data=body or None,
                    headers=headers, stream=True, timeout=None,
                )  # fmt: skip
        except DockerDeployerError as exc:
            self._refuse(403, exc.message)
            return
        except requests.RequestException as exc:
            self._refuse(502, f"engine unreachable: {exc}")
            return
        with contextlib.closing(response):
            self.send_response(response.status_code, response.reason)
            for key, value in response.headers.items():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Connection", "close")
            has_body = self.command != "HEAD" and response.status_code not in (204, 304)
            if has_body:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if not has_body:
                return
            # The boundary may have read a small answer already (a create it verified).
            chunks = (
                [response.content]
                if response._content_consumed
                else response.raw.stream(64 * 1024, decode_content=False)
            )
            with contextlib.suppress(OSError):  # the CLI hung up: nothing more to tell it
                for chunk in chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _relay  # noqa: N815 - http.server names


@contextlib.contextmanager
def filtering_socket(api: Any, extra_roots: tuple[Path, ...] = ()) -> Iterator[str]:
    """Serve a private engine socket for one CLI run; yields its `unix://` URL.

    The caller's scope (an admin's carried options) and `extra_roots` (the compose project's
    own directory) apply to what the CLI sends; nothing else does.
    """
    folder = tempfile.mkdtemp(prefix="dockerdeployer-engine-")  # mode 0700: ours alone
    path = str(Path(folder) / "engine.sock")
    server = _Server(path, _Handler)
    server.api = api
    outer = current_scope()
    server.scope = Scope(outer.allowances, (*outer.extra_roots, *extra_roots))
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(server.serve_forever,), name="engine-proxy", daemon=True
    )
    thread.start()
    try:
        yield f"unix://{path}"
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)
