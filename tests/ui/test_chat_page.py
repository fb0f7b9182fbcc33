"""Chat against the real API and engine: streamed turns, tool rows, approval cards, decisions,
resuming threads, and untrusted container text that never renders as markdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import httpx
from streamlit.testing.v1 import AppTest

from tests.conftest import restart_count
from tests.ui.helpers import alerts, assert_clean, button, shown_text, unescaped


def ask(at: AppTest, text: str) -> AppTest:
    return at.chat_input(key="chat_prompt").set_value(text).run()


def only_card(at: AppTest) -> str:
    approvals = [b.key.removeprefix("approve_") for b in at.button if b.key and
                 b.key.startswith("approve_")]  # fmt: skip
    assert len(approvals) == 1, approvals
    return approvals[0]


def test_empty_chat_suggests_what_to_try(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    make_container("hint")
    at = new_app("viewer")
    assert_clean(at)
    labels = [b.label for b in at.button]
    assert "list all containers" in labels
    button(at, "list all containers").click().run()
    assert_clean(at)
    rows = [s for s in at.status if s.label.startswith("list\\_containers")]
    assert rows and rows[0].state == "complete"
    assert at.session_state["thread_id"]


def test_restart_waits_for_approval_then_runs_once(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
) -> None:
    container = make_container("chat")
    before = restart_count(docker_client, container.id)
    at = ask(new_app("operator"), f"restart {container.name}")
    assert_clean(at)
    approval_id = only_card(at)
    # The card: summary, targets by ID, impact, the docker command; the input waits.
    assert f"docker restart -t 10 {container.name}" in [c.value for c in at.code]
    targets = at.dataframe[0].value
    assert list(targets["id"]) == [container.id[:12]]
    assert f"Restart container {container.name}" in shown_text(at)
    assert at.chat_input(key="chat_prompt").disabled
    assert at.session_state["stage"] == "awaiting_approval"
    assert restart_count(docker_client, container.id) == before

    at.button(key=f"approve_{approval_id}").click().run()
    assert_clean(at)
    assert not [b for b in at.button if b.key == f"approve_{approval_id}"]
    replies = [m for m in at.chat_message if m.name == "assistant"]
    assert f"restarted {container.name}" in "\n".join(str(md.value) for md in replies[-1].markdown)
    assert not at.chat_input(key="chat_prompt").disabled
    assert at.session_state["stage"] == "idle"
    assert restart_count(docker_client, container.id) != before


def test_reject_changes_nothing_and_is_audited(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
    api_as: Callable[[str], httpx.Client],
) -> None:
    container = make_container("chat-no")
    before = restart_count(docker_client, container.id)
    at = ask(new_app("operator"), f"restart {container.name}")
    approval_id = only_card(at)
    at.text_input(key=f"reason_{approval_id}").input("not during office hours")
    at.button(key=f"reject_{approval_id}").click().run()
    assert_clean(at)
    assert at.session_state["stage"] == "idle"
    assert "rejected" in shown_text(at).lower()
    assert restart_count(docker_client, container.id) == before
    audit = api_as("admin").get("/api/audit", params={"approval_id": approval_id}).json()
    rejected = [e for e in audit if e["event"] == "rejected"]
    assert rejected and rejected[0]["message"] == "not during office hours"


def test_viewer_request_is_refused_readably(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("chat-view")
    at = ask(new_app("viewer"), f"restart {container.name}")
    assert_clean(at)
    assert not [b for b in at.button if b.key and b.key.startswith("approve_")]
    row = [s for s in at.status if "refused" in s.label]
    assert row and row[0].state == "error"
    assert "may not run restart_container" in shown_text(at)


def test_threads_resume_with_their_pending_approval(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    container = make_container("chat-resume")
    first = ask(new_app("operator"), f"restart {container.name}")
    thread_id = first.session_state["thread_id"]
    approval_id = only_card(first)

    later = new_app("operator")  # a new browser session of the same user
    assert later.session_state["thread_id"] is None
    later.selectbox(key="chat_thread_pick").select(thread_id).run()
    assert_clean(later)
    assert only_card(later) == approval_id
    assert later.chat_input(key="chat_prompt").disabled
    assert f"restart {container.name}" in shown_text(later)
    later.button(key=f"reject_{approval_id}").click().run()
    assert_clean(later)
    button(later, "New").click().run()
    assert later.session_state["thread_id"] is None
    assert not later.chat_message


def test_container_text_is_shown_as_data_not_markdown(
    new_app: Callable[..., AppTest], make_container: Callable[..., Any]
) -> None:
    hostile = "![pixel](http://127.0.0.1:9/p.png) <img src=x onerror=alert(1)> [win](http://x.y)"
    container = make_container("chat-evil", command=["sh", "-c", f"echo '{hostile}'; sleep 600"])
    at = ask(new_app("viewer"), f"show the logs of {container.name}")
    assert_clean(at)
    assert any(hostile in str(c.value) for c in at.code)  # the line itself, as code
    for block in at.markdown:
        text = str(block.value)
        outside_code = text.split("```")[::2]
        for part in outside_code:
            assert not unescaped(part, "![") and not unescaped(part, "<"), text


def test_a_double_decision_is_a_readable_error(
    new_app: Callable[..., AppTest],
    make_container: Callable[..., Any],
    api_as: Callable[[str], httpx.Client],
) -> None:
    container = make_container("chat-twice")
    at = ask(new_app("operator"), f"restart {container.name}")
    approval_id = only_card(at)
    decided = api_as("admin").post(f"/api/approvals/{approval_id}", json={"decision": "reject"})
    assert decided.status_code == 200
    at.button(key=f"approve_{approval_id}").click().run()
    assert_clean(at)
    assert any("already rejected" in a for a in alerts(at)), alerts(at)
    assert at.session_state["stage"] == "idle"  # the stale card is gone


def _render_hostile_messages() -> None:
    from ui.views.chat import render_message

    bad = "![p](http://127.0.0.1:9/p.png) <img src=x onerror=alert(1)> [go](http://x.y) :red[!]"
    render_message({"role": "assistant", "content": f"**Found it**: {bad}"})
    render_message({"role": "user", "content": bad})
    render_message(
        {"role": "tool", "content": {"tool": "container_logs", "args": {"container": bad},
                                     "status": "executed", "result": {"text": bad}}}
    )  # fmt: skip


def test_every_message_kind_defuses_markdown() -> None:
    at = AppTest.from_function(_render_hostile_messages, default_timeout=60).run()
    assert_clean(at)
    assert at.markdown[0].value.startswith("**Found it**: ")  # the assistant keeps its markdown
    for text in [str(m.value) for m in at.markdown] + [s.label for s in at.status]:
        assert not unescaped(text, "[") and not unescaped(text, "<"), text
    assert any("![p](http://127.0.0.1:9/p.png)" in str(c.value) for c in at.code)
