"""Readers' flags: one per reader per comment; enough of them send a comment back to the queue."""

from __future__ import annotations

import pytest

from blog.comments.flags import flag_comment
from blog.models import CommentStatus, Flag, ModerationEvent

from .factories import make_comment, make_post, make_user
from .test_comment_support import codes, post_form, set_rules


@pytest.fixture
def comment(app):
    return make_comment(make_post(), body="Rude words.")


def test_flag_by_form_is_counted_once_per_reader(client, db, comment):
    response = client.post(f"/comments/{comment.id}/flag")
    assert response.status_code == 303
    assert "Thank you for the report" in client.get(response.headers["Location"]).get_data(True)
    again = client.post(f"/comments/{comment.id}/flag", follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.flag_count == 1
    assert db.session.scalars(db.select(Flag.reporter)).all() == ["ip:127.0.0.1"]


def test_logged_in_reader_is_keyed_by_account(client, db, login_as, comment):
    user = login_as(make_user())
    client.post(f"/comments/{comment.id}/flag", environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert db.session.scalars(db.select(Flag.reporter)).all() == [f"user:{user.id}"]


def test_enough_flags_hold_an_approved_comment(client, db, comment):
    set_rules(flags_to_hold=2)
    assert flag_comment(comment, "ip:192.0.2.1")
    db.session.refresh(comment)
    assert comment.status == CommentStatus.APPROVED
    assert flag_comment(comment, "ip:192.0.2.2")
    assert not flag_comment(comment, "ip:192.0.2.2")
    db.session.refresh(comment)
    assert comment.status == CommentStatus.PENDING and comment.flag_count == 2
    assert codes(comment) == ["flagged"]
    event = db.session.scalars(db.select(ModerationEvent).filter_by(action="flag")).one()
    assert event.actor_id is None and event.from_status == CommentStatus.APPROVED
    db.session.refresh(comment.post)
    assert comment.post.comment_count == 0
    assert "Rude words." not in client.get(comment.post.url_path).get_data(True)


def test_held_comment_cannot_be_flagged(client, db, app):
    held = make_comment(make_post(), status=CommentStatus.PENDING)
    assert client.post(f"/comments/{held.id}/flag").status_code == 404
    assert client.post("/comments/999999/flag").status_code == 404


def test_flag_needs_csrf(client, comment):
    assert client.post(f"/comments/{comment.id}/flag", csrf=False).status_code == 400


def test_flag_button_on_each_comment(client, comment):
    html = client.get(comment.post.url_path).get_data(as_text=True)
    assert f'action="/comments/{comment.id}/flag"' in html


@pytest.mark.parametrize("config_overrides", [{"COMMENT_RATE_LIMIT": "2 per minute"}])
def test_flags_are_rate_limited_apart_from_comments(client, db, app):
    post = make_post()
    comments = [make_comment(post, body=f"Comment {n}") for n in range(3)]
    statuses = [client.post(f"/comments/{c.id}/flag").status_code for c in comments]
    assert statuses == [303, 303, 429]
    assert post_form(client, post, body="Still free to comment.").status_code == 303
