"""A gateway outcome as an HTTP response: 200 done, 202 awaiting approval, 4xx/5xx refused."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from api.schemas import ActionExecutedPublic, ActionPendingPublic
from tools.errors import DockerDeployerError, ErrorCode
from tools.gateway import CallOutcome


def read_result(outcome: CallOutcome) -> Any:
    if outcome.status != "executed":
        raise _error(outcome)
    return outcome.result


def action_response(outcome: CallOutcome) -> JSONResponse:
    if outcome.status == "executed":
        done = ActionExecutedPublic(status="executed", result=outcome.result)
        return JSONResponse(done.model_dump(mode="json"), status_code=200)
    if outcome.status == "pending_approval":
        pending = ActionPendingPublic(status="pending_approval", approval=outcome.approval)
        return JSONResponse(pending.model_dump(mode="json"), status_code=202)
    raise _error(outcome)


class OutcomeError(DockerDeployerError):
    """A refused or failed call, keeping the gateway's error code for the response."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code


def _error(outcome: CallOutcome) -> OutcomeError:
    fallback = ErrorCode.DENIED if outcome.status == "denied" else ErrorCode.ERROR
    code = outcome.error_code or fallback
    return OutcomeError(outcome.message, code)
