"""Named states and roles; the database stores their string values."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class Role(enum.StrEnum):
    READER = "reader"
    AUTHOR = "author"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class PostKind(enum.StrEnum):
    POST = "post"
    # A page stands outside the stream of posts (imported WordPress pages).
    PAGE = "page"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    REJECTED = "rejected"
    # Removed by its author: kept as a placeholder while it has replies.
    DELETED = "deleted"


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"


class BanKind(enum.StrEnum):
    EMAIL = "email"
    IP = "ip"


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def enum_column(enum_cls: type[enum.Enum]) -> sa.Enum:
    """A portable enum column: a VARCHAR holding the value, no native type."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
