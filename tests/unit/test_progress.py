"""Pull progress: reported to the watcher of the call only, throttled, and a late error raises."""

from __future__ import annotations

import pytest

from tools.errors import EngineError
from tools.progress import follow_pull, report, watching


def layer(status: str, layer_id: str, current: int, total: int) -> dict:
    return {"status": status, "id": layer_id,
            "progressDetail": {"current": current, "total": total}}  # fmt: skip


def test_progress_sums_layers_and_keeps_every_plain_status() -> None:
    seen: list[dict] = []
    events = [
        {"status": "Pulling from x/y", "id": "1"},
        layer("Downloading", "a", 10, 100),
        layer("Downloading", "b", 5, 50),  # within the throttle window: folded into the next
        {"status": "Download complete", "id": "a"},
        {"status": "Status: Downloaded newer image for x/y:1"},
    ]
    with watching(seen.append):
        follow_pull("x/y:1", events)

    statuses = [e["status"] for e in seen]
    assert statuses[0] == "Pulling from x/y" and statuses[-1].startswith("Status: Downloaded")
    assert "Download complete" in statuses
    assert seen[-1]["total"] == 150 and seen[-1]["current"] == 15


def test_an_error_in_the_stream_raises() -> None:
    with pytest.raises(EngineError, match="unauthorized"):
        follow_pull("x/y:1", [{"status": "Pulling"}, {"error": "unauthorized: login first"}])


def test_without_a_watcher_nothing_is_reported_and_watchers_do_not_leak() -> None:
    seen: list[dict] = []
    report({"kind": "pull"})  # nobody watching: dropped
    with watching(seen.append):
        report({"kind": "pull", "n": 1})
    report({"kind": "pull", "n": 2})

    assert seen == [{"kind": "pull", "n": 1}]
