"""MCP settings (`DOCKERDEPLOYER_MCP_*`, or lines in `.env`), beside the product's `Settings`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.settings import Settings
from tools.guard.policy import Role


class McpSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DOCKERDEPLOYER_MCP_", env_file=".env", extra="ignore"
    )

    user: str | None = Field(
        default=None,
        description="Account the stdio server acts as (its role applies). Unset: the invoking OS "
        "user, as `os:<login>`, with `role` below.",
    )
    role: Role = Field(
        default=Role.VIEWER,
        description="Role of the invoking OS user when no account is named (never an implicit "
        "admin: viewer unless configured).",
    )
    console_url: str | None = Field(
        default=None, description="Where approval links point; default the local console."
    )
    poll_seconds: float = Field(
        default=2.0, gt=0, le=60, description="How often subscribed resources are checked."
    )

    def resolved_console_url(self, settings: Settings) -> str:
        if self.console_url:
            return self.console_url.rstrip("/")
        host = "127.0.0.1" if settings.ui_host in ("0.0.0.0", "::") else settings.ui_host
        return f"http://{host}:{settings.ui_port}"
