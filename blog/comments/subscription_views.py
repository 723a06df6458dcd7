"""Confirming and ending a subscription by a mailed link (GET shows a button, POST acts)."""

from __future__ import annotations

from flask import render_template, request

from ..extensions import csrf, db
from ..models import Post
from . import bp
from .subscriptions import (
    TokenError,
    confirm,
    load_confirm_token,
    load_unsubscribe_token,
    unsubscribe,
)


@bp.route("/subscriptions/confirm/<token>", methods=["GET", "POST"])
def confirm_subscription(token: str):
    """Double opt-in: the guest confirms they asked for mail about new comments."""
    try:
        sub = load_confirm_token(token)
    except TokenError as exc:
        return render_template("comments/subscription.html", state="bad", message=str(exc)), 400
    if sub is None:
        message = "This subscription no longer exists."
        return render_template("comments/subscription.html", state="gone", message=message), 404
    if request.method == "POST":
        confirm(sub)
    state = "confirmed" if sub.confirmed else "confirm"
    post = db.session.get(Post, sub.post_id)
    return render_template("comments/subscription.html", state=state, post=post, token=token)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no token
def unsubscribe_view(token: str):
    """One-click unsubscribe: GET shows a button, POST unsubscribes."""
    try:
        sub = load_unsubscribe_token(token)
    except TokenError as exc:
        return render_template("comments/subscription.html", state="bad", message=str(exc)), 400
    if sub is None:
        return render_template("comments/subscription.html", state="unsubscribed")
    post = db.session.get(Post, sub.post_id)
    if request.method == "POST":
        unsubscribe(sub)
        return render_template("comments/subscription.html", state="unsubscribed", post=post)
    return render_template(
        "comments/subscription.html", state="unsubscribe", post=post, token=token
    )
