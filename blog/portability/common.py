"""What every importer shares: the report, the error, and the site's rows.

Importers never commit: the command that runs one commits at the end, or
rolls everything back on any error, so a file is imported whole or not at all.
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from slugify import slugify

from ..extensions import db
from ..models import Comment, CommentKind, CommentStatus, Post, Redirect, Role, Tag, User
from ..moderation.services import change_status, reason
from ..sanitise import clean_text, count_links, render_comment, safe_url, strip_tags

T = TypeVar("T")
#: ``progress(items, label)`` wraps an iterable (the command passes a progress bar).
Progress = Callable[[list[T], str], Iterable[T]]

NAME_MAX = 100
SLUG_MAX = 200
TITLE_MAX = 300
KEY_MAX = 300


def no_progress(items: list[T], label: str) -> Iterable[T]:
    return items


class ImportFileError(Exception):
    """A file that cannot be imported; says where in the file when it can."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message, self.line, self.column = message, line, column
        where = ""
        if line is not None:
            where = f"line {line}, column {column}: " if column else f"line {line}: "
        super().__init__(where + message)


@dataclass
class ImportReport:
    """What an import did, for the summary at its end."""

    source: str
    # Disqus brings comments only: the summary leaves out posts, users and tags.
    comments_only: bool = False
    posts: Counter[str] = field(default_factory=Counter)  # new, by kind
    posts_existing: int = 0
    comments: Counter[str] = field(default_factory=Counter)  # new, by status
    comment_kinds: Counter[str] = field(default_factory=Counter)  # pingback, trackback
    comments_existing: int = 0
    users_created: int = 0
    users_matched: int = 0
    tags_created: int = 0
    redirects_created: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    warnings: list[str] = field(default_factory=list)
    unmatched_threads: list[str] = field(default_factory=list)

    @property
    def comments_created(self) -> int:
        return sum(self.comments.values())

    def skip(self, why: str, count: int = 1) -> None:
        self.skipped[why] += count

    def summary(self) -> str:
        """The report as lines for people."""
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.comments.items()))
        lines = [f"Imported from {self.source}."]
        if not self.comments_only:
            lines.append(
                f"  posts: {self.posts.get('post', 0)} new, pages: {self.posts.get('page', 0)} "
                f"new, {self.posts_existing} already there"
            )
        lines.append(
            f"  comments: {self.comments_created} new"
            + (f" ({statuses})" if statuses else "")
            + f", {self.comments_existing} already there"
        )
        lines.append(
            f"  pingbacks: {self.comment_kinds.get('pingback', 0)}, "
            f"trackbacks: {self.comment_kinds.get('trackback', 0)}"
        )
        if not self.comments_only:
            lines.append(
                f"  users: {self.users_created} new, {self.users_matched} matched by email; "
                f"tags: {self.tags_created} new; redirects: {self.redirects_created} new"
            )
        total = sum(self.skipped.values())
        lines.append(f"  skipped: {total}")
        lines += [f"    {n}: {why}" for why, n in sorted(self.skipped.items())]
        if self.unmatched_threads:
            lines.append(f"  threads with no post here: {len(self.unmatched_threads)}")
            lines += [f"    {t}" for t in self.unmatched_threads]
        if self.warnings:
            lines.append(f"  notes: {len(self.warnings)}")
            lines += [f"    {w}" for w in self.warnings]
        return "\n".join(lines)


# --- reading values ----------------------------------------------------------------


def text_of(value: str | None) -> str:
    """Plain text from a field that may hold entities or tags (names, titles)."""
    if not value:
        return ""
    return html.unescape(strip_tags(clean_text(value))).strip()


def plain(value: object, limit: int) -> str:
    """Text stored as is (our own exports), cut to fit its column."""
    return clean_text(value if isinstance(value, str) else "").strip()[:limit]


def clip_key(key: str) -> str:
    """An import key that fits its column: long ones end in a digest of the whole."""
    if len(key) <= KEY_MAX:
        return key
    return key[: KEY_MAX - 41] + "#" + hashlib.sha1(key.encode()).hexdigest()


def clean_name(value: str | None, default: str = "Anonymous") -> str:
    return text_of(value)[:NAME_MAX] or default


def clean_email(value: str | None) -> str | None:
    value = clean_text(value or "").strip()
    if "@" not in value or len(value) > 254 or any(c.isspace() for c in value):
        return None
    return value


def clean_website(value: str | None) -> str | None:
    url = safe_url((value or "").strip())
    return url if url and len(url) <= 255 else None


def clean_ip(value: str | None) -> str | None:
    value = (value or "").strip()
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value  # as written: "::ffff:82.119.20.0" reads better than its normal form


