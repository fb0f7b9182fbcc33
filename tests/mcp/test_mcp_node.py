"""A client from another implementation: the official TypeScript SDK (tests/mcp/node/client.mjs,
on Debian's Node.js; scripts/ensure-node.sh installs it) lists and calls tools over stdio and
streamable HTTP, its SDK checking every structured result against our output schemas; with
form elicitation declared it is asked, answers approve, and the restart runs once."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.conftest import ROOT, ContainerFactory, restart_count
from tests.mcp.conftest import BIN, LiveApi

NODE_DIR = ROOT / "tests/mcp/node"


@pytest.fixture(scope="session")
def node_client() -> Path:
    done = subprocess.run(["bash", str(ROOT / "scripts/ensure-node.sh")], capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"scripts/ensure-node.sh failed:\n{done.stderr[-2000:]}"
    return NODE_DIR / "client.mjs"


def run_node(client: Path, args: list[str], **env: str) -> dict[str, Any]:
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env}
    done = subprocess.run(["node", str(client), *args], capture_output=True, text=True,
                          timeout=180, env=environment, cwd=NODE_DIR)  # fmt: skip
    assert done.returncode == 0, f"node client failed:\n{done.stderr[-3000:]}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_typescript_client_over_http(
    live_api: LiveApi, node_client: Path, make_container: ContainerFactory,
    docker_client: docker.DockerClient,
) -> None:  # fmt: skip
    container = make_container("mcpnode")
    before = restart_count(docker_client, container.id)
    out = run_node(node_client, ["--http", live_api.mcp_url], MCP_TOKEN=live_api.token("operator"),
                   APPROVE="1", CONTAINER=container.name)  # fmt: skip
    names = {tool["name"] for tool in out["tools"]}
    assert "restart_container" in names and "remove_container" not in names
    assert out["listing"]["status"] == "executed"
    assert container.name in {c["name"] for c in out["listing"]["result"]}
    assert out["restart"]["structured"]["status"] == "executed", out["restart"]
    assert len(out["asked"]) == 1 and container.name in out["asked"][0]
    assert restart_count(docker_client, container.id) != before
    proposed = live_api.audit(approval_id=out["restart"]["structured"]["approval"]["id"],
                              event="proposed")  # fmt: skip
    assert "node-ts-client" in proposed[0]["request"]


def test_typescript_client_over_stdio(
    live_api: LiveApi, node_client: Path, make_container: ContainerFactory,
    docker_client: docker.DockerClient,
) -> None:  # fmt: skip
    container = make_container("mcpnodestdio")
    before = restart_count(docker_client, container.id)
    out = run_node(
        node_client, ["--stdio", str(BIN / "dockerdeployer"), "mcp"], CONTAINER=container.name,
        DOCKERDEPLOYER_HOME=str(live_api.home), DOCKERDEPLOYER_MCP_USER="oscar",
    )  # fmt: skip
    assert out["server"]["name"] == "dockerdeployer"
    read_only = {t["name"] for t in out["tools"] if t["annotations"].get("readOnlyHint")}
    assert {"list_containers", "get_approval"} <= read_only and "restart_container" not in read_only
    pending = out["restart"]["structured"]
    assert pending["status"] == "pending_approval" and not out["restart"]["isError"]
    assert pending["approval"]["console_url"].endswith(pending["approval"]["id"])
    assert restart_count(docker_client, container.id) == before  # waits for a person
