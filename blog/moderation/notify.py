"""Mail about comments, queued in the outbox with the change that causes it.

- a held comment: every moderator and admin with a verified email (with
  signed one-click links) and the post's author;
- a comment approved for the first time (on arrival or later): the post's
  author, unless they wrote it, and the post's confirmed subscribers, except
  the comment's own author, with one-click unsubscribe headers.

Nothing here commits; the mails go out with the caller's transaction.
"""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..mail import queue_mails
from ..models import Comment, CommentStatus, ModerationEvent, Role, Subscription, User
from . import links

AUTO_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def comment_created(comment: Comment, mods: list[Moderator] | None = None) -> None:
    """Queue the mails a new comment causes (held: moderators and author; approved: author).

    ``mods``: the moderators, when the caller read them in its own query (see
    ``moderators_column``); otherwise they are read here.
    """
    db.session.flush()  # links and permalinks need the comment's id
    if comment.status == CommentStatus.PENDING:
        # A new comment has no moderator's decision yet (its own event records the
        # policy, or a moderator's reply), so the links need not look one up.
        _notify_held(comment, last_decision=0, mods=mods)
    elif comment.status == CommentStatus.APPROVED:
        _notify_approved(comment)


def status_changed(comment: Comment, from_status: CommentStatus | None) -> None:
    """Queue the mails a moderation decision causes (approved: author and subscribers)."""
    if from_status is None or from_status == comment.status:
        return  # a new comment is comment_created's job; an edit sends nothing
    if comment.status == CommentStatus.APPROVED and _first_approval(comment):
        _notify_approved(comment)
    elif comment.status == CommentStatus.PENDING and from_status == CommentStatus.APPROVED:
        _notify_held(comment)  # readers' flags sent it back to the queue


def _first_approval(comment: Comment) -> bool:
    """Whether this is the comment's first approval: nobody hears about one twice."""
    approvals = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ModerationEvent)
        .where(
            ModerationEvent.comment_id == comment.id,
            ModerationEvent.to_status == CommentStatus.APPROVED,
            ModerationEvent.from_status.is_distinct_from(CommentStatus.APPROVED),
        )
    )
    return approvals <= 1


# --- who hears -------------------------------------------------------------------


class Moderator(NamedTuple):
    """What a mail to a moderator needs of them: read as a row, not loaded as a ``User``."""

    id: int
    email: str
    session_version: int

    @property
    def is_moderator(self) -> bool:
        return True  # moderators() asks only moderators and admins who are not banned


def moderators() -> list[Moderator]:
    """Moderators and admins who can receive mail."""
    # Rows, not objects: the session's connection, without the ORM's execution layer
    # (after the flush the session would do first).
    db.session.flush()
    rows = db.session.connection().execute(_moderators_query())
    return [Moderator(*row) for row in rows]


@functools.cache
def _moderators_query() -> sa.Select[tuple[int, str, int]]:
    # Built once: every held comment asks, and building a query costs more than running it.
    return (
        sa.select(User.id, User.email, User.session_version)
        .where(*_moderator_rules())
        .order_by(User.id)
    )


def _moderator_rules() -> tuple[sa.ColumnElement[bool], ...]:
    return (
        User.role.in_([Role.MODERATOR, Role.ADMIN]),
        User.banned.is_(False),
        User.email.is_not(None),
        User.email_verified.is_(True),
    )


def moderators_column() -> sa.ScalarSelect[Any]:
    """``moderators()`` as one column (a JSON list), for a query of the caller's own:
    a new comment's submission reads them with everything else it reads, in one
    round trip. Give the value to ``moderators_from``."""
    return (
        sa.select(_JsonRows(User.id, User.email, User.session_version))
        .where(*_moderator_rules())
        .scalar_subquery()
    )


def moderators_from(value: Any) -> list[Moderator]:
    """The moderators in a ``moderators_column`` value, in ``moderators()``'s order."""
    rows = json.loads(value) if isinstance(value, str) else value or []
    return sorted((Moderator(*row) for row in rows), key=lambda m: m.id)


class _JsonRows(FunctionElement[Any]):
    """An aggregate: the group's rows as a JSON list of lists (PostgreSQL, SQLite)."""

    type = sa.JSON()
    inherit_cache = True


