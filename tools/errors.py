"""One exception tree for the whole product; each boundary translates it, nothing else leaks.

`code` is a stable slug for API clients, one of `ErrorCode`; `message` is written for a person
(and the model). The HTTP status an error answers with belongs to its code, so a new error cannot
reach a client without one.
"""

from __future__ import annotations

from enum import StrEnum, unique
from http import HTTPStatus


@unique
class ErrorCode(StrEnum):
    """Every `code` a client can receive (`{"detail", "code"}`), with its HTTP status."""

    status: HTTPStatus

    def __new__(cls, code: str, status: HTTPStatus | None = None) -> ErrorCode:
        # The default exists only so lookups by value (`ErrorCode("denied")`) type-check:
        # a member defined without a status fails at import.
        if status is None:
            raise TypeError(f"error code {code!r} needs an HTTP status")
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        return member

    ERROR = "error", HTTPStatus.BAD_REQUEST  # nothing more specific is known
    INVALID_ARGUMENTS = "invalid_arguments", HTTPStatus.UNPROCESSABLE_ENTITY
    ENGINE_UNAVAILABLE = "engine_unavailable", HTTPStatus.SERVICE_UNAVAILABLE
    ENGINE_PERMISSION_DENIED = "engine_permission_denied", HTTPStatus.SERVICE_UNAVAILABLE
    ENGINE_TIMEOUT = "engine_timeout", HTTPStatus.GATEWAY_TIMEOUT
    ENGINE_ERROR = "engine_error", HTTPStatus.BAD_GATEWAY
    NOT_FOUND = "not_found", HTTPStatus.NOT_FOUND
    CONTAINER_NOT_FOUND = "container_not_found", HTTPStatus.NOT_FOUND
    IMAGE_NOT_FOUND = "image_not_found", HTTPStatus.NOT_FOUND
    SERVICE_NOT_FOUND = "service_not_found", HTTPStatus.NOT_FOUND
    CONFLICT = "conflict", HTTPStatus.CONFLICT
    NOT_SWARM_MANAGER = "not_swarm_manager", HTTPStatus.CONFLICT
    UPDATE_ROLLED_BACK = "update_rolled_back", HTTPStatus.CONFLICT
    DENIED = "denied", HTTPStatus.FORBIDDEN
    UNKNOWN_TOOL = "unknown_tool", HTTPStatus.FORBIDDEN
    APPROVAL_ERROR = "approval_error", HTTPStatus.CONFLICT
    APPROVAL_NOT_FOUND = "approval_not_found", HTTPStatus.NOT_FOUND
    APPROVAL_EXPIRED = "approval_expired", HTTPStatus.GONE
    APPROVAL_ALREADY_DECIDED = "approval_already_decided", HTTPStatus.CONFLICT
    APPROVAL_FORBIDDEN = "approval_forbidden", HTTPStatus.FORBIDDEN
    APPROVAL_TARGET_CHANGED = "approval_target_changed", HTTPStatus.CONFLICT
    COMPOSE_UNAVAILABLE = "compose_unavailable", HTTPStatus.SERVICE_UNAVAILABLE
    MODEL_UNAVAILABLE = "model_unavailable", HTTPStatus.SERVICE_UNAVAILABLE
    THREAD_FORBIDDEN = "thread_forbidden", HTTPStatus.FORBIDDEN
    # Answered by the HTTP layer itself, not raised as a DockerDeployerError.
    INVALID_REQUEST = "invalid_request", HTTPStatus.UNPROCESSABLE_ENTITY
    UNAUTHENTICATED = "unauthenticated", HTTPStatus.UNAUTHORIZED
    FORBIDDEN = "forbidden", HTTPStatus.FORBIDDEN
    METHOD = "method", HTTPStatus.METHOD_NOT_ALLOWED
    TOO_LARGE = "too_large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    RATE_LIMITED = "rate_limited", HTTPStatus.TOO_MANY_REQUESTS
    INTERNAL = "internal", HTTPStatus.INTERNAL_SERVER_ERROR


class DockerDeployerError(Exception):
    code: ErrorCode = ErrorCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def status(self) -> HTTPStatus:
        return self.code.status


class InvalidArguments(DockerDeployerError):
    code = ErrorCode.INVALID_ARGUMENTS


class EngineUnavailable(DockerDeployerError):
    """The Docker engine cannot be reached (socket missing, daemon stopped, bad host URL)."""

    code = ErrorCode.ENGINE_UNAVAILABLE


class EnginePermissionDenied(EngineUnavailable):
    """The socket exists but this user may not open it; the message carries the fix."""

    code = ErrorCode.ENGINE_PERMISSION_DENIED


class EngineTimeout(DockerDeployerError):
    code = ErrorCode.ENGINE_TIMEOUT


class NotFound(DockerDeployerError):
    code = ErrorCode.NOT_FOUND


class ContainerNotFound(NotFound):
    code = ErrorCode.CONTAINER_NOT_FOUND


class ImageNotFound(NotFound):
    code = ErrorCode.IMAGE_NOT_FOUND


class Conflict(DockerDeployerError):
    """The engine refused because of current state: name in use, port taken, image in use."""

    code = ErrorCode.CONFLICT


class EngineError(DockerDeployerError):
    """The engine answered with an error we have no better name for."""

    code = ErrorCode.ENGINE_ERROR


class PolicyDenied(DockerDeployerError):
    code = ErrorCode.DENIED


class UnknownTool(PolicyDenied):
    code = ErrorCode.UNKNOWN_TOOL


class ApprovalError(DockerDeployerError):
    code = ErrorCode.APPROVAL_ERROR


class ApprovalNotFound(ApprovalError):
    code = ErrorCode.APPROVAL_NOT_FOUND


class ApprovalExpired(ApprovalError):
    code = ErrorCode.APPROVAL_EXPIRED


class ApprovalAlreadyDecided(ApprovalError):
    code = ErrorCode.APPROVAL_ALREADY_DECIDED


class ApprovalForbidden(ApprovalError):
    code = ErrorCode.APPROVAL_FORBIDDEN


class ApprovalTargetChanged(ApprovalError):
    """What the approval named is no longer what the call would act on (the gateway's re-plan
    before an approved call runs found other targets, arguments or options)."""

    code = ErrorCode.APPROVAL_TARGET_CHANGED
