"""A comment as the JSON API (and anything else that speaks JSON) shows it.

One comment comes as a ``Comment``; a list (the API's page of a discussion)
comes as plain rows of ``row_columns``, so that a hundred comments cost one
query and no ORM objects. Both go through ``_shape``, so they look the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from ..accounts.avatars import Avatars
from ..models import Comment, CommentStatus, User, isoformat
from ..sanitise import safe_url

DELETED_HTML = "<p>This comment was deleted.</p>"


def comment_to_json(
    comment: Comment, *, viewer: User | None = None, include_reasons: bool = False
) -> dict[str, Any]:
    """The public shape of a comment; ``reasons`` for its author, a moderator, or on request."""
    user = comment.user
    picture = user.avatar_url if user is not None else None
    reasons = include_reasons or _may_see_reasons(comment, viewer)
    return _shape(comment, picture, Avatars(), reasons)


class CommentRow(NamedTuple):
    """A comment as ``row_columns`` reads it."""

    id: int
    post_id: int
    parent_id: int | None
    user_id: int | None
    status: str
    kind: str
    author_name: str
    author_email: str | None
    author_website: str | None
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    user_avatar_url: str | None  # the account's picture
    reasons: list[dict[str, Any]] | None  # read only if someone may see them


def row_columns(*, with_reasons: bool) -> tuple[Any, ...]:
    """The columns of a ``CommentRow``; select from comments outer-joined to users."""
    # Status and kind as their plain strings: no enum is made per row.
    return (
        Comment.id,
        Comment.post_id,
        Comment.parent_id,
        Comment.user_id,
        sa.type_coerce(Comment.status, sa.String),
        sa.type_coerce(Comment.kind, sa.String),
        Comment.author_name,
        Comment.author_email,
        Comment.author_website,
        Comment.body_html,
        Comment.created_at,
        Comment.edited_at,
        User.avatar_url,
        Comment.reasons if with_reasons else sa.null(),
    )


def comments_to_json(
    rows: Iterable[Sequence[Any]], *, viewer: User | None, own: set[int]
) -> list[dict[str, Any]]:
    """Rows of ``row_columns`` in the shape of ``comment_to_json``, with ``reasons``
    also on the held comments whose ids are in ``own`` (this guest's)."""
    avatars = Avatars()  # a discussion names the same people again and again
    shaped = []
    for row in rows:
        c = CommentRow._make(row)
        reasons = (c.status == CommentStatus.PENDING and c.id in own) or _may_see_reasons(c, viewer)
        shaped.append(_shape(c, c.user_avatar_url, avatars, reasons))
    return shaped


def _shape(
    c: Comment | CommentRow, picture: str | None, avatars: Avatars, reasons: bool
) -> dict[str, Any]:
    """The JSON of ``c``, whose account (if any) has the stored ``picture``."""
    deleted = c.status == CommentStatus.DELETED
    if deleted:
        author = {"name": "", "website": None, "avatar_url": avatars(None, None, None, "")}
    else:
        # The email only picks the picture: it is never shown.
        author = {
            "name": c.author_name,
            "website": safe_url(c.author_website),
            "avatar_url": avatars(c.user_id, picture, c.author_email, c.author_name),
        }
    data: dict[str, Any] = {
        "id": c.id,
        "post_id": c.post_id,
        "parent_id": c.parent_id,
        "status": str(c.status),  # the enum's value, or the row's string as it is
        "kind": str(c.kind),
        "author": author,
        "html": DELETED_HTML if deleted else c.body_html,
        "created_at": isoformat(c.created_at),
        "edited_at": isoformat(c.edited_at),
        "url": f"/c/{c.id}",
    }
    if reasons:
        data["reasons"] = list(c.reasons or [])
    return data


def _may_see_reasons(comment: Comment | CommentRow, viewer: User | None) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_moderator or (comment.user_id is not None and comment.user_id == viewer.id)
