"""`dockerdeployer logs CONTAINER`: a container's recent lines, or (`--follow`) its new lines as
they come, through the same guard and audit as every other read."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported when the command runs, not when the CLI starts
    from tools.gateway import CallOutcome

DEFAULT_FOLLOW_SECONDS = 600


def register(app: typer.Typer) -> None:
    @app.command()
    def logs(
        container: str = typer.Argument(..., help="Container name or ID."),
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
        tail: int = typer.Option(100, "--tail", "-n", min=1, max=10_000, help="Last N lines."),
        since: str | None = typer.Option(None, help="Only newer lines: 10m, 2h, 1d or ISO time."),
        grep: str | None = typer.Option(None, help="Only lines containing this."),
        seconds: int = typer.Option(
            DEFAULT_FOLLOW_SECONDS,
            "--for",
            min=1,
            max=3600,
            help="With --follow: stop after this many seconds.",
        ),  # fmt: skip
        host: str | None = typer.Option(None, help="Which Docker host (several configured)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    ) -> None:
        """Show a container's logs; --follow streams new lines until --for seconds pass, the
        tail cap is reached, the container stops, or Ctrl-C."""
        from dockerdeployer.chat_cli import cli_actor
        from dockerdeployer.wiring import build_gateway
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        gateway = build_gateway(Settings())
        args: dict[str, object] = {"container": container, "tail": tail}
        args |= {k: v for k, v in {"since": since, "grep": grep, "host": host}.items() if v}
        if not follow:
            outcome = gateway.call(cli_actor(), "container_logs", args)
            _fail_unless_executed(outcome, as_json)
            text = outcome.result["text"]
            lines = text.splitlines() if text else []
        else:
            followed = gateway.follow_logs(cli_actor(), {**args, "seconds": seconds})
            _fail_unless_executed(followed.outcome, as_json)
            lines = followed.lines
        try:
            for line in lines:
                print(json.dumps({"line": line}) if as_json else line, flush=True)
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _fail_unless_executed(outcome: CallOutcome, as_json: bool) -> None:
    if outcome.status == "executed":
        return
    if as_json:
        print(json.dumps({"error": str(outcome.error_code), "detail": outcome.message}))
    else:
        print(f"error: {outcome.message}", file=sys.stderr)
    raise typer.Exit(1)
