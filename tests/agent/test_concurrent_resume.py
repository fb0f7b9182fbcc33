"""One paused conversation resumed by two Assistants at once (two requests, or with
--db=postgresql two replicas on one database): the turn is continued once."""

from __future__ import annotations

from tests.agent.resume_race import meeting_models, resume_at_once


def test_a_paused_turn_resumed_twice_at_once_continues_once(
    settings, make_assistant, make_container, docker_client, admin
):
    container = make_container("resume-race")
    models = meeting_models(container.name)
    first = make_assistant(settings, models[0])
    second = make_assistant(settings, models[1])  # another "process" on the same store
    resume_at_once(first, second, admin, container, docker_client, models)


def test_resuming_as_the_owner_after_a_decision_is_also_continued_once(
    settings, make_assistant, make_container, docker_client, admin
):
    """`resume_thread` is what the approvals route calls after each decision."""
    container = make_container("resume-race-owner")
    models = meeting_models(container.name)
    first = make_assistant(settings, models[0])
    second = make_assistant(settings, models[1])
    resume_at_once(first, second, admin, container, docker_client, models, as_owner=True)
