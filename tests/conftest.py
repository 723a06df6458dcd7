"""Fixtures: an app on a real database (SQLite, or PostgreSQL when
``BLOG_TEST_DATABASE_URL`` is set), a client that carries CSRF tokens, and
helpers that log in and find the outside services the tests need.

Each test runs against the same schema, emptied after every test. On
PostgreSQL every pytest process gets a database of its own, so several runs
can share one server.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db as _db
from blog.models import User

pytest_plugins = ["tests.oauth_servers"]

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
REQUIRE_ALL = os.environ.get("BLOG_TEST_REQUIRE_ALL") == "1"


def require(available: bool, reason: str) -> None:
    """Skip a test whose outside service is missing; in CI, fail it instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required for CI: {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared_data"):
        require(SHARED_DATA.is_dir(), f"the shared test data is not at {SHARED_DATA}")


# --- the database --------------------------------------------------------------


def _make_postgres_database(base_url: str) -> tuple[str, sa.Engine, str]:
    name = f"blog_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_psycopg(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(_psycopg(base_url)).set(database=name)
    return url.render_as_string(hide_password=False), admin, name


def _psycopg(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    base = os.environ.get("BLOG_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    url, admin, name = _make_postgres_database(base)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def base_config(database_url, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        # A fast hash: these tests are about behaviour, not hash strength.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # Generous limits; the rate-limit tests set their own.
        "COMMENT_RATE_LIMIT": "1000 per minute",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "REDIS_URL": None,
        "MAIL_URL": None,
    }


@pytest.fixture(scope="session")
def _schema(base_config) -> None:
    app = create_app(base_config)
    with app.app_context():
        _db.create_all()
        _db.engine.dispose()


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module or with ``@pytest.mark.parametrize`` to change settings."""
    return {}


@pytest.fixture
def app(base_config, _schema, config_overrides, tmp_path) -> Iterator[Flask]:
    config = {**base_config, "INSTANCE_PATH": str(tmp_path / "instance"), **config_overrides}
    config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    app = create_app(config)
    app.test_client_class = CSRFClient
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        _db.session.remove()
        _empty_all_tables()
        _db.engine.dispose()
        ctx.pop()


def _empty_all_tables() -> None:
    # DELETE, not TRUNCATE: on tables this small it is two orders of magnitude
    # faster on PostgreSQL (TRUNCATE rewrites every table's files).
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


# --- clients -------------------------------------------------------------------


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF token with every state change, the
    way the site's own pages and scripts do. Pass ``csrf=False`` to leave it out."""

    def open(self, *args, csrf: bool = True, **kwargs):
        # Requests share the test's app context, so its ``g`` outlives a request;
        # each request must start with an empty ``g`` (its user, its CSRF token),
        # as on a server.
        if has_app_context():
            vars(g).clear()
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        return super().open("/api/csrf").get_json()["csrf_token"]


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """``login_as(user)`` makes the client's session that user's."""

    def login(user: User, the_client: FlaskClient | None = None) -> User:
        target = the_client or client
        with target.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login


# --- outside services --------------------------------------------------------


@pytest.fixture
def redis_server():
    """A redis-server of the test's own on a free port (a test may stop and start it)."""
    from tests.procs import RedisServer

    require(RedisServer.available(), "redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def smtp():
    """An SMTP server on 127.0.0.1 that keeps every mail it is sent."""
    from tests.procs import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("BLOG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        ok = True
    except Exception:
        ok = False
    require(ok, f"Redis is not reachable at {url}")
    return url


class LiveServer:
    """The app served over real HTTP on 127.0.0.1 from a thread of this process."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll: shutdown() waits for it, once per test that serves.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve ``app``; its BASE_URL is the served address."""
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    with server:
        yield server
