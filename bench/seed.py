"""Throwaway PostgreSQL databases for the benchmark, filled fast with COPY.

Every database is named ``blog_bench_<label>_<random>`` on the machine's
server and dropped at the end of the run. The schema comes from the app's
own migrations; the rows are written with psycopg's COPY, then the tables are
vacuumed and analysed, as autovacuum would leave them on a live site.
"""

from __future__ import annotations

import itertools
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from werkzeug.security import generate_password_hash

BASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-password"
ADMIN_EMAIL = "admin@bench.example"
SEARCH_WORD = "harbour"  # in exactly SEARCH_HITS posts of every database
SEARCH_HITS = 5
POSTS_START = datetime(2020, 1, 1, tzinfo=UTC)
COMMENTS_START = datetime(2022, 1, 1, tzinfo=UTC)

_WORDS = (
    "garden river window morning letter bridge island summer engine forest lantern "
    "market orchard pebble quarry ribbon saddle timber valley willow meadow anchor "
    "candle harvest ladder mirror needle pepper rocket signal thunder velvet wagon"
).split()
_SENTENCES = [
    "I read this twice and the second part about the {0} works better for me.",
    "Thanks for writing this up; we tried the same with a {0} last year.",
    "Not sure I agree about the {0}, but the argument is clear.",
    "The link to the {0} notes was useful, see https://example.org/{0} too.",
    "Could you say more about how the {0} fits with the {1}?",
    "We had the *same* problem with the {0} and fixed it with a {1}.",
    "This is the clearest explanation of the {0} I have found.",
    "My {0} disagrees, **strongly**, but I think you are right about the {1}.",
]


@dataclass
class Shape:
    """What to put in a database."""

    posts: int
    comments: int  # over all posts
    big_thread: int = 0  # comments on the first post
    typical: int = 0  # comments on the next post (the one whose page is measured)
    period: int = 10  # a thread is a top comment and period/2 - 1 replies, nested
    pending_every: int = 10  # one comment in this many is held (a leaf); 0: none
    # Accounts and guest addresses grow with the site: one account per 100 comments,
    # one guest address per 20 (so no single author has thousands of comments).
    users: int = 0
    guests: int = 0

    def __post_init__(self) -> None:
        self.users = self.users or max(100, self.comments // 100)
        self.guests = self.guests or max(50, self.comments // 20)


def admin_url(base: str = BASE_URL) -> str:
    return base


def database_url(name: str, base: str = BASE_URL) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


def create_database(label: str, base: str = BASE_URL) -> str:
    name = f"blog_bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str, base: str = BASE_URL) -> None:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_schema(url: str) -> None:
    """The app's migrations, applied to an empty database."""
    from flask_migrate import upgrade

    from blog import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "DATABASE_URL": url,
                "INSTANCE_PATH": instance,
                "SECRET_KEY": "bench",
                "REDIS_URL": None,
                "PAGE_CACHE": False,
            }
        )
        with app.app_context():
            upgrade()
            from blog.extensions import db

            db.engine.dispose()


def _text(value: object) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    s = str(value)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    count = 0
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        batch: list[str] = []
        for row in rows:
            batch.append("\t".join(_text(v) for v in row) + "\n")
            count += 1
            if len(batch) >= 5000:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))
    return count


def _comment_pool(rng: random.Random, size: int = 60) -> list[tuple[str, str, int]]:
    """(source, sanitised HTML, link count): rendered once, as the app does on write."""
    from blog.sanitise import count_links, render_comment

    pool = []
    for _ in range(size):
        words = rng.sample(_WORDS, 2)
        source = " ".join(rng.choice(_SENTENCES).format(*words) for _ in range(rng.randint(1, 3)))
        html = render_comment(source)
        pool.append((source, html, count_links(html)))
    return pool


def _post_text(rng: random.Random, index: int, hits: set[int]) -> tuple[str, str, str]:
    from blog.sanitise import render_post

    words = rng.sample(_WORDS, 3)
    title = f"Notes on the {words[0]} and the {words[1]}, part {index}"
    if index in hits:
        title += f" by the {SEARCH_WORD}"
    paragraphs = [
        " ".join(rng.choice(_SENTENCES).format(*rng.sample(_WORDS, 2)) for _ in range(4))
        for _ in range(5)
    ]
    body = f"## About the {words[2]}\n\n" + "\n\n".join(paragraphs)
    return title, body, render_post(body)


