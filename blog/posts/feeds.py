"""Machine-readable views of the posts: the Atom feed, the sitemap, robots.txt."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, render_template

from ..extensions import db
from ..models import Post, utcnow
from . import bp, queries
from .views import absolute_url, plain_text

FEED_SIZE = 20


def rfc3339(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def entry_id(post: Post) -> str:
    """A tag URI that stays the same when the post's title, slug or date change."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post:{post.id}"


def feed_entry(post: Post) -> dict[str, Any]:
    """One Atom entry, in the shape ``feeds/atom.xml`` expects."""
    updated = max(post.updated_at, post.published_at or post.updated_at)
    return {
        "id": entry_id(post),
        "title": post.title,
        "url": absolute_url(post.url_path),
        "published": rfc3339(post.published_at or post.created_at),
        "updated": rfc3339(updated),
        "author": post.author.display_name if post.author else current_app.config["SITE_TITLE"],
        "categories": [{"term": tag.slug, "label": tag.name} for tag in post.tags],
        "summary": plain_text(post.excerpt_html) if post.excerpt_html else "",
        "html": post.body_html,
    }


def atom_response(feed: dict[str, Any], entries: list[dict[str, Any]]) -> Response:
    """Render an Atom feed; ``feed`` has id, title, author, self_url, alternate_url."""
    updated = max((e["updated"] for e in entries), default=rfc3339(utcnow()))
    body = render_template("feeds/atom.xml", feed={**feed, "updated": updated}, entries=entries)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/feed.atom")
def feed():
    posts = db.session.scalars(queries.stream().limit(FEED_SIZE))
    title = current_app.config["SITE_TITLE"]
    meta = {
        "id": absolute_url("/"),
        "title": title,
        "author": title,
        "self_url": absolute_url("/feed.atom"),
        "alternate_url": absolute_url("/"),
    }
    return atom_response(meta, [feed_entry(post) for post in posts])


@bp.get("/sitemap.xml")
def sitemap():
    posts = queries.sitemap_posts()
    body = render_template(
        "feeds/sitemap.xml",
        posts=posts,
        home_lastmod=max((p.updated_at for p in posts), default=None),
        tags=queries.tags_in_use(),
        rfc3339=rfc3339,
    )
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    text = (
        f"User-agent: *\nDisallow: /admin/\nDisallow: /moderation/\n"
        f"Sitemap: {absolute_url('/sitemap.xml')}\n"
    )
    return Response(text, mimetype="text/plain")
