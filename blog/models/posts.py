"""Posts, tags and uploaded images."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .enums import PostKind, PostStatus, enum_column

if TYPE_CHECKING:
    from .users import User

post_tags = sa.Table(
    "post_tags",
    db.metadata,
    sa.Column("post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


# The text that full-text search looks at on PostgreSQL: the title weighs more
# than the body. Written the way PostgreSQL prints it back, so the migration
# check finds the index and the model equal.
SEARCH_DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, title::text), 'A'::\"char\") || "
    "setweight(to_tsvector('english'::regconfig, body), 'B'::\"char\"))"
)


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_visible", "status", "published_at"),
        # Full-text search on PostgreSQL; SQLite has no GIN (search falls back to LIKE).
        sa.Index(
            "ix_posts_search",
            sa.text(SEARCH_DOCUMENT),
            postgresql_using="gin",
            info={"only_dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    excerpt_html: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[PostStatus] = mapped_column(enum_column(PostStatus), default=PostStatus.DRAFT)
    kind: Mapped[PostKind] = mapped_column(
        enum_column(PostKind), default=PostKind.POST, server_default=PostKind.POST.value
    )
    # For scheduled posts the moment they go live; the post is visible once
    # this time has passed, with no job needed to flip its status.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    comments_enabled: Mapped[bool] = mapped_column(default=True)
    # Approved comments, kept up to date by the one status-changing function.
    comment_count: Mapped[int] = mapped_column(default=0)
    # Where an imported post came from (e.g. "wxr:https://old.example/?p=12").
    import_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)

    author: Mapped[User | None] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", lazy="selectin", order_by="Tag.name"
    )

    @property
    def effective_status(self) -> PostStatus:
        """Scheduled posts whose time has come count as published."""
        if (
            self.status == PostStatus.SCHEDULED
            and self.published_at
            and (self.published_at <= utcnow())
        ):
            return PostStatus.PUBLISHED
        return self.status

    @property
    def is_visible(self) -> bool:
        return self.effective_status == PostStatus.PUBLISHED

    @property
    def url_path(self) -> str:
        """The permalink path, ``/YYYY/MM/DD/slug/``."""
        when = self.published_at or self.created_at
        return f"/{when:%Y/%m/%d}/{self.slug}/"

    @classmethod
    def visible_clause(cls, now: Any = None) -> sa.ColumnElement[bool]:
        """SQL condition for posts that readers may see ``now`` (a value or a bound
        parameter; the current time by default)."""
        return sa.and_(
            cls.status.in_([PostStatus.PUBLISHED, PostStatus.SCHEDULED]),
            cls.published_at <= (utcnow() if now is None else now),
        )


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)

    posts: Mapped[list[Post]] = relationship(secondary=post_tags, back_populates="tags")


class Upload(db.Model):
    """An image uploaded for posts; the file sits in the instance folder."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A generated name (random token + extension from the detected type).
    filename: Mapped[str] = mapped_column(sa.String(100), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    uploader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Redirect(db.Model):
    """An old permalink (from an import) that now points at a post."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_path: Mapped[str] = mapped_column(sa.String(500), unique=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
