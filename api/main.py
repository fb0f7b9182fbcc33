"""The FastAPI app: auth, containers, chat (+SSE), approvals, audit, users and tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

import foundation
from api import errors
from api.routes import admin, approvals, audit, auth, chat, containers, health, system
from api.services import Services
from tools.errors import ErrorCode

if TYPE_CHECKING:
    from api.mcp.server import McpEndpoint


class BodyLimit:
    """Refuse bodies over the limit, declared (Content-Length) or streamed (chunked)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(
            errors.error_body(f"request body over {self.max_bytes} bytes", ErrorCode.TOO_LARGE)
        ).encode()
        await send({"type": "http.response.start", "status": ErrorCode.TOO_LARGE.status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class _TooLarge(StarletteHTTPException):
    """An HTTPException, so FastAPI's body reader passes it on (it turns any other error while
    reading into a 400) and the error handlers answer 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body over {max_bytes} bytes")


def create_app(services: Services, mcp: McpEndpoint | None = None) -> FastAPI:
    """The app over services built by the composition root (`dockerdeployer.wiring.build_app`);
    with `mcp`, the MCP endpoint at `/mcp`, its session manager run in the app's lifespan."""
    settings = services.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if mcp is None:
            yield
            return
        async with mcp.running():
            yield

    app = FastAPI(
        title="DockerDeployer API",
        version=foundation.__version__,
        description="Operate Docker in plain language; every change previewed, approved, audited.",
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    api = APIRouter(prefix="/api")
    for module in (auth, health, containers, system, chat, approvals, audit, admin):
        api.include_router(module.router)
    app.include_router(api)
    if mcp is not None:
        # An ASGI endpoint, not a FastAPI route: the MCP transport answers the whole exchange.
        app.router.routes.append(Route("/mcp", mcp, include_in_schema=False))
    return app
