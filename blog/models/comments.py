"""Comments and everything moderation keeps about them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .enums import BanKind, CommentKind, CommentStatus, enum_column

if TYPE_CHECKING:
    from .posts import Post
    from .users import User


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        # The post page: one post's comments of one status in thread order.
        sa.Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        # The moderation queue and the comment feed.
        sa.Index("ix_comments_status_created", "status", "created_at"),
        # A page of threads: counting and paging a post's top-level comments from
        # the index alone (parent_id IS NULL), however long the discussion.
        sa.Index("ix_comments_post_tops", "post_id", "parent_id", "status", "created_at", "id"),
        # A post's comments in reading order (the API's pages), without a sort.
        sa.Index("ix_comments_post_created", "post_id", "created_at", "id"),
        # The few flagged comments, found without reading every comment.
        sa.Index(
            "ix_comments_flagged",
            "flag_count",
            postgresql_where=sa.text("flag_count > 0"),
            sqlite_where=sa.text("flag_count > 0"),
        ),
        # The duplicate check (the same text on the same post within the hour) finds
        # the few comments with that text, not the post's whole last hour. A hash
        # index, as bodies are too long for a B-tree; PostgreSQL only (SQLite scans
        # the hour), written as an expression so that autogenerate on SQLite skips it.
        sa.Index(
            "ix_comments_body_hash",
            sa.text("body"),
            postgresql_using="hash",
            info={"only_dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A guest's details, or a copy of the user's at the time of writing.
    author_name: Mapped[str] = mapped_column(sa.String(100))
    author_email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    author_website: Mapped[str | None] = mapped_column(sa.String(255))
    kind: Mapped[CommentKind] = mapped_column(enum_column(CommentKind), default=CommentKind.COMMENT)
    status: Mapped[CommentStatus] = mapped_column(
        enum_column(CommentStatus), default=CommentStatus.PENDING
    )
    # Why the policy or a moderator put it where it is: [{"code", "text"}].
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    link_count: Mapped[int] = mapped_column(default=0)
    ip: Mapped[str | None] = mapped_column(sa.String(45), index=True)
    user_agent: Mapped[str | None] = mapped_column(sa.String(500))
    notify: Mapped[bool] = mapped_column(default=False)
    flag_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where an imported comment came from, so a re-import changes nothing.
    import_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)

    post: Mapped[Post] = relationship()
    user: Mapped[User | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.status}>"


class ModerationEvent(db.Model):
    """One decision about a comment: the moderation log."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None for the automatic policy (and for erased accounts).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(30))
    from_status: Mapped[CommentStatus | None] = mapped_column(enum_column(CommentStatus))
    to_status: Mapped[CommentStatus | None] = mapped_column(enum_column(CommentStatus))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)

    actor: Mapped[User | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class Flag(db.Model):
    """A reader's report that a comment is abusive; one per reader per comment."""

    __tablename__ = "flags"
    __table_args__ = (sa.UniqueConstraint("comment_id", "reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    # "user:<id>" or "ip:<address>".
    reporter: Mapped[str] = mapped_column(sa.String(80))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ban(db.Model):
    """A banned email address or IP address (users are banned on their row)."""

    __tablename__ = "bans"
    __table_args__ = (sa.UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BanKind] = mapped_column(enum_column(BanKind))
    value: Mapped[str] = mapped_column(sa.String(254))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(db.Model):
    """Someone who hears by email about new approved comments on a post."""

    __tablename__ = "subscriptions"
    __table_args__ = (sa.UniqueConstraint("post_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # Guests confirm by a mailed link first (double opt-in).
    confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
