"""Posts in the JSON API: read by anyone, written by authors and up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from flask_login import current_user

from ..auth import role_required
from ..extensions import db
from ..models import Post, PostStatus, Role, isoformat
from ..posts import queries
from ..posts.services import PostError, PostInput, can_edit, delete_post, parse_tags, save_post
from . import bp
from .common import ApiError, collection, json_body, page_arg

PER_PAGE = 20
STATUS_FILTERS = {"all", *(s.value for s in PostStatus)}


def post_json(post: Post) -> dict[str, Any]:
    """A post as the API shows it; ``status`` is the effective one."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "url": post.url_path,
        "status": post.effective_status.value,
        "html": post.body_html,
        "body": post.body,
        "excerpt": post.excerpt,
        "excerpt_html": post.excerpt_html,
        "tags": [tag.name for tag in post.tags],
        "published_at": isoformat(post.published_at),
        "created_at": isoformat(post.created_at),
        "updated_at": isoformat(post.updated_at),
        "author": {"name": post.author.display_name if post.author else None},
        "comments_enabled": post.comments_enabled,
        "comment_count": post.comment_count,
    }


@bp.get("/posts")
def list_posts():
    """Visible posts, newest first; ``?status=`` lists the caller's own posts (authors)."""
    page = page_arg()
    status = request.args.get("status")
    if status is None:
        query = queries.stream()
    else:
        if status not in STATUS_FILTERS:
            raise ApiError(
                400,
                "Unknown status.",
                fields={"status": "Use all, " + ", ".join(s.value for s in PostStatus) + "."},
            )
        if not current_user.is_authenticated:
            raise ApiError(401, "Log in to list posts by status.")
        if not current_user.can(Role.AUTHOR):
            raise ApiError(403, "Only authors can list posts by status.")
        query = queries.manageable(current_user)
        if status != "all":
            query = queries.with_status(query, PostStatus(status))
    pages = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    args = {"status": status} if status else {}
    next_page = pages.next_num if pages.has_next else None
    return collection([post_json(p) for p in pages.items], next_page, "api.list_posts", **args)


@bp.get("/posts/<slug>")
def get_post(slug: str):
    post = _find(slug)
    if not post.is_visible and not (current_user.is_authenticated and can_edit(current_user, post)):
        raise ApiError(404, "No such post.")
    return post_json(post)


@bp.post("/posts")
@role_required(Role.AUTHOR)
def create_post():
    data = json_body()
    post = _save(_input_from(data, PostInput(), creating=True), None)
    return post_json(post), 201, {"Location": url_for("api.get_post", slug=post.slug)}


@bp.patch("/posts/<slug>")
@role_required(Role.AUTHOR)
def update_post(slug: str):
    post = _editable(slug)
    data = json_body()
    post = _save(_input_from(data, PostInput.from_post(post)), post)
    return post_json(post)


@bp.delete("/posts/<slug>")
@role_required(Role.AUTHOR)
def remove_post(slug: str):
    delete_post(_editable(slug))
    return "", 204


def _find(slug: str) -> Post:
    post = None
    if queries.plausible(slug):
        post = db.session.scalar(sa.select(Post).where(Post.slug == slug))
    if post is None:
        raise ApiError(404, "No such post.")
    return post


def _editable(slug: str) -> Post:
    post = _find(slug)
    if not can_edit(current_user, post):
        raise ApiError(403, "You can change only your own posts.")
    return post


def _save(data: PostInput, post: Post | None) -> Post:
    try:
        return save_post(data, author=current_user, post=post)
    except PostError as exc:
        raise ApiError(400, "The post was not saved.", fields=exc.fields) from None


_TEXT_FIELDS = ("title", "body", "excerpt", "slug")


def _input_from(data: dict[str, Any], base: PostInput, creating: bool = False) -> PostInput:
    """``base`` with the fields ``data`` names changed; type mistakes are a 400."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if creating and "body" not in data:
        errors["body"] = "Give the body in Markdown (it may be empty)."
    for name in _TEXT_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name != "title":
                value = ""
            if not isinstance(value, str):
                errors[name] = "Give a string."
            else:
                changes[name] = value
    if "tags" in data:
        tags = data["tags"]
        if isinstance(tags, str):
            changes["tags"] = parse_tags(tags)
        elif isinstance(tags, list) and all(isinstance(t, str) for t in tags):
            changes["tags"] = tags
        else:
            errors["tags"] = "Give a list of tag names."
    if "status" in data:
        try:
            changes["status"] = PostStatus(data["status"])
        except ValueError:
            errors["status"] = "Use draft, scheduled or published."
    if "published_at" in data:
        try:
            changes["published_at"] = _parse_time(data["published_at"])
        except ValueError:
            errors["published_at"] = "Give an ISO 8601 date and time, e.g. 2030-01-31T09:00:00Z."
    if "comments_enabled" in data:
        if not isinstance(data["comments_enabled"], bool):
            errors["comments_enabled"] = "Give true or false."
        else:
            changes["comments_enabled"] = data["comments_enabled"]
    if errors:
        raise ApiError(400, "The post was not saved.", fields=errors)
    if changes.get("status") == PostStatus.PUBLISHED and "published_at" not in data:
        if base.status != PostStatus.PUBLISHED:
            changes["published_at"] = None  # publishing a draft: now
    return base.replace(**changes)


def _parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string (UTC when it names no offset), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(value)
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
