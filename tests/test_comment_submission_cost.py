"""A new comment costs a fixed number of SQL statements, however long the discussion.

The numbers are the whole request to ``POST /api/posts/<slug>/comments``: the
post, one look-up (settings, duplicate, bans, the commenter's history), the
comment and its moderation event, the mail recipients, the outbox. A change
that adds a statement to every comment has to change this test too.
"""

from __future__ import annotations

import gc
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.models import Comment, CommentStatus, OutboxMail, Role, Subscription, utcnow

from .factories import make_comment, make_post, make_user

HELD_GUEST = 5  # post, look-up (with the moderators), comment, event, outbox
APPROVED_GUEST = 7  # post, look-up, count, comment, event, subscribers, outbox


@pytest.fixture
def post(app):
    author = make_user(role=Role.AUTHOR, email="author@example.com")
    make_user(role=Role.MODERATOR, email="mod@example.com")
    return make_post(author=author)


def many_recent_comments(db, post, count: int) -> None:
    """``count`` comments on ``post`` from the last hour, some with much the same text."""
    now = utcnow()
    db.session.execute(
        sa.insert(Comment),
        [
            {
                "post_id": post.id,
                "author_name": f"Guest {n}",
                "author_email": f"g{n}@example.com",
                "body": f"Comment {n}",
                "body_html": f"<p>Comment {n}</p>",
                "status": CommentStatus.APPROVED if n % 2 else CommentStatus.PENDING,
                "created_at": now - timedelta(minutes=50) + timedelta(seconds=n),
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def statements_for(app, client, post, body: str, email: str) -> int:
    """Post one comment as a guest; the SQL statements its request ran."""
    token = client.csrf_token()
    url = f"/api/posts/{post.slug}/comments"
    engine = sa.inspect(app.extensions["sqlalchemy"].engine).engine
    seen = []
    here = threading.get_ident()  # the test client runs the app in this thread

    def count(*_args, **_kwargs):
        if threading.get_ident() == here:
            seen.append(1)

    gc.collect()  # the same session state for every counted request
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(
            url,
            json={"body": body, "name": "Ann Guest", "email": email},
            headers={"X-CSRFToken": token},
            csrf=False,
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.get_json()
    return len(seen)


def test_a_held_comment_costs_the_same_statements_on_a_long_discussion(app, client, db, post):
    cost = HELD_GUEST  # a comment's mails go out in one INSERT
    assert statements_for(app, client, post, "First words.", "ann@example.com") == cost
    many_recent_comments(db, post, 300)
    assert statements_for(app, client, post, "Comment 1 again.", "bo@example.com") == cost
    held = db.session.scalars(sa.select(Comment).where(Comment.author_email == "bo@example.com"))
    assert [c.status for c in held] == [CommentStatus.PENDING]
    # Both held comments told the moderator and the post's author.
    assert sorted(db.session.scalars(sa.select(OutboxMail.to))) == [
        "author@example.com",
        "author@example.com",
        "mod@example.com",
        "mod@example.com",
    ]


def test_an_approved_comment_costs_the_same_statements_on_a_long_discussion(app, client, db, post):
    for email in ("ann@example.com", "bo@example.com"):
        make_comment(post, author_email=email)  # known commenters are approved
    db.session.add(Subscription(post_id=post.id, email="sub@example.com", confirmed=True))
    db.session.commit()
    cost = APPROVED_GUEST
    assert statements_for(app, client, post, "Back again.", "ann@example.com") == cost
    many_recent_comments(db, post, 300)
    assert statements_for(app, client, post, "Comment 2 too.", "bo@example.com") == cost
    db.session.expire_all()
    assert post.comment_count == 4
    # Each approved comment told the post's author and the subscriber.
    assert sorted(db.session.scalars(sa.select(OutboxMail.to))) == [
        "author@example.com",
        "author@example.com",
        "sub@example.com",
        "sub@example.com",
    ]
