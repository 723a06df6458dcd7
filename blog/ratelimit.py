"""Rate limits (Flask-Limiter), kept in Redis when it is configured."""

from __future__ import annotations

from flask import Flask, current_app

from .extensions import limiter


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # When Redis is down, limits fall back to per-process memory rather than
    # refusing every comment (see README, "When a part fails").
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)


def comment_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]
