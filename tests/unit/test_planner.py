"""The offline rules planner against the request -> plan case set (tests/unit/planner_cases.py).

Every case asserts the exact tool calls, so a wrong target, a missing argument or an extra
default fails. Every planned call is also validated against the tool's real input model, so the
planner cannot drift from the catalogue's argument names and types.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from typing import Any

import pytest

from agent.planner import ContainerBrief, Plan, PlannedCall, ServiceBrief, intents, plan_request
from agent.planner.core import READ_TOOLS
from agent.planner.slots import log_options
from agent.planner.text import Clause, tokenise
from tests.unit.planner_cases import (
    CASES,
    FIXTURES,
    IMAGES,
    KNOWN_GAPS,
    Case,
    Step,
    environment,
)
from tools import schemas
from tools.catalogue import get_tool
from tools.errors import UnknownTool
from tools.schemas import ToolInput

# The deployment tools' input models, for while their implementations are being registered:
# the planner is held to the same argument names and types either way.
_DEPLOY_MODELS: dict[str, type[ToolInput]] = {
    "update_container_image": schemas.UpdateContainerImageInput,
    "check_image_update": schemas.CheckImageUpdateInput,
    "compose_up": schemas.ComposeUpInput,
    "compose_down": schemas.ComposeDownInput,
    "compose_ps": schemas.ComposePsInput,
    "compose_logs": schemas.ComposeLogsInput,
    "compose_restart": schemas.ComposeRestartInput,
    "list_services": schemas.ListServicesInput,
    "scale_service": schemas.ScaleServiceInput,
    "update_service": schemas.UpdateServiceInput,
    "rollback_service": schemas.RollbackServiceInput,
    "restart_service": schemas.RestartServiceInput,
    "service_logs": schemas.ServiceLogsInput,
    "stack_deploy": schemas.StackDeployInput,
    "stack_remove": schemas.StackRemoveInput,
}


def _input_model(tool: str) -> type[ToolInput]:
    try:
        return get_tool(tool).input_model
    except UnknownTool:
        if tool in _DEPLOY_MODELS:
            return _DEPLOY_MODELS[tool]
        raise


def plan_for(text: str, fixture: str) -> Plan:
    env = environment(fixture)
    return plan_request(text, FIXTURES[fixture], IMAGES, env.hosts, env.services, env.projects)


def _normalise(steps: list[list[Step]]) -> list[list[str]]:
    """Order within a batch is not part of the contract; order of batches is."""
    return [sorted(json.dumps(list(step), sort_keys=True) for step in batch) for batch in steps]


def _actual(plan: Plan) -> list[list[Step]]:
    return [[(call.tool, call.args) for call in batch] for batch in plan.steps]


def _assert_well_formed(plan: Plan, containers: Sequence[ContainerBrief], fixture: str) -> None:
    """Calls validate against the tool input models; targets are live names or created first;
    services, projects and hosts are ones the planner was told about."""
    assert plan.kind in ("calls", "clarify", "unknown")
    if plan.kind != "calls":
        assert plan.steps == [] and plan.reply
        return
    assert plan.reply is None and plan.steps and all(plan.steps)
    env = environment(fixture)
    names = {c.name for c in containers}
    for batch in plan.steps:
        created_here: set[str] = set()
        for call in batch:
            _input_model(call.tool).model_validate(call.args)
            if call.tool == "run_container":
                created_here.add(call.args.get("name", ""))
            elif "container" in call.args:
                assert call.args["container"] in names, f"{call} targets no known container"
            if call.tool.endswith("_service") or call.tool == "service_logs":
                services = {s.name for s in env.services}
                assert call.args["service"] in services, f"{call} targets no known service"
            if call.tool.startswith("compose_") and "project" in call.args:
                assert call.args["project"] in env.projects, f"{call} targets no known project"
            if env.hosts and "host" in call.args:
                assert call.args["host"] in (*env.hosts, "all"), f"{call} targets no known host"
            if call.args.get("host") == "all":
                assert call.tool == "list_containers", f"{call}: only listing spans all hosts"
            if len(env.hosts) > 1 and call.tool not in READ_TOOLS and "container" not in call.args:
                # the gateway refuses a change on several hosts that names neither
                assert "host" in call.args, f"{call}: a change on several hosts names its host"
        names |= created_here  # a later batch may use a container an earlier one creates


def _check(case: Case) -> None:
    containers = FIXTURES[case.fixture]
    plan = plan_for(case.text, case.fixture)
    assert plan.kind == case.kind, f"{case.text!r}: {plan}"
    assert _normalise(_actual(plan)) == _normalise(case.steps)
    _assert_well_formed(plan, containers, case.fixture)
    for word in case.mentions:
        assert plan.reply is not None and word in plan.reply, f"{plan.reply!r} lacks {word!r}"
    if case.kind == "unknown":
        assert plan.reply is not None
        honest = ("didn't understand", "can't", "won't")
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
    # 5 older + 1 from issue #15 batch 1 + 2 from batch 3, still to fix (batches 4, 5: none)
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
            _assert_well_formed(plan_for(text, fixture), containers, fixture)


def test_word_salad_never_crashes() -> None:
    """Random mixes of the case vocabulary and odd symbols: no exception, no malformed call."""
    rng = random.Random(1234)
    vocabulary = [w for c in CASES for w in c.text.split()]
    vocabulary += ["'", '"', "`", "--", ":", "=", "->", ",", ".", "?", "a=b", "8080:", "x:/", "0"]
    vocabulary += ["99999", "-t", "version", "名前", "--name", "-p", "-v", "-e"]
    for _ in range(3000):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 9)))
        fixture = rng.choice(sorted(FIXTURES))
        _assert_well_formed(plan_for(text, fixture), FIXTURES[fixture], fixture)


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


# Planning time is measured, not asserted: benchmarks/planner_accuracy.py (goal: mean < 5 ms).


# Rows no case can reach today: the table of topics they need is empty.
_UNREACHED_RULES = {"a topic no tool covers"}


def test_every_rule_row_is_reached_by_a_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each row of the intent and change tables decides at least one case: a row no case
    reaches is untested precedence (and adding a phrasing means one table row, one case row)."""
    decided: set[str] = set()

    def recorded(rules: tuple[intents.Rule[Any], ...]) -> tuple[intents.Rule[Any], ...]:
        def when(rule: intents.Rule[Any]) -> Any:
            def holds(facts: intents.ClauseFacts) -> object:
                found = rule.when(facts)
                if found:
                    decided.add(rule.name)
                return found

            return holds

        return tuple(dataclasses.replace(rule, when=when(rule)) for rule in rules)

    monkeypatch.setattr(intents, "INTENT_RULES", recorded(intents.INTENT_RULES))
    monkeypatch.setattr(intents, "CHANGE_RULES", recorded(intents.CHANGE_RULES))
    for case in CASES:
        plan_for(case.text, case.fixture)
    names = [rule.name for rule in intents.INTENT_RULES]
    names += [rule.name for rule in intents.CHANGE_RULES]
    assert len(set(names)) == len(names), "rule names are unique"
    assert set(names) - decided == _UNREACHED_RULES


