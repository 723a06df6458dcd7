"""Each reader's own data: everything the site holds about them, and erasure.

A person's comments are those written while logged in, plus guest comments
under their email once that email is verified (an unverified address proves
nothing, so it never reaches other people's guest comments).

Erasure anonymises or removes their comments, as they choose. A removed
comment that others answered stays as a "deleted" placeholder, so the replies
keep their place. Subscriptions, flags, identities and the account go. The
moderation log keeps each decision (action, statuses, time) but loses the
person: reasons and notes that quote their email, IP or name are scrubbed.
Bans stay: erasing an account is no way around a ban.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import (
    Comment,
    CommentStatus,
    Flag,
    Identity,
    ModerationEvent,
    OutboxMail,
    Post,
    Role,
    Subscription,
    User,
    isoformat,
    utcnow,
)
from ..moderation.services import change_status, reason

ANONYMOUS = "Anonymous"
REMOVED = "[removed]"


class CommentChoice(enum.StrEnum):
    ANONYMISE = "anonymise"
    REMOVE = "remove"


@dataclass
class Erasure:
    """What an erasure did, for the message and the log."""

    user_id: int
    comments: CommentChoice
    anonymised: int = 0
    removed: int = 0
    placeholders: int = 0

    def describe(self) -> str:
        if self.comments == CommentChoice.ANONYMISE:
            done = f"{self.anonymised} comment(s) anonymised"
        else:
            done = f"{self.removed} comment(s) removed"
            if self.placeholders:
                done += f" ({self.placeholders} kept as placeholders for their replies)"
        return f"Account #{self.user_id} erased; {done}."


def _own(user: User) -> sa.ColumnElement[bool]:
    """Comments that are this person's: by account, or by their verified email."""
    clauses = [Comment.user_id == user.id]
    if user.email and user.email_verified:
        clauses.append(sa.func.lower(Comment.author_email) == user.email.lower())
    return sa.or_(*clauses)


def _own_subscriptions(user: User) -> sa.ColumnElement[bool]:
    clauses = [Subscription.user_id == user.id]
    if user.email and user.email_verified:
        clauses.append(sa.func.lower(Subscription.email) == user.email.lower())
    return sa.or_(*clauses)


def may_erase(actor: User, target: User) -> bool:
    """Moderators erase readers and authors on request; admins anyone but themselves."""
    if actor.id == target.id or not actor.is_moderator:
        return False
    return actor.is_admin or not target.role.at_least(Role.MODERATOR)


def erase_blocker(user: User) -> str | None:
    """Why ``user`` may not erase their own account now, or None."""
    if user.role != Role.ADMIN:
        return None
    admins = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN)
    )
    if admins <= 1:
        return "You are the site's only admin: make someone else admin first."
    return None


def user_comments(user: User) -> list[Comment]:
    return list(db.session.scalars(sa.select(Comment).where(_own(user)).order_by(Comment.id)))


def profile_json(user: User) -> dict[str, Any]:
    """A user's own fields as exports show them; never the password hash."""
    return {
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "display_name": user.display_name,
        "website": user.website,
        "avatar_url": user.avatar_url,
        "role": user.role.value,
        "banned": user.banned,
        "created_at": isoformat(user.created_at),
    }


def identity_json(identity: Identity) -> dict[str, Any]:
    """A login identity as exports show it (it holds no secrets)."""
    return {
        "provider": identity.provider,
        "subject": identity.subject,
        "email": identity.email,
        "email_verified": identity.email_verified,
        "display_name": identity.display_name,
        "username": identity.username,
        "avatar_url": identity.avatar_url,
        "created_at": isoformat(identity.created_at),
        "last_login_at": isoformat(identity.last_login_at),
    }


def export_user_data(user: User) -> dict[str, Any]:
    """Everything the site holds about ``user``, as JSON-ready data."""
    base = current_app.config["BASE_URL"].rstrip("/")
    posts = {p.id: p for p in db.session.scalars(sa.select(Post).where(Post.author_id == user.id))}
    comments = user_comments(user)
    for post in db.session.scalars(
        sa.select(Post).where(Post.id.in_({c.post_id for c in comments} - set(posts)))
    ):
        posts[post.id] = post
    subscriptions = db.session.scalars(sa.select(Subscription).where(_own_subscriptions(user)))
    flags = db.session.scalars(sa.select(Flag).where(Flag.reporter == f"user:{user.id}"))
    decisions = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.actor_id == user.id)
    )
    return {
        "format": "blog-personal-data",
        "version": 1,
        "exported_at": isoformat(utcnow()),
        "site": base,
        "profile": {**profile_json(user), "has_password": bool(user.password_hash)},
        "identities": [identity_json(i) for i in user.identities],
        "comments": [_comment(c, posts[c.post_id], base) for c in comments],
        "subscriptions": [
            {
                "post": _post_ref(posts.get(s.post_id) or db.session.get(Post, s.post_id), base),
                "email": s.email,
                "confirmed": s.confirmed,
                "created_at": isoformat(s.created_at),
            }
            for s in subscriptions
        ],
        "flags": [
            {"comment_id": f.comment_id, "reason": f.reason, "created_at": isoformat(f.created_at)}
            for f in flags
        ],
        "posts": [_post_ref(p, base) for p in posts.values() if p.author_id == user.id],
        "moderation_decisions": [
            {"at": isoformat(e.at), "action": e.action, "comment_id": e.comment_id}
            for e in decisions
        ],
    }


