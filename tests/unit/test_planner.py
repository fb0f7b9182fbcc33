"""The offline rules planner against the request -> plan case set (tests/unit/planner_cases.py).

Every case asserts the exact tool calls, so a wrong target, a missing argument or an extra
default fails. Every planned call is also validated against the tool's real input model, so the
planner cannot drift from the catalogue's argument names and types.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence

import pytest

from agent.planner import ContainerBrief, Plan, PlannedCall, plan_request
from tests.unit.planner_cases import CASES, FIXTURES, IMAGES, KNOWN_GAPS, Case, Step
from tools.catalogue import get_tool


def _normalise(steps: list[list[Step]]) -> list[list[str]]:
    """Order within a batch is not part of the contract; order of batches is."""
    return [sorted(json.dumps(list(step), sort_keys=True) for step in batch) for batch in steps]


def _actual(plan: Plan) -> list[list[Step]]:
    return [[(call.tool, call.args) for call in batch] for batch in plan.steps]


def _assert_well_formed(plan: Plan, containers: Sequence[ContainerBrief]) -> None:
    """Calls validate against the tool input models; targets are live names or created first."""
    assert plan.kind in ("calls", "clarify", "unknown")
    if plan.kind != "calls":
        assert plan.steps == [] and plan.reply
        return
    assert plan.reply is None and plan.steps and all(plan.steps)
    names = {c.name for c in containers}
    for batch in plan.steps:
        created_here: set[str] = set()
        for call in batch:
            get_tool(call.tool).input_model.model_validate(call.args)
            if call.tool == "run_container":
                created_here.add(call.args.get("name", ""))
            elif "container" in call.args:
                assert call.args["container"] in names, f"{call} targets no known container"
        names |= created_here  # a later batch may use a container an earlier one creates


def _check(case: Case) -> None:
    containers = FIXTURES[case.fixture]
    plan = plan_request(case.text, containers, IMAGES)
    assert plan.kind == case.kind, f"{case.text!r}: {plan}"
    assert _normalise(_actual(plan)) == _normalise(case.steps)
    _assert_well_formed(plan, containers)
    for word in case.mentions:
        assert plan.reply is not None and word in plan.reply, f"{plan.reply!r} lacks {word!r}"
    if case.kind == "unknown":
        assert plan.reply is not None
        honest = ("didn't understand", "can't help", "won't")
        assert any(phrase in plan.reply for phrase in honest), plan.reply
        assert plan.reply.count('"') >= 6, "should suggest at least three phrasings"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_plan(case: Case) -> None:
    _check(case)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="known gap")) for c in KNOWN_GAPS],
    ids=lambda c: c.id,
)
def test_known_gap(case: Case) -> None:
    _check(case)


def test_case_set_is_broad_and_gaps_few() -> None:
    assert len(CASES) >= 150
    assert len({(c.text, c.fixture) for c in CASES}) == len(CASES), "duplicate cases"
    assert len({c.category for c in CASES}) >= 12
    assert len(KNOWN_GAPS) <= 8


def _variants(text: str) -> list[str]:
    """Mangled versions of a request: the planner must never crash or emit a malformed call."""
    words = text.split()
    return [
        text,
        " ".join(reversed(words)),
        " ".join(words[: len(words) // 2]),
        text.upper(),
        f"{text} and then {text}",
        text.replace(" ", ", "),
    ]


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_never_crashes_and_always_well_formed(fixture: str) -> None:
    containers = FIXTURES[fixture]
    for case in CASES + KNOWN_GAPS:
        for text in _variants(case.text):
            plan = plan_request(text, containers, IMAGES)
            _assert_well_formed(plan, containers)


def test_word_salad_never_crashes() -> None:
    """Random mixes of the case vocabulary and odd symbols: no exception, no malformed call."""
    rng = random.Random(1234)
    vocabulary = [w for c in CASES for w in c.text.split()]
    vocabulary += ["'", '"', "`", "--", ":", "=", "->", ",", ".", "?", "a=b", "8080:", "x:/", "0"]
    vocabulary += ["99999", "-t", "version", "名前", "--name", "-p", "-v", "-e"]
    for _ in range(3000):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 9)))
        containers = FIXTURES[rng.choice(sorted(FIXTURES))]
        _assert_well_formed(plan_request(text, containers, IMAGES), containers)


def test_deterministic() -> None:
    shop = FIXTURES["shop"]
    first = plan_request("restart the api and show why it crashed", shop, IMAGES)
    for _ in range(3):
        assert plan_request("restart the api and show why it crashed", shop, IMAGES) == first


def test_derived_name_avoids_existing_container() -> None:
    plan = plan_request("deploy redis then show its logs", FIXTURES["plain"])
    assert plan.steps[0][0].args["name"] == "redis-2"
    assert plan.steps[1][0].args == {"container": "redis-2"}


def test_no_name_without_a_later_reference() -> None:
    plan = plan_request("deploy redis", FIXTURES["plain"])
    assert plan.steps == [[PlannedCall("run_container", {"image": "redis"})]]


def test_clarify_offers_both_candidates_in_list_order() -> None:
    plan = plan_request("restart web", FIXTURES["multi"])
    assert plan == Plan(kind="clarify", reply="Which one: shop-web-1 or blog-web-1?")


def test_unknown_reply_is_honest_and_uses_live_names() -> None:
    plan = plan_request("sing me a song", FIXTURES["shop"])
    assert plan.kind == "unknown" and plan.reply is not None
    assert plan.reply.startswith("Sorry, I didn't understand")
    assert '"restart shop-web-1"' in plan.reply


def test_a_clarified_request_runs_nothing_even_if_part_was_clear() -> None:
    plan = plan_request("stop worker and then restart web", FIXTURES["multi"])
    assert plan.kind == "clarify" and plan.steps == []


def test_values_keep_their_case() -> None:
    plan = plan_request(
        "run alpine -e Token=AbC -v /Srv/Data:/data with command `echo Hi`", FIXTURES["shop"]
    )
    args = plan.steps[0][0].args
    assert args["env"] == {"Token": "AbC"}
    assert args["volumes"] == {"/Srv/Data": "/data"}
    assert args["command"] == "echo Hi"


def test_english_words_are_not_id_prefixes() -> None:
    containers = [ContainerBrief("web", "nginx", "running", id="cafe12345678")]
    assert plan_request("restart cafe", containers).kind == "clarify"
    assert plan_request("restart cafe1", containers).steps == [
        [PlannedCall("restart_container", {"container": "web"})]
    ]


def test_container_brief_is_hashable_and_frozen() -> None:
    brief = ContainerBrief("web", "nginx", "running", labels={"a": "b"})
    assert hash(brief) == hash(ContainerBrief("web", "nginx", "running", labels={"x": "y"}))
    assert ContainerBrief("web", "nginx", "running").labels == {}
    with pytest.raises(AttributeError):
        brief.name = "other"  # type: ignore[misc]


def test_fast_enough() -> None:
    texts = [(c.text, FIXTURES[c.fixture]) for c in CASES]
    for text, containers in texts:  # warm the typo cache, as a running server would be
        plan_request(text, containers, IMAGES)
    start = time.perf_counter()
    for text, containers in texts:
        plan_request(text, containers, IMAGES)
    mean_ms = (time.perf_counter() - start) * 1000 / len(texts)
    assert mean_ms < 5, f"mean planning time {mean_ms:.2f} ms"
