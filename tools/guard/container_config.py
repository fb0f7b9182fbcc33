"""Host paths and capabilities that no container may be given, whatever role or approval.

The allow-list (`tools.guard.allowlist`) uses these: a bind under a sensitive tree stays
refused even where a configured bind root contains it.
"""

from __future__ import annotations

import os
import posixpath

# Docker's default capability set: adding one of these changes nothing dangerous.
SAFE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip

# A bind of any path under these gives the container the host (or its engine).
SENSITIVE_TREES = (
    "/etc", "/proc", "/sys", "/boot", "/dev", "/root", "/usr", "/bin", "/sbin", "/lib",
    "/lib64", "/var/lib/docker", "/var/lib/containerd", "/run", "/var/run",
)  # fmt: skip
SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock")


def _normalise(path: str) -> str:
    path = posixpath.normpath("/" + path.strip().lstrip("/")) if path.strip() else "/"
    return "/" if path in ("//", "") else path


def sensitive_path_reason(path: str) -> str | None:
    """Why binding this host path is refused, or None when it is fine."""
    candidates = {_normalise(path)}
    try:
        # Same-host engines: a symlink to /etc is /etc. For remote engines this is a no-op.
        candidates.add(_normalise(os.path.realpath(path)))
    except (OSError, ValueError):
        pass
    for candidate in candidates:
        if candidate.endswith(".sock") and "docker" in candidate:
            return f"mounting the Docker socket ({path}) gives root on the host"
        if candidate == "/":
            return "binding the host's root filesystem / is refused"
        for socket in SOCKETS:
            if socket.startswith(candidate.rstrip("/") + "/"):
                return f"binding {path} exposes the Docker socket {socket}"
        for tree in SENSITIVE_TREES:
            if candidate == tree or candidate.startswith(tree + "/"):
                return f"binding host path {path} (under {tree}) is refused"
            # A parent brings the whole tree with it: /var/lib holds /var/lib/docker.
            if tree.startswith(candidate.rstrip("/") + "/"):
                return f"binding host path {path} exposes {tree}; refused"
    return None
