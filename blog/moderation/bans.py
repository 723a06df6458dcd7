"""Banning commenters: users on their row, emails and IP addresses as Ban rows.

The comment policy reads both (``User.banned`` and ``blog.models.Ban``), so a
ban here takes effect on the next comment. Banning from a comment is logged
as a ``ban`` event on that comment; the comment may also go to spam.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import Ban, BanKind, Comment, Role, User
from .services import Action, ModerationError, can_apply, change_status, target_status

REASON_MAX = 500


@dataclass
class BanResult:
    banned: list[str] = field(default_factory=list)


def ban_author(
    comment: Comment,
    actor: User,
    *,
    user: bool = True,
    email: bool = True,
    ip: bool = False,
    spam: bool = False,
    reason: str | None = None,
) -> BanResult:
    """Ban who wrote ``comment`` (their account, email and/or IP). Caller commits."""
    if not (user or email or ip):
        raise ModerationError("Choose what to ban: the account, the email or the IP address.")
    reason = (reason or "").strip()[:REASON_MAX] or None
    result = BanResult()
    if user and comment.user is not None:
        _check_bannable(comment.user, actor)
        if not comment.user.banned:
            comment.user.banned = True
            result.banned.append(f"user {comment.user.display_name}")
    if email and comment.author_email:
        if add_ban(BanKind.EMAIL, comment.author_email, actor, reason, quiet=True):
            result.banned.append(f"email {comment.author_email}")
    if ip and comment.ip:
        if add_ban(BanKind.IP, comment.ip, actor, reason, quiet=True):
            result.banned.append(f"IP {comment.ip}")
    to_status = comment.status
    if spam and can_apply(comment, Action.SPAM):
        to_status = target_status(comment, Action.SPAM)
    note = "Banned " + (", ".join(result.banned) if result.banned else "nothing new")
    change_status(comment, to_status, actor=actor, action=Action.BAN, note=note)
    return result


def _check_bannable(user: User, actor: User) -> None:
    if user.id == actor.id:
        raise ModerationError("You cannot ban yourself.")
    if user.role.at_least(Role.MODERATOR) and not actor.is_admin:
        raise ModerationError("Only an admin can ban a moderator or an admin.")


def normalise_value(kind: BanKind, value: str) -> str:
    """Emails (or "@domain") in lower case; IP addresses and ranges in canonical form."""
    value = (value or "").strip()
    if kind == BanKind.EMAIL:
        if "@" not in value or len(value) > 254 or any(c.isspace() for c in value):
            message = "Give an email address, or @domain for a whole domain."
            raise ModerationError(message, {"value": message})
        return value.lower()
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError:
        message = "Give an IP address, or a range such as 203.0.113.0/24."
        raise ModerationError(message, {"value": message}) from None


def add_ban(
    kind: BanKind | str,
    value: str,
    actor: User | None,
    reason: str | None = None,
    *,
    quiet: bool = False,
) -> Ban | None:
    """Ban an email or IP; returns the new row, or None when it was already banned."""
    try:
        kind = BanKind(kind)
    except ValueError:
        raise ModerationError("Choose email or IP.", {"kind": "Choose email or IP."}) from None
    value = normalise_value(kind, value)
    exists = db.session.scalar(sa.select(Ban).where(Ban.kind == kind, Ban.value == value))
    if exists is not None:
        if quiet:
            return None
        raise ModerationError("That is banned already.", {"value": "Already banned."})
    ban = Ban(
        kind=kind,
        value=value,
        reason=(reason or "").strip()[:REASON_MAX] or None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(ban)
    db.session.flush()
    return ban


def remove_ban(ban: Ban) -> None:
    db.session.delete(ban)


def unban_user(user: User) -> None:
    user.banned = False


def list_bans() -> list[Ban]:
    return list(db.session.scalars(sa.select(Ban).order_by(Ban.created_at.desc(), Ban.id.desc())))


def banned_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.banned).order_by(User.display_name)))
