"""Signed one-click links in moderation mails: GET confirms, POST acts, stale links refuse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.comments.flags import flag_comment
from blog.comments.pipeline import RequestInfo, submit_comment
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, OutboxMail, Post, Role, User
from blog.moderation import links, services
from blog.moderation.services import Action
from blog.moderation.settings import update_settings
from tests.factories import make_comment, make_post, make_user

BASE = "http://blog.test"


@pytest.fixture
def config_overrides() -> dict:
    return {"BASE_URL": BASE}


@pytest.fixture
def mod(app) -> User:
    return make_user(Role.MODERATOR, email="mod@example.com", display_name="Mo")


@pytest.fixture
def post(app) -> Post:
    return make_post()


def held_by_guest(post: Post) -> Comment:
    result = submit_comment(
        post,
        {"body": "Hello there", "name": "Gus", "email": "gus@example.com"},
        None,
        RequestInfo(),
    )
    assert result.comment.status == CommentStatus.PENDING
    return db.session.get(Comment, result.comment.id)


def mailed_links(to: str = "mod@example.com") -> dict[str, str]:
    """The action links in the latest mail to ``to``, as paths, by their label."""
    mail = db.session.scalar(
        sa.select(OutboxMail).where(OutboxMail.to == to).order_by(OutboxMail.id.desc()).limit(1)
    )
    found = re.findall(rf'<a href="{BASE}(/moderation/link/[^"]+)">([^<]+)</a>', mail.html)
    return {label: path for path, label in found}


def status_of(comment_id: int) -> CommentStatus:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).status


def test_get_confirms_and_post_acts_without_logging_in(client, mod, post):
    comment = held_by_guest(post)
    paths = mailed_links()
    assert set(paths) == {"Approve", "Mark as spam", "Reject"}
    page = client.get(paths["Approve"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Approve: the comment by Gus?" in html and "acting as Mo" in html
    assert '<form method="post">' in html and 'name="csrf_token"' in html
    assert "Hello there" in html
    assert status_of(comment.id) == CommentStatus.PENDING  # GET changes nothing

    done = client.post(paths["Approve"])
    assert done.status_code == 200
    assert "was approved" in done.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.APPROVED
    event = db.session.scalar(sa.select(ModerationEvent).where(ModerationEvent.action == "approve"))
    assert (event.actor_id, event.note) == (mod.id, "From a mail link")


def test_the_link_is_single_use_in_effect(client, mod, post):
    comment = held_by_guest(post)
    paths = mailed_links()
    client.post(paths["Mark as spam"])
    assert status_of(comment.id) == CommentStatus.SPAM
    for label in ("Mark as spam", "Approve", "Reject"):
        again = client.post(paths[label])
        assert again.status_code == 409
        text = again.get_data(as_text=True)
        assert "Already decided" in text and "now <strong>spam</strong>" in text
        assert "by Mo" in text
    assert client.get(paths["Approve"]).status_code == 409
    assert status_of(comment.id) == CommentStatus.SPAM


def test_a_decision_on_the_screen_also_stales_the_link(client, mod, post, login_as):
    comment = held_by_guest(post)
    paths = mailed_links()
    other = make_user(Role.MODERATOR, display_name="Other")
    services.reject(comment, other)
    services.restore(comment, other)  # back to pending, as when the mail was sent
    db.session.commit()
    assert status_of(comment.id) == CommentStatus.PENDING
    response = client.post(paths["Approve"])
    assert response.status_code == 409 and "by Other" in response.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.PENDING


def test_post_needs_the_csrf_token(client, mod, post):
    comment = held_by_guest(post)
    response = client.post(mailed_links()["Reject"], csrf=False)
    assert response.status_code == 400
    assert status_of(comment.id) == CommentStatus.PENDING


def test_tampered_link_is_refused_with_a_clear_page(client, mod, post):
    comment = held_by_guest(post)
    path = mailed_links()["Approve"]
    token = path.rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (f"/moderation/link/{forged}", "/moderation/link/nonsense", path[:-10]):
        response = client.post(bad)
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.PENDING


def test_a_link_for_another_action_cannot_be_made_from_one(client, mod, post):
    """The action is signed: a spam link cannot be turned into an approve link."""
    comment = held_by_guest(post)
    spam = mailed_links()["Mark as spam"].rsplit("/", 1)[1]
    approve = mailed_links()["Approve"].rsplit("/", 1)[1]
    signature = spam.rpartition(".")[2]
    mixed = approve.rpartition(".")[0] + "." + signature
    assert client.post(f"/moderation/link/{mixed}").status_code == 400
    assert status_of(comment.id) == CommentStatus.PENDING


def test_expired_link_is_refused(client, mod, post):
    comment = held_by_guest(post)
    token = links.make_token(comment, Action.APPROVE, mod, ttl=timedelta(seconds=-1))
    response = client.get(f"/moderation/link/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert client.post(f"/moderation/link/{token}").status_code == 410
    assert status_of(comment.id) == CommentStatus.PENDING


def test_link_stops_working_when_the_moderator_loses_the_role(client, mod, post):
    comment = held_by_guest(post)
    path = mailed_links()["Approve"]
    db.session.get(User, mod.id).role = Role.READER
    db.session.commit()
    response = client.post(path)
    assert response.status_code == 403
    assert "no longer valid" in response.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.PENDING


def test_link_stops_working_when_sessions_are_revoked(client, mod, post):
    comment = held_by_guest(post)
    path = mailed_links()["Approve"]
    db.session.get(User, mod.id).session_version += 1
    db.session.commit()
    assert client.post(path).status_code == 403
    assert status_of(comment.id) == CommentStatus.PENDING


def test_link_for_a_deleted_comment(client, mod, post):
    comment = held_by_guest(post)
    path = mailed_links()["Approve"]
    db.session.delete(db.session.get(Comment, comment.id))
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 404
    assert "no longer exists" in response.get_data(as_text=True)


def test_links_in_a_flag_hold_mail_work_after_an_earlier_approval(client, mod, post):
    """A comment approved, then flagged back to the queue: the new mail's links work."""
    update_settings({"flags_to_hold": 1})
    db.session.commit()
    comment = make_comment(post, status=CommentStatus.PENDING)
    services.approve(comment, mod)
    db.session.commit()
    flag_comment(db.session.get(Comment, comment.id), "ip:192.0.2.77")
    assert status_of(comment.id) == CommentStatus.PENDING
    response = client.post(mailed_links()["Reject"])
    assert response.status_code == 200
    assert status_of(comment.id) == CommentStatus.REJECTED
