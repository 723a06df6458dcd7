"""Settings: defaults in code, overridden by ``BLOG_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

# Names as DESIGN.md lists them (without the BLOG_ prefix) and their defaults.
DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "BASE_URL": "http://127.0.0.1:5000",
    "REDIS_URL": None,
    "MAIL_URL": None,
    "MAIL_FROM": None,
    "GOOGLE_CLIENT_ID": None,
    "GOOGLE_CLIENT_SECRET": None,
    "GOOGLE_METADATA_URL": "https://accounts.google.com/.well-known/openid-configuration",
    "TWITTER_CLIENT_ID": None,
    "TWITTER_CLIENT_SECRET": None,
    "TWITTER_AUTHORIZE_URL": "https://twitter.com/i/oauth2/authorize",
    "TWITTER_TOKEN_URL": "https://api.twitter.com/2/oauth2/token",
    "TWITTER_API_BASE": "https://api.twitter.com/",
    "FACEBOOK_CLIENT_ID": None,
    "FACEBOOK_CLIENT_SECRET": None,
    "FACEBOOK_AUTHORIZE_URL": "https://www.facebook.com/v19.0/dialog/oauth",
    "FACEBOOK_TOKEN_URL": "https://graph.facebook.com/v19.0/oauth/access_token",
    "FACEBOOK_API_BASE": "https://graph.facebook.com/v19.0/",
    "OIDC_PROVIDERS": {},
    "AKISMET_KEY": None,
    "AKISMET_URL": "https://{key}.rest.akismet.com/1.1/comment-check",
    "COMMENT_RATE_LIMIT": "5 per minute; 100 per day",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "GRAVATAR": False,
    "SITE_TITLE": "A Blog",
    "POSTS_PER_PAGE": 10,
    # Upper bound for any request body; uploads of images are the largest.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "PASSWORD_HASH_METHOD": "scrypt",
}

# Settings that must stay strings even when the environment value looks like
# JSON (from_prefixed_env would turn an all-digit client id into an int).
_STRING_SETTINGS = {k for k, v in DEFAULTS.items() if v is None or isinstance(v, str)}


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("BLOG")
    if overrides:
        app.config.from_mapping(overrides)
    for key in _STRING_SETTINGS:
        value = app.config.get(key)
        if value is not None and not isinstance(value, str):
            app.config[key] = str(value)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _instance_secret(app)
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))

    db_url = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "blog.sqlite3")
    )
    app.config["DATABASE_URL"] = db_url
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(db_url)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(db_url))

    https = app.config["BASE_URL"].startswith("https://")
    app.config["PREFERRED_URL_SCHEME"] = "https" if https else "http"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        # The CSRF token lives as long as the session; a form left open for an
        # hour must still post.
        WTF_CSRF_TIME_LIMIT=None,
    )


def _instance_secret(app: Flask) -> str:
    """Read the signing key from the instance folder, creating it on first run."""
    path = Path(app.instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


def _normalise_db_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Several threads (tests' live server, dev server) share the file.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    # pre_ping lets the pool recover by itself after PostgreSQL restarts.
    return {"pool_pre_ping": True, "pool_recycle": 1800}
