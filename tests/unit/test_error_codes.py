"""Error codes are one enum carrying their HTTP status: every error class names a member, no
code is spelled as a bare string, and the API answers each code with its status."""

from __future__ import annotations

import ast
from http import HTTPStatus
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import agent.errors
import api.routes.outcomes
import tools.compose_cli
import tools.guard.boundary
from api import errors as api_errors
from tools.catalogue import all_tools
from tools.errors import ApprovalTargetChanged, DockerDeployerError, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tools", "agent", "api", "dockerdeployer")


def error_classes() -> list[type[DockerDeployerError]]:
    all_tools()  # registers every catalogue module, and with it the errors they define
    assert agent.errors and api.routes.outcomes and tools.compose_cli and tools.guard.boundary
    found: list[type[DockerDeployerError]] = []
    todo: list[type[DockerDeployerError]] = [DockerDeployerError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_a_code_with_a_client_or_server_error_status() -> None:
    classes = error_classes()
    assert len(classes) > 20, [c.__name__ for c in classes]
    for cls in classes:
        assert isinstance(cls.code, ErrorCode), cls
        assert 400 <= cls.code.status < 600, cls


def test_every_code_has_a_status_and_a_member_without_one_is_refused() -> None:
    for code in ErrorCode:
        assert isinstance(code.status, HTTPStatus), code
    assert ErrorCode("approval_target_changed") is ApprovalTargetChanged.code
    # What the class statement ran for each member: one written without a status is refused.
    with pytest.raises(TypeError, match="needs an HTTP status"):
        ErrorCode._new_member_(ErrorCode, "orphan")  # type: ignore[attr-defined]


def _string_codes(source: str, where: str) -> list[str]:
    """`code = "..."`, `error_code="..."` and `error_code == "..."` spelled as literals."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "code" in names and isinstance(node.value.value, str):
                found.append(f"{where}:{node.lineno}")
        elif isinstance(node, ast.keyword) and node.arg == "error_code":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.append(f"{where}:{node.lineno}")
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
            constants = [c for c in node.comparators if isinstance(c, ast.Constant)]
            if node.left.attr in ("code", "error_code") and any(
                isinstance(c.value, str) for c in constants
            ):
                found.append(f"{where}:{node.lineno}")
    return found


def test_no_error_code_is_spelled_as_a_string() -> None:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 50
    offenders = [hit for path in files for hit in _string_codes(path.read_text(), str(path))]
    assert not offenders, offenders


def test_the_scan_finds_codes_spelled_as_strings() -> None:
    source = (
        'class E(Exception):\n    code = "x"\n'
        'CallOutcome(error_code="denied")\n'
        'if outcome.error_code == "target_changed": pass\n'
        "if outcome.error_code is None or exc.code is ErrorCode.DENIED: pass\n"
    )
    assert sorted(_string_codes(source, "s")) == ["s:2", "s:3", "s:4"]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    api_errors.install(app)

    @app.get("/raise/{code}")
    def raise_code(code: str) -> None:
        error = DockerDeployerError(f"raised {code}")
        error.code = ErrorCode(code)
        raise error

    return TestClient(app)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_the_api_answers_each_code_with_its_status(client: TestClient, code: ErrorCode) -> None:
    response = client.get(f"/raise/{code.value}")
    assert response.status_code == code.status
    assert response.json() == {"detail": f"raised {code.value}", "code": code.value}
