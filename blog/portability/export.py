"""``blog export FILE``: the whole site as WordPress WXR 1.2 or as JSON.

WXR carries what WordPress understands: posts and pages, their authors,
tags, and every comment with its thread, status and type. Where WXR has no
word for something (our Markdown sources, a "deleted" placeholder) it goes
into underscore meta keys that WordPress keeps hidden and our importer reads,
so an export imported here again gives the same posts and comments.

JSON carries everything: users (never password hashes), identities, tags,
posts, redirects, comments, settings, bans, subscriptions and the moderation log.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from lxml import etree
from slugify import slugify

from ..extensions import db
from ..models import (
    Ban,
    Comment,
    CommentKind,
    CommentStatus,
    ModerationEvent,
    Post,
    PostKind,
    PostStatus,
    Redirect,
    SiteSetting,
    Subscription,
    Tag,
    User,
    isoformat,
    utcnow,
)
from ..moderation.settings import get_settings
from ..sanitise import clean_text
from .personal import identity_json, profile_json
from .wxr import META_EXCERPT, META_SOURCE, META_STATUS

JSON_FORMAT = "blog-export"
JSON_VERSION = 1

WP = "http://wordpress.org/export/1.2/"
NSMAP = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": WP,
}
WXR_STATUS = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.REJECTED: "trash",
    CommentStatus.DELETED: "trash",
}


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _posts() -> list[Post]:
    return list(db.session.scalars(sa.select(Post).order_by(Post.id)))


def _comments_by_post() -> dict[int, list[Comment]]:
    grouped: dict[int, list[Comment]] = {}
    for comment in db.session.scalars(sa.select(Comment).order_by(Comment.id)):
        grouped.setdefault(comment.post_id, []).append(comment)
    return grouped


# --- JSON --------------------------------------------------------------------------


def site_data() -> dict[str, Any]:
    """Everything the site holds, as plain JSON-ready data."""
    rows = db.session.scalars
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported_at": isoformat(utcnow()),
        "site": {"title": current_app.config["SITE_TITLE"], "base_url": _base_url()},
        "users": [user_json(u) for u in rows(sa.select(User).order_by(User.id))],
        "tags": [
            {"id": t.id, "name": t.name, "slug": t.slug}
            for t in rows(sa.select(Tag).order_by(Tag.id))
        ],
        "posts": [post_json(p) for p in _posts()],
        "redirects": [
            {"old_path": r.old_path, "post_id": r.post_id}
            for r in rows(sa.select(Redirect).order_by(Redirect.id))
        ],
        "comments": [comment_json(c) for c in rows(sa.select(Comment).order_by(Comment.id))],
        "settings": {
            **{s.key: s.value for s in rows(sa.select(SiteSetting).order_by(SiteSetting.key))},
            "moderation": get_settings(),
        },
        "bans": [
            {"kind": b.kind.value, "value": b.value, "reason": b.reason}
            for b in rows(sa.select(Ban).order_by(Ban.id))
        ],
        "subscriptions": [
            {
                "post_id": s.post_id,
                "email": s.email,
                "user_id": s.user_id,
                "confirmed": s.confirmed,
                "created_at": isoformat(s.created_at),
            }
            for s in rows(sa.select(Subscription).order_by(Subscription.id))
        ],
        "moderation_log": [
            event_json(e) for e in rows(sa.select(ModerationEvent).order_by(ModerationEvent.id))
        ],
    }


def user_json(user: User) -> dict[str, Any]:
    """A user with their identities; never the password hash."""
    return {**profile_json(user), "identities": [identity_json(i) for i in user.identities]}


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "author_id": post.author_id,
        "title": post.title,
        "slug": post.slug,
        "url": post.url_path,
        "kind": post.kind.value,
        "status": post.status.value,
        "body": post.body,
        "excerpt": post.excerpt,
        "published_at": isoformat(post.published_at),
        "created_at": isoformat(post.created_at),
        "updated_at": isoformat(post.updated_at),
        "comments_enabled": post.comments_enabled,
        "tags": [t.slug for t in post.tags],
        "import_key": post.import_key,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "user_id": comment.user_id,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_website": comment.author_website,
        "kind": comment.kind.value,
        "status": comment.status.value,
        "reasons": list(comment.reasons or []),
        "body": comment.body,
        "ip": comment.ip,
        "user_agent": comment.user_agent,
        "notify": comment.notify,
        "created_at": isoformat(comment.created_at),
        "edited_at": isoformat(comment.edited_at),
        "import_key": comment.import_key,
    }


def event_json(event: ModerationEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": isoformat(event.at),
        "actor_id": event.actor_id,
        "action": event.action,
        "comment_id": event.comment_id,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
        "reasons": list(event.reasons or []),
        "note": event.note,
    }


def export_json() -> bytes:
    """The site as a JSON document (UTF-8)."""
    return json.dumps(site_data(), ensure_ascii=False, indent=1).encode()


# --- WXR ---------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return clean_text(value or "")


def _cdata(value: str | None) -> Any:
    text = _text(value)
    # CDATA cannot hold its own terminator; escaped text means the same.
    return text if "]]>" in text else etree.CDATA(text)


def _add(parent: etree._Element, tag: str, value: Any = "", **attrib: str) -> etree._Element:
    prefix, _, name = tag.rpartition(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}" if prefix else name, attrib)
    element.text = value if isinstance(value, etree.CDATA) else _text(str(value))
    return element


def _wp_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "0000-00-00 00:00:00"


def _meta(parent: etree._Element, tag: str, key: str, value: str) -> None:
    meta = _add(parent, f"wp:{tag}")
    _add(meta, "wp:meta_key", key)
    _add(meta, "wp:meta_value", _cdata(value))


def _logins(posts: list[Post]) -> dict[int, str]:
    """A WordPress login for each post author, unique and readable."""
    logins: dict[int, str] = {}
    for user in sorted({p.author for p in posts if p.author}, key=lambda u: u.id):
        login = slugify(user.display_name) or f"user-{user.id}"
        if login in logins.values():
            login = f"{login}-{user.id}"
        logins[user.id] = login
    return logins


def export_wxr() -> bytes:
    """The site as WordPress eXtended RSS 1.2."""
    base = _base_url()
    posts = _posts()
    logins = _logins(posts)
    rss = etree.Element("rss", version="2.0", nsmap=NSMAP)
    channel = etree.SubElement(rss, "channel")
    _add(channel, "title", current_app.config["SITE_TITLE"])
    _add(channel, "link", base)
    _add(channel, "description", "")
    _add(channel, "pubDate", format_datetime(utcnow()))
    _add(channel, "language", "en")
    _add(channel, "wp:wxr_version", "1.2")
    _add(channel, "wp:base_site_url", base)
    _add(channel, "wp:base_blog_url", base)
    for user_id, login in logins.items():
        user = db.session.get(User, user_id)
        author = _add(channel, "wp:author")
        _add(author, "wp:author_id", user_id)
        _add(author, "wp:author_login", _cdata(login))
        _add(author, "wp:author_email", _cdata(user.email or ""))
        _add(author, "wp:author_display_name", _cdata(user.display_name))
        _add(author, "wp:author_first_name", _cdata(""))
        _add(author, "wp:author_last_name", _cdata(""))
    for tag in db.session.scalars(sa.select(Tag).order_by(Tag.id)):
        element = _add(channel, "wp:tag")
        _add(element, "wp:term_id", tag.id)
        _add(element, "wp:tag_slug", _cdata(tag.slug))
        _add(element, "wp:tag_name", _cdata(tag.name))
    _add(channel, "generator", "blog (a Flask blog engine)")
    comments = _comments_by_post()
    for post in posts:
        _item(channel, post, base, logins, comments.get(post.id, []))
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _item(channel, post: Post, base: str, logins: dict[int, str], comments: list[Comment]):
    status = {
        PostStatus.PUBLISHED: "publish",
        PostStatus.SCHEDULED: "future",
        PostStatus.DRAFT: "draft",
    }[post.effective_status]
    when = post.published_at or post.created_at
    item = etree.SubElement(channel, "item")
    _add(item, "title", post.title)
    _add(item, "link", base + post.url_path)
    _add(item, "pubDate", format_datetime(when))
    _add(item, "dc:creator", _cdata(logins.get(post.author_id, "")))
    _add(item, "guid", f"{base}/?p={post.id}", isPermaLink="false")
    _add(item, "description", "")
    _add(item, "content:encoded", _cdata(post.body_html))
    _add(item, "excerpt:encoded", _cdata(post.excerpt_html))
    _add(item, "wp:post_id", post.id)
    _add(item, "wp:post_date", _cdata(_wp_date(when)))
    _add(item, "wp:post_date_gmt", _cdata(_wp_date(when)))
    _add(item, "wp:comment_status", _cdata("open" if post.comments_enabled else "closed"))
    _add(item, "wp:ping_status", _cdata("closed"))
    _add(item, "wp:post_name", _cdata(post.slug))
    _add(item, "wp:status", _cdata(status))
    _add(item, "wp:post_parent", 0)
    _add(item, "wp:menu_order", 0)
    _add(item, "wp:post_type", _cdata("page" if post.kind == PostKind.PAGE else "post"))
    _add(item, "wp:post_password", _cdata(""))
    _add(item, "wp:is_sticky", 0)
    for tag in post.tags:
        _add(item, "category", _cdata(tag.name), domain="post_tag", nicename=tag.slug)
    _meta(item, "postmeta", META_SOURCE, post.body)
    if post.excerpt:
        _meta(item, "postmeta", META_EXCERPT, post.excerpt)
    for comment in comments:
        _comment(item, comment, logins)


def _comment(item, comment: Comment, logins: dict[int, str]) -> None:
    element = _add(item, "wp:comment")
    _add(element, "wp:comment_id", comment.id)
    _add(element, "wp:comment_author", _cdata(comment.author_name))
    _add(element, "wp:comment_author_email", _cdata(comment.author_email or ""))
    _add(element, "wp:comment_author_url", comment.author_website or "")
    _add(element, "wp:comment_author_IP", _cdata(comment.ip or ""))
    _add(element, "wp:comment_date", _cdata(_wp_date(comment.created_at)))
    _add(element, "wp:comment_date_gmt", _cdata(_wp_date(comment.created_at)))
    _add(element, "wp:comment_content", _cdata(comment.body_html))
    _add(element, "wp:comment_approved", _cdata(WXR_STATUS[comment.status]))
    kind = "" if comment.kind == CommentKind.COMMENT else comment.kind.value
    _add(element, "wp:comment_type", _cdata(kind))
    _add(element, "wp:comment_parent", comment.parent_id or 0)
    user_id = comment.user_id if comment.user_id in logins else 0
    _add(element, "wp:comment_user_id", user_id)
    _meta(element, "commentmeta", META_SOURCE, comment.body)
    if comment.status == CommentStatus.DELETED:
        _meta(element, "commentmeta", META_STATUS, comment.status.value)