def _post_ref(post: Post, base: str) -> dict[str, Any]:
    return {"id": post.id, "title": post.title, "url": base + post.url_path}


def _comment(comment: Comment, post: Post, base: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "post": _post_ref(post, base),
        "url": f"{base}{post.url_path}#comment-{comment.id}",
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "kind": comment.kind.value,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "ip": comment.ip,
        "user_agent": comment.user_agent,
        "body": comment.body,
        "html": comment.body_html,
        "notify": comment.notify,
        "created_at": isoformat(comment.created_at),
        "edited_at": isoformat(comment.edited_at),
    }


# --- erasure -------------------------------------------------------------------------


def erase_user(
    user: User, comments: CommentChoice | str = CommentChoice.ANONYMISE, actor: User | None = None
) -> Erasure:
    """Erase ``user`` and deal with their comments as chosen. Caller commits."""
    choice = CommentChoice(comments)
    result = Erasure(user_id=user.id, comments=choice)
    own = user_comments(user)
    _scrub_log(_personal_strings(user, own), [c.id for c in own])
    if choice == CommentChoice.ANONYMISE:
        for comment in own:
            _anonymise(comment, ANONYMOUS)
        result.anonymised = len(own)
    else:
        _remove(own, result)
    _drop_flags(user)
    db.session.execute(sa.delete(Subscription).where(_own_subscriptions(user)))
    if user.email:
        db.session.execute(
            sa.delete(OutboxMail).where(sa.func.lower(OutboxMail.to) == user.email.lower())
        )
    db.session.execute(
        sa.update(ModerationEvent).where(ModerationEvent.actor_id == user.id).values(actor_id=None)
    )
    db.session.execute(sa.update(Post).where(Post.author_id == user.id).values(author_id=None))
    erased_id = user.id
    db.session.delete(user)  # identities go with it
    db.session.flush()
    db.session.add(
        ModerationEvent(
            actor=actor if actor is not None and actor.id != erased_id else None,
            action="erase",
            reasons=[reason("erased", "Account erased on request")],
            note=result.describe(),
        )
    )
    return result


def _personal_strings(user: User, own: list[Comment]) -> set[str]:
    values = {user.email, user.display_name, *(i.email for i in user.identities)}
    for comment in own:
        values |= {comment.author_email, comment.ip, comment.author_name, comment.author_website}
    # Very short values would scrub ordinary words from the log.
    return {v for v in values if v and len(v) >= 3}


def _anonymise(comment: Comment, name: str) -> None:
    comment.author_name = name
    comment.author_email = None
    comment.author_website = None
    comment.ip = None
    comment.user_agent = None
    comment.user_id = None
    comment.notify = False


def _remove(own: list[Comment], result: Erasure) -> None:
    """Delete the comments; any that others answered become placeholders."""
    ids = {c.id for c in own}
    children: dict[int, set[int]] = {}
    for child_id, parent_id in db.session.execute(
        sa.select(Comment.id, Comment.parent_id).where(Comment.parent_id.in_(ids))
    ):
        children.setdefault(parent_id, set()).add(child_id)
    gone: set[int] = set()
    changed = True
    while changed:  # leaves first: a comment goes once all its replies are gone
        changed = False
        for comment in own:
            if comment.id not in gone and children.get(comment.id, set()) <= gone:
                gone.add(comment.id)
                changed = True
    removal = [reason("erased", "Removed at its author's request")]
    for comment in own:
        if comment.status != CommentStatus.DELETED:
            change_status(
                comment, CommentStatus.DELETED, actor=None, action="erase", reasons=removal
            )
        _anonymise(comment, "")
        comment.body = comment.body_html = ""
        comment.link_count = 0
    db.session.flush()
    if gone:
        db.session.execute(sa.delete(Flag).where(Flag.comment_id.in_(gone)))
        db.session.execute(
            sa.update(ModerationEvent)
            .where(ModerationEvent.comment_id.in_(gone))
            .values(comment_id=None)
        )
        db.session.execute(
            sa.update(Comment).where(Comment.parent_id.in_(gone)).values(parent_id=None)
        )
        for comment in own:
            if comment.id in gone:
                db.session.delete(comment)
    result.removed = len(own)
    result.placeholders = len(own) - len(gone)


def _scrub_log(secrets: set[str], comment_ids: list[int]) -> None:
    """Keep each decision about the comments, but not the person in its words."""
    if not secrets or not comment_ids:
        return
    events = db.session.scalars(
        sa.select(ModerationEvent).where(ModerationEvent.comment_id.in_(comment_ids))
    )
    for event in events:
        event.reasons = [
            {**r, "text": _scrub(str(r.get("text", "")), secrets)} for r in event.reasons or []
        ]
        if event.note:
            event.note = _scrub(event.note, secrets)


def _scrub(text: str, secrets: set[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, REMOVED)
    return text


def _drop_flags(user: User) -> None:
    """Remove the person's flags, and their weight on the flagged comments."""
    flags = list(db.session.scalars(sa.select(Flag).where(Flag.reporter == f"user:{user.id}")))
    for flag in flags:
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == flag.comment_id, Comment.flag_count > 0)
            .values(flag_count=Comment.flag_count - 1)
        )
        db.session.delete(flag)
