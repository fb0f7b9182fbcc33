"""One settings object for every layer: environment variables `DOCKERDEPLOYER_*` and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "dockerdeployer"


# NoDecode: a list setting is written "a,b,c" in the environment, not as JSON.
CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCKERDEPLOYER_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="State directory.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under `home` when unset."
    )
    docker_host: str | None = Field(
        default=None,
        description="Engine URL; unset means the docker SDK's conventions (DOCKER_HOST, TLS vars).",
    )
    docker_timeout: float = Field(default=30.0, gt=0)
    hosts: CsvList = Field(
        default_factory=list,
        description="Named engines 'name=url,...' (unix://, ssh://, tcp://); unset: one host.",
    )
    compose_dirs: CsvList = Field(
        default_factory=list, description="Directories whose compose projects may be used."
    )

    # Guard policy.
    protected_names: CsvList = Field(
        default_factory=list, description="Glob patterns of containers no tool may change."
    )
    protected_labels: CsvList = Field(
        default_factory=list, description="`key` or `key=value` labels that protect a container."
    )
    auto_approve_roles: CsvList = Field(
        default_factory=list,
        description="Roles whose `change` calls run without confirmation (never destructive ones).",
    )
    approval_ttl_seconds: int = Field(default=600, ge=10, le=86_400)
    second_person: Literal["off", "destructive", "change"] = Field(
        default="off",
        description="Never let the requester approve their own request: for destructive "
        "actions, for every change, or off (one person may run a homelab alone).",
    )

    # Hard denials at the engine boundary (the allow-list; see the README's security notes).
    bind_roots: CsvList = Field(
        default_factory=list,
        description="Host directories under which containers may bind host paths; unset: "
        "named volumes only (plus each compose project's own directory).",
    )
    seccomp_profiles: CsvList = Field(
        default_factory=list, description="Named seccomp profiles allowed besides the default."
    )
    apparmor_profiles: CsvList = Field(
        default_factory=lambda: ["docker-default"],
        description="AppArmor profiles a container may name.",
    )
    allow_container_namespaces: bool = Field(
        default=False,
        description="Allow `container:<name>` network/ipc sharing with unprotected containers.",
    )

    # Output caps, so a chatty container cannot flood the model or the API.
    log_tail_max: int = Field(default=1000, ge=1)
    output_bytes_max: int = Field(default=32_000, ge=1_000)
    # A followed log stream (CLI --follow, SSE) ends after this long or this many lines.
    follow_seconds_max: int = Field(default=3600, ge=1)
    follow_lines_max: int = Field(default=100_000, ge=1)

    # Model endpoint; unset means the built-in offline rules planner.
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    model_timeout: float = Field(default=60.0, gt=0)
    model_max_retries: int = Field(default=2, ge=0)
    model_tool_choice: str | None = Field(
        default=None,
        description="Force a tool call on the first model call of each turn: `required` (any "
        "tool), or a tool's name; unset = the model decides. For small local models that "
        "otherwise answer in prose (llama.cpp's chatml-function-calling takes a tool name).",
    )

    # API and console.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    ui_host: str = "127.0.0.1"
    ui_port: int = Field(default=8501, ge=1, le=65535)
    api_url: str | None = Field(default=None, description="Where the console finds the API.")
    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 key (>= 32 bytes); generated under `home` when unset."
    )
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    jwt_issuer: str = "dockerdeployer"
    jwt_audience: str = "dockerdeployer-api"
    login_attempts: int = Field(default=5, ge=1, description="Failures per window before 429.")
    login_window_seconds: int = Field(default=300, ge=1)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    @field_validator(
        "protected_names", "protected_labels", "auto_approve_roles", "hosts", "compose_dirs",
        "bind_roots", "seccomp_profiles", "apparmor_profiles",
        mode="before",
    )
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def host_urls(self) -> dict[str, str | None]:
        """name -> engine URL; one host named 'local' (SDK conventions) when none are set."""
        if not self.hosts:
            return {"local": self.docker_host}
        urls: dict[str, str | None] = {}
        for item in self.hosts:
            name, sep, url = item.partition("=")
            if not sep or not name.strip() or not url.strip():
                raise ValueError(f"DOCKERDEPLOYER_HOSTS entry {item!r} is not name=url")
            urls[name.strip()] = url.strip()
        return urls

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'state.db'}"

    @property
    def resolved_api_url(self) -> str:
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::") else self.api_host
        return self.api_url or f"http://{host}:{self.api_port}"

    def protected_paths(self) -> list[Path]:
        """What no container may ever bind: the state directory (JWT secret, database) and the
        settings file it may have been read from."""
        paths = [self.home.expanduser()]
        if self.database_url is None or self.database_url.startswith("sqlite:///"):
            paths.append(Path(self.resolved_database_url.removeprefix("sqlite:///")).parent)
        env_file = Path(".env").absolute()
        if env_file.exists():
            paths.append(env_file)
        return paths

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.home


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `.env`, with command-line flags (those given) on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
