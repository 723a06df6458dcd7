"""Real servers for the production and fault tests, each on a free port of 127.0.0.1.

Every helper starts its own process (or thread) and stops it again: a
PostgreSQL cluster in a temporary folder, a redis-server, an SMTP sink
(aiosmtpd), the app under gunicorn, and ``blog worker``. None touches the
machine's shared PostgreSQL or Redis beyond a throwaway database of its own.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _reap(proc)


def _reap(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    """Wait for a process told to stop; kill it if it takes too long."""
    if proc is None:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- PostgreSQL ------------------------------------------------------------------


def postgres_server_url() -> str:
    """The PostgreSQL server the tests may create databases on."""
    return os.environ.get("BLOG_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def _psycopg(url: str) -> sa.URL:
    return sa.make_url(url).set(drivername="postgresql+psycopg")


def postgres_reachable(url: str) -> bool:
    engine = sa.create_engine(_psycopg(url), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


class ThrowawayDatabase:
    """A database of our own on a PostgreSQL server, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.name = f"blog_prod_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(_psycopg(server_url), isolation_level="AUTOCOMMIT")
        self.url = (
            _psycopg(server_url).set(database=self.name).render_as_string(hide_password=False)
        )

    def __enter__(self) -> ThrowawayDatabase:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def postgres_binaries() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3])
    )
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A PostgreSQL cluster of our own in a temporary folder: safe to restart."""

    def __init__(self) -> None:
        self.bin = postgres_binaries()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="blog-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: run the server as the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, *args], check=True, capture_output=True, timeout=60, cwd=self.dir
        )

    def start(self) -> PostgresCluster:
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "--no-sync", "-E", "UTF8", "--locale=C",
            )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.log), "-w", "-t", "30", "start",
        )  # fmt: skip
        return self

    def restart(self) -> None:
        """A fast restart: connections are cut, the server is back in a moment."""
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
            "-l", str(self.log), "-w", "-t", "30", "restart",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                 "-w", "stop"],
                capture_output=True, timeout=60, cwd=self.dir,
            )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Redis -------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own, without persistence; stop and start it at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="blog-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for(self.ping, 10):
            raise RuntimeError("redis-server did not start")
        return self

    def ping(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- SMTP --------------------------------------------------------------------------


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps every message it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def recipients(self) -> list[str]:
        with self._lock:
            return [to for rcpts, _ in self.messages for to in rcpts]

    def message_ids(self) -> list[str]:
        from email import message_from_bytes

        with self._lock:
            raw = [content for _, content in self.messages]
        return [message_from_bytes(content)["Message-ID"] for content in raw]


# --- the app and its worker -------------------------------------------------------------


def app_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without any BLOG_ setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLOG_", "FLASK_"))}
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class _Process:
    """A child process logging to a file; ``begin`` it, then ``wait_ready``."""

    startup = 30.0

    def __init__(self, name: str, log_dir: Path, env: dict[str, str]) -> None:
        self.log_path = log_dir / f"{name}.log"
        self.env = env
        self.proc: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def begin(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv(),
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        if not wait_for(self.ready, self.startup, 0.1):
            self.stop()
            raise RuntimeError(f"{self.log_path.stem} did not start:\n{self.log_text()[-3000:]}")

    def start(self):
        self.begin()
        self.wait_ready()
        return self

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def signal_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        self.signal_stop()
        _reap(self.proc)


class AppServer(_Process):
    """The site under gunicorn, as the Procfile runs it, on a port of its own."""

    def __init__(self, name: str, settings: dict[str, str], log_dir: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **settings,
            "BLOG_BIND": f"127.0.0.1:{self.port}",
            "BLOG_WORKERS": str(workers),
            "BLOG_TIMEOUT": "20",
        }
        super().__init__(name, log_dir, app_env(env))

    def argv(self) -> list[str]:
        return [str(BIN / "gunicorn"), "-c", "python:blog.gunicorn_config", "blog:create_app()"]

    def ready(self) -> bool:
        return self.healthy()

    def healthy(self) -> bool:
        return requests.get(self.url + "/healthz", timeout=2).status_code == 200


class WorkerProcess(_Process):
    """``blog worker`` with a short outbox sweep."""

    def __init__(self, settings: dict[str, str], log_dir: Path, sweep: float = 1.0) -> None:
        super().__init__("worker", log_dir, app_env(settings))
        self.sweep = sweep

    def argv(self) -> list[str]:
        return [str(BIN / "blog"), "worker", "--sweep-interval", str(self.sweep)]

    def ready(self) -> bool:
        return "blog worker started" in self.log_text()


def run_blog(args: list[str], settings: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a ``blog`` command (e.g. ``db upgrade``) to completion."""
    return subprocess.run(
        [str(BIN / "blog"), *args],
        env=app_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


# --- the whole stack -------------------------------------------------------------------


class Stack:
    """App processes, a worker and their settings over one database, Redis and SMTP server."""

    def __init__(self, tmp: Path, settings: dict[str, str]) -> None:
        self.tmp = tmp
        self.settings = {
            "BLOG_SECRET_KEY": "production-test-secret",
            "BLOG_INSTANCE_PATH": str(tmp / "instance"),
            "BLOG_MAIL_SWEEP_SECONDS": "1",
            "BLOG_MAIL_RETRY_SECONDS": "0.2",
            "BLOG_LOGIN_RATE_LIMIT": "1000 per minute",
            **settings,
        }
        self.apps: list[AppServer] = []
        self.worker: WorkerProcess | None = None
        self.redis: RedisServer | None = None
        self.smtp: SmtpSink | None = None
        self._app = None

    def app(self):
        """An app object in this process on the stack's database, to seed and read rows."""
        if self._app is None:
            from blog import create_app

            self._app = create_app(self.config())
        return self._app

    def dispose(self) -> None:
        if self._app is not None:
            from blog.extensions import db

            with self._app.app_context():
                db.engine.dispose()

    def config(self) -> dict[str, str]:
        """The settings as ``create_app`` takes them, for seeding and reading rows here."""
        return {k.removeprefix("BLOG_"): v for k, v in self.settings.items()}

    def migrate(self) -> None:
        run_blog(["db", "upgrade"], self.settings)

    def start(self, apps: int, worker: bool = True) -> list[AppServer]:
        """Start ``apps`` app servers and (unless told not to) a worker, side by side."""
        fresh = [AppServer(f"app{n}", self.settings, self.tmp) for n in range(apps)]
        self.apps.extend(fresh)
        if worker:
            self.worker = WorkerProcess(self.settings, self.tmp)
        self._start_together([*fresh, *([self.worker] if worker else [])])
        return self.apps

    @staticmethod
    def _start_together(procs: list[_Process]) -> None:
        for proc in procs:
            proc.begin()
        for proc in procs:
            proc.wait_ready()

    def stop(self) -> None:
        procs = [p for p in [*self.apps, self.worker] if p is not None]
        for proc in procs:  # all at once, then wait: shutdowns overlap
            proc.signal_stop()
        for proc in procs:
            _reap(proc.proc)

    def logs(self) -> str:
        parts = [
            f"--- {p.log_path.name}\n{p.log_text()[-4000:]}" for p in [*self.apps, self.worker] if p
        ]
        return "\n".join(parts)


class Visitor:
    """A browser-like client: cookies kept (for every port of 127.0.0.1), CSRF sent."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def token(self, base: str) -> str:
        return self.http.get(base + "/api/csrf", timeout=10).json()["csrf_token"]

    def post_json(self, base: str, path: str, data: dict) -> requests.Response:
        headers = {"X-CSRFToken": self.token(base)}
        return self.http.post(base + path, json=data, headers=headers, timeout=20)

    def get(self, url: str) -> requests.Response:
        return self.http.get(url, timeout=10)
