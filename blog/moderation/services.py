"""What changes a comment's status, and the log of every such change.

``change_status`` is the only function that sets ``Comment.status``; it
records the moderation event, keeps the post's comment count right and
queues the mails the change causes. It does not commit: the caller owns
the transaction. The moderator actions below (approve, reject, spam,
restore, edit, reply, bulk) all go through it and are callable without a
request.

Restore: a comment that is spam or rejected goes back to the status it had
before it was put there (as the log records it), when that was pending or
approved; otherwise (it was caught as spam on arrival, say) it goes back to
pending, so a moderator decides again.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Comment, CommentStatus, ModerationEvent, Post, User, utcnow
from ..sanitise import clean_text, count_links, render_comment, safe_url
from ..signals import comment_changed

Reason = dict[str, Any]

# Ids beyond a 32-bit integer cannot exist (and PostgreSQL refuses to compare them).
MAX_ID = 2**31 - 1
BODY_MAX = 10_000
NAME_MAX = 100
WEBSITE_MAX = 255


class Action(enum.StrEnum):
    """What a moderator can do to a comment; the values are the log's action names."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    RESTORE = "restore"
    EDIT = "edit"
    REPLY = "reply"
    BAN = "ban"


#: The actions that decide where a comment belongs (the status-changing ones).
DECISIONS = (Action.APPROVE, Action.REJECT, Action.SPAM, Action.RESTORE)

_TARGETS = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
}
# Where each decision may start from. Approving an approved comment is allowed
# while readers have flagged it: it keeps the comment and settles the flags.
_ALLOWED_FROM = {
    Action.APPROVE: {CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.REJECTED},
    Action.REJECT: {CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM},
    Action.SPAM: {CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.REJECTED},
    Action.RESTORE: {CommentStatus.SPAM, CommentStatus.REJECTED},
}
_PAST = {
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.SPAM: "marked as spam",
    Action.RESTORE: "restored",
}


class ModerationError(ValueError):
    """An action that does not apply, or bad input; ``fields`` names bad fields."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


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
    from . import notify

    state = sa.inspect(comment)
    from_status = comment.status if (state.persistent or state.detached) else None
    comment.status = to_status
    if reasons is not None:
        comment.reasons = list(reasons)
    delta = _count_delta(from_status, to_status)
    if delta:
        post_id = comment.post_id or comment.post.id
        # Nothing pending need be written first: a new comment then goes out with
        # its event, in one flush.
        with db.session.no_autoflush:
            db.session.execute(_count_update(), {"post_id": post_id, "delta": delta})
    event = ModerationEvent(
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reasons=list(reasons or []),
        note=note,
    )
    if state.pending:
        # A new comment's first event is written by the flush that inserts the
        # comment, just after it (see _write_arrivals): the same row in the same
        # transaction, without the unit of work's cost of a second object that
        # depends on the first. The event returned is not in the session.
        db.session.info.setdefault(_ARRIVALS, []).append((comment, event))
    else:
        event.comment = comment
        db.session.add(event)
    comment_changed.send(comment, from_status=from_status, to_status=to_status)
    notify.status_changed(comment, from_status)
    return event


# New comments' first events, waiting in the session for the flush that inserts them.
_ARRIVALS = "blog_arrival_events"


@sa.event.listens_for(Session, "after_flush_postexec")
def _write_arrivals(session: Session, _flush_context: Any) -> None:
    """Insert the first events of the comments this flush inserted, in one statement."""
    arrivals = session.info.get(_ARRIVALS)
    if not arrivals:
        return
    inserted = [sa.inspect(c).persistent for c, _ in arrivals]
    written = [a for a, done in zip(arrivals, inserted, strict=True) if done]
    session.info[_ARRIVALS] = [a for a, done in zip(arrivals, inserted, strict=True) if not done]
    rows = []
    for comment, event in written:
        # The actor, if new too, was inserted before the comment (comments depend on users).
        event.comment_id = comment.id
        event.actor_id = event.actor.id if event.actor is not None else None
        rows.append(
            {
                "actor_id": event.actor_id,
                "comment_id": comment.id,
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reasons": event.reasons,
                "note": event.note,
            }
        )
    if rows:
        session.connection().execute(_event_insert(), rows)


@sa.event.listens_for(Session, "after_rollback")
def _forget_arrivals(session: Session) -> None:
    # The new comments are gone from the session with the transaction.
    session.info.pop(_ARRIVALS, None)


@functools.cache
def _event_insert() -> sa.Insert:
    # Built once; ``at`` takes its default (now), as it does for an ORM insert.
    return sa.insert(ModerationEvent.__table__)


@functools.cache
def _count_update() -> sa.Update:
    # Built once (each approval runs it); the post and the change are parameters.
    return (
        sa.update(Post)
        .where(Post.id == sa.bindparam("post_id"))
        # Keep updated_at: a comment is not an edit of the post (feeds and the
        # sitemap read it).
        .values(
            comment_count=Post.comment_count + sa.bindparam("delta"),
            updated_at=Post.updated_at,
        )
        .execution_options(synchronize_session=False)
    )


def _count_delta(before: CommentStatus | None, after: CommentStatus) -> int:
    was = before == CommentStatus.APPROVED
    now = after == CommentStatus.APPROVED
    return int(now) - int(was)


# --- decisions -------------------------------------------------------------------


def find_comment(comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for ids no row can have)."""
    if not 1 <= comment_id <= MAX_ID:
        return None
    return db.session.get(Comment, comment_id)


