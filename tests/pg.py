"""A throw-away PostgreSQL cluster for the `postgres` tier: Debian's server binaries, a data
directory and a socket directory under a temporary directory, listening on a free 127.0.0.1
port only. Nothing of the machine's own PostgreSQL (service, port 5432, clusters) is touched.

Installed by `scripts/ensure-postgres.sh` (make test-all). Each test gets a database of its own,
copied from a template that is already migrated (`CREATE DATABASE ... TEMPLATE`: milliseconds).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.live_server import free_port

TEMPLATE = "dd_template"


class PostgresUnavailable(RuntimeError):
    pass


def server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); "
            "run `bash scripts/ensure-postgres.sh` (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


class Cluster:
    """initdb + pg_ctl start in a temporary directory; `stop()` removes it all."""

    def __init__(self) -> None:
        self.bin = server_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ddtest-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres"
        self._started = False

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # the server refuses to run as root: run it as `postgres`
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            uid = pwd.getpwnam("postgres")
            os.chown(self.root, uid.pw_uid, uid.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--no-instructions")  # fmt: skip
        # A test server: durability off (fsync, full pages) makes CREATE DATABASE and commits
        # fast; connections enough for two replicas' pools plus the load benchmark.
        options = " ".join([
            f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=300", "-c shared_buffers=64MB",
        ])  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql)

    def prepare_template(self) -> None:
        """A migrated database (tables and the agent's checkpoint tables) to copy from."""
        from agent.checkpoints import postgres_checkpointer
        from foundation.db import open_database

        self.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = open_database(self.url(TEMPLATE))
        engine.dispose()
        saver = postgres_checkpointer(self.url(TEMPLATE), pool_max=1)
        saver.conn.close()  # type: ignore[attr-defined]

    def new_database(self, migrated: bool = True) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        template = TEMPLATE if migrated else "template0"
        for attempt in range(20):  # the template is busy while another copy is made
            try:
                self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
                break
            except Exception as exc:
                if "is being accessed by other users" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            finally:
                self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
