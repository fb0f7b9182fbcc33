"""`dockerdeployer chat`: one request (or an interactive session) through the same agent,
guard and approvals as the API. Exit code 3: an approval is pending and nothing was changed."""

from __future__ import annotations

import contextlib
import gc
import getpass
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from foundation.settings import Settings
    from tools.guard.policy import Actor

EXIT_PENDING = 3


def cli_actor() -> Actor:
    """The invoking OS user: whoever can run this already has the engine's socket and the DB."""
    from tools.guard.policy import Actor, Role

    role = Role(os.environ.get("DOCKERDEPLOYER_CLI_ROLE", "admin"))
    return Actor(getpass.getuser(), role)


def _card(approval: dict[str, Any]) -> str:
    lines = [f"Approval needed ({approval['risk']}): {approval['summary']}"]
    lines.append(f"  command: {approval['command']}")
    lines += [f"  - {line}" for line in approval.get("impact", [])]
    return "\n".join(lines)


def _decide(gateway: Any, approval_id: str, actor: Actor, approve: bool) -> None:
    """Decide; on a terminal, an approved deploy's image pull is shown as it goes (stderr)."""
    from tools.progress import watching

    def show(progress: dict[str, Any]) -> None:
        done, total = progress.get("current") or 0, progress.get("total") or 0
        size = f" {done / 2**20:.1f}/{total / 2**20:.1f} MiB" if total else ""
        line = f"pulling {progress.get('image')}: {progress.get('status')}{size}"
        print(f"\r\033[K{line[:120]}", end="", file=sys.stderr, flush=True)

    reason = None if approve else "declined"
    if not sys.stderr.isatty():
        gateway.decide(approval_id, actor, approve, reason)
        return
    try:
        with watching(show):
            gateway.decide(approval_id, actor, approve, reason)
    finally:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _ask(prompt: str) -> bool:
    try:
        return input(f"{prompt} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


@contextlib.contextmanager
def start_up() -> Iterator[None]:
    """Import and build without the cyclic garbage collector, then freeze what was built.

    Loading the agent makes a few hundred thousand long-lived objects (library modules, pydantic
    schemas, the graph); collecting while they are made finds next to nothing yet costs about a
    sixth of a one-shot request's CPU. Frozen, they are skipped by every later collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def run_chat(
    settings: Settings,
    request: str | None,
    *,
    as_json: bool,
    dry_run: bool,
    yes: bool,
    thread: str | None,
) -> int:
    with start_up():
        from agent.factory import build_assistant
        from dockerdeployer.wiring import build_gateway
        from tools.errors import ApprovalForbidden, DockerDeployerError

        gateway = build_gateway(settings)
        assistant = build_assistant(settings, gateway)
    actor = cli_actor()
    interactive = sys.stdin.isatty() and not as_json
    if request is None:
        if not sys.stdin.isatty():
            request = sys.stdin.read()
        else:
            return _repl(assistant, gateway, actor, dry_run=dry_run, yes=yes)
    try:
        result = assistant.chat(actor, request, thread_id=thread, dry_run=dry_run)
        calls = [c for c in result.tool_calls if c["status"] != "pending_approval"]
        blocked: str | None = None  # a second person must approve: the request stays pending
        while result.approvals and blocked is None and (yes or interactive):
            for approval in result.approvals:
                if not yes:
                    print(_card(approval))
                approve = yes or _ask("Run it?")
                try:
                    _decide(gateway, approval["id"], actor, approve)
                except ApprovalForbidden as exc:
                    blocked = exc.message
                    break
            if blocked is None:
                result = assistant.resume(actor, result.thread_id)
                calls += [c for c in result.tool_calls if c["status"] != "pending_approval"]
        if blocked and not as_json:
            print(f"not approved: {blocked}", file=sys.stderr)
        calls += [c for c in result.tool_calls if c["status"] == "pending_approval"]
    except DockerDeployerError as exc:
        if as_json:
            print(json.dumps({"error": exc.code, "detail": exc.message}))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if as_json:
        out = {
            "thread_id": result.thread_id,
            "reply": result.reply,
            "tool_calls": calls,
            "approvals": result.approvals,
        }
        print(json.dumps(out, indent=2, default=str))
    else:
        print(result.reply)
        for approval in result.approvals:
            print(_card(approval))
        if result.approvals:
            print(
                "Nothing was changed. Approve with --yes, in the console, or via the API "
                f"(POST /api/approvals/{result.approvals[0]['id']})."
            )
    return EXIT_PENDING if result.approvals else 0


def _repl(assistant: Any, gateway: Any, actor: Actor, *, dry_run: bool, yes: bool) -> int:
    from tools.errors import DockerDeployerError

    print("DockerDeployer chat. Ask about your containers; an empty line or Ctrl-D quits.")
    thread: str | None = None
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not line:
            return 0
        try:
            result = assistant.chat(actor, line, thread_id=thread, dry_run=dry_run)
            thread = result.thread_id
            while result.approvals:
                for approval in result.approvals:
                    print(_card(approval))
                    approve = yes or _ask("Run it?")
                    _decide(gateway, approval["id"], actor, approve)
                result = assistant.resume(actor, thread)
            print(f"assistant> {result.reply}")
        except DockerDeployerError as exc:
            print(f"error: {exc.message}")


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        request: str | None = typer.Argument(None, help="The request; omit for a session."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Plan only; change nothing."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Approve as the invoking user."),
        thread: str | None = typer.Option(None, "--thread", help="Continue a thread."),
        model: str | None = typer.Option(None, help="Model name (OpenAI-compatible)."),
        base_url: str | None = typer.Option(None, help="Model endpoint base URL."),
        api_key: str | None = typer.Option(None, help="Model API key (or env)."),
    ) -> None:
        """Ask in plain language; changes are previewed and wait for confirmation."""
        from foundation.settings import load_settings

        settings = load_settings(model=model, base_url=base_url, api_key=api_key)
        raise typer.Exit(
            run_chat(settings, request, as_json=as_json, dry_run=dry_run, yes=yes, thread=thread)
        )
