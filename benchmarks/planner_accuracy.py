"""Accuracy and speed of the offline rules planner over the unit case set.

    .venv/bin/python benchmarks/planner_accuracy.py [--repeat N] [--failures]

A case counts as correct when the plan kind matches and, for calls, the exact calls match
(order within a batch ignored). Known gaps are reported separately: they are expected to fail.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.planner import Plan, plan_request  # noqa: E402
from tests.unit.planner_cases import (  # noqa: E402
    BATCHES,
    CASES,
    FIXTURES,
    IMAGES,
    KNOWN_GAPS,
    Case,
    environment,
    harmful,
)

# Measured here, not asserted in the unit tests (a loaded machine must not fail a test).
GOAL_MEAN_MS = 5.0


def plan_for(case: Case) -> Plan:
    env = environment(case.fixture)
    return plan_request(
        case.text, FIXTURES[case.fixture], IMAGES, env.hosts, env.services, env.projects
    )


def _normalise(steps: list[list[tuple[str, dict[str, object]]]]) -> list[list[str]]:
    return [sorted(json.dumps(list(step), sort_keys=True) for step in batch) for batch in steps]


def correct(case: Case, plan: Plan) -> bool:
    if plan.kind != case.kind:
        return False
    actual = [[(call.tool, call.args) for call in batch] for batch in plan.steps]
    if _normalise(actual) != _normalise(case.steps):
        return False
    return all(word in (plan.reply or "") for word in case.mentions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timing runs per case")
    parser.add_argument("--failures", action="store_true", help="print the failing cases")
    options = parser.parse_args()

    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: list[tuple[Case, Plan]] = []
    for case in CASES:
        plan = plan_for(case)
        ok = correct(case, plan)
        totals[case.category][0] += ok
        totals[case.category][1] += 1
        if not ok:
            failures.append((case, plan))
    gaps_fixed = sum(correct(case, plan_for(case)) for case in KNOWN_GAPS)

    timings_ms: list[float] = []
    for _ in range(options.repeat):
        for case in CASES:
            start = time.perf_counter()
            plan_for(case)
            timings_ms.append((time.perf_counter() - start) * 1000)
    timings_ms.sort()

    passed = sum(ok for ok, _ in totals.values())
    print(f"offline rules planner: {len(CASES)} cases, {len(KNOWN_GAPS)} known gaps")
    print(f"overall accuracy: {passed}/{len(CASES)} = {passed / len(CASES):.1%}")
    for category in sorted(totals):
        ok, count = totals[category]
        print(f"  {category:<10} {ok:>3}/{count:<3} {ok / count:6.1%}")
    print(f"known gaps now passing: {gaps_fixed}/{len(KNOWN_GAPS)}")
    harms = [case for case in CASES if harmful(case, plan_for(case))]
    print(f"harmful misreads (a change not asked for): {len(harms)}")
    for name, batch in BATCHES.items():
        ok = sum(correct(case, plan_for(case)) for case in batch)
        bad = sum(harmful(case, plan_for(case)) for case in batch)
        print(f"  {name}: {ok}/{len(batch)} = {ok / len(batch):.1%}, harmful {bad}")
    for case in harms:
        print(f"HARMFUL [{case.category}] {case.text!r}: {plan_for(case).steps}")
    p99 = timings_ms[min(len(timings_ms) - 1, int(len(timings_ms) * 0.99))]
    mean = statistics.fmean(timings_ms)
    print(
        f"planning time over {len(timings_ms)} runs: mean {mean:.3f} ms, "
        f"p99 {p99:.3f} ms, max {timings_ms[-1]:.3f} ms "
        f"(goal: mean < {GOAL_MEAN_MS:.0f} ms: {'ok' if mean < GOAL_MEAN_MS else 'OVER'})"
    )
    if options.failures:
        for case, plan in failures:
            print(f"FAIL [{case.category}] {case.text!r}: got {plan}")
        for name, batch in BATCHES.items():
            for case in batch:
                plan = plan_for(case)
                if not correct(case, plan):
                    mark = "HARMFUL" if harmful(case, plan) else "FAIL"
                    print(f"{name} {mark} [{case.category}] {case.text!r}: got {plan}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
