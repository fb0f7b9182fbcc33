"""The Problems page against the real API and engine: a crashed container, its diagnosis, and
disk usage; container output stays plain text."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import docker
from streamlit.testing.v1 import AppTest

from tests.ui.helpers import assert_clean, shown_text

CRASH = ["sh", "-c", "echo '**fatal**: [no config](http://127.0.0.1:9/x)'; exit 3"]


def test_a_crashed_container_is_listed_and_diagnosed(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
) -> None:
    crashed = make_container("problem", command=CRASH)
    deadline = time.monotonic() + 20
    while docker_client.api.inspect_container(crashed.id)["State"]["Running"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    at = new_app("viewer", page="problems", problems_pick=crashed.name)
    assert_clean(at)
    table = at.dataframe[0].value
    row = table[table["container"] == crashed.name]
    assert list(row["problem"]) == ["exited with code 3"]
    assert "code 3" in at.text[0].value  # the likely cause, as plain text
    evidence = at.code[0].value
    assert "**fatal**: [no config](http://127.0.0.1:9/x)" in evidence  # untrusted: code only
    assert "Disk usage" in shown_text(at)
    assert list(at.dataframe[1].value["kind"]) == ["images", "containers", "volumes", "build cache"]