def seed(url: str, shape: Shape, seed_value: int = 8) -> dict:
    """Fill an empty schema; returns what the figures need (slugs, paths, ids)."""
    started = time.monotonic()
    rng = random.Random(seed_value)
    from blog import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "DATABASE_URL": "sqlite://",
                "INSTANCE_PATH": instance,
                "SECRET_KEY": "bench",
                "PAGE_CACHE": False,
            }
        )
        with app.app_context():
            pool = _comment_pool(rng)
            hits = set(range(2, shape.posts + 1, max(1, shape.posts // SEARCH_HITS)))
            hits = set(sorted(hits)[:SEARCH_HITS])
            post_texts = [_post_text(rng, i, hits) for i in range(1, min(shape.posts, 200) + 1)]
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    per_post = _comments_per_post(shape)
    with psycopg.connect(url) as conn:
        _copy(
            conn,
            "users",
            [
                "id",
                "email",
                "email_verified",
                "password_hash",
                "display_name",
                "website",
                "avatar_url",
                "role",
                "banned",
                "session_version",
                "created_at",
            ],
            _users(shape, password_hash),
        )
        _copy(
            conn,
            "identities",
            ["id", "user_id", "provider", "subject", "email", "email_verified", "created_at"],
            _identities(shape),
        )
        _copy(conn, "posts", POST_COLUMNS, _posts(shape, post_texts, hits))
        comments = _copy(conn, "comments", COMMENT_COLUMNS, _comments(shape, per_post, pool))
        # The count the one status-changing function keeps, set here in one statement.
        conn.execute(
            "UPDATE posts SET comment_count = c.n FROM (SELECT post_id, count(*) AS n "
            "FROM comments WHERE status = 'approved' GROUP BY post_id) AS c "
            "WHERE c.post_id = posts.id"
        )
        for table in ("users", "identities", "posts", "comments"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    big_post = 1
    return {
        "posts": shape.posts,
        "comments": comments,
        "typical": per_post[1] if len(per_post) > 1 else per_post[0],
        "big_thread": per_post[0],
        "big_slug": _slug(big_post),
        "big_path": _path(big_post),
        "post_slug": _slug(2) if shape.posts > 1 else _slug(1),
        "post_path": _path(2) if shape.posts > 1 else _path(1),
        "admin_email": ADMIN_EMAIL,
        "password": PASSWORD,
        "search_word": SEARCH_WORD,
        "search_hits": len(hits),
        "seconds": round(time.monotonic() - started, 1),
    }


def _comments_per_post(shape: Shape) -> list[int]:
    """Comments on each post: the big thread first, then the typical post, then the rest."""
    fixed = [n for n in (shape.big_thread, shape.typical) if n]
    rest = shape.comments - sum(fixed)
    others = shape.posts - len(fixed)
    if others <= 0:
        return fixed[: shape.posts]
    base, extra = divmod(rest, others)
    return [*fixed, *(base + (1 if i < extra else 0) for i in range(others))]


def _slug(post_id: int) -> str:
    return f"bench-post-{post_id}"


def _published(post_id: int) -> datetime:
    return POSTS_START + timedelta(hours=post_id)


def _path(post_id: int) -> str:
    return f"/{_published(post_id):%Y/%m/%d}/{_slug(post_id)}/"


POST_COLUMNS = [
    "id",
    "author_id",
    "title",
    "slug",
    "body",
    "body_html",
    "excerpt",
    "excerpt_html",
    "status",
    "kind",
    "published_at",
    "created_at",
    "updated_at",
    "comments_enabled",
    "comment_count",
    "import_key",
]
COMMENT_COLUMNS = [
    "id",
    "post_id",
    "parent_id",
    "user_id",
    "author_name",
    "author_email",
    "author_website",
    "kind",
    "status",
    "reasons",
    "body",
    "body_html",
    "link_count",
    "ip",
    "user_agent",
    "notify",
    "flag_count",
    "created_at",
    "edited_at",
    "import_key",
]


def _users(shape: Shape, password_hash: str) -> Iterator[tuple]:
    now = POSTS_START
    yield (1, ADMIN_EMAIL, True, password_hash, "Bench Admin", None, None, "admin", False, 0, now)
    yield (
        2,
        "author@bench.example",
        True,
        password_hash,
        "Bench Author",
        None,
        None,
        "author",
        False,
        0,
        now,
    )
    for i in range(3, shape.users + 3):
        yield (
            i,
            f"reader{i}@bench.example",
            True,
            None,
            f"Reader {i}",
            f"https://reader{i}.example.org/" if i % 4 == 0 else None,
            None,
            "reader",
            False,
            0,
            now,
        )


def _identities(shape: Shape) -> Iterator[tuple]:
    for i in range(1, shape.users + 3):
        email = ADMIN_EMAIL if i == 1 else None
        yield (i, i, "email", email or f"user-{i}", email, True, POSTS_START)


def _posts(shape: Shape, texts: list[tuple[str, str, str]], hits: set[int]) -> Iterator[tuple]:
    for i in range(1, shape.posts + 1):
        title, body, html = texts[(i - 1) % len(texts)]
        title = title.replace(f" by the {SEARCH_WORD}", "")
        title = title.rsplit(", part ", 1)[0] + f", part {i}"
        if i in hits:
            title += f" by the {SEARCH_WORD}"
        when = _published(i)
        yield (
            i,
            2,
            title,
            _slug(i),
            body,
            html,
            "",
            "",
            "published",
            "post",
            when,
            when,
            when,
            True,
            0,
            None,
        )


def _comments(
    shape: Shape, per_post: list[int], pool: list[tuple[str, str, int]]
) -> Iterator[tuple]:
    """Threads of ``period // 2`` comments, each reply under the one before it."""
    ids = itertools.count(1)
    half = max(1, shape.period // 2)
    for post_id, count in enumerate(per_post, start=1):
        previous = None
        for k in range(count):
            cid = next(ids)
            position = k % half
            parent = None if position == 0 else previous
            held = bool(shape.pending_every) and (
                k % shape.pending_every == shape.pending_every - 1
            )
            if held and position == half - 1:
                status = "pending"  # a leaf, so it hides nobody's replies
            else:
                status = "approved"
                held = False
            source, html, links = pool[cid % len(pool)]
            user_id = 3 + cid % shape.users if cid % 7 == 0 else None
            guest = cid % shape.guests
            name = f"Reader {user_id}" if user_id else f"Guest {guest}"
            email = f"reader{user_id}@bench.example" if user_id else f"guest{guest}@example.org"
            website = f"https://guest{cid % 50}.example.org/" if cid % 5 == 0 else None
            created = COMMENTS_START + timedelta(seconds=10 * cid)
            yield (
                cid,
                post_id,
                parent,
                user_id,
                name,
                email,
                website,
                "comment",
                status,
                "[]",
                source,
                html,
                links,
                f"192.0.2.{cid % 250 + 1}",
                "bench/1.0",
                False,
                0,
                created,
                None,
                None,
            )
            previous = cid if not held else previous
