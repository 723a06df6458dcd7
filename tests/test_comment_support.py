"""Helpers the comment tests share (this module holds no tests itself)."""

from __future__ import annotations

import re
from typing import Any

from blog.comments.forms import make_stamp
from blog.comments.pipeline import RequestInfo, Result, submit_comment
from blog.extensions import db
from blog.models import Post, User
from blog.moderation.settings import update_settings

GUEST = {"name": "Ann Guest", "email": "ann@example.com", "website": ""}


def set_rules(**changes: Any) -> None:
    """Change the moderation settings for this test."""
    update_settings(changes)
    db.session.commit()


def form_data(post: Post, *, guest: bool = True, age: float = 10, **fields: Any) -> dict:
    """What the form sends, with a stamp ``age`` seconds old (old enough not to be too fast)."""
    data = {"body": "A thoughtful comment.", "ts": make_stamp(post.id, age=age)}
    if guest:
        data.update(GUEST)
    data.update(fields)
    return data


def post_form(client, post: Post, *, guest: bool = True, age: float = 10, **fields: Any):
    """Send the comment form as a browser without JavaScript does."""
    return client.post(f"/comments/{post.id}", data=form_data(post, guest=guest, age=age, **fields))


def submit(
    post: Post,
    body: str = "A thoughtful comment.",
    user: User | None = None,
    *,
    ip: str = "192.0.2.10",
    user_agent: str = "pytest browser",
    **fields: Any,
) -> Result:
    """Run the pipeline without a request, as an API client would (no form stamp)."""
    data: dict[str, Any] = {"body": body}
    if user is None:
        data.update(GUEST)
    data.update(fields)
    return submit_comment(post, data, user, RequestInfo(ip=ip, user_agent=user_agent))


def codes(result_or_comment) -> list[str]:
    comment = getattr(result_or_comment, "comment", result_or_comment)
    return [r["code"] for r in comment.reasons]


def comment_ids_in(html: str) -> list[int]:
    """The comment ids in the order the page shows them."""
    return [int(m) for m in re.findall(r'id="comment-(\d+)"', html)]
