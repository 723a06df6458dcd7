"""Rows for tests, with sensible defaults: ``make_post(title="Hello")``."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from blog.extensions import db
from blog.models import (
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    Role,
    Tag,
    User,
    utcnow,
)
from blog.sanitise import count_links, render_comment, render_post

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(
    role: Role = Role.READER, email: str | None = None, password: str | None = PASSWORD, **kw: Any
) -> User:
    n = next(_seq)
    user = User(
        email=email if email is not None else f"user{n}@example.com",
        email_verified=kw.pop("email_verified", True),
        display_name=kw.pop("display_name", f"User {n}"),
        role=role,
        **kw,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_tag(name: str) -> Tag:
    from slugify import slugify

    tag = db.session.query(Tag).filter_by(slug=slugify(name)).one_or_none()
    if tag is None:
        tag = Tag(name=name, slug=slugify(name))
        db.session.add(tag)
    return tag


def make_post(
    title: str | None = None,
    body: str = "Some *words* here.",
    status: PostStatus = PostStatus.PUBLISHED,
    author: User | None = None,
    tags: list[str] = (),
    **kw: Any,
) -> Post:
    n = next(_seq)
    title = title or f"Post number {n}"
    published_at = kw.pop("published_at", None)
    if published_at is None and status != PostStatus.DRAFT:
        published_at = utcnow() - timedelta(hours=1)
    post = Post(
        title=title,
        slug=kw.pop("slug", f"post-number-{n}"),
        body=body,
        body_html=render_post(body),
        status=status,
        published_at=published_at,
        author=author,
        tags=[make_tag(t) for t in tags],
        **kw,
    )
    db.session.add(post)
    db.session.commit()
    return post


def make_comment(
    post: Post,
    body: str = "A comment.",
    status: CommentStatus = CommentStatus.APPROVED,
    user: User | None = None,
    parent: Comment | None = None,
    **kw: Any,
) -> Comment:
    html = render_comment(body)
    comment = Comment(
        post=post,
        parent=parent,
        user=user,
        author_name=kw.pop("author_name", user.display_name if user else "A Guest"),
        author_email=kw.pop("author_email", user.email if user else "guest@example.com"),
        body=body,
        body_html=html,
        link_count=count_links(html),
        status=status,
        ip=kw.pop("ip", "192.0.2.1"),
        **kw,
    )
    db.session.add(comment)
    if status == CommentStatus.APPROVED:
        post.comment_count += 1
    db.session.commit()
    return comment
