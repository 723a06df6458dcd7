"""Mail about comments, read from the outbox: who hears, what they read, which headers."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from blog.comments.flags import flag_comment
from blog.comments.pipeline import RequestInfo, submit_comment
from blog.comments.subscriptions import unsubscribe_url
from blog.extensions import db
from blog.models import Comment, CommentStatus, OutboxMail, Post, Role, Subscription, User
from blog.moderation import notify, services
from blog.moderation.settings import update_settings
from tests.factories import make_comment, make_post, make_user

BASE = "https://blog.example"


@pytest.fixture
def config_overrides() -> dict:
    return {"BASE_URL": BASE, "SITE_TITLE": "Tea Blog"}


@pytest.fixture
def people(app) -> dict[str, User]:
    return {
        "mod": make_user(Role.MODERATOR, email="mod@example.com", display_name="Mo"),
        "admin": make_user(Role.ADMIN, email="admin@example.com"),
        "unverified": make_user(Role.MODERATOR, email="new@example.com", email_verified=False),
        "author": make_user(Role.AUTHOR, email="author@example.com", display_name="Ann"),
    }


@pytest.fixture
def post(people) -> Post:
    return make_post(title="Green\ntea", author=people["author"])


def outbox(to: str | None = None) -> list[OutboxMail]:
    db.session.expire_all()
    query = sa.select(OutboxMail).order_by(OutboxMail.id)
    if to:
        query = query.where(OutboxMail.to == to)
    return list(db.session.scalars(query))


def submit(post: Post, body: str = "Lovely *tea*", user: User | None = None, **guest) -> Comment:
    data = {"body": body, "name": "Gus", "email": "gus@example.com", **guest}
    result = submit_comment(post, data, user, RequestInfo(ip="192.0.2.44"))
    assert result.ok, result.errors
    return db.session.get(Comment, result.comment.id)


def hold_nothing() -> None:
    update_settings({"policy": "none"})
    db.session.commit()


def subscribe(post: Post, email: str, confirmed: bool = True, user: User | None = None) -> None:
    db.session.add(
        Subscription(post_id=post.id, email=email, confirmed=confirmed, user_id=user and user.id)
    )
    db.session.commit()


def test_held_comment_mails_moderators_with_links_and_the_post_author(people, post):
    comment = submit(post, body="Try <script>x()</script> **this**")
    assert comment.status == CommentStatus.PENDING
    mails = outbox()
    assert sorted(m.to for m in mails) == [
        "admin@example.com",
        "author@example.com",
        "mod@example.com",
    ]
    [mod_mail] = outbox("mod@example.com")
    assert mod_mail.subject == '[Tea Blog] Please moderate a comment on "Green tea"'
    assert mod_mail.headers["Auto-Submitted"] == "auto-generated"
    for part in (mod_mail.text, mod_mail.html):
        assert "gus@example.com" in part and "192.0.2.44" in part
        assert "A first comment from this commenter." in part
        links = re.findall(rf"{BASE}/moderation/link/[\w.-]+", part)
        assert len(set(links)) == 3
        assert f"{BASE}/moderation/comments/{comment.id}" in part
    assert "<strong>this</strong>" in mod_mail.html and "<script" not in mod_mail.html
    assert "**this**" in mod_mail.text
    [author_mail] = outbox("author@example.com")
    assert "/moderation/link/" not in author_mail.text + author_mail.html
    assert "192.0.2.44" not in author_mail.text and "gus@example.com" not in author_mail.text
    assert "A moderator will decide on it." in author_mail.text


def test_approved_comment_mails_the_post_author(people, post):
    hold_nothing()
    comment = submit(post)
    assert comment.status == CommentStatus.APPROVED
    [mail] = outbox()
    assert mail.to == "author@example.com"
    assert mail.subject == '[Tea Blog] New comment on "Green tea"'
    assert f"{BASE}{post.url_path}#comment-{comment.id}" in mail.text
    assert f'href="{BASE}{post.url_path}#comment-{comment.id}"' in mail.html
    assert "<em>tea</em>" in mail.html and "Gus commented on your post" in mail.text


def test_the_author_does_not_hear_about_their_own_comment(people, post):
    hold_nothing()
    submit(post, user=people["author"])
    assert outbox() == []


def test_approval_later_mails_the_author_once(people, post):
    comment = submit(post)
    before = len(outbox())
    services.approve(comment, people["mod"])
    db.session.commit()
    [mail] = outbox("author@example.com")[1:]
    assert "New comment" in mail.subject
    services.reject(db.session.get(Comment, comment.id), people["mod"])
    services.approve(db.session.get(Comment, comment.id), people["mod"])
    db.session.commit()
    assert len(outbox()) == before + 1


def test_spam_sends_nothing(people, post):
    update_settings({"block_words": ["casino"]})
    db.session.commit()
    assert submit(post, body="best casino").status == CommentStatus.SPAM
    assert outbox() == []


def test_subscribers_hear_about_approved_comments_with_unsubscribe_headers(people, post):
    hold_nothing()
    reader = make_user(email="reader@example.com")
    subscribe(post, "reader@example.com", user=reader)
    subscribe(post, "pending@example.com", confirmed=False)
    subscribe(post, "gus@example.com")  # the commenter: no mail about their own comment
    subscribe(post, "author@example.com")  # the post's author: one mail, not two
    comment = submit(post)
    assert sorted(m.to for m in outbox()) == ["author@example.com", "reader@example.com"]
    [mail] = outbox("reader@example.com")
    sub = db.session.scalar(
        sa.select(Subscription).where(Subscription.email == "reader@example.com")
    )
    url = unsubscribe_url(sub)
    assert url.startswith(BASE + "/")
    assert mail.headers["List-Unsubscribe"] == f"<{url}>"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in mail.text and url in mail.html
    assert f"{BASE}{post.url_path}#comment-{comment.id}" in mail.text
    assert "a discussion you follow" in mail.text


def test_replies_approved_by_a_moderator_reach_subscribers(people, post):
    subscribe(post, "reader@example.com")
    parent = make_comment(post, author_email="first@example.com")
    reply = submit(post, body="A reply", parent_id=str(parent.id))
    assert reply.status == CommentStatus.PENDING
    assert outbox("reader@example.com") == []
    services.approve(reply, people["mod"])
    db.session.commit()
    [mail] = outbox("reader@example.com")
    assert f"#comment-{reply.id}" in mail.text


def test_moderator_reply_notifies_author_and_subscribers(people, post):
    subscribe(post, "reader@example.com")
    parent = make_comment(post, status=CommentStatus.PENDING, author_email="q@example.com")
    services.reply_as_moderator(parent, people["mod"], "Answered")
    db.session.commit()
    # The approved parent and the reply: two comments, two mails each.
    assert len(outbox("reader@example.com")) == 2
    assert len(outbox("author@example.com")) == 2
    assert outbox("mod@example.com") == []


def test_flags_that_hold_a_comment_tell_the_moderators(people, post):
    update_settings({"flags_to_hold": 2})
    db.session.commit()
    comment = make_comment(post)
    flag_comment(comment, "ip:192.0.2.1")
    assert outbox() == []
    flag_comment(db.session.get(Comment, comment.id), "ip:192.0.2.2")
    assert db.session.get(Comment, comment.id).status == CommentStatus.PENDING
    [mail] = outbox("mod@example.com")
    assert "Flagged by 2 readers" in mail.text and "/moderation/link/" in mail.text


def test_mail_headers_never_carry_line_breaks(people):
    post = make_post(title="Evil\r\nBcc: victim@example.com", author=people["author"])
    hold_nothing()
    submit(post)
    [mail] = outbox()
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_the_moderators_read_in_a_column_are_those_moderators_finds(app):
    def both():
        value = db.session.execute(sa.select(notify.moderators_column())).scalar()
        return notify.moderators_from(value), notify.moderators()

    assert both() == ([], [])  # nobody yet: an empty list, not an error
    make_user(Role.READER, email="reader@example.com")
    make_user(Role.MODERATOR, email="unverified@example.com", email_verified=False)
    make_user(Role.ADMIN, email="banned@example.com", banned=True)
    second = make_user(Role.ADMIN, email="admin@example.com")
    first = make_user(Role.MODERATOR, email='mo "the mod"@example.com')
    second.session_version = 3
    db.session.commit()
    column, query = both()
    assert column == query
    assert [(m.email, m.session_version) for m in column] == [
        ("admin@example.com", 3),
        ('mo "the mod"@example.com', first.session_version),
    ]
