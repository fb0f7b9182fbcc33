"""Logs, stats, audit and the approvals inbox, each against the real API and engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import httpx
from streamlit.testing.v1 import AppTest

from tests.conftest import restart_count
from tests.ui.helpers import alerts, assert_clean, shown_text

CHATTY = ["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; echo 'ERROR disk full'; "
          "echo '![x](http://127.0.0.1:9/x.png)'; sleep 600"]  # fmt: skip


def open_logs(at: AppTest, name: str) -> AppTest:
    return at.selectbox(key="logs_container").select(name).run()


def test_logs_tail_filter_and_download(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("logs", command=CHATTY)
    at = open_logs(new_app("viewer", page="logs"), container.name)
    assert_clean(at)
    text = at.code[0].value
    assert "line-1" in text and "ERROR disk full" in text
    assert "![x](http://127.0.0.1:9/x.png)" in text  # untrusted: only ever inside code
    assert at.download_button(key="logs_download")

    at.number_input(key="logs_tail").set_value(2).run()
    assert at.code[0].value.splitlines() == ["ERROR disk full", "![x](http://127.0.0.1:9/x.png)"]
    at.number_input(key="logs_tail").set_value(200).run()
    at.text_input(key="logs_grep").input("error").run()
    assert at.code[0].value.strip() == "ERROR disk full"
    at.text_input(key="logs_grep").input("nothing-like-this").run()
    assert not at.code and "No log lines match" in shown_text(at)
    at.toggle(key="logs_follow").set_value(True).run()
    assert_clean(at)


def test_logs_bad_since_is_a_readable_error(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("logs-since", command=CHATTY)
    at = open_logs(new_app("viewer", page="logs"), container.name)
    at.text_input(key="logs_since").input("yesterday-ish").run()
    assert_clean(at)
    assert alerts(at) and alerts(at)[0].startswith(f"Could not read the logs of {container.name}")


def test_stats_charts_running_containers(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("stats", mem_limit="64m")
    at = new_app("viewer", page="stats", stats_selected=[container.name])
    assert_clean(at)
    assert at.multiselect(key="stats_selected").value == [container.name]
    assert len(at.get("vega_lite_chart")) == 2  # CPU and memory, now
    table = at.dataframe[0].value
    assert list(table["container"]) == [container.name]
    assert table["processes"][0] >= 1
    assert table["memory"][0].endswith("/ 64.0 MiB")  # against its own limit
    at.run()  # a second sample: the over-time charts appear
    assert len(at.get("vega_lite_chart")) == 4
    titles = [m.value for m in at.markdown]
    assert "**Memory % of its limit over time**" in titles


def test_audit_table_filters_and_csv(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    api_as: Callable[[str], httpx.Client],
) -> None:
    container = make_container("audit")
    assert api_as("operator").post(f"/api/containers/{container.name}/restart").status_code == 202
    at = new_app("admin", page="audit")
    assert_clean(at)
    at.text_input(key="audit_tool").input("restart_container").run()
    at.selectbox(key="audit_event").select("proposed").run()
    table = at.dataframe[0].value
    assert set(table["event"]) == {"proposed"}
    assert set(table["tool"]) == {"restart_container"}
    assert any(container.name in args for args in table["args"])
    assert at.download_button(key="audit_csv")
    at.text_input(key="audit_actor").input("nobody-at-all").run()
    assert "No audit entries match" in shown_text(at)


def test_approvals_inbox_decides_requests_from_elsewhere(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    api_as: Callable[[str], httpx.Client],
    docker_client: docker.DockerClient,
) -> None:
    container = make_container("inbox")
    before = restart_count(docker_client, container.id)
    response = api_as("operator").post(f"/api/containers/{container.name}/restart")
    approval_id = response.json()["approval"]["id"]
    at = new_app("admin", page="approvals")
    assert_clean(at)
    at.button(key=f"approve_{approval_id}").click().run()
    assert_clean(at)
    assert any(f"restarted {container.name}" in s for s in alerts(at, "success"))
    assert restart_count(docker_client, container.id) != before
    assert not [b for b in at.button if b.key == f"approve_{approval_id}"]


def test_empty_inbox_says_what_appears_there(
    new_app: Callable[..., AppTest], api_as: Callable[[str], httpx.Client]
) -> None:
    admin = api_as("admin")
    for approval in admin.get("/api/approvals", params={"status": "pending"}).json():
        admin.post(f"/api/approvals/{approval['id']}", json={"decision": "reject"})
    at = new_app("viewer", page="approvals")
    assert_clean(at)
    assert "Nothing is waiting for approval" in shown_text(at)


def test_a_viewer_sees_neither_others_cards_nor_their_audit(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    api_as: Callable[[str], httpx.Client],
    docker_client: docker.DockerClient,
) -> None:
    # Least visibility (issue #14): the console shows what the API lets the role see.
    container = make_container("inbox-view")
    before = restart_count(docker_client, container.id)
    response = api_as("operator").post(f"/api/containers/{container.name}/restart")
    approval_id = response.json()["approval"]["id"]
    at = new_app("viewer", page="approvals")
    assert_clean(at)
    assert not [b for b in at.button if b.key == f"approve_{approval_id}"]
    assert approval_id not in shown_text(at)

    def audit_args(role: str) -> str:
        page = new_app(role, page="audit")
        assert_clean(page)
        return " ".join(str(a) for a in page.dataframe[0].value["args"]) if page.dataframe else ""

    assert container.name not in audit_args("viewer")
    assert container.name in audit_args("admin")
    assert restart_count(docker_client, container.id) == before
    api_as("operator").post(f"/api/approvals/{approval_id}", json={"decision": "reject"})