def test_extractors_hand_back_what_they_took_and_change_nothing() -> None:
    """Tokens and clauses are values: an extractor returns a new clause with its words taken,
    and the clause it was given is as it was (a look ahead needs no copy)."""
    clause = Clause(tuple(tokenise("logs of web since 10m, last 50 lines")))
    options, rest = log_options(clause)
    assert options.args() == {"since": "10m", "tail": 50}
    assert clause.taken == frozenset()
    assert [t.norm for t in rest if rest.used(t)] == ["since", "10m", "last", "50", "lines"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        clause[0].norm = "web"  # type: ignore[misc]


# --- the deployment interface: hosts, services, projects ------------------------------------


def test_services_may_be_plain_names() -> None:
    plan = plan_request("scale worker to 3", [], services=["shop_worker", "shop_web"])
    assert plan.steps == [[PlannedCall("scale_service", {"service": "shop_worker", "replicas": 3})]]


def test_stack_is_the_service_name_prefix_when_not_given() -> None:
    plan = plan_request("remove the shop stack", [], services=["shop_web", "shop_api"])
    assert plan.steps == [[PlannedCall("stack_remove", {"stack": "shop"})]]


def test_a_tag_goes_on_the_current_repository_registry_port_and_all() -> None:
    digest = "@sha256:" + "ab" * 32
    api = ContainerBrief("api", "registry.local:5000/shop/api:1.4" + digest, "running")
    plan = plan_request("update api to :v2", [api])
    assert plan.steps == [
        [
            PlannedCall(
                "update_container_image",
                {"container": "api", "image": "registry.local:5000/shop/api:v2"},
            )
        ]
    ]


def test_a_service_without_a_known_image_asks_for_the_whole_reference() -> None:
    plan = plan_request("update api to :v2", [], services=["shop_api"])
    assert plan.kind == "clarify" and plan.reply is not None and "shop_api" in plan.reply


def test_a_host_is_passed_on_when_the_configured_hosts_are_not_known() -> None:
    plan = plan_request("restart web on host2", FIXTURES["shop"])
    assert plan.steps == [
        [PlannedCall("restart_container", {"container": "shop-web-1", "host": "host2"})]
    ]


def test_an_unknown_host_is_a_question_listing_the_configured_ones() -> None:
    plan = plan_request("what runs on host3?", [], hosts=("local", "host2"))
    assert plan.kind == "clarify" and plan.reply is not None
    assert "local" in plan.reply and "host2" in plan.reply and "host3" in plan.reply


def test_saying_update_is_not_always_an_order() -> None:
    """Mentions of an update never plan one: only the rollback that was asked for."""
    services = [ServiceBrief("jobs_mailer", "shop/mailer:2.0")]
    plan = plan_request("the mailer update broke things, roll it back", [], services=services)
    assert plan.steps == [[PlannedCall("rollback_service", {"service": "jobs_mailer"})]]
    for text in ("is there an update for web?", "any updates?", "should I update web?"):
        plan = plan_request(text, FIXTURES["shop"])
        tools = {call.tool for batch in plan.steps for call in batch}
        assert tools <= {"check_image_update"}, (text, plan)


def test_projects_the_tools_were_not_told_about_are_said_so() -> None:
    plan = plan_request("docker compose up -d", FIXTURES["shop"])
    assert plan.kind == "unknown" and plan.reply is not None
    assert "DOCKERDEPLOYER_COMPOSE_DIRS" in plan.reply
