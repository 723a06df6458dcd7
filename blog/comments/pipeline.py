"""The comment pipeline: from submitted fields to a stored comment, without a request.

``submit_comment`` checks who may comment and what they sent, renders the
text, asks the moderation policy, and stores the comment, its moderation
event, its mails and any subscription in one transaction. Rate limits are
applied around it by the views (Flask-Limiter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm.attributes import NO_VALUE, set_committed_value

from ..extensions import db
from ..models import Comment, CommentStatus, Post, User, utcnow
from ..moderation import notify
from ..moderation.services import change_status
from ..moderation.settings import get_settings
from ..sanitise import count_links, render_comment, safe_url, strip_tags
from . import forms, policy, subscriptions

DUPLICATE_WINDOW = timedelta(hours=1)
HELD_MESSAGE = "Your comment is awaiting moderation."


@dataclass
class RequestInfo:
    """Where a comment came from: what the policy and Akismet look at."""

    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    # The HTML form carries a honeypot and a signed stamp; API clients do not.
    via_form: bool = False

    @classmethod
    def from_request(cls, *, via_form: bool) -> RequestInfo:
        if not has_request_context():
            return cls(via_form=via_form)
        from ..extensions import _client_ip

        return cls(
            ip=_client_ip()[:45],
            user_agent=(request.user_agent.string or "")[:500] or None,
            referrer=(request.referrer or "")[:500] or None,
            via_form=via_form,
        )


@dataclass
class Result:
    """What happened: a stored comment (status 201), or why not (400, 403, 404)."""

    comment: Comment | None = None
    status: int = 201
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.comment is not None


def as_user(identity: Any) -> User | None:
    """The logged-in user, or None for a visitor (Flask-Login's anonymous user included)."""
    if identity is None or not getattr(identity, "is_authenticated", False):
        return None
    return identity


def refusal(post: Post, user: User | None, settings: dict[str, Any]) -> Result | None:
    """Why this visitor may not comment on ``post`` at all (403), or None."""
    closed = policy.closed_reason(post, settings)
    if closed:
        return Result(status=403, message=closed)
    if user is not None and user.banned:
        return Result(status=403, message="Your account may no longer comment here.")
    if user is None and not settings["guests_allowed"]:
        return Result(status=403, message="Log in to leave a comment.")
    return None


def submit_comment(
    post: Post, data: Mapping[str, Any], identity: Any, request_info: RequestInfo
) -> Result:
    """Check, render, moderate and store a comment on ``post``. Commits when stored."""
    settings = get_settings()
    user = as_user(identity)
    values = _kept_values(data)
    refused = refusal(post, user, settings)
    if refused:
        refused.values = values
        return refused
    clean, errors = forms.read_input(data, guest=user is None)
    form_age = None
    if request_info.via_form:
        try:
            form_age = forms.stamp_age(data.get(forms.STAMP_FIELD), post.id)
        except forms.FormStampError as exc:
            errors["form"] = str(exc)
    html = render_comment(clean.body) if "body" not in errors else ""
    if "body" not in errors and not strip_tags(html):
        errors["body"] = "Write a comment (it was empty once formatting was removed)."
    if errors:
        return Result(status=400, message="Please correct the marked fields.", errors=errors,
                      values=values)  # fmt: skip
    parent = _parent(post, clean.parent_id)
    if clean.parent_id and parent is None:
        return Result(status=404, message="The comment you replied to is not on this post.",
                      values=values)  # fmt: skip
    name, email, website = _author(user, clean)
    duplicate = _duplicate_message(post, clean.body, user, email)
    if duplicate:
        return Result(status=400, message=duplicate, errors={"body": duplicate}, values=values)

    candidate = policy.Candidate(
        post=post,
        body=clean.body,
        name=name,
        email=email,
        website=website,
        ip=request_info.ip,
        user_agent=request_info.user_agent,
        referrer=request_info.referrer,
        link_count=count_links(html),
        user=user,
        form_age=form_age,
        honeypot=bool(str(data.get(forms.HONEYPOT) or "").strip()) and request_info.via_form,
        is_reply=parent is not None,
    )
    decision = policy.decide(candidate, settings)
    comment = Comment(
        post=post,
        parent=parent,
        user=user,
        author_name=name,
        author_email=email,
        author_website=website,
        body=clean.body,
        body_html=html,
        link_count=candidate.link_count,
        ip=request_info.ip,
        user_agent=request_info.user_agent,
        notify=clean.notify,
    )
    db.session.add(comment)
    change_status(comment, decision.status, actor=None, action="submit", reasons=decision.reasons)
    db.session.flush()
    notify.comment_created(comment)
    if clean.notify and email and decision.status != CommentStatus.SPAM:
        subscriptions.subscribe(post, email, user)
    _commit_keeping(comment)
    return Result(comment=comment, status=201, message=_message(comment.status))


def _commit_keeping(comment: Comment) -> None:
    """Commit, keeping the new comment's column values as written: the answer shows
    them, and reading the row back would cost a query. Everything else expires."""
    state = sa.inspect(comment)
    written = {}
    for attr in sa.inspect(Comment).column_attrs:
        value = state.attrs[attr.key].loaded_value
        if value is NO_VALUE and all(c.server_default is None for c in attr.columns):
            value = None  # never set, no default anywhere: the row holds NULL
        written[attr.key] = value
    db.session.commit()
    for key, value in written.items():
        if value is not NO_VALUE:
            set_committed_value(comment, key, value)


def _message(status: CommentStatus) -> str:
    if status == CommentStatus.APPROVED:
        return "Thanks for your comment."
    return HELD_MESSAGE


def _kept_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the visitor typed, to show again in the form after an error."""
    kept = {}
    for name in ("body", "name", "email", "website", "parent_id"):
        value = data.get(name)
        kept[name] = value if isinstance(value, str | int) and not isinstance(value, bool) else ""
    kept["notify"] = forms._flag(data.get("notify"))
    return kept


def _parent(post: Post, parent_id: int | None) -> Comment | None:
    """The approved comment on ``post`` being replied to."""
    if not parent_id:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        return None
    return parent


def _author(user: User | None, clean: forms.CommentInput) -> tuple[str, str | None, str | None]:
    """Name, email and website: a guest's as typed, or a copy of the account's."""
    if user is None:
        return clean.name, clean.email, clean.website
    return user.display_name[:100], user.email, safe_url(user.website)


def _duplicate_message(post: Post, body: str, user: User | None, email: str | None) -> str | None:
    """The same text on the same post within the hour is refused."""
    row = db.session.execute(
        sa.select(Comment.user_id, Comment.author_email)
        .where(
            Comment.post_id == post.id,
            Comment.body == body,
            Comment.created_at >= utcnow() - DUPLICATE_WINDOW,
            Comment.status != CommentStatus.DELETED,
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    same = (user is not None and row.user_id == user.id) or (
        user is None and row.user_id is None and row.author_email == email
    )
    if same:
        return "You already said that."
    return "Someone already said exactly that here within the last hour."
