"""The offline planner's reply to a diagnosis: cause, evidence, the log's error lines (fenced:
they come from the container), then the fix."""

from __future__ import annotations

from agent.replies import _read_reply


def test_a_diagnosis_reply_carries_the_error_lines_the_fix_points_at() -> None:
    result = {
        "container": "api", "state": "exited",
        "likely_cause": "it exited with code 1: the application failed",
        "evidence": ["exit code 1", "fatal: config missing"],
        "error_lines": ["fatal: config missing", "```injected``` ![x](http://x/y.png)"],
        "fix": "read the error lines below; fix the configuration, then restart",
    }  # fmt: skip
    reply = _read_reply("diagnose_container", {"container": "api"}, result)

    cause, fix = reply.index("likely cause"), reply.index("Fix:")
    lines = reply.index("Error lines from its log")
    assert cause < lines < fix
    assert reply.count("fatal: config missing") == 1  # already in the evidence: not repeated
    assert "```injected```" not in reply  # a fence in container output cannot close ours
