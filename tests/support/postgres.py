"""Start a throwaway PostgreSQL server from the machine's own binaries.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres`
user on a directory that user owns. The server listens on loopback only, on a
free port, with trust authentication. ``stop()`` stops it and ``start()`` starts it
again on the same data directory and port (outage tests); ``cleanup()`` stops it and
removes its files.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from tests.support.ports import free_port


def _bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("PostgreSQL server binaries not found: run scripts/system-deps.sh")


@dataclass
class PostgresServer:
    port: int = field(default_factory=free_port)
    datadir: str = ""
    bindir: str = field(default_factory=_bindir)
    _as_postgres: bool = os.geteuid() == 0
    # Tests trade durability for speed; benchmarks measure both (bench/queue_throughput.py).
    durable: bool = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self) -> PostgresServer:
        """Create the cluster on first use; later calls restart it after ``stop()``."""
        if not self.datadir:
            base = tempfile.mkdtemp(prefix="herald-pg-")
            self.datadir = os.path.join(base, "data")
            if self._as_postgres:
                shutil.chown(base, "postgres", "postgres")
            self._run("initdb", "-D", self.datadir, "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        base = os.path.dirname(self.datadir)
        sync = "on" if self.durable else "off"
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
            f"-c fsync={sync} -c synchronous_commit={sync} -c full_page_writes={sync} "
            "-c max_connections=200"
        )
        self._run("pg_ctl", "-D", self.datadir, "-o", options, "-l", f"{base}/log", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.datadir, "-m", mode, "-w", "stop", check=False)

    def restart_after(self, seconds: float) -> None:
        """Stop the server, wait, start it again on the same port (outage tests)."""
        self.stop()
        time.sleep(seconds)
        self.start()

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(os.path.dirname(self.datadir), ignore_errors=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        """An empty database, or a copy of ``template`` (which no one may be connected to)."""
        copy = ["-T", template] if template else []
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *copy, name
        )
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"
