"""Errors of the agent layer, in the project's one exception tree."""

from __future__ import annotations

from tools.errors import DockerDeployerError, ErrorCode


class ModelUnavailable(DockerDeployerError):
    """The model endpoint is down, refused the key, or does not know the model."""

    code = ErrorCode.MODEL_UNAVAILABLE


class ThreadForbidden(DockerDeployerError):
    code = ErrorCode.THREAD_FORBIDDEN
