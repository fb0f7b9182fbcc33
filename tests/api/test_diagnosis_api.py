"""Diagnosis, problems, ranked stats and disk usage over HTTP, against the real engine."""

from __future__ import annotations

import time

from tests.conftest import RUN_ID, TEST_LABEL


def wait_exited(docker_client, container_id: str) -> None:
    deadline = time.monotonic() + 20
    while docker_client.api.inspect_container(container_id)["State"]["Running"]:
        assert time.monotonic() < deadline, "the container never exited"
        time.sleep(0.1)


def test_a_crashed_container_is_listed_found_and_diagnosed(
    client, user_headers, make_container, docker_client
):
    crashed = make_container("api-crash", command=["sh", "-c", "echo 'fatal: no config'; exit 3"])
    wait_exited(docker_client, crashed.id)
    viewer = user_headers["viewer"]

    listed = client.get(
        "/api/containers",
        params={"condition": "exited_nonzero", "label": f"{TEST_LABEL}={RUN_ID}"},
        headers=viewer,
    )
    problems = client.get("/api/problems", headers=viewer)
    diagnosis = client.get(f"/api/containers/{crashed.name}/diagnosis", headers=viewer)
    bad = client.get("/api/containers", params={"condition": "on-fire"}, headers=viewer)

    assert listed.status_code == 200, listed.text
    assert crashed.name in {c["name"] for c in listed.json()}
    assert problems.status_code == 200, problems.text
    [mine] = [p for p in problems.json() if p["container"] == crashed.name]
    assert mine["problem"] == "exited with code 3"
    assert diagnosis.status_code == 200, diagnosis.text
    found = diagnosis.json()
    assert "3" in found["likely_cause"]
    assert any("fatal: no config" in line for line in found["error_lines"] + found["evidence"]), (
        found
    )
    assert bad.status_code == 422


def test_ranked_stats_and_disk_usage(client, user_headers, make_container):
    make_container("api-stats-a")
    make_container("api-stats-b")
    viewer = user_headers["viewer"]

    stats = client.get("/api/stats", params={"sort_by": "memory"}, headers=viewer)
    disk = client.get("/api/system/disk", headers=viewer)
    anonymous = client.get("/api/problems")

    assert stats.status_code == 200, stats.text
    memory = [c["memory_usage"] for c in stats.json()["containers"]]
    assert len(memory) >= 2 and memory == sorted(memory, reverse=True)
    assert stats.json()["total_memory_usage"] == sum(memory)
    assert disk.status_code == 200, disk.text
    assert disk.json()["images"] >= 1 and disk.json()["images_size"] > 0
    assert anonymous.status_code == 401
