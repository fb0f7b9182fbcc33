"""A hosted model through the bench: an OpenAI-compatible endpoint (scripted, on loopback)
answers with tool calls; the bench approves, verifies, and counts calls and tokens."""

from __future__ import annotations

import docker
import pytest

from dockerdeployer.bench.harness import ModelChoice, open_runner
from dockerdeployer.bench.loader import load_tasks
from tests.agent.openai_stub import ScriptedOpenAI, tool_call
from tools.engine import Engine

pytestmark = pytest.mark.integration


def test_a_scripted_endpoint_is_benchmarked_with_its_token_usage(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    task = next(t for t in load_tasks() if t.id == "restart-by-name")
    with ScriptedOpenAI() as stub:
        choice = ModelChoice(model="scripted", base_url=stub.base_url, api_key="test-key")
        with open_runner(choice, Engine.from_client(docker_client)) as runner:
            runner.run_id = "zqzqz"  # so the script can name the task's container
            stub.script(
                {"tool_calls": [tool_call("restart_container", {"container": "bxzqzqz00a-web"})]},
                {"content": "Restarted bxzqzqz00a-web."},
            )
            attempt = runner.run_task(task, index=0)
            assert runner.label == f"scripted @ {stub.base_url}"
    assert attempt.status == "pass", attempt.failures
    assert attempt.calls == ["restart_container:executed"]
    # the stub reports 100 prompt / 10 completion tokens per call; two calls (propose, report)
    assert (attempt.model_calls, attempt.tokens_in, attempt.tokens_out) == (2, 200, 20)
    assert attempt.reply == "Restarted bxzqzqz00a-web."
