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
