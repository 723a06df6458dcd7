"""Extension objects, created unbound and attached in ``create_app``."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys (and their ON DELETE) only when asked, per
    connection; the model relies on them as it does on PostgreSQL."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def _client_ip() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


# Limits are declared per view; storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=_client_ip, default_limits=[])
