"""Where the page cache keeps its entries: Redis (shared) or this process's memory.

Both stores hold entries with the generation they were rendered under; a
bump of the generation makes every entry stale at once.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from . import redisconn

GENERATION_KEY = "blog:cache:generation"


@dataclass
class Entry:
    generation: str
    status: int
    headers: list[tuple[str, str]]
    body: str

    def dumps(self) -> bytes:
        return json.dumps([self.generation, self.status, self.headers, self.body]).encode()

    @classmethod
    def loads(cls, raw: bytes) -> Entry:
        generation, status, headers, body = json.loads(raw)
        return cls(generation, status, [tuple(h) for h in headers], body)


class CacheUnavailable(Exception):
    """The store did not answer; the request goes on uncached."""


class RedisStore:
    """Entries and the generation counter in Redis: one round trip per lookup."""

    def __init__(self, url: str) -> None:
        self.redis = redisconn.link(url)
        self._bump_pending = False

    def lookup(self, key: str) -> tuple[str, Entry | None]:
        if self._bump_pending:
            self.bump()
        raw = self.redis.call(lambda r: r.mget(GENERATION_KEY, key), None)
        if raw is None:
            raise CacheUnavailable
        generation = (raw[0] or b"0").decode()
        return generation, Entry.loads(raw[1]) if raw[1] else None

    def store(self, key: str, entry: Entry, ttl: float) -> None:
        self.redis.call(lambda r: r.set(key, entry.dumps(), px=int(ttl * 1000)), None)

    def bump(self) -> None:
        done = self.redis.call(lambda r: r.incr(GENERATION_KEY), None)
        # A bump lost while Redis was away is made as soon as it is back.
        self._bump_pending = done is None


class MemoryStore:
    """Entries in this process (LRU-bounded); the generation in a file in the
    instance folder, so processes of one host without Redis still agree."""

    def __init__(self, generation_file: Path, max_entries: int) -> None:
        self.generation_file = generation_file
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Entry]] = OrderedDict()
        self._lock = threading.Lock()

    def _generation(self) -> str:
        try:
            return self.generation_file.read_text() or "0"
        except FileNotFoundError:
            return "0"

    def lookup(self, key: str) -> tuple[str, Entry | None]:
        generation = self._generation()
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return generation, None
            expires, entry = found
            if expires < time.monotonic():
                del self._entries[key]
                return generation, None
            self._entries.move_to_end(key)
            return generation, entry

    def store(self, key: str, entry: Entry, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def bump(self) -> None:
        with self._lock:
            self._entries.clear()
        tmp = self.generation_file.with_name(f".{self.generation_file.name}.{uuid.uuid4().hex}")
        tmp.write_text(uuid.uuid4().hex)
        os.replace(tmp, self.generation_file)
