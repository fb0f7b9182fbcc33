"""The official `mcp` client over stdio: `dockerdeployer mcp` started as a subprocess on the
API's state directory, acting as an account (DOCKERDEPLOYER_MCP_USER) or as the OS user (viewer
unless DOCKERDEPLOYER_MCP_ROLE says otherwise). A restart approved in the client on a 2026-era
connection (the question comes back as InputRequiredResult), one approved in the API while the
client polls get_approval, run and remove with approval, and a 2026-era subscription."""

from __future__ import annotations

from typing import Any

import anyio
import docker
import pytest
from mcp.client.subscriptions import ResourceUpdated

from tests.conftest import RUN_ID, TEST_LABEL, ContainerFactory, restart_count, unique
from tests.mcp.conftest import CLIENT, LiveApi, approve_with, stdio_client, text_of

pytestmark = pytest.mark.anyio
AS_OSCAR = {"DOCKERDEPLOYER_MCP_USER": "oscar"}
AS_ALICE = {"DOCKERDEPLOYER_MCP_USER": "alice"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_os_user_is_a_viewer_unless_configured(live_api: LiveApi) -> None:
    async with stdio_client(live_api.home) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "list_containers" in names and "restart_container" not in names
    async with stdio_client(live_api.home, env={"DOCKERDEPLOYER_MCP_ROLE": "operator"}) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "restart_container" in names and "remove_container" not in names


async def test_restart_approved_in_the_client_on_a_2026_connection(
    live_api: LiveApi, make_container: ContainerFactory, docker_client: docker.DockerClient
) -> None:
    container = make_container("mcpstdio")
    before = restart_count(docker_client, container.id)
    asked: list[Any] = []
    async with stdio_client(
        live_api.home, env=AS_OSCAR, elicitation_callback=approve_with("approve", asked)
    ) as client:
        assert client.protocol_version == "2026-07-28"  # the question rides the result
        result = await client.call_tool("restart_container", {"container": container.name})
    assert result.structured_content["status"] == "executed", text_of(result)
    assert len(asked) == 1 and restart_count(docker_client, container.id) != before
    events = live_api.audit(approval_id=result.structured_content["approval"]["id"])
    assert sorted(e["event"] for e in events) == ["approved", "executed", "proposed"]
    proposed = next(e for e in events if e["event"] == "proposed")
    assert CLIENT.name in proposed["request"] and "over stdio" in proposed["request"]


async def test_restart_waits_for_approval_in_the_api_then_runs_once(
    live_api: LiveApi, make_container: ContainerFactory, docker_client: docker.DockerClient
) -> None:
    container = make_container("mcpapi")
    before = restart_count(docker_client, container.id)
    async with stdio_client(live_api.home, env=AS_OSCAR) as client:  # cannot ask: no callback
        pending = await client.call_tool("restart_container", {"container": container.name})
        data = pending.structured_content
        assert data["status"] == "pending_approval" and not pending.is_error
        approval_id = data["approval"]["id"]
        assert "console" in text_of(pending) and approval_id in data["approval"]["console_url"]
        await anyio.sleep(1)
        assert restart_count(docker_client, container.id) == before  # nothing ran meanwhile
        still = await client.call_tool("get_approval", {"approval_id": approval_id})
        assert still.structured_content["status"] == "pending_approval"
        async with anyio.create_task_group() as tasks:
            waited: dict[str, Any] = {}

            async def wait() -> None:
                got = await client.call_tool("get_approval", {"approval_id": approval_id,
                                                              "wait": 60})  # fmt: skip
                waited.update(got.structured_content)

            tasks.start_soon(wait)
            await anyio.sleep(1)
            response = await anyio.to_thread.run_sync(live_api.decide, approval_id, "admin")
            assert response.status_code == 200, response.text
        assert waited["status"] == "executed" and waited["approval"]["decided_by"] == "alice"
        again = await client.call_tool("get_approval", {"approval_id": approval_id})
        assert again.structured_content["status"] == "executed"
    after = restart_count(docker_client, container.id)
    assert after != before
    executed = live_api.audit(approval_id=approval_id, event="executed")
    assert len(executed) == 1  # once
    assert live_api.decide(approval_id, "admin").status_code == 409  # and never again


async def test_run_and_remove_with_approval_and_nothing_before(
    live_api: LiveApi, docker_client: docker.DockerClient, cleanup_names: list[str]
) -> None:
    name = unique("mcprun")
    cleanup_names.append(name)
    args = {"image": "dockerdeployer-test/busybox:1", "name": name, "command": ["sleep", "600"],
            "labels": {TEST_LABEL: RUN_ID}}  # fmt: skip
    async with stdio_client(
        live_api.home, env=AS_ALICE, mode="legacy", elicitation_callback=approve_with("reject")
    ) as client:
        refused = await client.call_tool("run_container", args)
    assert refused.structured_content["status"] == "rejected"
    assert not docker_client.api.containers(all=True, filters={"name": name})
    async with stdio_client(
        live_api.home, env=AS_ALICE, mode="legacy", elicitation_callback=approve_with("approve")
    ) as client:
        ran = await client.call_tool("run_container", args)
        assert ran.structured_content["status"] == "executed", text_of(ran)
        [found] = docker_client.api.containers(filters={"name": name})
        assert found["State"] == "running"
        removed = await client.call_tool("remove_container", {"container": name, "force": True})
        assert removed.structured_content["status"] == "executed", text_of(removed)
    assert not docker_client.api.containers(all=True, filters={"name": name})


async def test_a_2026_subscription_hears_a_stop(
    live_api: LiveApi, make_container: ContainerFactory
) -> None:
    container = make_container("mcplisten")
    uri = f"docker://containers/{container.name}/inspect"
    async with stdio_client(live_api.home, env={**AS_OSCAR, "DOCKERDEPLOYER_MCP_POLL_SECONDS":
                                                "0.3"}) as client:  # fmt: skip
        async with client.listen(resource_subscriptions=[uri, "docker://containers"]) as stream:
            await anyio.sleep(1)  # the poller's first look
            container.stop(timeout=1)
            seen: set[str] = set()
            with anyio.fail_after(20):
                async for event in stream:
                    if isinstance(event, ResourceUpdated):
                        seen.add(event.uri)
                    if seen >= {uri, "docker://containers"}:
                        break
        state = (await client.read_resource(uri)).contents[0].text
        assert '"state": "exited"' in state
