"""`serve`, `ui`, `up`, `users add`, `tokens create`: running the product and its accounts."""

from __future__ import annotations

import getpass
import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from api.accounts import Accounts
    from foundation.settings import Settings


users_app = typer.Typer(help="Console and API users.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bot tokens for the API.", no_args_is_help=True)


def _accounts(settings: Settings) -> Accounts:
    from api.accounts import Accounts
    from dockerdeployer.wiring import build_sessions

    return Accounts(build_sessions(settings))


def ensure_first_admin(settings: Settings) -> None:
    """No default password: on the very first start, make `admin` and show its password once."""
    accounts = _accounts(settings)
    if accounts.has_users():
        return
    password = secrets.token_urlsafe(12)
    accounts.add_user("admin", password, "admin")
    print("=" * 72)
    print("First start: created user 'admin' with password (shown only this once):")
    print(f"    {password}")
    print("Add more with: dockerdeployer users add NAME --role operator")
    print("=" * 72, flush=True)


def ui_script() -> Path:
    """The console's entry script in the installed `ui` package (located, not imported: the
    streamlit process runs it, and it imports `ui` as an installed package)."""
    spec = importlib.util.find_spec("ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("the `ui` package is not installed: pip install -e .")
    return Path(spec.origin).with_name("app.py")


def _ui_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DOCKERDEPLOYER_API_URL": settings.resolved_api_url}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ui_script()),
        "--server.port", str(settings.ui_port), "--server.address", settings.ui_host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",  # no "Deploy" button, also on the first paint
    ]  # fmt: skip
    return subprocess.Popen(command, env=env)


def report_engine(settings: Settings) -> None:
    """Say at start-up whether the engine answers, and if not the fix (the API starts anyway)."""
    from dockerdeployer.wiring import build_engine
    from tools.engine import diagnose

    diagnosis = diagnose(build_engine(settings))
    if diagnosis.reachable:
        print(f"Docker engine {diagnosis.version} at {diagnosis.host}", flush=True)
    else:
        print(f"WARNING: Docker engine not reachable: {diagnosis.problem}", flush=True)
        print(f"WARNING: fix: {diagnosis.fix}", flush=True)


def _serve(settings: Settings) -> None:
    import uvicorn

    from dockerdeployer.wiring import build_app

    report_engine(settings)
    uvicorn.run(build_app(settings), host=settings.api_host, port=settings.api_port)


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="Bind address (default 127.0.0.1)."),
        port: int = typer.Option(None, help="Port (default 8000)."),
    ) -> None:
        """Run the HTTP API (OpenAPI at /docs)."""
        from foundation.settings import load_settings

        settings = load_settings(api_host=host, api_port=port)
        ensure_first_admin(settings)
        _serve(settings)

    @app.command()
    def ui(
        host: str = typer.Option(None, help="Bind address (default 127.0.0.1)."),
        port: int = typer.Option(None, help="Port (default 8501)."),
    ) -> None:
        """Run the web console (it talks to the API at DOCKERDEPLOYER_API_URL)."""
        from foundation.settings import load_settings

        settings = load_settings(ui_host=host, ui_port=port)
        raise typer.Exit(_ui_process(settings).wait())

    @app.command()
    def up(
        port: int = typer.Option(None, help="API port (default 8000)."),
        ui_port: int = typer.Option(None, help="Console port (default 8501)."),
    ) -> None:
        """The main job: API and web console on localhost, with embedded defaults."""
        from foundation.settings import load_settings

        settings = load_settings(api_port=port, ui_port=ui_port)
        ensure_first_admin(settings)
        console = _ui_process(settings)
        print(f"Console: http://127.0.0.1:{settings.ui_port}")
        print(f"API:     {settings.resolved_api_url}/docs")
        print(f"State:   {settings.home}")
        try:
            _serve(settings)
        finally:
            console.terminate()
            console.wait(timeout=10)

    @users_app.command("add")
    def users_add(
        name: str,
        role: str = typer.Option(..., help="viewer, operator or admin."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password."),
    ) -> None:
        """Add a user. Without --password-stdin: asked for on a terminal, else generated."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Again: "):
                print("passwords differ", file=sys.stderr)
                raise typer.Exit(1)
        else:
            password = secrets.token_urlsafe(12)
            print(f"generated password (shown once): {password}")
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        try:
            _accounts(Settings()).add_user(name, password, role)
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        print(f"added {name} ({role})")

    @tokens_app.command("create")
    def tokens_create(
        name: str, role: str = typer.Option(..., help="viewer, operator or admin.")
    ) -> None:
        """Create a bot token; it is shown once and stored hashed."""
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        try:
            token = _accounts(Settings()).create_token(name, role, getpass.getuser())
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        print(f"token for {name} ({role}), shown once:\n{token['token']}")

    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
