"""Comments over JSON: read a post's discussion, and post to it."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload

from ..comments.area import viewer
from ..comments.guest import remember_comment
from ..comments.limits import comment_rate_limits
from ..comments.loading import visible_to
from ..comments.pipeline import RequestInfo, submit_comment
from ..comments.serialise import comment_to_json
from ..extensions import db
from ..models import Comment, CommentStatus, Post, User
from ..posts.queries import plausible
from . import bp
from .common import ApiError, collection, json_body, page_arg

PER_PAGE = 100


def _visible_post(slug: str, *, with_author: bool = False) -> Post:
    # Tags load only if something asks for them (nothing here does).
    query = sa.select(Post).where(Post.slug == slug).options(lazyload(Post.tags))
    if with_author:  # a new comment's mails go to the post's author
        query = query.options(joinedload(Post.author).lazyload(User.identities))
    post = db.session.scalar(query) if plausible(slug) else None
    if post is None or not post.is_visible:
        raise ApiError(404, "There is no post with that slug.")
    return post


# What a listed comment needs, read as plain rows in one query with its author's
# picture: no ORM objects, no second query for users.
_LISTED = (
    Comment.id,
    Comment.post_id,
    Comment.parent_id,
    Comment.user_id,
    Comment.status,
    Comment.kind,
    Comment.author_name,
    Comment.author_email,
    Comment.author_website,
    Comment.body_html,
    Comment.created_at,
    Comment.edited_at,
    User.avatar_url.label("user_avatar_url"),
)


@dataclass(slots=True)
class _Account:
    """The fields of a comment's user that the JSON shape reads (its picture)."""

    id: int
    avatar_url: str | None


def _listed(row: Any) -> SimpleNamespace:
    """A row shaped like a Comment for ``comment_to_json``."""
    listed = SimpleNamespace(**row._mapping)
    listed.user = _Account(row.user_id, row.user_avatar_url) if row.user_id is not None else None
    return listed


@bp.get("/posts/<slug>/comments")
def list_comments(slug: str):
    """Approved comments, oldest first, plus the caller's own held ones (with reasons)."""
    post = _visible_post(slug)
    page = page_arg()
    user, guest_ids = viewer()
    # Reasons are shown only to moderators and to a comment's own author.
    columns = (*_LISTED, Comment.reasons) if user is not None or guest_ids else _LISTED
    rows = db.session.execute(
        sa.select(*columns)
        .outerjoin(User, User.id == Comment.user_id)
        .where(Comment.post_id == post.id, visible_to(user, guest_ids))
        .order_by(Comment.created_at, Comment.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    own = set(guest_ids)
    items = [
        comment_to_json(
            _listed(c),
            viewer=user,
            include_reasons=c.status == CommentStatus.PENDING and c.id in own,
        )
        for c in rows[:PER_PAGE]
    ]
    more = len(rows) > PER_PAGE
    return collection(items, page + 1 if more else None, "api.list_comments", slug=slug)


@bp.post("/posts/<slug>/comments")
@comment_rate_limits
def create_comment(slug: str):
    """Comment (or reply) on a post: 201 with the comment, its status and reasons."""
    post = _visible_post(slug, with_author=True)
    data = json_body()
    result = submit_comment(post, data, current_user, RequestInfo.from_request(via_form=False))
    if not result.ok:
        extra = {"fields": result.errors} if result.errors else {}
        raise ApiError(result.status, result.message, **extra)
    comment = result.comment
    body = comment_to_json(comment, include_reasons=True)
    body["message"] = result.message
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = f"/c/{comment.id}"
    if comment.user_id is None:
        remember_comment(response, comment.id)
    return response
