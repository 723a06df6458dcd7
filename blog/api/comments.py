"""Comments over JSON: read a post's discussion, and post to it."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from sqlalchemy.orm import defer, joinedload, lazyload

from ..comments.area import viewer
from ..comments.guest import remember_comment
from ..comments.limits import comment_rate_limits
from ..comments.loading import visible_to
from ..comments.pipeline import RequestInfo, submit_comment
from ..comments.serialise import comment_to_json, comments_to_json, row_columns
from ..extensions import db
from ..models import Comment, Post, PostStatus, User, utcnow
from ..posts.queries import plausible
from . import bp
from .common import ApiError, collection, json_body, json_response, page_arg

PER_PAGE = 100
NO_POST = "There is no post with that slug."


def _visible_post(slug: str) -> Post:
    """The post a new comment goes to, with its author (a new comment's mails go to them)."""
    post = db.session.scalar(_post_for_comment(), {"slug": slug}) if plausible(slug) else None
    if post is None or not post.is_visible:
        raise ApiError(404, NO_POST)
    return post


@cache
def _post_for_comment() -> sa.Select:
    # Built once, with the slug as a parameter: building a query costs more than running
    # it. Tags load only if something asks for them (nothing here does), and the post's
    # text is not read: a comment needs its title, dates and switches.
    return (
        sa.select(Post)
        .where(Post.slug == sa.bindparam("slug"))
        .options(
            lazyload(Post.tags),
            defer(Post.body),
            defer(Post.body_html),
            defer(Post.excerpt),
            defer(Post.excerpt_html),
            joinedload(Post.author).lazyload(User.identities),
        )
    )


# --- the list: one query for a page, whatever the size of the discussion ----------
#
# Statements are built once, with the post's slug, the time, the offset and the
# limit as parameters: building and keying a statement costs more than running it.


@cache
def _readable_post_id() -> sa.Select:
    """The id of post ``:slug`` if readers may see it at ``:now`` (``Post.is_visible``)."""
    return sa.select(Post.id).where(
        Post.slug == sa.bindparam("slug"),
        sa.or_(
            Post.status == PostStatus.PUBLISHED,
            sa.and_(Post.status == PostStatus.SCHEDULED, Post.published_at <= sa.bindparam("now")),
        ),
    )


def _page_query(user: User | None, guest_ids: list[int]) -> sa.Select:
    """One page of the comments this viewer sees, oldest first, with their authors' pictures."""
    # The post as a subquery (not a join), so rows come in the order of the index
    # on (post_id, created_at, id): no sort, and only the page's rows are read.
    post_id = _readable_post_id().scalar_subquery()
    # Reasons are shown only to moderators and to a comment's own author.
    columns = row_columns(with_reasons=user is not None or bool(guest_ids))
    return (
        sa.select(*columns)
        .outerjoin(User, User.id == Comment.user_id)
        .where(Comment.post_id == post_id, visible_to(user, guest_ids))
        .order_by(Comment.created_at, Comment.id)
        .offset(sa.bindparam("offset"))
        .limit(sa.bindparam("limit"))
    )


@cache
def _anonymous_page_query() -> sa.Select:
    """``_page_query`` for a visitor with no login and no comments: nearly every reader."""
    return _page_query(None, [])


def _page_rows(slug: str, page: int, user: User | None, guest_ids: list[int]) -> list[Any]:
    """Page ``page`` of post ``slug``'s comments (and the next page's first, if any)."""
    anonymous = user is None and not guest_ids
    query = _anonymous_page_query() if anonymous else _page_query(user, guest_ids)
    params = {"slug": slug, "now": utcnow(), "offset": (page - 1) * PER_PAGE, "limit": PER_PAGE + 1}
    return _read(query, params)


def _check_post(slug: str) -> None:
    """404 unless ``slug`` names a post readers may see."""
    if not _read(_readable_post_id(), {"slug": slug, "now": utcnow()}):
        raise ApiError(404, NO_POST)


def _read(query: sa.Select, params: dict[str, Any]) -> list[Any]:
    """The rows of one read-only statement, on a connection of its own in autocommit.

    One statement needs no transaction: without the session's BEGIN and ROLLBACK
    around it the read is a single round trip, and psycopg keeps the statement
    prepared from one request to the next (it forgets them all at a ROLLBACK).
    Core rows, too: no ORM loading step for rows that are only read.
    """
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(query, params).all()


@bp.get("/posts/<slug>/comments")
def list_comments(slug: str):
    """Approved comments, oldest first, plus the caller's own held ones (with reasons)."""
    if not plausible(slug):
        raise ApiError(404, NO_POST)
    try:
        page = page_arg()
    except ApiError:
        _check_post(slug)  # no such post is a 404, whatever the page
        raise
    user, guest_ids = viewer()
    rows = _page_rows(slug, page, user, guest_ids)
    if not rows:
        _check_post(slug)  # an empty page, or no post at all
    items = comments_to_json(rows[:PER_PAGE], viewer=user, own=set(guest_ids))
    more = len(rows) > PER_PAGE
    return json_response(
        collection(items, page + 1 if more else None, "api.list_comments", slug=slug)
    )


@bp.post("/posts/<slug>/comments")
@comment_rate_limits
def create_comment(slug: str):
    """Comment (or reply) on a post: 201 with the comment, its status and reasons."""
    post = _visible_post(slug)
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
