"""Rate limits (Flask-Limiter), kept in Redis when it is configured.

With Redis the counts are shared by every app process. When Redis is down,
limits fall back to per-process memory (each process counts on its own, so
the effective limit is N times the number of processes) rather than
refusing every comment; Flask-Limiter goes back to Redis once it answers.
"""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "unix://")):
        # A dead Redis must cost a request little before the fallback takes over.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
        )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "blog")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    trust_proxies(app)


def trust_proxies(app: Flask) -> None:
    """Behind ``BLOG_TRUSTED_PROXIES`` reverse proxies, take the client's address from them.

    Limits are per IP, so behind nginx or a load balancer the app must read
    X-Forwarded-For, and only from as many hops as there really are proxies.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def comment_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]
