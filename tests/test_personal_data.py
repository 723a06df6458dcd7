"""Each reader's data: the download, erasure by the reader, erasure by a moderator."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from blog.models import (
    Comment,
    CommentStatus,
    Flag,
    Identity,
    ModerationEvent,
    OutboxMail,
    Post,
    Role,
    Subscription,
    User,
)
from blog.moderation.services import change_status, reason
from blog.portability.personal import erase_user, export_user_data
from tests.factories import make_comment, make_post, make_user


def count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def site(db):
    """A reader with comments (one answered by someone else), a guest comment under
    the reader's verified email, a subscription, a flag, an identity, a held
    comment whose moderation reason quotes the reader's email and IP."""
    reader = make_user(email="rita@example.com", display_name="Rita Reader")
    reader.identities.append(
        Identity(provider="google", subject="g-rita", email="rita@example.com", display_name="R")
    )
    other = make_user(email="otto@example.com", display_name="Otto Other")
    post = make_post(title="Tea and time")
    mine = make_comment(post, body="Mine, answered.", user=reader, ip="203.0.113.7")
    answer = make_comment(post, body="Otto answers.", user=other, parent=mine)
    lonely = make_comment(post, body="Mine, unanswered.", user=reader)
    own_reply = make_comment(post, body="My own follow-up.", user=reader, parent=lonely)
    as_guest = make_comment(
        post, body="Written as a guest.", author_name="Rita", author_email="RITA@example.com"
    )
    held = make_comment(post, body="Held one.", user=reader, status=CommentStatus.PENDING)
    change_status(
        held,
        CommentStatus.PENDING,
        actor=None,
        action="hold",
        reasons=[reason("banned_ip", "IP 203.0.113.7 of rita@example.com is watched")],
    )
    db.session.add(Subscription(post_id=post.id, email="rita@example.com", user_id=reader.id))
    flag = Flag(comment_id=answer.id, reporter=f"user:{reader.id}", reason="rude")
    db.session.add(flag)
    answer.flag_count = 1
    db.session.add(OutboxMail(to="rita@example.com", subject="Reply", text="Otto answered."))
    db.session.commit()
    return {
        "reader": reader,
        "other": other,
        "post": post,
        "mine": mine,
        "answer": answer,
        "lonely": lonely,
        "own_reply": own_reply,
        "as_guest": as_guest,
        "held": held,
    }


def test_download_my_data(client, login_as, site):
    login_as(site["reader"])
    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.json"')
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "rita@example.com"
    assert data["profile"]["has_password"] is True
    assert "password_hash" not in json.dumps(data)
    assert site["reader"].password_hash not in response.get_data(as_text=True)
    assert [i["subject"] for i in data["identities"]] == ["g-rita"]
    bodies = {c["body"] for c in data["comments"]}
    assert bodies == {
        "Mine, answered.",
        "Mine, unanswered.",
        "My own follow-up.",
        "Written as a guest.",  # under the reader's verified email
        "Held one.",
    }
    first = next(c for c in data["comments"] if c["body"] == "Mine, answered.")
    assert first["ip"] == "203.0.113.7"
    assert first["url"].endswith(f"{site['post'].url_path}#comment-{site['mine'].id}")
    assert first["post"]["title"] == "Tea and time"
    assert [s["email"] for s in data["subscriptions"]] == ["rita@example.com"]
    assert data["flags"][0]["comment_id"] == site["answer"].id


def test_an_unverified_email_does_not_reach_guest_comments(db, site):
    site["reader"].email_verified = False
    db.session.commit()
    bodies = {c["body"] for c in export_user_data(site["reader"])["comments"]}
    assert "Written as a guest." not in bodies


def test_download_needs_login_and_the_csrf_token(client, login_as, site):
    response = client.post("/account/export")
    assert response.status_code in (302, 401)
    login_as(site["reader"])
    assert client.post("/account/export", csrf=False).status_code == 400


def test_delete_needs_the_word_delete(client, login_as, db, site):
    login_as(site["reader"])
    response = client.post("/account/delete", data={"comments": "anonymise", "confirm": "yes"})
    assert response.status_code == 400
    assert "Type DELETE in the box to confirm." in response.get_data(as_text=True)
    response = client.post("/account/delete", data={"comments": "shred", "confirm": "DELETE"})
    assert response.status_code == 400
    assert "Choose whether your comments are anonymised or removed." in response.get_data(
        as_text=True
    )
    assert db.session.get(User, site["reader"].id) is not None
    page = client.get("/account/delete")
    assert page.status_code == 200
    assert 'name="confirm"' in page.get_data(as_text=True)


