"""Problems: what is in trouble on the host, why (a diagnosis per container), and disk usage.

Causes quote container output (log lines, health-check output), so everything from the engine
is shown as plain text or code, never as markdown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import session
from ui.client import ApiClient, ApiError
from ui.safe_text import clip, human_bytes


def render(api: ApiClient) -> None:
    session.header("Problems", "Crash loops, unhealthy, failed and never-started containers.")
    try:
        problems = api.problems()
    except ApiError as exc:
        session.show_error(exc, "Could not look for problems")
        return
    if not problems:
        st.success("Nothing is in trouble: no crash loops, unhealthy or failed containers.")
    else:
        st.dataframe(
            pd.DataFrame(
                [{"container": p["container"], "problem": p["problem"],
                  "likely cause": clip(p["likely_cause"], 300)} for p in problems]
            ),
            hide_index=True,
        )  # fmt: skip
        names = [p["container"] for p in problems]
        pick = st.selectbox("Diagnose", names, key="problems_pick")
        if pick:
            session.guarded(lambda: _diagnosis(api, str(pick)))
    st.divider()
    session.guarded(lambda: _disk(api))


def _diagnosis(api: ApiClient, ref: str) -> None:
    try:
        found = api.diagnosis(ref)
    except ApiError as exc:
        session.show_error(exc, f"Could not diagnose {ref}")
        return
    st.markdown("**Likely cause**")
    st.text(found["likely_cause"])
    if found.get("fix"):
        st.markdown("**Fix the assistant can propose** (it goes through approval)")
        st.text(found["fix"])
    evidence = [*found.get("evidence", []), *found.get("error_lines", [])]
    if evidence:
        st.markdown("**Evidence**")
        st.code("\n".join(evidence), language=None)


def _disk(api: ApiClient) -> None:
    try:
        df: dict[str, Any] = api.disk_usage()
    except ApiError as exc:
        session.show_error(exc, "Could not read disk usage")
        return
    st.markdown(f"**Disk usage** — {human_bytes(df['total_size'])} in all")
    rows = [
        ("images", df["images"], df["images_size"], df["images_reclaimable"]),
        ("containers", df["containers"], df["containers_size"], df["containers_reclaimable"]),
        ("volumes", df["volumes"], df["volumes_size"], df["volumes_reclaimable"]),
        ("build cache", None, df["build_cache_size"], df["build_cache_reclaimable"]),
    ]
    st.dataframe(
        pd.DataFrame(
            [{"kind": kind, "count": count, "size": human_bytes(size),
              "reclaimable": human_bytes(free)} for kind, count, size, free in rows]
        ),
        hide_index=True,
    )  # fmt: skip
