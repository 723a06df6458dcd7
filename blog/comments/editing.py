"""The commenter's own comment: edit or delete it within the edit window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Comment, CommentStatus, Flag, ModerationEvent, User, utcnow
from ..moderation.services import change_status, reason
from ..moderation.settings import get_settings
from ..sanitise import count_links, render_comment, strip_tags
from ..signals import comment_changed
from . import forms, policy

EDITABLE = (CommentStatus.APPROVED, CommentStatus.PENDING)


def is_author(comment: Comment, user: User | None, guest_ids: list[int]) -> bool:
    """Whether this visitor wrote ``comment`` (an account's, or a guest's by cookie)."""
    if comment.user_id is not None:
        return user is not None and comment.user_id == user.id
    return comment.id in guest_ids


def within_window(comment: Comment, settings: dict[str, Any] | None = None) -> bool:
    minutes = (settings or get_settings())["edit_window_minutes"]
    return utcnow() < comment.created_at + timedelta(minutes=minutes)


def can_modify(
    comment: Comment,
    user: User | None,
    guest_ids: list[int],
    settings: dict[str, Any] | None = None,
) -> bool:
    """Its author may edit or delete a comment for a few minutes after writing it."""
    return (
        comment.status in EDITABLE
        and is_author(comment, user, guest_ids)
        and within_window(comment, settings)
        and not (user is not None and user.banned)
    )


def edit_comment(comment: Comment, body: Any, user: User | None) -> dict[str, str]:
    """Change the text, re-rendered and re-checked by the word and link rules.

    Returns field errors (nothing is stored then); commits otherwise.
    """
    text = forms.clean_text(body if isinstance(body, str) else "").strip()
    if not text:
        return {"body": "Write a comment."}
    if len(text) > forms.BODY_MAX:
        return {"body": f"Keep your comment under {forms.BODY_MAX:,} characters."}
    html = render_comment(text)
    if not strip_tags(html):
        return {"body": "Write a comment (it was empty once formatting was removed)."}
    comment.body, comment.body_html = text, html
    comment.link_count = count_links(html)
    comment.edited_at = utcnow()
    _recheck(comment, user)
    comment_changed.send(comment, from_status=comment.status, to_status=comment.status)
    db.session.commit()
    return {}


def _recheck(comment: Comment, user: User | None) -> None:
    if user is not None and user.is_moderator:
        return
    candidate = policy.Candidate(
        post=comment.post,
        body=comment.body,
        name=comment.author_name,
        email=comment.author_email,
        website=comment.author_website,
        ip=comment.ip,
        user_agent=comment.user_agent,
        link_count=comment.link_count,
        user=user,
    )
    found = policy.content_reasons(candidate, get_settings())
    if not found:
        return
    decision = policy.verdict_for(found)
    edited = [reason("edited", "Changed by its author after it was written."), *found]
    if comment.status == CommentStatus.APPROVED or decision.status == CommentStatus.SPAM:
        change_status(comment, decision.status, actor=user, action="edit", reasons=edited)
    else:
        # Already held: the new reasons join the old ones for the moderator to read.
        old = list(comment.reasons or [])
        comment.reasons = old + [r for r in edited if r not in old]


def delete_comment(comment: Comment, user: User | None) -> None:
    """Remove the comment; one with replies stays as a "deleted" placeholder. Commits."""
    has_replies = (
        db.session.scalar(sa.select(Comment.id).where(Comment.parent_id == comment.id).limit(1))
        is not None
    )
    change_status(comment, CommentStatus.DELETED, actor=user, action="delete",
                  reasons=[reason("deleted_by_author", "Deleted by its author.")])  # fmt: skip
    # The author asked for their words to go: keep nothing of them.
    comment.body = comment.body_html = ""
    comment.link_count = 0
    if not has_replies:
        db.session.flush()
        # The log keeps the event; SQLite may not enforce ON DELETE, so unlink by hand.
        db.session.execute(
            sa.update(ModerationEvent)
            .where(ModerationEvent.comment_id == comment.id)
            .values(comment_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(sa.delete(Flag).where(Flag.comment_id == comment.id))
        db.session.delete(comment)
    db.session.commit()
