"""GET /api/health, cached for a few seconds: every rerun would otherwise ask the engine."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.client import ApiClient, ApiError


@st.cache_data(ttl=10, show_spinner=False)
def fetch_health(api_url: str) -> dict[str, Any]:
    """The API's health answer, or {"status": "unreachable", "detail": why}."""
    client = ApiClient(api_url)
    try:
        return client.health()
    except ApiError as exc:
        return {"status": "unreachable", "detail": exc.detail}
    finally:
        client.close()
