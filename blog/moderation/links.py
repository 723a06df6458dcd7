"""Signed one-click links in moderation mails, and absolute URLs for mail.

A link carries the comment, the action, the moderator it was made for (with
their session version, so bumping it revokes outstanding links), the status
the comment had when the mail was written, and its expiry. It works only
while the comment still has that status and no moderator has decided on it
since: one use in effect, without storing anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from ..extensions import db
from ..models import Comment, CommentStatus, ModerationEvent, User
from .services import DECISIONS, Action

SALT = "moderation-link"
LINK_ACTIONS = (Action.APPROVE, Action.SPAM, Action.REJECT)
DEFAULT_TTL = timedelta(days=7)


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    """An absolute URL on this site (for mail), from a path."""
    return base_url() + path


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for`` made absolute from BASE_URL; works without a request."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return absolute(path)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def last_decision_id(comment: Comment) -> int:
    """The id of the latest moderator decision on ``comment`` (0 for none)."""
    return (
        db.session.scalar(
            sa.select(sa.func.max(ModerationEvent.id)).where(
                ModerationEvent.comment_id == comment.id,
                ModerationEvent.action.in_([a.value for a in DECISIONS]),
                ModerationEvent.actor_id.is_not(None),
            )
        )
        or 0
    )


def make_token(
    comment: Comment,
    action: Action,
    moderator: User,
    *,
    ttl: timedelta | None = None,
    last_decision: int | None = None,
) -> str:
    """A signed token for ``moderator`` to apply ``action`` to ``comment``."""
    ttl = ttl if ttl is not None else current_app.config.get("MODERATION_LINK_TTL", DEFAULT_TTL)
    payload = {
        "c": comment.id,
        "a": Action(action).value,
        "u": moderator.id,
        "v": moderator.session_version,
        "s": comment.status.value,
        "d": last_decision if last_decision is not None else last_decision_id(comment),
        "exp": int(time.time() + ttl.total_seconds()),
    }
    return _serializer().dumps(payload)


def action_url(comment: Comment, action: Action, moderator: User, last_decision: int) -> str:
    token = make_token(comment, action, moderator, last_decision=last_decision)
    return external_url("moderation.mail_link", token=token)


class LinkError(Exception):
    """A link that cannot be used; ``message`` says why in words for people."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class LinkClaim:
    comment: Comment
    action: Action
    moderator: User
    status: CommentStatus
    last_decision: int


def read_token(token: str) -> LinkClaim:
    """Check a link's signature, expiry, comment and moderator; raise LinkError if unusable."""
    try:
        data = _serializer().loads(token)
        comment_id, action = int(data["c"]), Action(data["a"])
        user_id, version = int(data["u"]), int(data["v"])
        status, decision, expires = CommentStatus(data["s"]), int(data["d"]), int(data["exp"])
    except (BadData, KeyError, TypeError, ValueError):
        raise LinkError(
            "This link is not valid. It may have been changed or cut short in the mail; "
            "open the moderation queue instead."
        ) from None
    if action not in LINK_ACTIONS:
        raise LinkError("This link is not valid.")
    if time.time() > expires:
        raise LinkError(
            "This link has expired. Open the moderation queue to decide on the comment.", 410
        )
    moderator = db.session.get(User, user_id)
    if moderator is None or moderator.session_version != version or not moderator.is_moderator:
        raise LinkError("This link is no longer valid for your account.", 403)
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise LinkError("That comment no longer exists.", 404)
    return LinkClaim(comment, action, moderator, status, decision)


def decided_since(claim: LinkClaim) -> ModerationEvent | None:
    """The decision that made the link stale, or None while it may still act.

    A comment whose status moved on since the mail is decided, and so is one a
    moderator acted on since, even if it came back to the same status.
    """
    latest = db.session.scalar(
        sa.select(ModerationEvent)
        .where(
            ModerationEvent.comment_id == claim.comment.id,
            ModerationEvent.action.in_([a.value for a in DECISIONS]),
            ModerationEvent.actor_id.is_not(None),
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    if latest is not None and latest.id > claim.last_decision:
        return latest
    if claim.comment.status != claim.status:
        # Moved on without a moderator (readers' flags, the author deleting it).
        return ModerationEvent(
            action="change", from_status=claim.status, to_status=claim.comment.status
        )
    return None
