"""The page cache for anonymous readers: home, post pages, tag pages, feeds, sitemap.

A page is cached only for a GET (HEAD is served from it) by a visitor with no
logged-in user, no flashed message and no guest cookie, and only when the
answer is a 200 HTML, Atom or XML page. Entries live in Redis when it is
configured (shared by every process), else in a bounded dict per process.

Invalidation is by generation: every entry records the generation it was
rendered under, and a change to what readers see bumps the generation *after*
the transaction commits, so every process misses at once and nobody re-caches
content from before the commit. Entries also expire after
``PAGE_CACHE_SECONDS`` and before the next scheduled post goes live.

The CSRF token is never shared: the stored page holds a placeholder where the
token was, and each visitor gets their own token filled in when it is served.
Other values that must be made per request (the comment form's time stamp)
go through ``fresh()`` and are filled in the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import ORMExecuteState, Session

from .models import Comment, CommentStatus, Post, PostStatus, SiteSetting, Tag, User, utcnow
from .page_store import CacheUnavailable, Entry, MemoryStore, RedisStore
from .signals import comment_changed, post_changed

log = logging.getLogger(__name__)

#: the readers' pages (DESIGN.md "Pages"); anything else is never cached
DEFAULT_PATHS = (
    r"/",
    r"/page/\d+/?",
    r"/\d{4}/\d{2}/\d{2}/[^/]+/",
    r"/\d{4}/\d{2}/\d{2}/[^/]+/comments\.atom",
    r"/tag/[^/]+/",
    r"/tag/[^/]+/feed\.atom",
    r"/feed\.atom",
    r"/comments/feed\.atom",
    r"/sitemap\.xml",
)
CACHEABLE_TYPES = {
    "text/html",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "text/xml",
}
#: cookies that mean the page may be personal (a guest's remembered details, a login)
DEFAULT_BYPASS_COOKIES = ("blog_guest",)
#: response headers that belong to one answer, never to the stored page
_UNSTORED_HEADERS = {"set-cookie", "content-length", "vary", "date", "x-cache", "retry-after"}
_DIRTY = "page_cache_dirty"


class PageCache:
    """The cache of one app: which requests qualify, and where entries live."""

    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self.ttl = float(cfg["PAGE_CACHE_SECONDS"])
        self.max_bytes = int(cfg["PAGE_CACHE_MAX_BYTES"])
        self.paths = [re.compile(p) for p in cfg["PAGE_CACHE_PATHS"]]
        self.bypass_cookies = (*cfg["PAGE_CACHE_BYPASS_COOKIES"], cfg["REMEMBER_COOKIE_NAME"])
        secret = str(cfg["SECRET_KEY"]).encode()
        digest = hmac.new(secret, b"page-cache-csrf", hashlib.sha256).hexdigest()[:32]
        # Unguessable, so no text a visitor writes can pose as one.
        self.placeholder = f"per-request-{digest}"
        self.fresh_pattern = re.compile(re.escape(self.placeholder) + r"\[([A-Za-z0-9_=-]+)\]")
        if cfg["REDIS_URL"]:
            self.store: RedisStore | MemoryStore = RedisStore(cfg["REDIS_URL"])
        else:
            generation_file = Path(app.instance_path) / "page-cache-generation"
            self.store = MemoryStore(generation_file, int(cfg["PAGE_CACHE_MAX_ENTRIES"]))

    def qualifies(self) -> bool:
        """Whether this request may be answered from, or stored in, the cache."""
        if request.method not in ("GET", "HEAD"):
            return False
        if not any(p.fullmatch(request.path) for p in self.paths):
            return False
        if any(name in request.cookies for name in self.bypass_cookies):
            return False
        return _session_is_anonymous()

    def key(self) -> str:
        raw = request.path + "?" + request.query_string.decode("latin-1")
        return "blog:cache:page:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE", None)  # None: on, except in tests and debug mode
    app.config.setdefault("PAGE_CACHE_SECONDS", 60)
    app.config.setdefault("PAGE_CACHE_MAX_ENTRIES", 500)
    app.config.setdefault("PAGE_CACHE_MAX_BYTES", 1024 * 1024)
    app.config.setdefault("PAGE_CACHE_PATHS", DEFAULT_PATHS)
    app.config.setdefault("PAGE_CACHE_BYPASS_COOKIES", DEFAULT_BYPASS_COOKIES)
    app.config.setdefault("REMEMBER_COOKIE_NAME", "remember_token")
    enabled = app.config["PAGE_CACHE"]
    if enabled is None:
        # A developer editing templates wants to see each change at once.
        enabled = not (app.testing or app.debug)
    if not enabled:
        return
    app.extensions["blog.cache"] = PageCache(app)
    app.before_request(serve_from_cache)
    app.after_request(store_in_cache)


def _page_cache() -> PageCache | None:
    return current_app.extensions.get("blog.cache") if has_app_context() else None


def _session_is_anonymous() -> bool:
    return "_user_id" not in session and "_flashes" not in session


def serve_from_cache() -> Response | None:
    """Answer a qualifying request from the cache, or note what to store after it."""
    cache = _page_cache()
    if cache is None or not cache.qualifies():
        return None
    key = cache.key()
    try:
        generation, entry = cache.store.lookup(key)
    except CacheUnavailable:
        return None  # served uncached, with no X-Cache header
    g.page_cache = {"key": key, "generation": generation, "hit": False}
    if entry is None or entry.generation != generation:
        return None
    try:
        body = _fill_in(entry.body, cache)
    except Exception:  # an entry from another version of the code: render afresh
        log.exception("cached page %s could not be filled in", request.path)
        return None
    g.page_cache["hit"] = True
    response = Response(body, status=entry.status, headers=entry.headers)
    response.headers["X-Cache"] = "hit"
    return response


def fresh(maker: Callable[..., str], *args: int | str) -> str:
    """``maker(*args)`` for this request, made anew each time a cached page is served.

    ``maker`` is a module-level function of this package; the stored page keeps
    its name and arguments in place of the value.
    """
    value = maker(*args)
    if has_request_context():
        spec = json.dumps([maker.__module__, maker.__qualname__, list(args)])
        g.setdefault("page_cache_fresh", {})[value] = base64.urlsafe_b64encode(spec.encode())
    return value


def _fill_in(body: str, cache: PageCache) -> str:
    """Put this visitor's own values where the stored page has placeholders."""
    if cache.placeholder not in body:
        return body
    body = body.replace(cache.placeholder + "[csrf]", generate_csrf())
    return cache.fresh_pattern.sub(lambda m: _make_fresh(m[1]), body)


