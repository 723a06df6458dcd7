"""Moderation mail delivered through a real SMTP server (aiosmtpd on 127.0.0.1).

The outbox is sent by ``blog.mail.send_due_mail`` to BLOG_MAIL_URL; a server
that is down leaves mails pending with a backoff, and they go out exactly
once when it is back.
"""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from blog.comments.pipeline import RequestInfo, submit_comment
from blog.extensions import db
from blog.mail import send_due_mail
from blog.models import Comment, CommentStatus, MailStatus, OutboxMail, Role, Subscription, utcnow
from blog.moderation import services
from blog.moderation.settings import update_settings
from tests.factories import make_comment, make_post, make_user
from tests.procs import free_port

BASE = "http://news.example"


class Inbox:
    """An aiosmtpd server that keeps what it receives; stop and start it at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.received: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> Inbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for rcpts, m in self.received if address in rcpts]


@pytest.fixture
def inbox(app):
    server = Inbox().start()
    app.config["MAIL_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture
def config_overrides() -> dict:
    return {"BASE_URL": BASE, "SITE_TITLE": "News", "MAIL_RETRY_SECONDS": 1.0}


@pytest.fixture
def people(app):
    return {
        "mod": make_user(Role.MODERATOR, email="mod@example.com", display_name="Mo"),
        "author": make_user(Role.AUTHOR, email="author@example.com"),
    }


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def outbox() -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


def hold_a_guest_comment(post) -> Comment:
    result = submit_comment(
        post,
        {"body": "Is this *true*?", "name": "Gus", "email": "gus@example.com"},
        None,
        RequestInfo(ip="192.0.2.61"),
    )
    assert result.comment.status == CommentStatus.PENDING
    return db.session.get(Comment, result.comment.id)


def test_held_comment_mail_arrives_with_both_parts_headers_and_working_links(
    app, client, inbox, people
):
    post = make_post(title="Big news", author=people["author"])
    comment = hold_a_guest_comment(post)
    send_due_mail()  # (the commit already started a sender; either way, once)
    assert {m.status for m in outbox()} == {MailStatus.SENT}
    assert len(inbox.received) == 2
    [message] = inbox.to("mod@example.com")
    assert message["To"] == "mod@example.com"
    assert message["Subject"] == '[News] Please moderate a comment on "Big news"'
    assert message["From"] == "News <noreply@news.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "Is this *true*?" in text and "<em>true</em>" in html
    assert "192.0.2.61" in text and "gus@example.com" in html
    text_links = re.findall(rf"{BASE}/moderation/link/[\w.-]+", text)
    html_links = re.findall(rf'href="({BASE}/moderation/link/[\w.-]+)"', html)
    assert len(text_links) == 3 and sorted(text_links) == sorted(html_links)

    approve = text_links[0].removeprefix(BASE)
    assert client.get(approve).status_code == 200
    assert client.post(approve).status_code == 200
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.APPROVED

    # The approval mails the post's author, through the same server.
    send_due_mail()
    assert send_due_mail() == 0
    assert len(inbox.received) == 3
    [held, approved] = inbox.to("author@example.com")
    assert "/moderation/link/" not in parts(held)[0]
    assert approved["Subject"] == '[News] New comment on "Big news"'
    assert f"{BASE}{post.url_path}#comment-{comment.id}" in parts(approved)[0]


def test_subscriber_mail_carries_one_click_unsubscribe(app, inbox, people):
    post = make_post(author=people["author"])
    update_settings({"policy": "none"})
    db.session.add(Subscription(post_id=post.id, email="fan@example.com", confirmed=True))
    db.session.commit()
    submit_comment(
        post, {"body": "Hi", "name": "Gus", "email": "gus@example.com"}, None, RequestInfo()
    )
    send_due_mail()
    [message] = inbox.to("fan@example.com")
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(rf"<{BASE}/unsubscribe/[\w.-]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html


def test_smtp_down_leaves_mail_pending_then_delivers_once(app, inbox, people):
    inbox.stop()
    post = make_post(author=people["author"])
    comment = make_comment(post, status=CommentStatus.PENDING)
    services.approve(comment, people["mod"])
    db.session.commit()  # a first attempt starts here, and fails

    assert send_due_mail() == 0
    [mail] = outbox()
    assert mail.status == MailStatus.PENDING and mail.attempts == 1
    assert mail.last_error and mail.next_attempt_at > utcnow()
    assert send_due_mail() == 0  # not due yet: backoff, no second attempt at once
    assert outbox()[0].attempts == 1

    inbox.start()
    time.sleep(1.1)  # the 1 s backoff of the first retry
    assert send_due_mail() == 1
    assert send_due_mail() == 0
    [mail] = outbox()
    assert mail.status == MailStatus.SENT and mail.attempts == 2 and mail.sent_at
    assert len(inbox.to("author@example.com")) == 1
