"""A paused conversation continued on two replicas at once (two Assistants, each with its own
gateway, agent and checkpointer pool, on one PostgreSQL database) is continued once: the
per-conversation lock is PostgreSQL's, not only a process's."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg

from agent.checkpoints import THREAD_LOCK_SPACE, ConversationLocks, thread_lock_key
from agent.factory import build_assistant
from dockerdeployer.wiring import build_gateway
from foundation.db import make_engine
from foundation.settings import Settings
from tests.agent.resume_race import meeting_models, resume_at_once


def replica_settings(home: Path, url: str) -> Settings:
    return Settings(home=home, bind_roots=[str(home.parent)], database_url=url, _env_file=None)  # type: ignore[call-arg]


def test_two_replicas_resuming_one_paused_turn_at_once_continue_it_once(
    pg_url, tmp_path, engine, make_container, docker_client, admin
):
    container = make_container("pg-resume-race")
    models = meeting_models(container.name)
    # Each replica names itself: a different URL, so only the database serialises the two
    # (the process-level lock is per database URL and is not shared between them).
    replicas = [
        build_assistant(settings, build_gateway(settings, engine=engine), model=model)
        for settings, model in zip(
            (replica_settings(tmp_path / name, f"{pg_url}?application_name=replica-{name}")
             for name in ("a", "b")),
            models, strict=True,
        )
    ]  # fmt: skip
    resume_at_once(*replicas, admin, container, docker_client, models, as_owner=True)


def test_the_conversation_lock_is_held_in_postgresql_until_the_resume_ends(pg_url):
    locks = ConversationLocks(make_engine(pg_url))
    held, release = threading.Event(), threading.Event()

    def resume() -> None:
        with locks.hold("thread-1"):
            held.set()
            release.wait(timeout=30)

    def free(thread_id: str) -> bool:
        """Could another process take this conversation's lock now?"""
        with psycopg.connect(pg_url, autocommit=False) as other:
            row = other.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                (THREAD_LOCK_SPACE, thread_lock_key(thread_id)),
            ).fetchone()
            other.rollback()
            return bool(row and row[0])

    worker = threading.Thread(target=resume)
    worker.start()
    try:
        assert held.wait(timeout=30)
        assert not free("thread-1")
        assert free("thread-2")  # another conversation is not held up
    finally:
        release.set()
        worker.join(timeout=30)
    assert free("thread-1")
