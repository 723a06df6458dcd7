"""Atom feeds of approved comments: site-wide, and one per post.

``/comments/feed.atom`` has the latest comments on every post;
``/comments/feed.atom?post=<slug>`` and ``<post URL>comments.atom`` have one
post's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template, request

from ..extensions import db
from ..models import Comment, CommentStatus, Post, utcnow
from ..sanitise import safe_url
from . import bp

FEED_SIZE = 50


def _visible_post_by_slug(slug: str) -> Post:
    post = db.session.scalar(sa.select(Post).where(Post.slug == slug))
    if post is None or not post.is_visible:
        abort(404)
    return post


@bp.get("/comments/feed.atom")
def feed():
    """The latest approved comments on the site, or on one post with ``?post=<slug>``."""
    slug = request.args.get("post")
    return _feed(_visible_post_by_slug(slug) if slug else None)


@bp.get(
    "/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/<slug>/comments.atom"
)
def post_feed(year: int, month: int, day: int, slug: str):
    """One post's comment feed, next to the post's own address."""
    post = _visible_post_by_slug(slug)
    if post.url_path != f"/{year:04d}/{month:02d}/{day:02d}/{slug}/":
        abort(404)
    return _feed(post)


def latest_comments(post: Post | None, limit: int = FEED_SIZE) -> list[Comment]:
    """The newest approved comments on visible posts (or on ``post``)."""
    query = (
        sa.select(Comment)
        .join(Post, Comment.post_id == Post.id)
        .where(Comment.status == CommentStatus.APPROVED, Post.visible_clause())
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
        .options(sa.orm.contains_eager(Comment.post))
    )
    if post is not None:
        query = query.where(Comment.post_id == post.id)
    return list(db.session.scalars(query))


def _feed(post: Post | None) -> Response:
    base = current_app.config["BASE_URL"].rstrip("/")
    comments = latest_comments(post)
    updated: datetime = max((c.edited_at or c.created_at for c in comments), default=None) or (
        post.published_at if post and post.published_at else utcnow()
    )
    if post is not None:
        title = f"Comments on “{post.title}”"
        self_url = f"{base}{post.url_path}comments.atom"
        alternate = f"{base}{post.url_path}#comments"
    else:
        title = f"Comments on {current_app.config['SITE_TITLE']}"
        self_url = f"{base}/comments/feed.atom"
        alternate = f"{base}/"
    xml = render_template(
        "comments/feed.atom.xml",
        title=title,
        self_url=self_url,
        alternate=alternate,
        updated=updated,
        comments=comments,
        base=base,
        safe_url=safe_url,
    )
    return Response(xml, mimetype="application/atom+xml")
