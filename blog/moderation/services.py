"""What changes a comment's status, and the log of every such change.

``change_status`` is the only function that sets ``Comment.status``; it
records the moderation event and keeps the post's comment count right.
It does not commit: the caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Comment, CommentStatus, ModerationEvent, Post, User
from ..signals import comment_changed

Reason = dict[str, Any]


def reason(code: str, text: str) -> Reason:
    """A reason a comment is where it is: a stable code and words for people."""
    return {"code": code, "text": text}


def change_status(
    comment: Comment,
    to_status: CommentStatus,
    *,
    actor: User | None,
    action: str,
    reasons: list[Reason] | None = None,
    note: str | None = None,
) -> ModerationEvent:
    """Move ``comment`` to ``to_status`` and log it; ``actor`` None is the automatic policy.

    A comment that is new (not yet flushed) starts from no status.
    """
    state = sa.inspect(comment)
    from_status = comment.status if (state.persistent or state.detached) else None
    comment.status = to_status
    if reasons is not None:
        comment.reasons = list(reasons)
    delta = _count_delta(from_status, to_status)
    if delta:
        db.session.execute(
            sa.update(Post)
            .where(Post.id == (comment.post_id or comment.post.id))
            .values(comment_count=Post.comment_count + delta)
            .execution_options(synchronize_session=False)
        )
    event = ModerationEvent(
        actor=actor,
        comment=comment,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reasons=list(reasons or []),
        note=note,
    )
    db.session.add(event)
    comment_changed.send(comment, from_status=from_status, to_status=to_status)
    return event


def _count_delta(before: CommentStatus | None, after: CommentStatus) -> int:
    was = before == CommentStatus.APPROVED
    now = after == CommentStatus.APPROVED
    return int(now) - int(was)
