"""Schemathesis over /openapi.json as an admin: no generated request may cause a server error.

Chat endpoints stay in: the module's scripted model answers plain text when nothing is scripted.
Bounded (a few examples per operation) so it runs in seconds against the real engine.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from api.services import Services  # noqa: E402

MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def admin_bot(services: Services) -> dict[str, str]:
    # A bot token, so generated calls (logout, disabling users) cannot sign the fuzzer out.
    token = services.accounts.create_token("fuzzer", "admin", "alice")["token"]
    return {"Authorization": f"Bearer {token}"}


def test_no_operation_answers_with_a_server_error(client: Any, admin_bot: dict[str, str]) -> None:
    # (schemathesis.pytest.from_fixture does not work with pytest 9, so operations are walked
    # here; each still gets its own Hypothesis run.)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = fuzz(operation, mode, admin_bot)
            if failure:
                failures.append(failure)

    assert not failures, "\n\n".join(failures)


def fuzz(operation: Any, mode: Any, headers: dict[str, str]) -> str | None:
    """Run one operation's examples; the failure as text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        # A copy: schemathesis adds its own headers to the dict it is given.
        case.call_and_validate(headers=dict(headers), checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        return None  # nothing to get wrong (e.g. no negative input exists for GET /api/health)
    except Exception as exc:  # collect every operation's failure, then report them all
        return f"{operation.label} ({mode.value}): {exc}"
    return None


# --- boundary values for every date, duration, integer and path parameter ---------------------

DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31",
         "1970-01-01T00:00:00Z", "2100-01-01T00:00:01Z", "-1", "99999999999999999999"]  # fmt: skip
DURATIONS = ["0s", "999999999d", "3651d", "-1s", "1e308", "0001-01-01T00:00:00+14:00",
             "9999-12-31T23:59:59-14:00", "nan"]  # fmt: skip
PATHS = ["..", "%2e%2e%2f", "a" * 300, "nul\x00byte".replace("\x00", "%00"), "ü", " ", "-1",
         "9" * 40]  # fmt: skip
DURATION_NAMES = {"since", "until", "timeout", "wait"}


def boundary_values(param: dict[str, Any]) -> list[Any]:
    schema = param.get("schema") or {}
    variants = schema.get("anyOf") or [schema]
    types = {v.get("type") for v in variants}
    formats = {v.get("format") for v in variants}
    if param["in"] == "path":
        return PATHS
    if "date-time" in formats:
        return DATES
    if "integer" in types or "number" in types:
        found: list[Any] = [0, -1, 2**31, 2**63, -(2**63), 10**30, "1.5", "x"]
        for v in variants:
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if key in v:
                    found += [v[key] - 1, v[key], v[key] + 1]
        return found
    if param["name"] in DURATION_NAMES:
        return DURATIONS
    return []


def test_boundary_values_never_answer_5xx(client: Any, admin_bot: dict[str, str]) -> None:
    """Every date, duration, integer and path parameter at and past its bounds, one probe per
    fresh connection (TESTING.md: after a 500 the connection is gone): a 4xx or a 2xx, never a
    5xx, and bad input is never called an engine fault."""
    from fastapi.testclient import TestClient

    document = client.get("/openapi.json").json()
    failures: list[str] = []
    probes = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method not in ("get", "delete") or "stream" in path:
                continue  # bodies are schemathesis' job; GET/DELETE carry the parameters
            params = operation.get("parameters", [])
            for param in params:
                for value in boundary_values(param):
                    url = path
                    query: dict[str, Any] = {}
                    for other in params:
                        if other["in"] == "path":
                            filler = value if other is param else "does-not-exist"
                            url = url.replace("{" + other["name"] + "}", str(filler))
                    if param["in"] == "query":
                        query[param["name"]] = value
                    probes += 1
                    with TestClient(client.app, raise_server_exceptions=False) as fresh:
                        response = fresh.request(
                            method.upper(), url, params=query, headers=admin_bot
                        )
                    text = response.text[:300]
                    if response.status_code >= 500 or "engine_unavailable" in text:
                        status = response.status_code
                        failures.append(f"{method.upper()} {url} {query}: {status} {text}")
    assert probes > 100
    assert not failures, "\n".join(failures)
