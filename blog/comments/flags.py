"""Readers' flags: enough of them send an approved comment back to the queue."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Comment, CommentStatus, Flag, User
from ..moderation.services import change_status, reason
from ..moderation.settings import get_settings


def reporter_key(user: User | None, ip: str | None) -> str:
    """Who flagged: ``user:<id>`` for a logged-in reader, else ``ip:<address>``."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.id}"
    return f"ip:{ip or 'unknown'}"


def flag_comment(comment: Comment, reporter: str, note: str | None = None) -> bool:
    """Record one reader's flag and hold the comment once enough readers flagged it.

    Returns False when this reader had already flagged it. Commits.
    """
    try:
        with db.session.begin_nested():
            db.session.add(Flag(comment_id=comment.id, reporter=reporter, reason=note))
    except IntegrityError:
        return False
    # Counted in SQL so two readers flagging at once both count.
    db.session.execute(
        sa.update(Comment)
        .where(Comment.id == comment.id)
        .values(flag_count=Comment.flag_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(comment, ["flag_count", "status"])
    threshold = get_settings()["flags_to_hold"]
    if comment.status == CommentStatus.APPROVED and comment.flag_count >= threshold:
        change_status(
            comment,
            CommentStatus.PENDING,
            actor=None,
            action="flag",
            reasons=[
                reason("flagged", f"Flagged by {comment.flag_count} readers as inappropriate.")
            ],
        )
    db.session.commit()
    return True