def _make_fresh(encoded: str) -> str:
    module, qualname, args = json.loads(base64.urlsafe_b64decode(encoded))
    if module != "blog" and not module.startswith("blog."):
        raise ValueError(f"not a maker of this package: {module}")
    return getattr(importlib.import_module(module), qualname)(*args)


def _with_placeholders(body: str, cache: PageCache) -> str:
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token:
        body = body.replace(token, cache.placeholder + "[csrf]")
    for value, spec in g.get("page_cache_fresh", {}).items():
        body = body.replace(value, f"{cache.placeholder}[{spec.decode()}]")
    return body


def store_in_cache(response: Response) -> Response:
    state = g.pop("page_cache", None)
    cache = _page_cache()
    if state is None or cache is None or state["hit"]:
        return response
    response.headers["X-Cache"] = "miss"
    if request.method != "GET" or not _storable(response, cache):
        return response
    ttl = _time_to_live(cache.ttl)
    if ttl < 1:
        return response
    body = _with_placeholders(response.get_data(as_text=True), cache)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _UNSTORED_HEADERS]
    entry = Entry(state["generation"], response.status_code, headers, body)
    cache.store.store(state["key"], entry, ttl)
    return response


def _storable(response: Response, cache: PageCache) -> bool:
    """Only a plain 200 page that says nothing about this one visitor."""
    if response.status_code != 200 or response.mimetype not in CACHEABLE_TYPES:
        return False
    if response.is_streamed or response.direct_passthrough:
        return False
    if "Set-Cookie" in response.headers:  # the view set something for this visitor
        return False
    control = response.headers.get("Cache-Control", "")
    if "private" in control or "no-store" in control:
        return False
    if not _session_is_anonymous():  # logged in or flashed during this request
        return False
    return (response.calculate_content_length() or 0) <= cache.max_bytes