def parse_action(value: Any, allowed: Iterable[Action] = DECISIONS) -> Action:
    """An action name from input, or ModerationError naming the choices."""
    choices = list(allowed)
    try:
        action = Action(value)
    except ValueError:
        action = None
    if action not in choices:
        names = ", ".join(a.value for a in choices)
        raise ModerationError(f"Unknown action; use one of: {names}.", {"action": names})
    return action


def can_apply(comment: Comment, action: Action) -> bool:
    """Whether ``action`` makes sense for the comment as it is now."""
    if comment.status not in _ALLOWED_FROM.get(action, set()):
        return action == Action.APPROVE and (
            comment.status == CommentStatus.APPROVED and comment.flag_count > 0
        )
    return True


def target_status(comment: Comment, action: Action) -> CommentStatus:
    """The status ``action`` moves the comment to (for restore: see the module docstring)."""
    if action != Action.RESTORE:
        return _TARGETS[action]
    previous = db.session.scalar(
        sa.select(ModerationEvent.from_status)
        .where(
            ModerationEvent.comment_id == comment.id,
            ModerationEvent.to_status == comment.status,
            ModerationEvent.from_status != comment.status,
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    if previous in (CommentStatus.PENDING, CommentStatus.APPROVED):
        return previous
    return CommentStatus.PENDING


def moderate(comment: Comment, action: Action, actor: User, note: str | None = None):
    """Approve, reject, mark spam or restore ``comment`` as ``actor``. Caller commits."""
    action = parse_action(action)
    if not can_apply(comment, action):
        raise ModerationError(
            f"This comment is {comment.status.value}; it cannot be {_PAST[action]} now."
        )
    return change_status(
        comment, target_status(comment, action), actor=actor, action=action.value, note=note
    )


def approve(comment: Comment, actor: User) -> ModerationEvent:
    return moderate(comment, Action.APPROVE, actor)


def reject(comment: Comment, actor: User) -> ModerationEvent:
    return moderate(comment, Action.REJECT, actor)


def mark_spam(comment: Comment, actor: User) -> ModerationEvent:
    return moderate(comment, Action.SPAM, actor)


def restore(comment: Comment, actor: User) -> ModerationEvent:
    return moderate(comment, Action.RESTORE, actor)


def past_tense(action: Action | str) -> str:
    """Words for a flash message: "approved", "marked as spam"."""
    return _PAST.get(Action(action), str(action))


@dataclass
class BulkResult:
    updated: list[Comment] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def bulk(ids: Iterable[int], action: Action | str, actor: User) -> BulkResult:
    """One decision on many comments; those it does not apply to are skipped. Caller commits."""
    action = parse_action(action)
    wanted = list(dict.fromkeys(ids))
    possible = [i for i in wanted if 1 <= i <= MAX_ID]
    query = sa.select(Comment).where(Comment.id.in_(possible))
    found = {c.id: c for c in db.session.scalars(query)}
    result = BulkResult(missing=[i for i in wanted if i not in found])
    for comment_id in wanted:
        comment = found.get(comment_id)
        if comment is None:
            continue
        if can_apply(comment, action):
            moderate(comment, action, actor)
            result.updated.append(comment)
        else:
            result.skipped.append(comment_id)
    return result


# --- edits and replies -------------------------------------------------------------


def edit_comment(
    comment: Comment,
    actor: User,
    *,
    body: str | None = None,
    author_name: str | None = None,
    author_website: str | None = None,
) -> ModerationEvent:
    """Change a comment's text (re-rendered) and author details; None leaves a field."""
    if comment.status == CommentStatus.DELETED:
        raise ModerationError("Its author deleted this comment; it cannot be edited.")
    errors: dict[str, str] = {}
    changed: list[str] = []
    if body is not None:
        body = _clean_body(body, errors)
        if "body" not in errors and body != comment.body:
            comment.body = body
            comment.body_html = render_comment(body)
            comment.link_count = count_links(comment.body_html)
            changed.append("text")
    if author_name is not None:
        name = clean_text(author_name).strip()
        if not name or len(name) > NAME_MAX:
            errors["author_name"] = f"Give a name of 1 to {NAME_MAX} characters."
        elif name != comment.author_name:
            comment.author_name = name
            changed.append("name")
    if author_website is not None:
        website = clean_text(author_website).strip() or None
        if website and (len(website) > WEBSITE_MAX or safe_url(website) is None):
            errors["author_website"] = "Give an http:// or https:// address, or leave it empty."
        elif website != comment.author_website:
            comment.author_website = website
            changed.append("website")
    if errors:
        raise ModerationError("Please correct the marked fields.", errors)
    if changed:
        comment.edited_at = utcnow()
    note = "Edited: " + ", ".join(changed) if changed else "Saved without changes"
    return change_status(comment, comment.status, actor=actor, action=Action.EDIT, note=note)


def _clean_body(body: str, errors: dict[str, str]) -> str:
    body = clean_text(body).strip()
    if not body:
        errors["body"] = "Write some text."
    elif len(body) > BODY_MAX:
        errors["body"] = f"Keep it under {BODY_MAX} characters."
    return body


def reply_as_moderator(parent: Comment, moderator: User, body: str) -> Comment:
    """An approved reply by ``moderator``; a pending parent is approved first. Caller commits."""
    from . import notify

    errors: dict[str, str] = {}
    body = _clean_body(body, errors)
    if errors:
        raise ModerationError("Please correct the marked fields.", errors)
    if parent.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        raise ModerationError(f"This comment is {parent.status.value}; approve it before replying.")
    if parent.status == CommentStatus.PENDING:
        # As WordPress does: answering a held comment publishes it too.
        moderate(parent, Action.APPROVE, moderator, note="Approved when replying")
    html = render_comment(body)
    reply = Comment(
        post=parent.post,
        parent=parent,
        user=moderator,
        author_name=moderator.display_name[:NAME_MAX],
        author_email=moderator.email,
        author_website=moderator.website,
        body=body,
        body_html=html,
        link_count=count_links(html),
    )
    db.session.add(reply)
    change_status(
        reply,
        CommentStatus.APPROVED,
        actor=moderator,
        action=Action.REPLY,
        reasons=[reason("moderator", "Written by a moderator.")],
        note=f"Reply to comment {parent.id}",
    )
    db.session.flush()
    notify.comment_created(reply)
    return reply
