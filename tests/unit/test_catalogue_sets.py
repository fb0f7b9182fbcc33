"""Sets of tools are derived from the catalogue, where each tool declares its risk once."""

from __future__ import annotations

from agent.planner.core import READ_TOOLS
from tools.catalogue import all_tools, read_tools
from tools.guard.policy import Risk


def test_read_tools_are_the_catalogue_tools_declared_read() -> None:
    reads = read_tools()
    assert {"list_containers", "container_logs", "list_services", "compose_ps"} <= reads
    for spec in all_tools():
        assert (spec.name in reads) == (spec.risk is Risk.READ and spec.risk_of is None), spec.name


def test_a_tool_whose_arguments_raise_its_risk_is_not_a_read() -> None:
    spec = next(s for s in all_tools() if s.name == "compose_down")
    assert spec.risk_of is not None and "compose_down" not in read_tools()


def test_the_planner_batches_reads_by_the_catalogue_set() -> None:
    assert READ_TOOLS == read_tools()
