"""Mail about comments, queued in the outbox with the change that causes it
(placeholder until the moderation work lands)."""

from __future__ import annotations

from ..models import Comment, CommentStatus


def comment_created(comment: Comment) -> None:
    """Queue the mails a new comment causes (held: moderators and author; approved: author)."""


def status_changed(comment: Comment, from_status: CommentStatus | None) -> None:
    """Queue the mails a moderation decision causes (approved: author and subscribers)."""
