"""One module per page; each has `render(api)`. ui/console.py makes each an `st.Page` whose URL
is its key (`/logs`); the first is the default page, at `/`. (Not `pages/`: that folder name
means Streamlit's older, file-based multipage apps.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ui.client import ApiClient
from ui.views import approvals, audit, chat, containers, logs, problems, stats


@dataclass(frozen=True)
class View:
    title: str
    icon: str
    render: Callable[[ApiClient], None]


VIEWS: dict[str, View] = {
    "chat": View("Chat", ":material/chat:", chat.render),
    "containers": View("Containers", ":material/view_list:", containers.render),
    "logs": View("Logs", ":material/article:", logs.render),
    "stats": View("Stats", ":material/monitoring:", stats.render),
    "problems": View("Problems", ":material/troubleshoot:", problems.render),
    "approvals": View("Approvals", ":material/approval:", approvals.render),
    "audit": View("Audit", ":material/history:", audit.render),
}
DEFAULT = next(iter(VIEWS))
