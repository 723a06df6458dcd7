"""The data model; import models from here."""

from .base import UTCDateTime, isoformat, utcnow
from .comments import Ban, Comment, Flag, ModerationEvent, Subscription
from .enums import (
    BanKind,
    CommentKind,
    CommentStatus,
    MailStatus,
    PostKind,
    PostStatus,
    Role,
)
from .posts import Post, Redirect, Tag, Upload, post_tags
from .site import OutboxMail, SiteSetting
from .users import AnonymousUser, Identity, User

__all__ = [
    "AnonymousUser",
    "Ban",
    "BanKind",
    "Comment",
    "CommentKind",
    "CommentStatus",
    "Flag",
    "Identity",
    "MailStatus",
    "ModerationEvent",
    "OutboxMail",
    "Post",
    "PostKind",
    "PostStatus",
    "Redirect",
    "Role",
    "SiteSetting",
    "Subscription",
    "Tag",
    "Upload",
    "User",
    "UTCDateTime",
    "isoformat",
    "post_tags",
    "utcnow",
]
