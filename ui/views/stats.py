"""Stats: CPU and memory of running containers, sampled in parallel and charted over time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import streamlit as st

from ui import session
from ui.client import ApiClient, ApiError
from ui.safe_text import human_bytes

REFRESH_SECONDS = 5
HISTORY = 60  # samples kept per container: the last five minutes
DEFAULT_SHOWN = 6
HISTORY_KEY = "stats_history"


def _sample(api: ApiClient, names: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """One stats call per container, in parallel: each takes about a second on the engine."""

    def one(name: str) -> dict[str, Any] | str:
        try:
            return api.stats(name)
        except ApiError as exc:
            return f"{name}: {exc.detail}"

    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        results = list(pool.map(one, names))
    samples = [r for r in results if isinstance(r, dict)]
    errors = [r for r in results if isinstance(r, str)]
    return samples, errors


def _record(samples: list[dict[str, Any]]) -> pd.DataFrame:
    now = pd.Timestamp(time.time(), unit="s")
    history: list[dict[str, Any]] = st.session_state.setdefault(HISTORY_KEY, [])
    for s in samples:
        history.append(
            {"time": now, "container": s["container"], "cpu %": s["cpu_percent"],
             "memory MiB": round(s["memory_usage"] / 2**20, 2),
             "memory % of limit": s["memory_percent"]}
        )  # fmt: skip
    del history[: max(0, len(history) - HISTORY * max(1, len(samples)))]
    return pd.DataFrame(history)


def _charts(samples: list[dict[str, Any]], history: pd.DataFrame) -> None:
    current = pd.DataFrame(
        [{"container": s["container"], "cpu %": s["cpu_percent"],
          "memory MiB": round(s["memory_usage"] / 2**20, 2)} for s in samples]
    )  # fmt: skip
    cpu, memory = st.columns(2)
    with cpu:
        st.markdown("**CPU %** (now)")
        st.bar_chart(current, x="container", y="cpu %", horizontal=True)
    with memory:
        st.markdown("**Memory MiB** (now)")
        st.bar_chart(current, x="container", y="memory MiB", horizontal=True)
    if history["time"].nunique() > 1:
        over_cpu, over_mem = st.columns(2)
        with over_cpu:
            st.markdown("**CPU % over time**")
            st.line_chart(history, x="time", y="cpu %", color="container")
        with over_mem:
            # Against each container's own limit (the host's memory when it has none): a line
            # climbing to 100 is a container heading for the OOM killer.
            st.markdown("**Memory % of its limit over time**")
            st.line_chart(history, x="time", y="memory % of limit", color="container")
    st.dataframe(
        pd.DataFrame(
            [{"container": s["container"], "cpu %": s["cpu_percent"],
              "memory": f"{human_bytes(s['memory_usage'])} / {human_bytes(s['memory_limit'])}",
              "memory %": s["memory_percent"], "net rx": human_bytes(s["net_rx"]),
              "net tx": human_bytes(s["net_tx"]), "processes": s["pids"]} for s in samples]
        ),
        hide_index=True,
    )  # fmt: skip


def render(api: ApiClient) -> None:
    session.header("Stats", "CPU and memory of running containers.")
    try:
        running = [c["name"] for c in api.containers(all=False)]
    except ApiError as exc:
        session.show_error(exc, "Could not list containers")
        return
    if not running:
        st.info(
            "No running containers to measure. Start one from the Containers page, or ask in "
            "Chat: “start web”.",
            icon=":material/monitoring:",
        )
        return
    selected = [n for n in st.session_state.get("stats_selected") or [] if n in running]
    st.session_state["stats_selected"] = selected or running[:DEFAULT_SHOWN]
    names = st.multiselect("Containers", running, key="stats_selected")
    auto = st.toggle(f"Refresh every {REFRESH_SECONDS} s", key="stats_auto", value=True)
    if not names:
        st.info("Pick at least one container to chart.", icon=":material/monitoring:")
        return

    @st.fragment(run_every=REFRESH_SECONDS if auto else None)
    def live() -> None:
        session.guarded(lambda: _live(api, list(names)))

    live()


def _live(api: ApiClient, names: list[str]) -> None:
    samples, errors = _sample(api, names)
    for error in errors:
        session.banner("warning", error)
    if samples:
        _charts(samples, _record(samples))
        st.caption(f"Sampled at {time.strftime('%H:%M:%S')}")
