"""The Redis connection shared by the page cache and the job queue.

Redis is an accelerator here, never the source of truth: every caller has a
way to carry on without it. A short circuit breaker keeps a dead or
unreachable Redis from adding a connect timeout to every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: seconds to leave Redis alone after a failure before trying again
RETRY_AFTER = 5.0


class RedisLink:
    """One client (and its connection pool) per process and URL, with a breaker."""

    def __init__(self, url: str) -> None:
        self.url = url
        # Short timeouts: a reader's page must not wait long for an accelerator.
        self.client = Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30
        )
        self._retry_at = 0.0

    @property
    def up(self) -> bool:
        """False for a few seconds after a failure."""
        return time.monotonic() >= self._retry_at

    def call(self, fn: Callable[[Redis], T], default: T) -> T:
        """Run ``fn(client)``; on a Redis error trip the breaker and return ``default``."""
        if not self.up:
            return default
        try:
            return fn(self.client)
        except (RedisError, OSError) as exc:
            self.mark_down(exc)
            return default

    def mark_down(self, exc: BaseException | None = None) -> None:
        if self.up:
            log.warning("Redis at %s unavailable, carrying on without it: %s", self.url, exc)
        self._retry_at = time.monotonic() + RETRY_AFTER


_links: dict[str, RedisLink] = {}
_lock = threading.Lock()


def link(url: str) -> RedisLink:
    """The process's shared link to the Redis at ``url``."""
    with _lock:
        found = _links.get(url)
        if found is None:
            found = _links[url] = RedisLink(url)
        return found


def ping(url: str) -> bool:
    """Whether the Redis at ``url`` answers now (for health checks and tests)."""
    return link(url).call(lambda r: bool(r.ping()), False)
