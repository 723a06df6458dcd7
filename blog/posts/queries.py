"""What readers may see: the stream of posts, one post, tags, search, old paths."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Post, PostKind, PostStatus, Redirect, Tag, User, post_tags, utcnow
from ..models.posts import SEARCH_DOCUMENT
from ..sanitise import clean_text

SEARCH_MAX = 200
_SEARCH_WORDS = 8
_LIKE_SPECIALS = re.compile(r"([\\%_])")


def visible_posts(now: Any = None) -> sa.Select:
    """Posts readers may see now, newest first (scheduled ones once their time came)."""
    return (
        sa.select(Post)
        .where(Post.visible_clause(now))
        # The author's name is shown; their login identities only load if asked for.
        .options(joinedload(Post.author).lazyload(User.identities))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def stream() -> sa.Select:
    """The visible posts of the home page and feed (pages stand outside it)."""
    return visible_posts().where(Post.kind == PostKind.POST)


def tagged(tag: Tag) -> sa.Select:
    return stream().where(
        Post.id.in_(sa.select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id))
    )


def plausible(text: str, limit: int = 500) -> bool:
    """Whether ``text`` (from a URL) could be stored at all: PostgreSQL refuses NUL
    in a string outright, so such input is answered as not found, not as a 500."""
    return len(text) <= limit and "\x00" not in text


def visible_by_slug(slug: str) -> Post | None:
    if not plausible(slug):
        return None
    return db.session.scalar(_visible_by_slug(), {"slug": slug, "now": utcnow()})


@cache
def _visible_by_slug() -> sa.Select:
    # Every post page asks this: the statement is built once, then only run.
    return visible_posts(sa.bindparam("now")).where(Post.slug == sa.bindparam("slug"))


def post_at(year: int, month: int, day: int, slug: str) -> tuple[Post | None, bool]:
    """The visible post for a permalink, and whether the date in it is right."""
    try:
        when = date(year, month, day)
    except ValueError:
        return None, False
    post = visible_by_slug(slug)
    if post is None:
        return None, False
    return post, post.published_at.date() == when


def tag_by_slug(slug: str) -> Tag | None:
    if not plausible(slug):
        return None
    return db.session.scalar(sa.select(Tag).where(Tag.slug == slug))


def redirect_for(path: str, query: str = "") -> str | None:
    """The permalink an old address (from an import or a renamed post) now points at."""
    candidates = [path + "?" + query] if query else []
    candidates += [path, path.rstrip("/") if path.endswith("/") else path + "/"]
    candidates = [c for c in candidates if plausible(c)]
    if not candidates:
        return None
    row = db.session.scalar(
        sa.select(Redirect).where(Redirect.old_path.in_(candidates)).order_by(Redirect.id).limit(1)
    )
    if row is None:
        return None
    post = db.session.get(Post, row.post_id)
    if post is None or not post.is_visible:
        return None
    return post.url_path


def search_terms(q: str) -> str:
    """The query as searched: control characters dropped, runs of space made one."""
    return " ".join(clean_text(q).split())


def search(q: str) -> sa.Select:
    """Visible posts matching ``q``, best first: full-text on PostgreSQL, else LIKE."""
    if db.engine.dialect.name == "postgresql":
        return _search_postgresql(q)
    return _search_like(q)


def _search_postgresql(q: str) -> sa.Select:
    # The same expression as the GIN index (ix_posts_search), so the index is used.
    document = sa.literal_column(SEARCH_DOCUMENT)
    query = sa.func.plainto_tsquery(sa.literal_column("'english'::regconfig"), q)
    rank = sa.func.ts_rank(document, query)
    return (
        visible_posts()
        .where(document.bool_op("@@")(query))
        .order_by(None)
        .order_by(rank.desc(), Post.published_at.desc(), Post.id.desc())
    )


def _search_like(q: str) -> sa.Select:
    """Every word must appear in the title or body; title hits rank first."""
    words = q.split()[:_SEARCH_WORDS]
    if not words:
        return visible_posts().where(sa.false())
    conditions, title_hits = [], []
    for word in words:
        pattern = "%" + _LIKE_SPECIALS.sub(r"\\\1", word) + "%"
        in_title = Post.title.ilike(pattern, escape="\\")
        conditions.append(sa.or_(in_title, Post.body.ilike(pattern, escape="\\")))
        title_hits.append(sa.case((in_title, 1), else_=0))
    score = sum(title_hits[1:], title_hits[0])
    return (
        visible_posts()
        .where(*conditions)
        .order_by(None)
        .order_by(score.desc(), Post.published_at.desc(), Post.id.desc())
    )


def sitemap_posts() -> list[Post]:
    """Every visible post and page, for the sitemap (newest first)."""
    return list(db.session.scalars(visible_posts()))


def tags_in_use() -> list[Tag]:
    """Tags that at least one visible post (not page) carries: those with a tag page."""
    visible_ids = sa.select(Post.id).where(Post.visible_clause(), Post.kind == PostKind.POST)
    return list(
        db.session.scalars(
            sa.select(Tag)
            .where(
                Tag.id.in_(
                    sa.select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(visible_ids))
                )
            )
            .order_by(Tag.name)
        )
    )


def with_status(query: sa.Select, status: PostStatus) -> sa.Select:
    """Narrow ``query`` to posts whose *effective* status is ``status``."""
    if status == PostStatus.PUBLISHED:
        return query.where(Post.visible_clause())
    if status == PostStatus.SCHEDULED:
        not_yet = sa.or_(Post.published_at.is_(None), Post.published_at > utcnow())
        return query.where(Post.status == PostStatus.SCHEDULED, not_yet)
    return query.where(Post.status == PostStatus.DRAFT)


def manageable(user: User) -> sa.Select:
    """The posts ``user`` may edit (an author's own; every post for an admin), latest edit first."""
    query = (
        sa.select(Post)
        .options(joinedload(Post.author))
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )
    if not user.is_admin:
        query = query.where(Post.author_id == user.id)
    return query
