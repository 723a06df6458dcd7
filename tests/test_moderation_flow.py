"""The issue's "done when", end to end over HTTP: three commenters, a moderator on the
screen and by mail link, the approved comment shown to everyone, the subscriber's
mail, and the log of every step."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Identity, OutboxMail, Role, Subscription, User
from tests.factories import make_comment, make_post, make_user

BASE = "http://blog.test"


@pytest.fixture
def config_overrides() -> dict:
    return {"BASE_URL": BASE}


def mails_to(address: str) -> list[OutboxMail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.to == address).order_by(OutboxMail.id)
        )
    )


def test_three_commenters_a_moderator_and_a_subscriber(app, client, login_as):
    # One client that changes who it is, as people take turns at one browser.
    def become(user=None):
        if user is not None:
            return login_as(db.session.get(User, sa.inspect(user).identity[0]))
        with client.session_transaction() as session:
            session.pop("_user_id", None)

    moderator = make_user(Role.MODERATOR, email="mod@example.com", display_name="Mo")
    moderator_id = moderator.id
    author = make_user(Role.AUTHOR, email="author@example.com")
    post = make_post(title="On tea", author=author)
    reader = make_user(email="reader@example.com", display_name="Email Reader")
    googler = make_user(email=None, display_name="Google Reader")
    db.session.add(Identity(user_id=googler.id, provider="google", subject="g-123"))
    make_comment(post, user=googler)  # known to the site: not held
    db.session.add(Subscription(post_id=post.id, email="fan@example.com", confirmed=True))
    db.session.commit()
    url = f"/api/posts/{post.slug}/comments"

    guest = client.post(
        url, json={"body": "Guest here", "name": "Gwen", "email": "gwen@example.com"}
    )
    assert guest.status_code == 201
    assert guest.get_json()["status"] == "pending"
    assert "first_time" in {r["code"] for r in guest.get_json()["reasons"]}

    become(reader)
    by_reader = client.post(url, json={"body": "Reader here"})
    assert by_reader.get_json()["status"] == "pending"

    become(googler)
    by_google = client.post(url, json={"body": "Google here"})
    assert by_google.get_json()["status"] == "approved"

    guest_id, reader_id = guest.get_json()["id"], by_reader.get_json()["id"]

    # The moderator approves one from the screen ...
    become(moderator)
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Pending (2)" in queue and "Guest here" in queue and "Reader here" in queue
    client.post(f"/moderation/comments/{guest_id}/approve")

    # ... and marks the other spam from the mail link, not logged in.
    [held_mail] = [m for m in mails_to("mod@example.com") if "Reader here" in m.text]
    spam = re.search(rf'{BASE}(/moderation/link/[^"]+)">Mark as spam', held_mail.html).group(1)
    become(None)
    assert "Mark as spam" in client.get(spam).get_data(as_text=True)
    assert client.post(spam).status_code == 200

    # Everyone sees the approved comment; nobody sees the spam.
    become(googler)  # not the guest, whose own held comments would show to them
    shown = {c["id"] for c in client.get(url).get_json()["items"]}
    assert guest_id in shown and reader_id not in shown
    page = client.get(post.url_path).get_data(as_text=True)
    assert f'id="comment-{guest_id}"' in page and f'id="comment-{reader_id}"' not in page
    # In production each request has a session of its own; here they share
    # the test's, so drop what the page loaded (with its narrow load options).
    db.session.expunge_all()

    # A reply reaches the subscriber.
    reply = client.post(url, json={"body": "Welcome, Gwen", "parent_id": guest_id})
    assert reply.get_json()["status"] == "approved"
    fan_mails = mails_to("fan@example.com")
    assert any(f"#comment-{reply.get_json()['id']}" in m.text for m in fan_mails)
    assert all("List-Unsubscribe" in m.headers for m in fan_mails)

    # The log shows every step, newest first.
    become(moderator)
    log = client.get("/api/moderation/log").get_json()["items"]
    steps = [(e["comment_id"], e["action"], e["to_status"]) for e in log]
    assert steps[:5] == [
        (reply.get_json()["id"], "submit", "approved"),
        (reader_id, "spam", "spam"),
        (guest_id, "approve", "approved"),
        (by_google.get_json()["id"], "submit", "approved"),
        (reader_id, "submit", "pending"),
    ]
    assert steps[5] == (guest_id, "submit", "pending")
    assert [e["actor"] for e in log[1:3]] == [{"id": moderator_id, "display_name": "Mo"}] * 2
    screen_log = client.get("/moderation/log").get_data(as_text=True)
    assert screen_log.count("<tr>") >= 7
