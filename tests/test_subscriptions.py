"""Subscriptions: double opt-in for guests, at once for verified accounts, one-click unsubscribe."""

from __future__ import annotations

import email.policy
import re
from email import message_from_bytes

import pytest

from blog.comments.subscriptions import (
    subscribe,
    unsubscribe_headers,
    unsubscribe_token,
    unsubscribe_url,
)
from blog.mail import send_due_mail
from blog.models import CommentStatus, OutboxMail, Subscription

from .factories import make_comment, make_post, make_user
from .procs import SmtpSink
from .test_comment_support import post_form, set_rules, submit


@pytest.fixture
def post(app):
    return make_post(title="Bees")


def mails_to(db, address: str) -> list[OutboxMail]:
    return db.session.scalars(db.select(OutboxMail).filter_by(to=address)).all()


def link_in(text: str, path: str) -> str:
    url = re.search(rf"https?://\S+{path}\S+", text).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_guest_gets_a_confirmation_mail_and_confirms(client, db, post):
    post_form(client, post, notify="1")
    sub = db.session.scalars(db.select(Subscription)).one()
    assert (sub.email, sub.confirmed, sub.post_id) == ("ann@example.com", False, post.id)
    [mail] = mails_to(db, "ann@example.com")
    assert "Bees" in mail.subject and mail.html
    confirm = link_in(mail.text, "/subscriptions/confirm/")

    page = client.get(confirm)
    assert page.status_code == 200 and "Yes, notify me" in page.get_data(True)
    assert 'method="post"' in page.get_data(True)
    db.session.refresh(sub)
    assert not sub.confirmed  # a GET (a mail scanner) changes nothing

    done = client.post(confirm)
    assert done.status_code == 200 and "You are subscribed" in done.get_data(True)
    db.session.refresh(sub)
    assert sub.confirmed


def test_confirmation_needs_csrf_and_a_good_token(client, db, post):
    post_form(client, post, notify="1")
    confirm = link_in(mails_to(db, "ann@example.com")[0].text, "/subscriptions/confirm/")
    assert client.post(confirm, csrf=False).status_code == 400
    assert client.get("/subscriptions/confirm/not-a-token").status_code == 400
    assert not db.session.scalars(db.select(Subscription.confirmed)).one()


def test_verified_user_is_subscribed_at_once(db, post):
    user = make_user(email_verified=True)
    submit(post, user=user, notify=True)
    sub = db.session.scalars(db.select(Subscription)).one()
    assert sub.confirmed and sub.user_id == user.id and sub.email == user.email
    assert mails_to(db, user.email) == []


def test_unverified_user_confirms_by_mail(db, post):
    user = make_user(email_verified=False)
    submit(post, user=user, notify=True)
    assert not db.session.scalars(db.select(Subscription.confirmed)).one()
    assert len(mails_to(db, user.email)) == 1


def test_subscribing_twice_makes_one_row_and_one_mail(db, post):
    submit(post, "First.", notify=True)
    submit(post, "Second.", notify=True)
    assert db.session.query(Subscription).count() == 1
    assert len(mails_to(db, "ann@example.com")) == 1


def test_no_subscription_without_the_box_or_for_spam(db, post):
    submit(post, "No box.")
    set_rules(block_words=["spam"])
    submit(post, "spam spam", notify=True)
    assert db.session.query(Subscription).count() == 0


def test_one_click_unsubscribe(client, db, post):
    sub = subscribe(post, "sub@example.com", None)
    sub.confirmed = True
    db.session.commit()
    url = unsubscribe_url(sub)
    assert url.startswith("http://127.0.0.1:5000/unsubscribe/")
    path = url.removeprefix("http://127.0.0.1:5000")

    page = client.get(path)
    assert page.status_code == 200 and ">Unsubscribe</button>" in page.get_data(True)
    assert db.session.query(Subscription).count() == 1

    # RFC 8058: the mail client posts this body, with no cookie and no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(True)
    assert db.session.query(Subscription).count() == 0
    again = client.post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert again.status_code == 200


def test_unsubscribe_headers_and_bad_tokens(client, db, post):
    sub = subscribe(post, "sub@example.com", None)
    db.session.commit()
    headers = unsubscribe_headers(sub)
    assert headers["List-Unsubscribe"] == f"<{unsubscribe_url(sub)}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post("/unsubscribe/forged", csrf=False).status_code == 400
    token = unsubscribe_token(sub)
    assert client.get(f"/unsubscribe/{token[:-2]}xx").status_code == 400


def test_subscriber_hears_of_an_approved_reply(db, post):
    set_rules(policy="none")
    subscriber = make_user(email="reader@example.com")
    make_comment(post, user=subscriber)
    submit(post, "I want to hear more.", user=subscriber, notify=True)
    result = submit(post, "Here is more.", name="Other", email="other@example.com")
    assert result.comment.status == CommentStatus.APPROVED
    mail = next(m for m in mails_to(db, "reader@example.com") if "Here is more." in m.text)
    assert "/unsubscribe/" in mail.headers.get("List-Unsubscribe", "")


def test_confirmation_arrives_over_real_smtp(app, client, db, post):
    sink = SmtpSink().start()
    app.config["MAIL_URL"] = sink.url
    try:
        post_form(client, post, notify="1", email="smtp-guest@example.com")
        send_due_mail()
        raw = next(raw for to, raw in sink.messages if "smtp-guest@example.com" in to)
    finally:
        sink.stop()
    message = message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message.get_body(preferencelist=("html",)) is not None
    confirm = link_in(text, "/subscriptions/confirm/")
    assert client.post(confirm).status_code == 200
    assert db.session.scalars(db.select(Subscription.confirmed)).one()
