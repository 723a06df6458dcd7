"""The page cache's fast path: a cached page served before Flask sees the request.

The page cache (``blog.cache``) answers a hit inside Flask: routing, the
session, every before- and after-request hook, then the stored page is
decoded and searched for its placeholders. For a first-time visitor (no
cookie) or one whose session holds nothing but a CSRF token, none of that can
change the answer, so this WSGI layer answers such hits itself:

- one Redis round trip (the generation), then a page prepared in this process:
  the stored body already cut at its placeholders and encoded, and gzipped
  piece by piece for clients that accept gzip;
- the visitor's own values (the CSRF token, the form stamp) are made and
  slotted in; with gzip they go in uncompressed, so no secret ever shares a
  compression window with text a visitor wrote (no BREACH; see gzip_pieces);
- anything unusual (another cookie, a logged-in session, Redis away, a bump
  still pending, an error) goes down the normal path, which decides as before.

A prepared page is used only while the store's generation is the one it was
prepared under and until the stored entry's own expiry.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin
from redis.exceptions import RedisError
from werkzeug._internal import _wsgi_decoding_dance
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.wrappers import Response

from .gzip_pieces import Piece, gzipped, plain, static_piece
from .page_store import GENERATION_KEY, Entry, MemoryStore, RedisStore
from .redisconn import RedisLink

log = logging.getLogger(__name__)

_CSRF = "csrf"
# Makers of fresh values that depend only on their arguments and the current second
# (a signed time stamp), so one value serves every visitor within that second.
_PER_SECOND = {"blog.comments.forms": "make_stamp"}


def init_app(app: Flask) -> None:
    """Put the fast path in front of the app when the page cache is on."""
    cache = app.extensions.get("blog.cache")
    if cache is None or not app.config.get("PAGE_CACHE_FAST_PATH", True):
        return
    if type(app.session_interface) is not SecureCookieSessionInterface:
        return  # the fast path speaks only Flask's own signed-cookie sessions
    app.wsgi_app = FastPath(app, cache, app.wsgi_app)


# --- a page prepared for serving ---------------------------------------------------


@dataclass
class Prepared:
    generation: str
    expires: float  # time.monotonic()
    status: str
    headers: list[tuple[str, str]]
    pieces: list[Piece]
    # Each fresh value's placeholder: the function that makes it, and its arguments.
    makers: dict[str, tuple[Callable[..., str], list]]


def prepare(entry: Any, generation: str, expires: float, placeholder_pattern) -> Prepared:
    """Cut a stored page at its placeholders, encode and gzip each stretch once."""
    pieces, at = [], 0
    for match in placeholder_pattern.finditer(entry.body):
        pieces.append(static_piece(entry.body[at : match.start()]))
        pieces.append(Piece(spec=match[1]))
        at = match.end()
    pieces.append(static_piece(entry.body[at:]))
    status = Response(status=entry.status).status
    specs = {p.spec for p in pieces if p.spec is not None and p.spec != _CSRF}
    makers = {spec: _maker(spec) for spec in specs}
    return Prepared(generation, expires, status, list(entry.headers), pieces, makers)


class FastPath:
    """WSGI middleware: answers plain anonymous cache hits, passes everything else on."""

    def __init__(self, app: Flask, cache: Any, wsgi_app: Callable) -> None:
        self.app, self.cache, self.wsgi_app = app, cache, wsgi_app
        cfg = app.config
        self.cookie_name = cfg["SESSION_COOKIE_NAME"]
        self.csrf_field = cfg.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.csrf_signer = _Serializer(
            cfg.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token", signer=_Signer
        )
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())
        interface = app.session_interface
        flask_serializer = interface.get_signing_serializer(app)
        self.session_serializer = _Serializer(
            flask_serializer.secret_keys,
            salt=flask_serializer.salt,
            serializer=flask_serializer.serializer,
            signer=_Signer,
            signer_kwargs=flask_serializer.signer_kwargs,
        )
        self.cookie_options = {
            "domain": interface.get_cookie_domain(app),
            "path": interface.get_cookie_path(app),
            "secure": interface.get_cookie_secure(app),
            "partitioned": interface.get_cookie_partitioned(app),
            "samesite": interface.get_cookie_samesite(app),
            "httponly": interface.get_cookie_httponly(app),
        }
        self.max_entries = int(cfg.get("PAGE_CACHE_MAX_ENTRIES", 500))
        self.prepared: OrderedDict[str, Prepared] = OrderedDict()
        self.per_second: dict[str, tuple[int, bytes]] = {}
        self.lock = threading.Lock()
        # The stored page's placeholders: "<placeholder>[csrf]" or "<placeholder>[<spec>]".
        self.pattern = cache.fresh_pattern
        if isinstance(cache.store, RedisStore):
            self.generations = _GenerationReader(cache.store.redis)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            answer = self.answer(environ)
        except Exception:  # never worse than the normal path
            log.exception("page cache fast path failed on %s", environ.get("PATH_INFO"))
            answer = None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    # --- deciding ------------------------------------------------------------------

    def answer(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return None
        # The path and query as Flask's request sees them (werkzeug's decoding).
        path = "/" + _wsgi_decoding_dance(environ.get("PATH_INFO") or "").lstrip("/")
        if not any(p.fullmatch(path) for p in self.cache.paths):
            return None
        session: dict | None = {}
        if environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(environ)
            if any(name in cookies for name in self.cache.bypass_cookies):
                return None
            session = self._plain_session(cookies.get(self.cookie_name))
            if session is None:
                return None
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode("latin-1")
        key = "blog:cache:page:" + hashlib.sha256(f"{path}?{query}".encode()).hexdigest()[:40]
        page = self._page(key)
        if page is None:
            return None
        gzip = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        return self._respond(page, session, gzip=gzip, head=method == "HEAD")

    def _plain_session(self, cookie: str | None) -> dict | None:
        """The session when it holds at most a CSRF token, else None (the normal path)."""
        if not cookie:
            return {}
        try:
            data = self.session_serializer.loads(cookie, max_age=self.session_max_age)
        except BadData:
            return None
        if not isinstance(data, dict) or set(data) - {self.csrf_field}:
            return None
        if not isinstance(data.get(self.csrf_field, ""), str):
            return None
        return data

    def _page(self, key: str) -> Prepared | None:
        store = self.cache.store
        if isinstance(store, RedisStore):
            if store._bump_pending:
                return None
            generation = self.generations.read()
            if generation is None:
                return None  # Redis away: the normal path serves uncached
        elif isinstance(store, MemoryStore):
            generation = store._generation()
        else:
            return None
        now = time.monotonic()
        with self.lock:
            page = self.prepared.get(key)
            if page is not None and page.generation == generation and page.expires > now:
                self.prepared.move_to_end(key)
                return page
        return self._prepare(key, generation, now)

    def _prepare(self, key: str, generation: str, now: float) -> Prepared | None:
        store = self.cache.store
        if isinstance(store, RedisStore):
            found = store.redis.call(
                lambda r: r.pipeline().mget(GENERATION_KEY, key).pttl(key).execute(), None
            )
            if not found or not found[0][1] or found[1] <= 0:
                return None
            (stored_generation, raw), ttl_ms = found
            entry = Entry.loads(raw)
            expires = now + ttl_ms / 1000
            generation = (stored_generation or b"0").decode()
        else:
            generation, entry = store.lookup(key)
            if entry is None:
                return None
            with store._lock:
                expires = store._entries.get(key, (0.0, None))[0]
        if entry.generation != generation:
            return None
        page = prepare(entry, generation, expires, self.pattern)
        with self.lock:
            self.prepared[key] = page
            self.prepared.move_to_end(key)
            while len(self.prepared) > self.max_entries:
                self.prepared.popitem(last=False)
        return page

    # --- answering -----------------------------------------------------------------

    def _respond(self, page: Prepared, session: dict, *, gzip: bool, head: bool):
        raw_token = session.get(self.csrf_field)
        new_session = not raw_token
        if new_session:
            raw_token = hashlib.sha1(os.urandom(64)).hexdigest()
        values = {_CSRF: self.csrf_signer.dumps(raw_token).encode()}
        extra = self._session_cookie(raw_token) if new_session else []
        if page.makers:
            values.update(self._fresh_values(page))
        body = gzipped(page.pieces, values) if gzip else plain(page.pieces, values)
        headers = [*page.headers, ("X-Cache", "hit")]
        headers += [("Vary", "Cookie, Accept-Encoding"), ("Content-Length", str(len(body)))]
        if gzip:
            headers.append(("Content-Encoding", "gzip"))
        headers += extra
        return page.status, headers, b"" if head else body

    def _fresh_values(self, page: Prepared) -> dict[str, bytes]:
        """Each fresh value of the page, made now; a stamp (the same for every visitor
        within one second) is made once a second."""
        values, now = {}, int(time.time())
        for spec, (maker, args) in page.makers.items():
            made = self.per_second.get(spec)
            if made is not None and made[0] == now:
                values[spec] = made[1]
                continue
            with self.app.app_context():
                value = maker(*args).encode()
            if _PER_SECOND.get(maker.__module__) == maker.__qualname__ and int(time.time()) == now:
                self.per_second[spec] = (now, value)
            values[spec] = value
        return values

    def _session_cookie(self, raw_token: str) -> list[tuple[str, str]]:
        """The Set-Cookie Flask's session interface sends for a new session holding this
        token (a session that is not permanent: no expiry), made with its own serializer."""
        value = self.session_serializer.dumps({self.csrf_field: raw_token})
        return [("Set-Cookie", dump_cookie(self.cookie_name, value, **self.cookie_options))]


class _GenerationReader:
    """``GET`` of the cache generation on a connection of its own per thread, the
    command packed once: the one Redis round trip of a hit, with little around it."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self.local = threading.local()

    def read(self) -> str | None:
        """The generation, or None when Redis does not answer (its breaker then trips)."""
        if not self.link.up:
            return None
        local = self.local
        conn = getattr(local, "conn", None)
        try:
            if conn is None:
                conn = local.conn = self.link.client.connection_pool.make_connection()
                local.packed = conn.pack_command("GET", GENERATION_KEY)
            conn.send_packed_command(local.packed)
            value = conn.read_response()
        except (RedisError, OSError) as exc:
            local.conn = None
            if conn is not None:
                conn.disconnect()
            self.link.mark_down(exc)
            return None
        return (value or b"0").decode()


def _maker(spec: str) -> tuple[Callable[..., str], list]:
    """The function (of this package) and arguments a fresh value's placeholder names."""
    module, qualname, args = json.loads(base64.urlsafe_b64decode(spec))
    if module != "blog" and not module.startswith("blog."):
        raise ValueError(f"not a maker of this package: {module}")
    return getattr(importlib.import_module(module), qualname), args


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe serializer without its try at compressing: the payloads
    here (a random hex token, a session holding only it) never come out shorter, and
    the try costs more than the rest of the signature. Its output loads as ever."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


class _Signer(TimestampSigner):
    """itsdangerous' signer, deriving each key once instead of on every signature
    (the same keys, so the same tokens and cookies as Flask-WTF and Flask make)."""

    _keys: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        found = self._keys.get((secret, self.salt, self.key_derivation, self.digest_method))
        if found is None:
            found = super().derive_key(secret_key)
            self._keys[(secret, self.salt, self.key_derivation, self.digest_method)] = found
        return found
