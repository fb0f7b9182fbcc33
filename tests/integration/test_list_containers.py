"""list_containers on the real engine: filters, one round trip, name and ID resolution."""

from __future__ import annotations

import time

from tests.integration.conftest import case_labels, count_engine_requests, new_case


def names_of(outcome) -> list[str]:
    assert outcome.status == "executed", outcome.message
    return [row["name"] for row in outcome.result]


def test_status_filters(gateway, make_container, viewer):
    case = new_case()
    running = make_container("run", labels=case_labels(case))
    created = make_container("new", start=False, labels=case_labels(case))
    exited = make_container("done", command=["true"], labels=case_labels(case))
    exited.wait(timeout=10)
    label = f"ddt.case={case}"

    listed = names_of(gateway.call(viewer, "list_containers", {"label": label}))
    assert listed == [running.name], "the default is running containers only"
    every = names_of(gateway.call(viewer, "list_containers", {"status": "all", "label": label}))
    assert sorted(every) == sorted([running.name, created.name, exited.name])
    stopped = gateway.call(viewer, "list_containers", {"status": "exited", "label": label})
    assert names_of(stopped) == [exited.name]
    fresh = gateway.call(viewer, "list_containers", {"status": "created", "label": label})
    assert names_of(fresh) == [created.name]

    [row] = gateway.call(viewer, "list_containers", {"label": label}).result
    assert row["id"] == running.id[:12] and row["state"] == "running"
    assert row["image"] == "dockerdeployer-test/busybox:1"


def test_name_label_and_image_filters(gateway, make_container, viewer, test_image):
    case = new_case()
    web = make_container("web", labels={**case_labels(case), "tier": "front"})
    db = make_container("db", labels={**case_labels(case), "tier": "back"})

    by_name = gateway.call(viewer, "list_containers", {"name": web.name[:-3]})
    assert web.name in names_of(by_name) and db.name not in names_of(by_name)
    by_label = gateway.call(viewer, "list_containers", {"label": "tier=back", "status": "all"})
    assert db.name in names_of(by_label) and web.name not in names_of(by_label)
    by_image = gateway.call(viewer, "list_containers", {"image": test_image})
    assert {web.name, db.name} <= set(names_of(by_image))
    other_image = gateway.call(viewer, "list_containers", {"image": "no-such-image:0"})
    assert not {web.name, db.name} & set(names_of(other_image))
    # The name filter is a literal, not a regular expression handed to the engine.
    # ("ddt-.*" as a regular expression would match both.)
    assert names_of(gateway.call(viewer, "list_containers", {"name": "ddt-.*"})) == []


def test_listing_costs_one_engine_round_trip_whatever_the_count(
    gateway, engine, make_container, viewer
):
    case = new_case()
    for _ in range(20):
        make_container("many", start=False, labels=case_labels(case))

    with count_engine_requests(engine) as sent:
        outcome = gateway.call(viewer, "list_containers", {"status": "all"})
    assert len([r for r in outcome.result if r["name"].startswith("ddt-many-")]) >= 20
    assert len(sent) == 1, sent
    assert sent[0].startswith("GET ") and "/containers/json" in sent[0]

    with count_engine_requests(engine) as sent:
        gateway.call(viewer, "list_containers", {"status": "all", "label": f"ddt.case={case}"})
    assert len(sent) == 1, sent


def test_unknown_container_suggests_close_names(gateway, make_container, viewer):
    container = make_container("suggest")
    typo = container.name[:-1] + ("x" if container.name[-1] != "x" else "y")

    outcome = gateway.call(viewer, "inspect_container", {"container": typo})

    assert outcome.status == "failed"
    assert outcome.error_code == "container_not_found"
    assert outcome.message.startswith(f"No container named {typo!r}; did you mean ")
    assert container.name in outcome.message


def test_id_prefix_resolves(gateway, make_container, viewer):
    container = make_container("prefix")
    outcome = gateway.call(viewer, "inspect_container", {"container": container.id[:12]})
    assert outcome.status == "executed", outcome.message
    assert outcome.result["name"] == container.name
    assert outcome.result["full_id"] == container.id


def test_a_listing_is_fresh(gateway, make_container, viewer, docker_client):
    case = new_case()
    container = make_container("fresh", labels=case_labels(case))
    label = f"ddt.case={case}"
    assert names_of(gateway.call(viewer, "list_containers", {"label": label})) == [container.name]
    docker_client.api.stop(container.id, timeout=1)
    deadline = time.monotonic() + 5
    while docker_client.api.inspect_container(container.id)["State"]["Running"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert names_of(gateway.call(viewer, "list_containers", {"label": label})) == []
