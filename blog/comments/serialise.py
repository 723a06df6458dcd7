"""A comment as the JSON API (and anything else that speaks JSON) shows it."""

from __future__ import annotations

from typing import Any

from ..accounts.avatars import avatar_url
from ..models import Comment, CommentStatus, User, isoformat
from ..sanitise import safe_url

DELETED_HTML = "<p>This comment was deleted.</p>"


def comment_to_json(
    comment: Comment, *, viewer: User | None = None, include_reasons: bool = False
) -> dict[str, Any]:
    """The public shape of a comment; ``reasons`` for its author, a moderator, or on request."""
    deleted = comment.status == CommentStatus.DELETED
    data: dict[str, Any] = {
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "kind": comment.kind.value,
        "author": author_json(comment) if not deleted else _nobody(),
        "html": DELETED_HTML if deleted else comment.body_html,
        "created_at": isoformat(comment.created_at),
        "edited_at": isoformat(comment.edited_at),
        "url": f"/c/{comment.id}",
    }
    if include_reasons or _may_see_reasons(comment, viewer):
        data["reasons"] = list(comment.reasons or [])
    return data


def author_json(comment: Comment) -> dict[str, Any]:
    """``{name, website, avatar_url}``; the email is never part of it."""
    return {
        "name": comment.author_name,
        "website": safe_url(comment.author_website),
        "avatar_url": avatar_url(comment.user, comment.author_email, comment.author_name),
    }


def _nobody() -> dict[str, Any]:
    return {"name": "", "website": None, "avatar_url": avatar_url(None, None, "")}


def _may_see_reasons(comment: Comment, viewer: User | None) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_moderator or (comment.user_id is not None and comment.user_id == viewer.id)
