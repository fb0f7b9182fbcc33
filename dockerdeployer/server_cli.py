"""`serve`, `ui`, `up`, `users add|list|passwd|disable`, `tokens create|list|revoke`: running the
product and its accounts."""

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


FIRST_PASSWORD_FILE = "first-admin-password"


def ensure_first_admin(settings: Settings) -> None:
    """No default password: on the very first start, make `admin` with a generated password.

    It is printed only on a terminal (the one that ran `up`); without one (a container, a
    service manager) stdout ends up in a log anyone with `docker logs` reads, so it goes to a
    file only the product's user can read, and the log says where. Changing the password
    (`POST /api/auth/password`, `users passwd`) deletes that file."""
    accounts = _accounts(settings)
    if accounts.has_users():
        return
    password = secrets.token_urlsafe(12)
    accounts.add_user("admin", password, "admin")
    print("=" * 72)
    if sys.stdout.isatty():
        print("First start: created user 'admin' with password (shown only this once):")
        print(f"    {password}")
    else:
        path = Path(settings.ensure_home()) / FIRST_PASSWORD_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        print("First start: created user 'admin'. Its password is not logged; read it with")
        print(f"    cat {path}")
        print("(in compose: docker compose exec api cat ...), then change it: it is deleted")
        print("when the password changes.")
    print("Add more with: dockerdeployer users add NAME --role operator")
    print("=" * 72, flush=True)


def forget_first_password(settings: Settings) -> None:
    path = Path(settings.home) / FIRST_PASSWORD_FILE
    path.unlink(missing_ok=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        print("no terminal: use --password-stdin", file=sys.stderr)
        raise typer.Exit(1)
    password = getpass.getpass("New password: ")
    if password != getpass.getpass("Again: "):
        print("passwords differ", file=sys.stderr)
        raise typer.Exit(1)
    return password


def _expire_requests_of(accounts: Accounts, requested_by: str, reason: str) -> int:
    from tools.approvals import ApprovalStore
    from tools.audit import AuditLog
    from tools.gateway import expire_requests_of

    audit = AuditLog(accounts.sessions)
    try:
        approvals = ApprovalStore(accounts.sessions)
        return len(expire_requests_of(approvals, audit, requested_by, reason))
    finally:
        audit.reads.close()


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

    @users_app.command("list")
    def users_list() -> None:
        """Users, their roles and whether they are disabled."""
        from foundation.settings import Settings

        for user in _accounts(Settings()).list_users():
            state = "disabled" if user["disabled"] else "active"
            print(f"{user['name']:<24} {user['role']:<9} {state:<9} {user['created_at']}")

    @users_app.command("passwd")
    def users_passwd(
        name: str,
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password."),
    ) -> None:
        """Set a user's password (asked for on a terminal); every session of theirs ends."""
        password = _read_password(password_stdin)
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        settings = Settings()
        try:
            _accounts(settings).set_password(name, password)
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        if name == "admin":
            forget_first_password(settings)
        print(f"password of {name} changed; their sessions have ended")

    @users_app.command("disable")
    def users_disable(name: str) -> None:
        """Disable a user: their sessions end and their pending requests expire."""
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        settings = Settings()
        accounts = _accounts(settings)
        try:
            accounts.update_user(name, None, True)
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        ended = _expire_requests_of(accounts, name, f"user {name} disabled")
        print(f"disabled {name}; {ended} pending request(s) expired")

    @tokens_app.command("list")
    def tokens_list() -> None:
        """Bot tokens (never the secrets themselves)."""
        from foundation.settings import Settings

        for token in _accounts(Settings()).list_tokens():
            state = "revoked" if token["revoked"] else "active"
            used = token["last_used_at"] or "never used"
            print(f"{token['id']}  {token['name']:<20} {token['role']:<9} {state:<8} {used}")

    @tokens_app.command("revoke")
    def tokens_revoke(token_id: str) -> None:
        """Revoke a bot token by ID (see `tokens list`); its pending requests expire."""
        from foundation.settings import Settings
        from tools.errors import DockerDeployerError

        accounts = _accounts(Settings())
        try:
            bot = accounts.revoke_token(token_id)
        except DockerDeployerError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            raise typer.Exit(1) from None
        ended = _expire_requests_of(accounts, bot, f"token {token_id} revoked")
        print(f"revoked {token_id}; {ended} pending request(s) expired")

    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
