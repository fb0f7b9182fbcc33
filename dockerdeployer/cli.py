"""The `dockerdeployer` command line.

Bots and scripts start it once per request, so start-up is kept short: this module and the
command modules import only typer at the top; each command imports what it uses when it runs
(`--help` never loads the agent, the API or the Docker SDK). benchmarks/cli_startup.py measures it.
"""

from __future__ import annotations

import os
import sys

import typer

from dockerdeployer import chat_cli, logs_cli, server_cli
from dockerdeployer.bench import cli as bench_cli

app = typer.Typer(
    name="dockerdeployer",
    help="A chat assistant that operates Docker, with previews, approvals and an audit trail.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """DockerDeployer: chat with your Docker hosts; every change is previewed and approved."""


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Is the Docker engine reachable? If not: why, and the exact fix. Exit 0 only if it is."""
    import json
    from dataclasses import asdict

    from dockerdeployer.wiring import build_engine
    from foundation.settings import Settings
    from tools.engine import diagnose

    settings = Settings()
    diagnosis = diagnose(build_engine(settings))
    if as_json:
        print(json.dumps(asdict(diagnosis), indent=2))
        raise typer.Exit(0 if diagnosis.reachable else 1)
    mark = "ok" if diagnosis.reachable else "FAIL"
    print(f"engine      {mark}  {diagnosis.host}")
    if diagnosis.reachable:
        api = f"API {diagnosis.api_version}, {diagnosis.platform}"
        print(f"version     {diagnosis.version} ({api})")
    sock = diagnosis.socket
    if sock is not None:
        if sock.exists:
            print(
                f"socket      {sock.path}  owner {sock.owner}  group {sock.group} (gid {sock.gid})"
                f"  mode {sock.mode}  {'accessible' if sock.accessible else 'NOT accessible'}"
            )
        else:
            print(f"socket      {sock.path}  does not exist")
    groups = " ".join(diagnosis.groups)
    print(f"user        {diagnosis.user} (uid {diagnosis.uid})  groups {groups}")
    if not diagnosis.reachable:
        print(f"problem     {diagnosis.problem}")
        print(f"fix         {diagnosis.fix}")
        raise typer.Exit(1)


@app.command()
def mcp() -> None:
    """The tool catalogue as an MCP server over stdio, for a local MCP client. It acts as the
    account DOCKERDEPLOYER_MCP_USER names, else as the invoking OS user with the role
    DOCKERDEPLOYER_MCP_ROLE (viewer by default); changes wait for a person's approval."""
    from api.mcp.identity import NoCaller
    from dockerdeployer.wiring import build_mcp_stdio
    from foundation.settings import Settings

    try:
        server = build_mcp_stdio(Settings())
    except NoCaller as exc:
        print(f"dockerdeployer mcp: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    server.run("stdio")


chat_cli.register(app)
logs_cli.register(app)
server_cli.register(app)
bench_cli.register(app)


def main() -> None:
    """Entry point: unexpected errors become one readable line (DOCKERDEPLOYER_DEBUG=1: trace)."""
    try:
        app()
    except Exception as exc:  # the last boundary before a person's terminal
        if os.environ.get("DOCKERDEPLOYER_DEBUG"):
            raise
        print(f"dockerdeployer: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("(set DOCKERDEPLOYER_DEBUG=1 for the full trace)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
