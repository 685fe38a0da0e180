"""`herald` commands forked from a process that has already imported herald.

A `herald` process spends about 2 s of CPU importing herald before it reads its
arguments, and the CLI tests run about a hundred of them. A zygote process imports
the heavy part once (herald's runtime and web app, not ``herald.cli``, whose consoles
read the environment when they are made) and forks a child per command. Each child
is still a process of its own: the command's environment (nothing else), working
directory, stdin from /dev/null, stdout and stderr to files, the exit code (or the
signal) as the `herald` script would give it, and atexit handlers run.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# Run by the zygote: argv[1] is the script's directory, sys.path[0] as `herald` has it.
_ZYGOTE = r"""
import json, os, sys
sys.path[0] = sys.argv[1]
import herald.runtime, herald.web.app  # the import cost, paid once

def child(req):
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    sys.stdin = open(os.devnull)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    sys.argv = req["argv"]
    import atexit, traceback
    try:
        from herald.cli.main import main
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        child(req)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Zygote:
    """One per test process, started on first use; commands run one at a time."""

    def __init__(self, script: Path) -> None:
        self._script = script
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._buffer = b""

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE, str(self._script.parent)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
            self._buffer = b""
            atexit.register(self.close)
        return self._proc

    def _answer(self, proc: subprocess.Popen[bytes], timeout: float | None) -> dict[str, int]:
        """The zygote's next line; TimeoutError after ``timeout`` seconds."""
        assert proc.stdout is not None
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            if not ready:
                raise TimeoutError
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("the herald CLI zygote exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, int] = json.loads(line)
        return answer

    def run(
        self, args: list[str], env: dict[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(self._script), *args]
        with self._lock, tempfile.TemporaryDirectory(prefix="herald-cli-") as out:
            files = {name: os.path.join(out, name) for name in ("stdout", "stderr")}
            proc = self._started()
            assert proc.stdin is not None
            request = {"argv": argv, "env": env, "cwd": str(cwd), **files}
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            pid = self._answer(proc, None)["pid"]
            try:
                returncode = self._answer(proc, timeout)["returncode"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._answer(proc, None)
                raise subprocess.TimeoutExpired(argv, timeout) from None
            stdout, stderr = (Path(files[n]).read_text() for n in ("stdout", "stderr"))
        return subprocess.CompletedProcess(argv, returncode, stdout, stderr)

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(10)
