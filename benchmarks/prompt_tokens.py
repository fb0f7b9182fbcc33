"""Tokens the model pays per call for the system prompt plus the whole tool catalogue
(o200k_base, as OpenAI's current models count). Goal: under 2,500.

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


class _NoGateway:
    """Tool schemas need no engine; the gateway is only called when a tool runs."""


def main() -> int:
    tools = GatewayTools(_NoGateway()).tools()  # type: ignore[arg-type]
    schemas = [convert_to_openai_tool(tool) for tool in tools]
    prompt = system_prompt()

    def count(text: str) -> int:
        return int(toktok.batch_count([text], "o200k_base")[0])

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
    print(f"total per call     {total:5d} tokens (goal < {GOAL}: {verdict})")
    return 0 if total < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
