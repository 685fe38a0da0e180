"""A command whose stderr is a pseudo-terminal (stdout stays a pipe), to see what rich
draws only for a person at a terminal: the CLI's progress bars."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType


class Terminal:
    """Start ``args`` with stderr on a pty of ``columns`` x 40; read it with ``screen``."""

    def __init__(
        self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, columns: int = 120
    ) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        try:
            self.proc = subprocess.Popen(
                list(args),
                cwd=cwd,
                env={**env, "TERM": "xterm-256color"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=slave,
                text=True,
            )
        finally:
            os.close(slave)
        self._seen = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO: every writer closed its end
                return
            if not chunk:
                return
            with self._lock:
                self._seen += chunk

    def screen(self) -> str:
        """Everything written to the terminal so far, escape sequences included."""
        with self._lock:
            return self._seen.decode(errors="replace")

    def wait_for(self, text: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.screen():
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)  # what it wrote before exiting
                if text in self.screen():
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never reached the terminal: {self.screen()!r}")
            time.sleep(0.05)

    def finish(self, seconds: float = 30) -> tuple[int, str]:
        """Wait for the exit; the exit code and stdout (the terminal is drained too)."""
        stdout, _ = self.proc.communicate(timeout=seconds)
        self._reader.join(timeout=5)
        return self.proc.returncode, stdout

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        self._reader.join(timeout=5)
        os.close(self._master)
