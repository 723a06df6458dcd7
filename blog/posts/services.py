"""Publishing rules: what makes a valid post, saving it, deleting it.

The author area's form, the JSON API and ``blog demo`` all save through
``save_post``, so a post is checked, rendered and announced the same way
whichever door it came in by.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Post, PostStatus, Redirect, Tag, User, utcnow
from ..sanitise import clean_text, render_post
from ..signals import post_changed

TITLE_MAX = 300
SLUG_MAX = 200
EXCERPT_MAX = 2_000
BODY_MAX = 500_000
TAG_MAX = 100
TAGS_PER_POST = 20


class PostError(ValueError):
    """Post input that cannot be saved; ``fields`` maps each field to what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("The post has mistakes: " + "; ".join(fields.values()))
        self.fields = fields


@dataclass
class PostInput:
    """What an author sends: everything a post is made from."""

    title: str = ""
    body: str = ""
    excerpt: str = ""
    slug: str = ""  # empty: made from the title
    tags: list[str] = field(default_factory=list)
    status: PostStatus = PostStatus.DRAFT
    published_at: datetime | None = None
    comments_enabled: bool = True

    @classmethod
    def from_post(cls, post: Post) -> PostInput:
        """The input that would save ``post`` unchanged (a start for edits)."""
        return cls(
            title=post.title,
            body=post.body,
            excerpt=post.excerpt,
            slug=post.slug,
            tags=[tag.name for tag in post.tags],
            status=post.effective_status,
            published_at=post.published_at,
            comments_enabled=post.comments_enabled,
        )

    def replace(self, **changes) -> PostInput:
        return dataclasses.replace(self, **changes)


def parse_tags(text: str) -> list[str]:
    """Tag names from ``"one, two,three"``."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def can_edit(user: User, post: Post) -> bool:
    """Authors change their own posts; admins change anyone's."""
    return user.is_admin or (user.is_author and post.author_id == user.id)


def save_post(data: PostInput, *, author: User, post: Post | None = None) -> Post:
    """Check ``data``, then create (or update) the post, commit and announce it.

    Raises ``PostError`` with a message per bad field; nothing is saved then.
    """
    clean = validate(data, post)
    creating = post is None
    if post is None:
        post = Post(author=author)
        db.session.add(post)
    old_path = None if creating or not post.is_visible else post.url_path
    post.title = clean.title
    post.slug = clean.slug
    post.body = clean.body
    post.body_html = render_post(clean.body)
    post.excerpt = clean.excerpt
    post.excerpt_html = render_post(clean.excerpt) if clean.excerpt else ""
    post.status = clean.status
    post.published_at = clean.published_at
    post.comments_enabled = clean.comments_enabled
    post.tags = tags_named(clean.tags)
    if old_path and old_path != post.url_path:
        _keep_old_path(old_path, post)
    try:
        db.session.commit()
    except IntegrityError:
        # Another request took the slug between our check and the commit.
        db.session.rollback()
        raise PostError(
            {"slug": "Another post was saved with this slug at the same moment; save again."}
        ) from None
    post_changed.send(post)
    return post


def delete_post(post: Post) -> None:
    """Delete ``post`` with its comments, then announce it (the page cache listens)."""
    db.session.delete(post)
    db.session.commit()
    post_changed.send(post)


def validate(data: PostInput, post: Post | None = None) -> PostInput:
    """``data`` cleaned and completed (slug, status, date), or ``PostError``."""
    errors: dict[str, str] = {}
    title = clean_text(data.title).strip()
    if not title:
        errors["title"] = "A post needs a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    body = clean_text(data.body)
    if len(body) > BODY_MAX:
        errors["body"] = f"The body is longer than {BODY_MAX} characters."
    excerpt = clean_text(data.excerpt).strip()
    if len(excerpt) > EXCERPT_MAX:
        errors["excerpt"] = f"Keep the excerpt under {EXCERPT_MAX} characters."
    tags, tag_error = _clean_tags(data.tags)
    if tag_error:
        errors["tags"] = tag_error
    slug, slug_error = _choose_slug(data.slug, title, post)
    if slug_error:
        errors["slug"] = slug_error
    status, published_at, when_error = _schedule(data.status, data.published_at)
    if when_error:
        errors["published_at"] = when_error
    if errors:
        raise PostError(errors)
    return PostInput(
        title=title,
        body=body,
        excerpt=excerpt,
        slug=slug,
        tags=tags,
        status=status,
        published_at=published_at,
        comments_enabled=bool(data.comments_enabled),
    )


def _clean_tags(names: list[str]) -> tuple[list[str], str | None]:
    seen: dict[str, str] = {}
    for raw in names:
        name = clean_text(raw).strip()
        if len(name) > TAG_MAX:
            return [], f"Keep each tag under {TAG_MAX} characters."
        slug = slugify(name, max_length=TAG_MAX)
        if slug and slug not in seen:
            seen[slug] = name
    if len(seen) > TAGS_PER_POST:
        return [], f"Use at most {TAGS_PER_POST} tags."
    return list(seen.values()), None


def _choose_slug(wanted: str, title: str, post: Post | None) -> tuple[str, str | None]:
    """The author's slug if free; else one made from the title, made unique with -2, -3."""
    own_id = post.id if post is not None else None
    wanted = (wanted or "").strip()
    if wanted:
        slug = slugify(wanted, max_length=SLUG_MAX)
        if not slug:
            return "", "Use letters or digits in the slug."
        if _slug_taken(slug, own_id):
            return slug, "Another post already uses this slug."
        return slug, None
    base = slugify(title, max_length=SLUG_MAX - 6) or "post"
    slug, n = base, 1
    while _slug_taken(slug, own_id):
        n += 1
        slug = f"{base}-{n}"
    return slug, None


def _slug_taken(slug: str, own_id: int | None) -> bool:
    query = sa.select(Post.id).where(Post.slug == slug)
    if own_id is not None:
        query = query.where(Post.id != own_id)
    return db.session.scalar(query.limit(1)) is not None


def _schedule(
    status: PostStatus, when: datetime | None
) -> tuple[PostStatus, datetime | None, str | None]:
    """The stored status and date: published needs a date (now by default), a
    date in the future means scheduled, and scheduled needs a future date."""
    now = utcnow()
    if when is not None and when.tzinfo is None:
        return status, when, "Give the time with its timezone (UTC)."
    if status == PostStatus.SCHEDULED:
        if when is None or when <= now:
            return status, when, "Choose a time in the future to schedule the post."
        return status, when, None
    if status == PostStatus.PUBLISHED:
        when = when or now
        return (PostStatus.SCHEDULED if when > now else status), when, None
    return PostStatus.DRAFT, when, None


def tags_named(names: list[str]) -> list[Tag]:
    """Tag rows for ``names``, creating the missing ones (found by slug)."""
    by_slug = {slugify(name, max_length=TAG_MAX): name for name in names}
    by_slug.pop("", None)
    if not by_slug:
        return []
    existing = {
        tag.slug: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.slug.in_(by_slug)))
    }
    tags = []
    for slug, name in by_slug.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _keep_old_path(old_path: str, post: Post) -> None:
    """A published post moved: keep its old address working (a 301 to the new one)."""
    row = db.session.scalar(sa.select(Redirect).where(Redirect.old_path == old_path))
    if row is None:
        db.session.add(Redirect(old_path=old_path, post_id=post.id))
    else:
        row.post_id = post.id
