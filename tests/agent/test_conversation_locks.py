"""On a SQLite file the conversation lock holds across processes (the CLI and the API on one
file): another process cannot take it while it is held, and can once it is released."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.checkpoints import ConversationLocks
from foundation.db import make_engine

TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "a") as handle:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
"""


def another_process_can_lock(path: Path) -> bool:
    done = subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], timeout=30)
    return done.returncode == 0


def test_a_held_conversation_is_locked_for_other_processes(tmp_path: Path) -> None:
    locks = ConversationLocks(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    path = locks.lock_file("thread-1")

    with locks.hold("thread-1"):
        assert path.parent == tmp_path / "state.db.locks"
        assert not another_process_can_lock(path)
    assert another_process_can_lock(path)


def test_an_in_memory_database_has_no_lock_files() -> None:
    locks = ConversationLocks(make_engine("sqlite://"))
    with locks.hold("thread-1"):  # the process lock alone
        pass
    with pytest.raises(ValueError):
        locks.lock_file("thread-1")
