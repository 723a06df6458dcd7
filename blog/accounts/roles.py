"""What admins may do to users: change roles, ban and unban."""

from __future__ import annotations

import sqlalchemy as sa

from ..models import Role, User
from .services import AccountError


def parse_role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise AccountError("Choose one of: " + ", ".join(r.value for r in Role) + ".") from None


def change_role(actor: User, user: User, role: Role) -> None:
    """Give ``user`` a role; admins cannot change their own (so one always remains)."""
    if user.id == actor.id:
        raise AccountError("You cannot change your own role; ask another admin.")
    user.role = role


def set_banned(actor: User, user: User, banned: bool) -> None:
    """Ban or unban: a banned user may log in and read, but not comment."""
    if user.id == actor.id:
        raise AccountError("You cannot ban yourself.")
    user.banned = banned


def user_query(search: str | None = None) -> sa.Select:
    """Users, newest first, optionally those whose name or email contains ``search``."""
    query = sa.select(User).order_by(User.id.desc())
    search = (search or "").strip()
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            sa.or_(
                User.display_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    return query
