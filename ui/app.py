"""The DockerDeployer web console (`dockerdeployer ui`, or `streamlit run ui/app.py`).

A thin client of the HTTP API at DOCKERDEPLOYER_API_URL: it never talks to Docker, the agent or
the tools directly, so every action passes the same authentication, guard, approvals and audit.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ itself on sys.path, not the project root that holds `ui`.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from ui.console import main  # noqa: E402

main()