def parse_wp_date(value: str | None) -> datetime | None:
    """WordPress's ``YYYY-MM-DD HH:MM:SS`` (taken as UTC); None for zero or bad dates."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_rfc822(value: str | None) -> datetime | None:
    try:
        when = parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def parse_iso(value: str | None) -> datetime | None:
    """ISO 8601 (Disqus, our JSON); naive times are taken as UTC."""
    try:
        when = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def old_path(url: str | None) -> str | None:
    """The path (decoded, as Flask's request.path gives it) plus any query of an old URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    path = unquote(parts.path) or "/"
    if not path.startswith("/"):
        return None
    full = path + (f"?{parts.query}" if parts.query else "")
    return full if len(full) <= 500 else None


def threaded(items: list[T], key: Callable[[T], str], parent: Callable[[T], str | None]):
    """Items ordered so every parent comes before its replies; cycles are broken."""
    by_key = {key(i): i for i in items}
    done: set[str] = set()
    order: list[T] = []

    def visit(item: T, trail: set[str]) -> None:
        k = key(item)
        if k in done or k in trail:
            return
        up = parent(item)
        if up and up in by_key:
            visit(by_key[up], trail | {k})
        done.add(k)
        order.append(item)

    for item in items:
        visit(item, set())
    return order


# --- writing rows ------------------------------------------------------------------


class Site:
    """The site being imported into: slugs in use, tags and users by key."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.slugs: set[str] = set(db.session.scalars(sa.select(Post.slug)))
        self.tags: dict[str, Tag] = {t.slug: t for t in db.session.scalars(sa.select(Tag))}
        self.redirects: set[str] = set(db.session.scalars(sa.select(Redirect.old_path)))
        self.users: dict[str, User] = {}

    def post_by_key(self, key: str) -> Post | None:
        return db.session.scalar(sa.select(Post).where(Post.import_key == clip_key(key)))

    def unique_slug(self, *candidates: str | None) -> str:
        """The first usable candidate, made unique with -2, -3... as a clash needs."""
        slugs = (slugify(c or "", max_length=SLUG_MAX - 8) for c in candidates)
        base = next((s for s in slugs if s), "post")
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def tag(self, name: str, slug: str | None = None) -> Tag | None:
        name = text_of(name)[:100]
        slug = slugify(unquote(slug or "") or name, max_length=100)
        if not slug:
            return None
        tag = self.tags.get(slug)
        if tag is None:
            tag = self.tags[slug] = Tag(name=name or slug, slug=slug)
            db.session.add(tag)
            self.report.tags_created += 1
        return tag

    def author(self, email: str | None, name: str, role: Role = Role.AUTHOR) -> User:
        """A user matched by email (or, lacking one, by name among users without email)."""
        email = clean_email(email)
        email = email.lower() if email else None
        key = email or f"name:{name}"
        if key in self.users:
            return self.users[key]
        if email:
            user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        else:
            user = db.session.scalar(
                sa.select(User).where(User.email.is_(None), User.display_name == name).limit(1)
            )
        if user is None:
            # No password: the person sets one through the reset link, if ever.
            user = User(email=email, email_verified=False, display_name=name, role=role)
            db.session.add(user)
            self.report.users_created += 1
        else:
            self.report.users_matched += 1
        self.users[key] = user
        return user

    def redirect(self, path: str | None, post: Post) -> None:
        """Send an old permalink to ``post`` unless it is the post's own path or taken."""
        # The home page is no old permalink (some guids are just the site's URL).
        if not path or path == "/" or path in self.redirects or path == post.url_path:
            return
        self.redirects.add(path)
        db.session.add(Redirect(old_path=path, post_id=post.id))
        self.report.redirects_created += 1


def existing_comments(post: Post) -> dict[str, Comment]:
    """The post's imported comments by import key."""
    if post.id is None:
        return {}
    rows = db.session.scalars(
        sa.select(Comment).where(Comment.post_id == post.id, Comment.import_key.is_not(None))
    )
    return {c.import_key: c for c in rows}


def find_existing(known: dict[str, Comment], key: str) -> Comment | None:
    """The comment already imported under ``key`` (as clipped to fit), if any."""
    return known.get(clip_key(key))


def same_post(comment: Comment | None, post: Post) -> bool:
    """Whether ``comment`` (perhaps not flushed yet) is on ``post``."""
    return comment is not None and (comment.post_id or comment.post.id) == post.id


def add_comment(
    post: Post,
    *,
    key: str,
    status: CommentStatus,
    source_name: str,
    body: str,
    parent: Comment | None = None,
    kind: CommentKind = CommentKind.COMMENT,
    reasons: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Comment:
    """A new comment, its text sanitised as any comment's, its status set the one way."""
    body = clean_text(body).strip()
    body_html = render_comment(body) if body else ""
    comment = Comment(
        post=post,
        parent=parent,
        kind=kind,
        body=body,
        body_html=body_html,
        link_count=count_links(body_html),
        import_key=clip_key(key),
        **fields,
    )
    db.session.add(comment)
    change_status(
        comment,
        status,
        actor=None,
        action="import",
        reasons=reasons or [reason("imported", f"Imported from {source_name}")],
    )
    return comment


def iterate(items: list[T], progress: Progress, label: str) -> Iterator[T]:
    yield from progress(items, label)
