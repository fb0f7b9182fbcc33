"""One module per page; each has `render(api)`. (Not `pages/`: Streamlit would treat that
folder as its own multipage app.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ui.client import ApiClient
from ui.views import approvals, audit, chat, containers, logs, stats


@dataclass(frozen=True)
class View:
    label: str
    render: Callable[[ApiClient], None]


VIEWS: dict[str, View] = {
    "chat": View(":material/chat: Chat", chat.render),
    "containers": View(":material/view_list: Containers", containers.render),
    "logs": View(":material/article: Logs", logs.render),
    "stats": View(":material/monitoring: Stats", stats.render),
    "approvals": View(":material/approval: Approvals", approvals.render),
    "audit": View(":material/history: Audit", audit.render),
}
