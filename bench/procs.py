"""Servers the benchmark starts and stops: gunicorn masters on 127.0.0.1, by pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_supports_no_control_socket(python: str) -> bool:
    """gunicorn 25+ opens a control socket per master; several masters want it off."""
    out = subprocess.run(
        [python, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return "--no-control-socket" in out


class Server:
    """One gunicorn master with ``WORKERS`` sync workers, serving ``app`` on a free port."""

    def __init__(
        self,
        name: str,
        app: str,
        env: dict[str, str],
        python: str = sys.executable,
        cwd: Path = ROOT,
        log_dir: Path | None = None,
    ) -> None:
        self.name, self.app, self.python, self.cwd = name, app, python, cwd
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.log_path = (log_dir or ROOT / "bench" / "results") / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            self.python,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ]
        if gunicorn_supports_no_control_socket(self.python):
            cmd.append("--no-control-socket")
        return [*cmd, self.app]

    def start(self, probe: str = "/", timeout: float = 60) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + probe, timeout=5) as r:
                    r.read()
                # Warm both workers (imports, templates, connection pools).
                for _ in range(2 * WORKERS):
                    with urllib.request.urlopen(self.url + probe, timeout=30) as r:
                        r.read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer in {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB (VmRSS from /proc)."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the master stops its own workers
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def serving(server: Server, probe: str = "/") -> Iterator[Server]:
    server.start(probe)
    try:
        yield server
    finally:
        server.stop()
