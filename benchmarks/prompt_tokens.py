"""Tokens the model pays per call for the system prompt plus the whole tool catalogue
(o200k_base, as OpenAI's current models count). Goal: under 2,500.

Beside it, the MCP server's `tools/list` result for the default deployment (one host, no
compose, no swarm), as a client receives it: names, descriptions, input and output schemas,
annotations. Goal: smaller than the reference Docker MCP server's 4,254 tokens for 19 tools.

    .venv/bin/python benchmarks/prompt_tokens.py
"""

from __future__ import annotations

import json
import sys

import toktok
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.factory import system_prompt
from agent.lc_tools import GatewayTools

GOAL = 2500
MCP_REFERENCE = 4254  # the reference Docker MCP server's tools/list, 19 tools


class _NoGateway:
    """Tool schemas need no engine; the gateway is only called when a tool runs."""

    def __init__(self, multi_host: bool) -> None:
        self.multi_host = multi_host


def count(text: str) -> int:
    return int(toktok.batch_count([text], "o200k_base")[0])


def catalogue_tokens(features: frozenset[str], multi_host: bool) -> tuple[int, int]:
    gateway = _NoGateway(multi_host)
    tools = GatewayTools(gateway, features).tools()  # type: ignore[arg-type]
    schemas = [convert_to_openai_tool(tool) for tool in tools]
    return count(json.dumps(schemas, separators=(",", ":"))), len(schemas)


def mcp_tools_list() -> tuple[int, int, list[tuple[int, str]]]:
    """The `tools/list` result an admin's client receives (the largest listing), as JSON."""
    import asyncio

    from mcp.types import ListToolsResult

    from api.mcp.server import build_mcp_server
    from tools.guard.policy import Actor, Role

    class _NoStore(_NoGateway):
        approvals = None
        managers: dict[str, object] = {}
        current_role = None

    server = build_mcp_server(
        _NoStore(False),  # type: ignore[arg-type]
        lambda: Actor("admin", Role.ADMIN),
        transport="benchmark",
        console_url="http://127.0.0.1:8501",
    )
    tools = asyncio.run(server.list_tools())
    payload = ListToolsResult(tools=tools).model_dump(by_alias=True, mode="json", exclude_none=True)
    per_tool = sorted(
        ((count(json.dumps(t, separators=(",", ":"))), t["name"]) for t in payload["tools"]),
        reverse=True,
    )
    return count(json.dumps(payload, separators=(",", ":"))), len(tools), per_tool


def main() -> int:
    tools = GatewayTools(_NoGateway(False)).tools()  # type: ignore[arg-type]
    schemas = [convert_to_openai_tool(tool) for tool in tools]
    prompt = system_prompt()

    per_tool = sorted(
        ((count(json.dumps(s, separators=(",", ":"))), s["function"]["name"]) for s in schemas),
        reverse=True,
    )
    prompt_tokens = count(prompt)
    tool_tokens = count(json.dumps(schemas, separators=(",", ":")))
    total = prompt_tokens + tool_tokens
    print(f"system prompt      {prompt_tokens:5d} tokens")
    print(f"tool catalogue     {tool_tokens:5d} tokens ({len(schemas)} tools)")
    for tokens, name in per_tool[:5]:
        print(f"  {name:24s} {tokens:4d}")
    verdict = "ok" if total < GOAL else "OVER"
    print(f"total per call     {total:5d} tokens (goal < {GOAL}: {verdict})  [one host]")
    everything, n = catalogue_tokens(frozenset({"swarm", "compose"}), multi_host=True)
    print(
        f"with swarm + compose + several hosts: {prompt_tokens + everything} tokens ({n} tools;"
        " these tools are offered only where they work)"
    )
    mcp_tokens, mcp_count, mcp_per_tool = mcp_tools_list()
    mcp_verdict = "ok" if mcp_tokens < MCP_REFERENCE else "OVER"
    print(
        f"MCP tools/list     {mcp_tokens:5d} tokens ({mcp_count} tools, default deployment; "
        f"reference Docker MCP server {MCP_REFERENCE:,} for 19 tools: {mcp_verdict})"
    )
    for tokens, name in mcp_per_tool[:3]:
        print(f"  {name:24s} {tokens:4d}")
    return 0 if total < GOAL and mcp_tokens < MCP_REFERENCE else 1


if __name__ == "__main__":
    sys.exit(main())
