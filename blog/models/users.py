"""Users, their login identities and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow
from .enums import Role, enum_column

if TYPE_CHECKING:
    from .posts import Post


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique among users that have one; X gives no email at all.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True, index=True)
    email_verified: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    website: Mapped[str | None] = mapped_column(sa.String(255))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(500))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.READER)
    banned: Mapped[bool] = mapped_column(default=False)
    # Bumped to invalidate outstanding sessions and one-time links.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    posts: Mapped[list[Post]] = relationship(back_populates="author")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def can(self, role: Role) -> bool:
        """True when the user holds ``role`` or a higher one."""
        return not self.banned and self.role.at_least(role)

    @property
    def is_moderator(self) -> bool:
        return self.can(Role.MODERATOR)

    @property
    def is_author(self) -> bool:
        return self.can(Role.AUTHOR)

    @property
    def is_admin(self) -> bool:
        return self.can(Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email or self.display_name}>"


class AnonymousUser(AnonymousUserMixin):
    """The visitor who is not logged in: holds no role, so templates need no branch."""

    id = None
    role = None
    banned = False
    display_name = ""
    email = None
    identities: list[Any] = []
    is_moderator = is_author = is_admin = False

    def can(self, role: Role) -> bool:
        return False


class Identity(db.Model):
    """A way in: ``email`` for a password login, or an OAuth provider's subject."""

    __tablename__ = "identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_verified: Mapped[bool] = mapped_column(default=False)
    display_name: Mapped[str | None] = mapped_column(sa.String(100))
    username: Mapped[str | None] = mapped_column(sa.String(100))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="identities")