def test_delete_my_account_anonymising_comments(client, login_as, db, site):
    reader_id = site["reader"].id
    login_as(site["reader"])
    response = client.post("/account/delete", data={"comments": "anonymise", "confirm": "DELETE"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    home = client.get("/")
    assert "Your account and your data have been deleted." in home.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    db.session.expire_all()
    assert db.session.get(User, reader_id) is None
    assert count(db, Identity) == 0
    assert count(db, Subscription) == 0 and count(db, Flag) == 0
    assert count(db, OutboxMail, OutboxMail.to == "rita@example.com") == 0
    assert db.session.get(Comment, site["answer"].id).flag_count == 0
    for key in ("mine", "lonely", "own_reply", "as_guest", "held"):
        comment = db.session.get(Comment, site[key].id)
        assert comment.author_name == "Anonymous"
        assert comment.author_email is None and comment.ip is None
        assert comment.author_website is None and comment.user_id is None
    assert db.session.get(Comment, site["mine"].id).body == "Mine, answered."
    # The other reader's comment is untouched.
    assert db.session.get(Comment, site["answer"].id).author_email == "otto@example.com"
    # The log keeps the decision, without the person in its words.
    event = db.session.scalar(sa.select(ModerationEvent).where(ModerationEvent.action == "hold"))
    assert event.comment_id == site["held"].id and event.to_status == CommentStatus.PENDING
    assert "rita@example.com" not in event.reasons[0]["text"]
    assert "203.0.113.7" not in event.reasons[0]["text"]
    assert event.reasons[0]["code"] == "banned_ip"
    erased = db.session.scalar(sa.select(ModerationEvent).where(ModerationEvent.action == "erase"))
    assert erased.actor_id is None and "anonymised" in erased.note
    assert "rita" not in erased.note.lower()


def test_delete_my_account_removing_comments(client, login_as, db, site):
    post_id = site["post"].id
    login_as(site["reader"])
    response = client.post("/account/delete", data={"comments": "remove", "confirm": "DELETE"})
    assert response.status_code == 302
    db.session.expire_all()
    # Answered by someone else: a placeholder, so Otto's answer keeps its place.
    mine = db.session.get(Comment, site["mine"].id)
    assert mine.status == CommentStatus.DELETED
    assert mine.body == "" and mine.body_html == "" and mine.author_email is None
    assert db.session.get(Comment, site["answer"].id).parent_id == mine.id
    # Answered only by the same person: both go.
    for key in ("lonely", "own_reply", "as_guest", "held"):
        assert db.session.get(Comment, site[key].id) is None, key
    # Only Otto's answer is left approved.
    assert db.session.get(Post, post_id).comment_count == 1
    # The removal is in the log without the text or the person.
    removals = db.session.scalars(
        sa.select(ModerationEvent).where(
            ModerationEvent.action == "erase", ModerationEvent.to_status == CommentStatus.DELETED
        )
    ).all()
    assert len(removals) == 5
    assert sum(1 for e in removals if e.comment_id is None) == 4


def test_moderator_erases_on_request(client, login_as, db, site):
    moderator = make_user(Role.MODERATOR, email="mod@example.com")
    login_as(moderator)
    url = f"/moderation/users/{site['reader'].id}/erase"
    page = client.get(url)
    assert page.status_code == 200
    assert "Erase the data of Rita Reader" in page.get_data(as_text=True)
    response = client.post(url, data={"comments": "remove", "confirm": "DELETE"})
    assert response.status_code == 200
    assert "has been erased" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, site["reader"].id) is None
    event = db.session.scalar(
        sa.select(ModerationEvent).where(
            ModerationEvent.action == "erase",
            ModerationEvent.comment_id.is_(None),
            ModerationEvent.to_status.is_(None),
        )
    )
    assert event.actor_id == moderator.id
    assert "removed" in event.note


def test_who_may_erase_whom(client, login_as, db, site):
    admin = make_user(Role.ADMIN, email="admin@example.com")
    moderator = make_user(Role.MODERATOR, email="mod@example.com")
    login_as(site["other"])
    assert client.get(f"/moderation/users/{site['reader'].id}/erase").status_code == 403
    login_as(moderator)
    assert client.get(f"/moderation/users/{admin.id}/erase").status_code == 403
    assert client.get(f"/moderation/users/{moderator.id}/erase").status_code == 403
    assert client.get("/moderation/users/999999/erase").status_code == 404
    response = client.post(
        f"/moderation/users/{site['reader'].id}/erase", data={"comments": "remove"}
    )
    assert response.status_code == 400
    assert db.session.get(User, site["reader"].id) is not None
    login_as(admin)
    assert client.get(f"/moderation/users/{moderator.id}/erase").status_code == 200


def test_erasing_an_author_keeps_their_posts(db):
    author = make_user(Role.AUTHOR, email="writer@example.com")
    post = make_post(title="Stays up", author=author)
    erase_user(author, "anonymise")
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Post, post.id)
    assert kept is not None and kept.author_id is None


def test_the_only_admin_cannot_delete_their_account(client, login_as, db):
    admin = make_user(Role.ADMIN, email="boss@example.com")
    login_as(admin)
    response = client.post("/account/delete", data={"comments": "remove", "confirm": "DELETE"})
    assert response.status_code == 400
    assert "only admin" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id) is not None
    make_user(Role.ADMIN, email="second@example.com")
    response = client.post("/account/delete", data={"comments": "remove", "confirm": "DELETE"})
    assert response.status_code == 302
