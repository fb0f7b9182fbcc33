"""The task loader: the built-in set loads, and a malformed file gets a readable error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dockerdeployer.bench.loader import TaskFileError, load_tasks, parse_task
from dockerdeployer.bench.spec import Task

GOOD = """
id = "restart-web"
category = "lifecycle"
description = "Restart one container."

[[setup.containers]]
name = "web"

[[turns]]
say = "restart {web}"
approval = "approve"

[verify]
restarted = ["web"]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / "lifecycle" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_builtin_tasks_load_and_cover_every_family() -> None:
    tasks = load_tasks()
    assert len(tasks) >= 60
    per_category = Counter(t.category for t in tasks)
    for category in ("lifecycle", "read", "deploy", "ambiguous", "multistep", "failure",
                     "safety", "images", "exec", "approval", "swarm", "multihost"):  # fmt: skip
        assert per_category[category] >= 1, category
    assert {t.style for t in tasks} >= {"plain", "telegraphic", "conversational", "typo", "cli"}
    assert len({t.id for t in tasks}) == len(tasks)


def test_a_good_task_parses_with_its_derived_expectations() -> None:
    task = parse_task(GOOD, "restart-web.toml")
    assert isinstance(task, Task)
    assert task.verify.expected_changes == 1
    assert task.verify.approvable_tools == {"restart_container", "start_container",
                                            "stop_container"}  # fmt: skip
    assert task.expects_approval


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 'x'\ncategory = ", "not valid TOML"),
        (GOOD.replace("restarted =", "restartd ="), "verify.restartd: Extra inputs"),
        (GOOD.replace('restarted = ["web"]', 'restarted = ["wbe"]'),
         "verify.restarted: 'wbe' is not a setup container (have: web)"),
        (GOOD.replace("{web}", "{wbe}"), "turns[0].say: unknown placeholder {wbe}"),
        (GOOD.replace('category = "lifecycle"', 'category = "chaos"'), "category: Input should be"),
        (GOOD.replace('approval = "approve"', 'approval = "yes"'), "turns[0].approval"),
        (GOOD.replace('[[turns]]\nsay = "restart {web}"\napproval = "approve"\n', ""),
         "turns: Field required"),
        (GOOD.replace('name = "web"', 'name = "Web Server"'), "setup.containers[0].name"),
        (GOOD + '\n[[setup.containers]]\nname = "web"\n', "duplicate names ['web']"),
    ],
)  # fmt: skip
def test_malformed_task_files_get_a_readable_error(text: str, expected: str) -> None:
    with pytest.raises(TaskFileError) as caught:
        parse_task(text, "tasks/lifecycle/bad.toml")
    message = str(caught.value)
    assert message.startswith("tasks/lifecycle/bad.toml: ")
    assert expected in message
    assert "Traceback" not in message and "pydantic" not in message.split(":", 1)[1].lower()


def test_the_directory_loader_names_every_bad_file(tmp_path: Path) -> None:
    write(tmp_path, "restart-web", GOOD)
    write(tmp_path, "broken", "id = ")
    write(tmp_path, "other-name", GOOD)  # id restart-web in a file named other-name
    with pytest.raises(TaskFileError) as caught:
        load_tasks(tmp_path)
    message = str(caught.value)
    assert "broken.toml: not valid TOML" in message
    assert "other-name.toml: id 'restart-web' must match the file name ('other-name')" in message


def test_the_filter_matches_id_category_or_glob(tmp_path: Path) -> None:
    write(tmp_path, "restart-web", GOOD)
    assert [t.id for t in load_tasks(tmp_path, "restart")] == ["restart-web"]
    assert [t.id for t in load_tasks(tmp_path, "lifecycle")] == ["restart-web"]
    assert [t.id for t in load_tasks(tmp_path, "life*/restart-*")] == ["restart-web"]
    assert load_tasks(tmp_path, "deploy") == []


def test_a_missing_directory_is_a_readable_error(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="no such task directory"):
        load_tasks(tmp_path / "nope")
