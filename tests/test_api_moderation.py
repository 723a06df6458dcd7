"""The moderation API: queue, moderate, bulk, settings and log, moderators only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.comments.pipeline import RequestInfo, submit_comment
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, Post, Role, User
from blog.moderation import services
from tests.factories import make_comment, make_post, make_user


def held(post: Post, **kw) -> Comment:
    reasons = [services.reason("hold_word", 'The hold word "tea" is in the text.')]
    return make_comment(post, status=CommentStatus.PENDING, reasons=reasons, **kw)


def status_of(comment_id: int) -> CommentStatus:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).status


@pytest.fixture
def mod(app, login_as) -> User:
    return login_as(make_user(Role.MODERATOR, display_name="Mo"))


@pytest.fixture
def post(app) -> Post:
    return make_post(title="Tea")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/moderation/queue"),
        ("post", "/api/comments/1/moderate"),
        ("post", "/api/moderation/bulk"),
        ("get", "/api/moderation/settings"),
        ("put", "/api/moderation/settings"),
        ("get", "/api/moderation/log"),
    ],
)
def test_moderators_only(app, client, login_as, method, url):
    response = getattr(client, method)(url, json={})
    assert response.status_code == 401 and "error" in response.get_json()
    login_as(make_user(Role.AUTHOR))
    response = getattr(client, method)(url, json={})
    assert response.status_code == 403 and "error" in response.get_json()


def test_queue_items_carry_reasons_ip_email_and_history(client, mod, post):
    reader = make_user(email="reader@example.com")
    make_comment(post, user=reader)
    comment = held(post, user=reader, ip="198.51.100.4", user_agent="Agent/2")
    make_comment(post)  # approved: not in the pending queue
    body = client.get("/api/moderation/queue?status=pending").get_json()
    assert body["next"] is None
    [item] = body["items"]
    assert item["id"] == comment.id and item["status"] == "pending"
    assert item["reasons"] == [{"code": "hold_word", "text": 'The hold word "tea" is in the text.'}]
    assert item["ip"] == "198.51.100.4" and item["user_agent"] == "Agent/2"
    assert item["author_email"] == "reader@example.com"
    assert item["author"]["email"] == "reader@example.com"
    assert item["author"]["name"] == reader.display_name
    assert item["post"] == {"id": post.id, "title": "Tea", "url": post.url_path}
    assert item["author_history"] == {"approved": 1}
    assert {"post_id", "parent_id", "html", "created_at"} <= set(item)
    # pending is the default queue
    assert client.get("/api/moderation/queue").get_json()["items"][0]["id"] == comment.id


@pytest.mark.parametrize("status", ["flagged", "spam", "rejected", "approved"])
def test_every_queue_is_served(client, mod, post, status):
    target = {
        "flagged": dict(flag_count=2),
        "spam": dict(status=CommentStatus.SPAM),
        "rejected": dict(status=CommentStatus.REJECTED),
        "approved": {},
    }[status]
    comment = make_comment(post, **target)
    held(post)
    items = client.get(f"/api/moderation/queue?status={status}").get_json()["items"]
    assert [i["id"] for i in items] == [comment.id]


def test_queue_pages_and_bad_input(client, mod, post):
    for n in range(51):
        held(post, body=f"c{n}")
    first = client.get("/api/moderation/queue").get_json()
    assert len(first["items"]) == 50 and "page=2" in first["next"]
    second = client.get(first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert client.get("/api/moderation/queue?status=nope").status_code == 400
    assert client.get("/api/moderation/queue?page=0").status_code == 400


@pytest.mark.parametrize(
    ("start", "action", "after"),
    [
        (CommentStatus.PENDING, "approve", CommentStatus.APPROVED),
        (CommentStatus.PENDING, "reject", CommentStatus.REJECTED),
        (CommentStatus.PENDING, "spam", CommentStatus.SPAM),
        (CommentStatus.SPAM, "restore", CommentStatus.PENDING),
        (CommentStatus.REJECTED, "restore", CommentStatus.PENDING),
    ],
)
def test_moderate_each_action(client, mod, post, start, action, after):
    comment = make_comment(post, status=start)
    response = client.post(f"/api/comments/{comment.id}/moderate", json={"action": action})
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == comment.id and body["status"] == after.value
    assert "reasons" in body
    event = db.session.scalar(
        sa.select(ModerationEvent).where(ModerationEvent.comment_id == comment.id)
    )
    assert (event.action, event.actor_id, event.to_status) == (action, mod.id, after)


def test_moderate_edit(client, mod, post):
    comment = held(post, body="before")
    response = client.post(
        f"/api/comments/{comment.id}/moderate",
        json={"action": "edit", "body": "after <b>bold</b> <img src=x onerror=alert(1)>"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["html"] == "<p>after <b>bold</b> </p>"
    assert body["status"] == "pending" and body["body"].startswith("after")
    rename = client.post(
        f"/api/comments/{comment.id}/moderate", json={"action": "edit", "author_name": "New"}
    )
    assert rename.get_json()["author"]["name"] == "New"
    bad = client.post(f"/api/comments/{comment.id}/moderate", json={"action": "edit", "body": ""})
    assert bad.status_code == 400 and bad.get_json()["fields"] == {"body": "Write some text."}
    nothing = client.post(f"/api/comments/{comment.id}/moderate", json={"action": "edit"})
    assert nothing.status_code == 400
    typed = client.post(f"/api/comments/{comment.id}/moderate", json={"action": "edit", "body": 5})
    assert typed.status_code == 400


def test_moderate_errors(client, mod, post):
    comment = make_comment(post)
    unknown = client.post("/api/comments/999999/moderate", json={"action": "approve"})
    assert unknown.status_code == 404 and "error" in unknown.get_json()
    huge = client.post(f"/api/comments/{10**20}/moderate", json={"action": "approve"})
    assert huge.status_code == 404
    bad = client.post(f"/api/comments/{comment.id}/moderate", json={"action": "obliterate"})
    assert bad.status_code == 400 and "approve" in bad.get_json()["error"]
    missing = client.post(f"/api/comments/{comment.id}/moderate", json={})
    assert missing.status_code == 400
    already = client.post(f"/api/comments/{comment.id}/moderate", json={"action": "approve"})
    assert already.status_code == 400 and "cannot be approved" in already.get_json()["error"]
    not_json = client.post(f"/api/comments/{comment.id}/moderate", data="action=approve")
    assert not_json.status_code == 415
    no_csrf = client.post(
        f"/api/comments/{comment.id}/moderate", json={"action": "reject"}, csrf=False
    )
    assert no_csrf.status_code == 400
    assert status_of(comment.id) == CommentStatus.APPROVED


def test_bulk(client, mod, post):
    a, b = held(post), held(post)
    approved = make_comment(post)
    response = client.post(
        "/api/moderation/bulk",
        json={"ids": [a.id, b.id, approved.id, 424242, 10**20], "action": "approve"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["updated"] == 2
    assert sorted(i["id"] for i in body["items"]) == sorted([a.id, b.id])
    assert body["skipped"] == [approved.id] and body["missing"] == [424242, 10**20]
    assert db.session.get(Post, post.id).comment_count == 3
    for payload in (
        {"ids": [a.id], "action": "edit"},
        {"ids": [], "action": "approve"},
        {"ids": ["1"], "action": "approve"},
        {"ids": [True], "action": "approve"},
        {"action": "approve"},
    ):
        response = client.post("/api/moderation/bulk", json=payload)
        assert response.status_code == 400, payload
        assert "error" in response.get_json()


def test_settings_get_and_partial_put(client, mod):
    defaults = client.get("/api/moderation/settings").get_json()
    assert defaults["policy"] == "first_time" and defaults["max_links"] == 2
    assert defaults["hold_words"] == [] and defaults["thread_depth"] == 5
    assert defaults["comments_per_page"] == 50 and defaults["edit_window_minutes"] == 15
    assert defaults["guests_allowed"] is True and defaults["close_after_days"] == 0
    response = client.put(
        "/api/moderation/settings", json={"max_links": 5, "hold_words": ["casino", " pills "]}
    )
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["max_links"] == 5 and changed["hold_words"] == ["casino", "pills"]
    assert {k: v for k, v in changed.items() if k not in ("max_links", "hold_words")} == {
        k: v for k, v in defaults.items() if k not in ("max_links", "hold_words")
    }
    again = client.put("/api/moderation/settings", json={"policy": "all"}).get_json()
    assert again["policy"] == "all" and again["max_links"] == 5
    assert client.get("/api/moderation/settings").get_json() == again


def test_settings_validation(client, mod):
    response = client.put(
        "/api/moderation/settings",
        json={"policy": "sometimes", "max_links": -1, "block_words": "casino", "colour": "red"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert set(body["fields"]) == {"policy", "max_links", "block_words", "colour"}
    assert "error" in body
    assert client.get("/api/moderation/settings").get_json()["policy"] == "first_time"
    assert client.put("/api/moderation/settings", json=[1]).status_code == 400


def test_log_shape_and_order(client, mod, post):
    result = submit_comment(
        post, {"body": "Hi there", "name": "Gus", "email": "gus@example.com"}, None, RequestInfo()
    )
    comment_id = result.comment.id
    client.post(f"/api/comments/{comment_id}/moderate", json={"action": "approve"})
    items = client.get("/api/moderation/log").get_json()["items"]
    approve, submit = items
    assert approve["action"] == "approve" and submit["action"] == "submit"
    assert approve["actor"] == {"id": mod.id, "display_name": "Mo"}
    assert submit["actor"] is None
    assert (submit["from_status"], submit["to_status"]) == (None, "pending")
    assert (approve["from_status"], approve["to_status"]) == ("pending", "approved")
    assert approve["comment_id"] == submit["comment_id"] == comment_id
    assert submit["reasons"] and {"code", "text"} <= set(submit["reasons"][0])
    assert {"id", "at", "actor", "action", "comment_id", "from_status", "to_status", "reasons"} <= (
        set(approve)
    )
    assert approve["id"] > submit["id"]
