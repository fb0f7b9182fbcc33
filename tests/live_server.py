"""Real servers for tests: a free loopback port, an ASGI app served by uvicorn on it, and a
server process waited for until it answers, then stopped."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(app: Any, name: str, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """`app` on 127.0.0.1 in a thread until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan=lifespan)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def wait_for_http(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float,
    ready: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
    interval: float = 0.2,
) -> str | None:
    """Poll `url` until `ready`; None once it is, else why not ("exited", "did not answer")."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            return "exited"
        try:
            if ready(httpx.get(url, timeout=2)):
                return None
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            return "did not answer"
        time.sleep(interval)


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Terminate, and kill what does not stop within `timeout`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
