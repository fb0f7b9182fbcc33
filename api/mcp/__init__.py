"""The guarded tool catalogue over MCP (the official `mcp` SDK, v2 line: `MCPServer`).

One server, two transports: `dockerdeployer mcp` (stdio, for a local client; the invoking OS
user maps to an account by setting) and streamable HTTP at `/mcp` inside the API (the API's
bearer tokens). Every tool is generated from `tools.catalogue` and every call goes through the
same `ToolGateway` as chat, the API and the CLI; changes wait for a person (see approvals.py).

    catalogue.py   catalogue -> MCP tools (schemas, annotations, results fenced like the agent's)
    results.py     what a call returns: the agent's fenced text and one structured envelope
    approvals.py   a pending change: ask the person (elicitation) or hand back the approval link
    resources.py   containers, logs, inspect data, approvals as resources, with subscriptions
    identity.py    who is calling: the stdio account, or the bearer token over HTTP
    server.py      the MCPServer (tools listed per role) and the HTTP endpoint the API mounts
"""
