"""One exception tree for the whole product; each boundary translates it, nothing else leaks.

`code` is a stable slug for API clients; `message` is written for a person (and the model).
"""

from __future__ import annotations


class DockerDeployerError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArguments(DockerDeployerError):
    code = "invalid_arguments"


class EngineUnavailable(DockerDeployerError):
    """The Docker engine cannot be reached (socket missing, daemon stopped, bad host URL)."""

    code = "engine_unavailable"


class EnginePermissionDenied(EngineUnavailable):
    """The socket exists but this user may not open it; the message carries the fix."""

    code = "engine_permission_denied"


class EngineTimeout(DockerDeployerError):
    code = "engine_timeout"


class NotFound(DockerDeployerError):
    code = "not_found"


class ContainerNotFound(NotFound):
    code = "container_not_found"


class ImageNotFound(NotFound):
    code = "image_not_found"


class Conflict(DockerDeployerError):
    """The engine refused because of current state: name in use, port taken, image in use."""

    code = "conflict"


class EngineError(DockerDeployerError):
    """The engine answered with an error we have no better name for."""

    code = "engine_error"


class PolicyDenied(DockerDeployerError):
    code = "denied"


class UnknownTool(PolicyDenied):
    code = "unknown_tool"


class ApprovalError(DockerDeployerError):
    code = "approval_error"


class ApprovalNotFound(ApprovalError):
    code = "approval_not_found"


class ApprovalExpired(ApprovalError):
    code = "approval_expired"


class ApprovalAlreadyDecided(ApprovalError):
    code = "approval_already_decided"


class ApprovalForbidden(ApprovalError):
    code = "approval_forbidden"


class ApprovalTargetChanged(ApprovalError):
    """What the approval named is no longer what the call would act on."""

    code = "approval_target_changed"