def _time_to_live(ttl: float) -> float:
    """The entry's lifetime: ``ttl``, or less when a scheduled post goes live sooner."""
    from .extensions import db

    now = utcnow()
    try:
        upcoming = db.session.scalar(
            sa.select(sa.func.min(Post.published_at)).where(
                Post.status.in_([PostStatus.PUBLISHED, PostStatus.SCHEDULED]),
                Post.published_at > now,
            )
        )
    except sa.exc.SQLAlchemyError:
        return 0
    if upcoming is not None:
        ttl = min(ttl, (upcoming - now).total_seconds())
    return ttl


# --- invalidation ----------------------------------------------------------------


def bump() -> None:
    """Make every cached page stale, in every process (call after a commit)."""
    cache = _page_cache()
    if cache is not None:
        cache.store.bump()


def _mark_dirty(sender: Any, **_: Any) -> None:
    from .extensions import db

    state = sa.inspect(sender, raiseerr=False)
    target = state.session if state is not None and state.session is not None else db.session
    target.info[_DIRTY] = True


def _comment_changed(sender: Any, from_status: Any = None, to_status: Any = None, **_: Any) -> None:
    # Held, spam and rejected comments are on no cached page (their own authors'
    # pages are never cached), so a new held comment, or spam thrown out, keeps
    # every page: a wave of spam must not leave the cache cold.
    if from_status in _ON_PAGES or to_status in _ON_PAGES:
        _mark_dirty(sender)


_ON_PAGES = (CommentStatus.APPROVED, CommentStatus.DELETED)  # a placeholder is shown
comment_changed.connect(_comment_changed, weak=False)
post_changed.connect(_mark_dirty, weak=False)


def _seen_by_readers(obj: object) -> bool:
    """Whether a change to ``obj`` can show on a reader's page."""
    if isinstance(obj, Post | Tag | SiteSetting):
        return True
    state = sa.inspect(obj)
    if isinstance(obj, Comment):
        # Approved now or before this change (loading the status if it expired).
        was = state.attrs.status.history.deleted
        return CommentStatus.APPROVED in (obj.status, *was)
    if isinstance(obj, User):
        return any(
            state.attrs[name].history.has_changes()
            for name in ("display_name", "website", "avatar_url")
        )
    return False


@sa.event.listens_for(Session, "before_flush")
def _watch_flush(session: Session, flush_context: Any, instances: Any) -> None:
    # The signals cover the services; this also covers any other writer.
    if session.info.get(_DIRTY):
        return
    removed = (Post, Tag, SiteSetting, Comment, User)
    if any(_seen_by_readers(obj) for obj in (*session.new, *session.dirty)) or any(
        isinstance(obj, removed) for obj in session.deleted
    ):
        session.info[_DIRTY] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _watch_bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in (Post, Tag, Comment, SiteSetting):
            state.session.info[_DIRTY] = True


@sa.event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # After the commit, never before: a reader in another process could
    # otherwise re-cache the page from the old data under the new generation.
    if session.info.pop(_DIRTY, False):
        try:
            bump()
        except Exception:  # the commit stands; entries still expire by TTL
            log.exception("page cache invalidation failed")


@sa.event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)
