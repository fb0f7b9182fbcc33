"""The DockerDeployer web console (`dockerdeployer ui`, or `streamlit run ui/app.py`).

A thin client of the HTTP API at DOCKERDEPLOYER_API_URL: it never talks to Docker, the agent or
the tools directly, so every action passes the same authentication, guard, approvals and audit.
`ui` is an installed package (`pip install -e .`; in the image, on the interpreter's path), so
this script imports it like any other package.
"""

from __future__ import annotations

from ui.console import main

main()