@compiles(_JsonRows)
def _json_rows(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_JsonRows, "postgresql")
def _json_rows_postgresql(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def _is_author(comment: Comment, user: User | Moderator) -> bool:
    if comment.user_id is not None and comment.user_id == user.id:
        return True
    return bool(comment.author_email and user.email) and (
        comment.author_email.lower() == user.email.lower()
    )


def _post_author(comment: Comment) -> User | None:
    author = comment.post.author
    if author is None or not author.email or not author.email_verified or author.banned:
        return None
    return author


# --- the mails -------------------------------------------------------------------


def _notify_held(
    comment: Comment, last_decision: int | None = None, mods: list[Moderator] | None = None
) -> None:
    recipients: list[User | Moderator] = list(mods) if mods is not None else moderators()
    author = _post_author(comment)
    if author is not None and all(u.id != author.id for u in recipients):
        recipients.append(author)
    decision = links.last_decision_id(comment) if last_decision is None else last_decision
    subject = f'Please moderate a comment on "{_one_line(comment.post.title)}"'
    # The same for every recipient: built once.
    moderation_url = links.external_url("moderation.comment", comment_id=comment.id)
    queue_url = links.external_url("moderation.queue")
    mails = []
    for user in recipients:
        if _is_author(comment, user):
            continue
        action_links = None
        if user.is_moderator:
            action_links = {
                a.value: links.action_url(comment, a, user, decision) for a in links.LINK_ACTIONS
            }
        mails.append(
            _mail(
                user.email,
                subject,
                "held",
                comment,
                recipient=user,
                show_private=user.is_moderator,
                action_links=action_links,
                moderation_url=moderation_url,
                queue_url=queue_url,
            )
        )
    queue_mails(mails)


def _notify_approved(comment: Comment) -> None:
    # Read before any mail is queued, so that the mails go out in one INSERT.
    subscribers = _subscribers(comment)
    author = _post_author(comment)
    subject = f'New comment on "{_one_line(comment.post.title)}"'
    mails = []
    mailed: set[str] = set()
    if author is not None and not _is_author(comment, author):
        mails.append(_mail(author.email, subject, "new_comment", comment, recipient=author))
        mailed.add(author.email.lower())
    for sub in subscribers:
        if sub.email.lower() in mailed:
            continue
        mailed.add(sub.email.lower())
        mails.append(_subscriber_mail(comment, sub, subject))
    queue_mails(mails)


def _subscribers(comment: Comment) -> list[Subscription]:
    subs = db.session.scalars(_subscribers_query(), {"post_id": comment.post_id})
    own_email = (comment.author_email or "").lower()
    return [
        s
        for s in subs
        if not (comment.user_id and s.user_id == comment.user_id) and s.email.lower() != own_email
    ]


@functools.cache
def _subscribers_query() -> sa.Select[tuple[Subscription]]:
    # Built once: every approved comment asks.
    return (
        sa.select(Subscription)
        .where(Subscription.post_id == sa.bindparam("post_id"), Subscription.confirmed.is_(True))
        .order_by(Subscription.id)
    )


def _subscriber_mail(comment: Comment, sub: Subscription, subject: str) -> dict[str, Any]:
    from ..comments.subscriptions import unsubscribe_url

    url = unsubscribe_url(sub)
    if url.startswith("/"):
        url = links.absolute(url)
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<post-{comment.post_id}.comments.{_host()}>",
        "Precedence": "list",
    }
    return _mail(
        sub.email, subject, "subscriber", comment, unsubscribe_url=url, extra_headers=headers
    )


def _mail(
    to: str,
    subject: str,
    template: str,
    comment: Comment,
    extra_headers: dict[str, str] | None = None,
    **context: Any,
) -> dict[str, Any]:
    """One mail about ``comment``, rendered, for ``queue_mails``."""
    app = current_app
    site = app.config["SITE_TITLE"]
    post_url = links.absolute(comment.post.url_path)
    context.update(
        comment=comment,
        post=comment.post,
        site_title=site,
        site_url=links.base_url() + "/",
        post_url=post_url,
        comment_url=f"{post_url}#comment-{comment.id}",
        reasons=comment.reasons or [],
    )
    # The mail templates read only this context: no context processors (they serve pages).
    templates = app.jinja_env
    return {
        "to": to,
        "subject": f"[{_one_line(site)}] {subject}",
        "text": templates.get_template(f"mail/{template}.txt").render(context),
        "html": templates.get_template(f"mail/{template}.html").render(context),
        "headers": {**AUTO_HEADERS, **(extra_headers or {})},
    }


def _one_line(text: str) -> str:
    """Header-safe text: no line breaks, collapsed spaces."""
    return " ".join((text or "").split())


def _host() -> str:
    from urllib.parse import urlsplit

    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
