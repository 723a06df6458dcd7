"""The commenter's own comment: edit and delete within the edit window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blog.models import Comment, CommentStatus, ModerationEvent, utcnow

from .factories import make_comment, make_post, make_user
from .test_comment_support import codes, post_form, set_rules


@pytest.fixture
def post(app):
    set_rules(policy="none")
    return make_post()


def guest_comment(client, db, post, body="Original words.") -> Comment:
    assert post_form(client, post, body=body).status_code == 303
    return db.session.scalars(db.select(Comment).filter_by(body=body)).one()


def test_guest_edits_own_comment_by_cookie(client, db, post):
    comment = guest_comment(client, db, post)
    page = client.get(post.url_path).get_data(as_text=True)
    assert f'href="/comments/{comment.id}/edit"' in page
    form = client.get(f"/comments/{comment.id}/edit")
    assert form.status_code == 200 and "Original words." in form.get_data(True)
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Better *words*."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#comment-{comment.id}")
    db.session.refresh(comment)
    assert (
        comment.body == "Better *words*." and comment.body_html == "<p>Better <em>words</em>.</p>"
    )
    assert comment.edited_at is not None
    assert "(edited)" in client.get(post.url_path).get_data(True)


def test_others_cannot_edit_or_delete(app, client, db, post):
    comment = guest_comment(client, db, post)
    stranger = app.test_client()
    assert stranger.get(f"/comments/{comment.id}/edit").status_code == 403
    assert f"/comments/{comment.id}/edit" not in stranger.get(post.url_path).get_data(True)
    user_comment = make_comment(post, user=make_user())
    assert client.get(f"/comments/{user_comment.id}/edit").status_code == 403


def test_user_edits_by_account(client, db, login_as, post):
    user = login_as(make_user())
    comment = make_comment(post, user=user, created_at=utcnow())
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Changed."})
    assert response.status_code == 303
    db.session.refresh(comment)
    assert comment.body == "Changed."


def test_edit_window_closes(client, db, post):
    comment = guest_comment(client, db, post)
    comment.created_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Too late."})
    assert response.status_code == 403
    assert "has passed" in response.get_data(as_text=True)
    assert client.post(f"/comments/{comment.id}/delete").status_code == 403
    assert f"/comments/{comment.id}/edit" not in client.get(post.url_path).get_data(True)


def test_edit_window_setting(client, db, post):
    comment = guest_comment(client, db, post)
    set_rules(edit_window_minutes=0)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403


def test_empty_edit_is_a_field_error(client, db, post):
    comment = guest_comment(client, db, post)
    response = client.post(f"/comments/{comment.id}/edit", data={"body": " "})
    assert response.status_code == 400
    assert "Write a comment." in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.body == "Original words."


def test_edit_with_a_hold_word_goes_back_to_pending(client, db, post):
    comment = guest_comment(client, db, post)
    assert comment.status == CommentStatus.APPROVED
    set_rules(hold_words=["lottery"])
    client.post(f"/comments/{comment.id}/edit", data={"body": "Win the lottery"})
    db.session.refresh(comment)
    assert comment.status == CommentStatus.PENDING
    assert codes(comment) == ["edited", "hold_word"]
    event = db.session.scalars(
        db.select(ModerationEvent).filter_by(comment_id=comment.id, action="edit")
    ).one()
    assert event.from_status == CommentStatus.APPROVED and event.to_status == CommentStatus.PENDING
    db.session.refresh(post)
    assert post.comment_count == 0
    # Still shown to its author, marked as held.
    assert "Your comment is awaiting moderation" in client.get(post.url_path).get_data(True)


def test_edit_with_too_many_links_or_a_block_word(client, db, post):
    comment = guest_comment(client, db, post)
    set_rules(max_links=0)
    client.post(f"/comments/{comment.id}/edit", data={"body": "see https://x.example.com"})
    db.session.refresh(comment)
    assert comment.status == CommentStatus.PENDING and "too_many_links" in codes(comment)
    set_rules(block_words=["viagra"])
    client.post(f"/comments/{comment.id}/edit", data={"body": "viagra"})
    db.session.refresh(comment)
    assert comment.status == CommentStatus.SPAM


def test_delete_without_replies_removes_it(client, db, post):
    comment = guest_comment(client, db, post)
    comment_id = comment.id
    response = client.post(f"/comments/{comment_id}/delete")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None
    assert db.session.get(type(post), post.id).comment_count == 0
    events = db.session.scalars(db.select(ModerationEvent).order_by(ModerationEvent.id)).all()
    assert [e.action for e in events] == ["submit", "delete"]
    assert all(e.comment_id is None for e in events)
    assert "Your comment was deleted." in client.get(post.url_path).get_data(True)


def test_delete_with_replies_leaves_a_placeholder(client, db, post):
    comment = guest_comment(client, db, post, body="Secret words.")
    reply = make_comment(post, parent=comment, body="A reply.")
    client.post(f"/comments/{comment.id}/delete")
    db.session.expire_all()
    kept = db.session.get(Comment, comment.id)
    assert kept.status == CommentStatus.DELETED and kept.body == "" and kept.body_html == ""
    html = client.get(post.url_path).get_data(as_text=True)
    assert "This comment was deleted." in html and "Secret words." not in html
    assert f'id="comment-{reply.id}"' in html


def test_held_comment_can_be_deleted_by_its_author(client, db, post):
    set_rules(policy="all")
    comment = guest_comment(client, db, post)
    assert comment.status == CommentStatus.PENDING
    assert client.post(f"/comments/{comment.id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(Comment, comment.id) is None
