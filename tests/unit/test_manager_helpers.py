"""DockerManager's pure parts: name/ID resolution, suggestions, output caps, redaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tools.engine import Engine
from tools.errors import ContainerNotFound, InvalidArguments
from tools.manager import (
    ContainerRecord,
    DockerManager,
    cap_text,
    format_ports,
    not_found_message,
    redact_env,
    split_image,
)
from tools.schemas import ContainerLogsInput
from tools.timeparse import parse_since


def record(name: str, container_id: str) -> ContainerRecord:
    return ContainerRecord.from_api({"Id": container_id, "Names": [f"/{name}"], "State": "running"})


RECORDS = [
    record("web", "abc123" + "0" * 58),
    record("web-2", "abd456" + "0" * 58),
    record("db", "ff0011" + "0" * 58),
]


@pytest.fixture
def manager(tmp_path):
    return DockerManager(Engine(host=f"unix://{tmp_path}/none.sock"))


def test_resolve_by_name_full_id_and_unique_prefix(manager):
    assert manager.resolve_container("web", RECORDS).name == "web"
    assert manager.resolve_container("/db", RECORDS).name == "db"
    assert manager.resolve_container(RECORDS[2].id, RECORDS).name == "db"
    assert manager.resolve_container("abc", RECORDS).name == "web"
    assert manager.resolve_container("ff00", RECORDS).name == "db"


def test_an_ambiguous_prefix_asks_for_more(manager):
    with pytest.raises(InvalidArguments, match="matches 2 containers"):
        manager.resolve_container("abc", RECORDS + [record("x", "abc9" + "1" * 60)])


def test_an_exact_name_wins_over_an_id_prefix(manager):
    records = [*RECORDS, record("abc", "999" + "0" * 61)]
    assert manager.resolve_container("abc", records).name == "abc"


def test_unknown_names_suggest_close_ones(manager):
    with pytest.raises(ContainerNotFound) as info:
        manager.resolve_container("wbe", RECORDS)
    assert info.value.message.startswith("No container named 'wbe'; did you mean web")


def test_unknown_names_without_anything_close(manager):
    assert not_found_message("zzzzzz", ["web", "db"]) == "No container named 'zzzzzz'."


def test_substring_matches_are_suggested_too():
    assert "did you mean prod-api-1" in not_found_message("api", ["prod-api-1", "db"])


def test_parse_since():
    now = datetime.now(UTC).timestamp()
    assert abs(parse_since("10m") - (now - 600)) < 5  # type: ignore[operator]
    assert abs(parse_since("2h") - (now - 7200)) < 5  # type: ignore[operator]
    assert parse_since("2024-01-02T03:04:05Z") == 1704164645
    assert parse_since(None) is None
    with pytest.raises(InvalidArguments, match="not a duration"):
        parse_since("yesterday")


def test_cap_text_keeps_the_newest_bytes_and_never_splits_a_character():
    text, truncated = cap_text("old\n" + "é" * 1000 + "\nnewest", 101)
    assert truncated and text.endswith("\nnewest")
    assert len(text.encode()) <= 101
    assert cap_text("short", 100) == ("short", False)


def test_redact_env_hides_secret_values_only():
    shown = redact_env(["DB_PASSWORD=hunter2", "API_TOKEN=t", "MODE=prod", "EMPTY_SECRET="])
    assert shown == ["DB_PASSWORD=***", "API_TOKEN=***", "MODE=prod", "EMPTY_SECRET="]


def test_split_image():
    assert split_image("nginx:1.27") == ("nginx", "1.27")
    assert split_image("nginx") == ("nginx", "latest")
    assert split_image("reg:5000/app") == ("reg:5000/app", "latest")
    assert split_image("reg:5000/app:2") == ("reg:5000/app", "2")


def test_format_ports_folds_ipv6_duplicates():
    ports = [
        {"PrivatePort": 80, "PublicPort": 8080, "Type": "tcp", "IP": "0.0.0.0"},
        {"PrivatePort": 80, "PublicPort": 8080, "Type": "tcp", "IP": "::"},
        {"PrivatePort": 53, "Type": "udp"},
    ]
    assert format_ports(ports) == ["0.0.0.0:8080->80/tcp", "53/udp"]


@pytest.mark.parametrize(
    "since",
    ["99999999999d", "9" * 36 + "s", "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00",
     "9999-12-31T23:59:59-14:00", "3651d", "1969-12-31T23:59:59Z", "soon", "10x"],
)  # fmt: skip
def test_since_values_that_would_overflow_or_make_no_sense_are_a_clear_error(since):
    with pytest.raises(InvalidArguments, match="since="):
        parse_since(since)
    with pytest.raises(ValidationError, match="since"):
        ContainerLogsInput(container="web", since=since)


def test_since_bounds_that_make_sense_are_kept():
    assert parse_since("3650d") is not None
    assert parse_since("1970-01-01T00:00:00Z") == 0
    assert ContainerLogsInput(container="web", since="15m").since == "15m"
