"""Subscriptions to a post's new comments: double opt-in for guests, one-click unsubscribe.

Links carry signed tokens, so they work without logging in. The unsubscribe
token never expires (an old mail's link must keep working); the confirmation
token does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from ..extensions import db
from ..mail import queue_mail
from ..models import Post, Subscription, User

CONFIRM_MAX_AGE = 7 * 24 * 3600


def subscribe(post: Post, email: str, user: User | None) -> Subscription:
    """Subscribe ``email`` to ``post``: at once for a verified account, else by a mailed link.

    The caller commits.
    """
    email = email.strip().lower()
    verified = bool(user and user.email_verified and (user.email or "").lower() == email)
    sub = db.session.scalar(
        sa.select(Subscription).where(Subscription.post_id == post.id, Subscription.email == email)
    )
    if sub is None:
        sub = Subscription(post_id=post.id, email=email, user_id=user.id if user else None)
        sub.confirmed = verified
        db.session.add(sub)
        db.session.flush()
        if not verified:
            _queue_confirmation(sub, post)
    elif verified and not sub.confirmed:
        sub.confirmed = True
    return sub


def is_subscribed(post: Post, email: str | None) -> bool:
    """Whether ``email`` hears about new comments on ``post`` (confirmed only)."""
    if not email:
        return False
    return (
        db.session.scalar(
            sa.select(Subscription.id).where(
                Subscription.post_id == post.id,
                Subscription.email == email.strip().lower(),
                Subscription.confirmed.is_(True),
            )
        )
        is not None
    )


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="subscription-confirm")


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="subscription-unsubscribe")


def _payload(sub: Subscription) -> dict[str, Any]:
    # The email is part of the token, so a token cannot act on a reused id.
    return {"s": sub.id, "e": sub.email}


def confirm_token(sub: Subscription) -> str:
    return _confirm_serializer().dumps(_payload(sub))


def unsubscribe_token(sub: Subscription) -> str:
    return _unsubscribe_serializer().dumps(_payload(sub))


def _absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def confirm_url(sub: Subscription) -> str:
    return _absolute(f"/subscriptions/confirm/{confirm_token(sub)}")


def unsubscribe_url(sub: Subscription) -> str:
    """The one-click unsubscribe link (GET shows a button, POST unsubscribes; RFC 8058)."""
    return _absolute(f"/unsubscribe/{unsubscribe_token(sub)}")


def unsubscribe_headers(sub: Subscription) -> dict[str, str]:
    """The List-Unsubscribe headers for a mail to this subscriber."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(sub)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


class TokenError(ValueError):
    """A link that is not ours, or too old."""


def _load(data: Any) -> Subscription | None:
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise TokenError("This link is not valid.")
    sub = db.session.get(Subscription, data["s"])
    if sub is None or sub.email != data.get("e"):
        return None
    return sub


def load_confirm_token(token: str) -> Subscription | None:
    """The subscription a confirmation link is for; None if it is gone; TokenError if bad."""
    try:
        data = _confirm_serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except BadSignature:
        raise TokenError("This confirmation link is not valid or has expired.") from None
    return _load(data)


def load_unsubscribe_token(token: str) -> Subscription | None:
    """The subscription an unsubscribe link is for; None if already gone; TokenError if bad."""
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature:
        raise TokenError("This unsubscribe link is not valid.") from None
    return _load(data)


def confirm(sub: Subscription) -> None:
    sub.confirmed = True
    db.session.commit()


def unsubscribe(sub: Subscription) -> None:
    db.session.delete(sub)
    db.session.commit()


def _queue_confirmation(sub: Subscription, post: Post) -> None:
    context = {"post": post, "confirm_url": confirm_url(sub), "site": current_app.config}
    queue_mail(
        sub.email,
        f"Confirm: new comments on “{post.title}”",
        render_template("comments/mail/confirm_subscription.txt", **context),
        render_template("comments/mail/confirm_subscription.html", **context),
    )
