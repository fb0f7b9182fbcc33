"""Containers page on the real engine: table, filters, actions through approvals, details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
from streamlit.testing.v1 import AppTest

from tests.conftest import RUN_ID, TEST_LABEL, restart_count
from tests.ui.helpers import alerts, assert_clean, button, shown_text


def search(at: AppTest, text: str) -> AppTest:
    return at.text_input(key="containers_search").input(text).run()


def test_table_lists_containers_and_filters(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    up = make_container("tbl-up")
    down = make_container("tbl-down", start=False)
    at = new_app("viewer", page="containers")
    assert_clean(at)
    table = at.dataframe[0].value
    assert {up.name, down.name} <= set(table["name"])
    assert list(table.columns) == ["name", "image", "state", "status", "ports", "created",
                                   "host", "id"]  # fmt: skip

    at = search(at, f"tbl-up-{RUN_ID}")
    assert list(at.dataframe[0].value["name"]) == [up.name]
    at = search(at, f"-{RUN_ID}-")
    at.button_group(key="containers_states").set_value(["created"]).run()
    assert_clean(at)
    assert list(at.dataframe[0].value["name"]) == [down.name]

    at = search(at, "no-such-thing-anywhere")
    assert "Nothing matches" in shown_text(at)


def test_details_show_the_container_as_data(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("tbl-detail", labels={"note": "[x](http://evil)"})
    at = search(new_app("viewer", page="containers"), container.name)
    assert_clean(at)
    assert at.selectbox(key="containers_selected").value == container.name
    frames = [d.value for d in at.dataframe]
    facts = dict(zip(frames[1]["field"], frames[1]["value"], strict=True))
    assert facts["id"] == container.id
    labels = dict(zip(frames[-1]["label"], frames[-1]["value"], strict=True))
    assert labels[TEST_LABEL] == RUN_ID
    assert labels["note"] == "[x](http://evil)"  # a cell, not a link


def test_stop_goes_through_an_approval_card(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
) -> None:
    container = make_container("tbl-stop")
    at = search(new_app("operator", page="containers"), container.name)
    button(at, "Stop").click().run()
    assert_clean(at)
    assert any("needs approval" in a for a in alerts(at, "info"))
    approve = [b for b in at.button if b.key and b.key.startswith("approve_")]
    assert len(approve) == 1
    assert f"docker stop -t 10 {container.name}" in [c.value for c in at.code]
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]

    approve[0].click().run()
    assert_clean(at)
    done = alerts(at, "success")
    assert any(f"stopped {container.name}" in s for s in done), done
    assert not docker_client.api.inspect_container(container.id)["State"]["Running"]
    assert not [b for b in at.button if b.key and b.key.startswith("approve_")]


def test_viewer_action_is_refused_with_the_reason(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
) -> None:
    container = make_container("tbl-viewer")
    before = restart_count(docker_client, container.id)
    at = search(new_app("viewer", page="containers"), container.name)
    button(at, "Restart").click().run()
    assert_clean(at)
    assert alerts(at) == [
        f"Could not restart {container.name}: role viewer may not run restart_container "
        "(change; needs operator)"
    ]
    assert restart_count(docker_client, container.id) == before


def test_logs_button_opens_the_logs_of_that_container(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("tbl-logs", command=["sh", "-c", "echo from-tbl-logs; sleep 600"])
    at = search(new_app("viewer", page="containers"), container.name)
    button(at, "Logs").click().run()
    assert_clean(at)
    assert at.session_state["page"] == "logs"
    assert at.selectbox(key="logs_container").value == container.name
    assert "from-tbl-logs" in at.code[0].value
