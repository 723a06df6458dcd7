"""The comment pipeline: from submitted fields to a stored comment, without a request.

``submit_comment`` checks who may comment and what they sent, renders the
text, asks the moderation policy, and stores the comment, its moderation
event, its mails and any subscription in one transaction. Rate limits are
applied around it by the views (Flask-Limiter).
"""

from __future__ import annotations

import functools
import re
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
from ..moderation.settings import settings_column, settings_from
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
    user = as_user(identity)
    values = _kept_values(data)
    clean, errors = forms.read_input(data, guest=user is None)
    name, email, website = _author(user, clean)
    known = _look_up(post, None if "body" in errors else clean.body, user, email, request_info.ip)
    settings = known.settings
    refused = refusal(post, user, settings)
    if refused:
        refused.values = values
        return refused
    form_age = None
    if request_info.via_form:
        try:
            form_age = forms.stamp_age(data.get(forms.STAMP_FIELD), post.id)
        except forms.FormStampError as exc:
            errors["form"] = str(exc)
    html = render_comment(clean.body) if "body" not in errors else ""
    if "body" not in errors and not _has_text(html):
        errors["body"] = "Write a comment (it was empty once formatting was removed)."
    if errors:
        return Result(status=400, message="Please correct the marked fields.", errors=errors,
                      values=values)  # fmt: skip
    parent = _parent(post, clean.parent_id)
    if clean.parent_id and parent is None:
        return Result(status=404, message="The comment you replied to is not on this post.",
                      values=values)  # fmt: skip
    duplicate = known.duplicate_message
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
    decision = policy.decide(candidate, settings, known.record)
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
    notify.comment_created(comment, known.moderators)
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


# Tags and character references in sanitised HTML (bleach writes both whole).
_MARKUP = re.compile(r"<[^>]*>|&[^;\s]*;")
_VISIBLE = re.compile(r"\S")


def _has_text(html: str) -> bool:
    """Whether rendered ``html`` has any text once formatting is removed (``strip_tags``).

    A character outside every tag and reference that is not a space is text,
    which ``strip_tags`` keeps: that answers nearly every comment without
    parsing the HTML again. Otherwise (only spaces and references, such as
    ``&nbsp;``, or nothing) ``strip_tags`` decides, as it always did.
    """
    if _VISIBLE.search(_MARKUP.sub("", html)):
        return True
    return bool(strip_tags(html))


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


@dataclass
class _Known:
    """What the database says about a submission, read in one query by ``_look_up``."""

    settings: dict[str, Any]
    duplicate_message: str | None
    record: policy.Record
    # Read whatever the policy decides: the query costs less than a round trip of its own.
    moderators: list[notify.Moderator]


def _look_up(
    post: Post, body: str | None, user: User | None, email: str | None, ip: str | None
) -> _Known:
    """The moderation settings, any duplicate, and the commenter's record (bans, an
    approved comment), in one round trip. ``body`` None (not valid) skips the duplicate."""
    query = _look_up_query(body is not None, user is not None, bool(email), bool(ip))
    params = {
        "post_id": post.id,
        "body": body,
        "since": utcnow() - DUPLICATE_WINDOW,
        "user_id": user.id if user is not None else None,
        "email": email,
        **policy.record_params(user, email, ip),
    }
    row = _run(query, params).one()
    duplicate = None
    if row.said_by_them:
        duplicate = "You already said that."
    elif row.repeated:
        duplicate = "Someone already said exactly that here within the last hour."
    record = policy.record_from(row, ip)
    return _Known(settings_from(row.settings), duplicate, record, notify.moderators_from(row.mods))


def _run(query: sa.Executable, params: dict[str, Any] | None = None) -> sa.CursorResult[Any]:
    """Run a statement of plain columns in the session's transaction, skipping the ORM's
    execution layer (nothing here loads objects). Anything pending is flushed first,
    as the session would."""
    db.session.flush()
    return db.session.connection().execute(query, params)


@functools.cache
def _look_up_query(body: bool, user: bool, email: bool, ip: bool) -> sa.Select[Any]:
    """``_look_up``'s query for each kind of submission, built once (building a query
    costs more than running this one)."""
    repeated: sa.ColumnElement[Any] = sa.false()
    said_by_them: sa.ColumnElement[Any] = sa.false()
    if body:
        # The same text on the same post within the hour. PostgreSQL finds the text
        # by a hash index; the post's last hour grows with the discussion.
        recent = sa.and_(
            Comment.post_id == sa.bindparam("post_id"),
            Comment.body == sa.bindparam("body"),
            Comment.created_at >= sa.bindparam("since"),
            Comment.status != CommentStatus.DELETED,
        )
        repeated = sa.exists().where(recent)
        if user:
            said_by_them = sa.exists().where(recent, Comment.user_id == sa.bindparam("user_id"))
        elif email:
            theirs = sa.and_(
                Comment.user_id.is_(None), Comment.author_email == sa.bindparam("email")
            )
            said_by_them = sa.exists().where(recent, theirs)
    return sa.select(
        settings_column().label("settings"),
        repeated.label("repeated"),
        said_by_them.label("said_by_them"),
        *policy.record_columns(user=user, email=email, ip=ip),
        notify.moderators_column().label("mods"),
    )
