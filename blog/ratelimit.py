"""Rate limits (Flask-Limiter), kept in Redis when it is configured.

With Redis the counts are shared by every app process. When Redis is down,
limits fall back to per-process memory (each process counts on its own, so
the effective limit is N times the number of processes) rather than
refusing every comment; Flask-Limiter goes back to Redis once it answers.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, has_request_context, request
from limits.storage import RedisStorage
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # The same Redis, read in fewer round trips (see CountingRedisStorage).
        app.config["RATELIMIT_STORAGE_URI"] = "blog+" + app.config["RATELIMIT_STORAGE_URI"]
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("blog+redis", "redis://", "unix://")):
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


class CountingRedisStorage(RedisStorage):
    """Flask-Limiter's Redis storage, with each count's expiry read as it is counted.

    A request's limit headers (X-RateLimit-Remaining and -Reset, Retry-After)
    need the count and the expiry of the limit they describe. The stock
    storage reads them again with a GET and a TTL after the hit, two more
    round trips for every limited request; here the hit's own script answers
    both, and the request (not the app context, which tests share) remembers
    them. A key this request has not counted is read from Redis as before.
    The limits and the counting are Redis's, as before: the same keys, the
    same increments, the same expiry.
    """

    STORAGE_SCHEME = ["blog+redis", "blog+rediss"]

    SCRIPT_INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix("blog+"), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(
            self.SCRIPT_INCR_EXPIRE_TTL
        )

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        key = self.prefixed_key(key)
        count, ttl = self.lua_incr_expire_ttl([key], [expiry, amount])
        counted = _counted()
        if counted is not None:
            counted[key] = (int(count), max(int(ttl), 0) + time.time())
        return int(count)

    def get(self, key: str) -> int:
        seen = _seen(self.prefixed_key(key))
        return seen[0] if seen is not None else super().get(key)

    def get_expiry(self, key: str) -> float:
        seen = _seen(self.prefixed_key(key))
        return seen[1] if seen is not None else super().get_expiry(key)

    def clear(self, key: str) -> None:
        counted = _counted()
        if counted is not None:
            counted.pop(self.prefixed_key(key), None)
        super().clear(key)

    def reset(self) -> int | None:
        counted = _counted()
        if counted is not None:
            counted.clear()
        return super().reset()


def _counted() -> dict[str, tuple[int, float]] | None:
    """The counts this request made, by key; None outside a request."""
    if not has_request_context():
        return None
    return request.environ.setdefault("blog.ratelimit_counted", {})


def _seen(key: str) -> tuple[int, float] | None:
    counted = _counted()
    return counted.get(key) if counted else None
