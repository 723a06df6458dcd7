"""The comments API: GET and POST /api/posts/<slug>/comments."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.api.comments import PER_PAGE
from blog.comments.serialise import DELETED_HTML
from blog.models import Comment, CommentStatus, PostStatus, Role, utcnow

from .factories import make_comment, make_post, make_user
from .test_comment_support import set_rules

GUEST = {"name": "Ann Guest", "email": "ann@example.com"}


@pytest.fixture
def post(app):
    return make_post(slug="hello")


def url(post) -> str:
    return f"/api/posts/{post.slug}/comments"


def test_list_approved_comments(client, post):
    top = make_comment(post, body="Top", author_website="https://a.example.com")
    reply = make_comment(post, body="Reply", parent=top)
    make_comment(post, body="Held", status=CommentStatus.PENDING)
    make_comment(post, body="Spam", status=CommentStatus.SPAM)
    body = client.get(url(post)).get_json()
    assert body["next"] is None
    assert [c["id"] for c in body["items"]] == [top.id, reply.id]
    first = body["items"][0]
    assert first["post_id"] == post.id and first["parent_id"] is None
    assert first["status"] == "approved" and first["html"] == "<p>Top</p>"
    assert first["author"]["name"] == "A Guest"
    assert first["author"]["website"] == "https://a.example.com"
    assert first["author"]["avatar_url"]
    assert first["created_at"].endswith("+00:00")
    assert "reasons" not in first and "email" not in str(first["author"])
    assert body["items"][1]["parent_id"] == top.id


def test_list_pages(client, db, post):
    rows = [
        {
            "post_id": post.id,
            "author_name": "Bulk",
            "body": f"Number {n}",
            "body_html": f"<p>Number {n}</p>",
            "status": CommentStatus.APPROVED,
        }
        for n in range(PER_PAGE + 1)
    ]
    db.session.execute(sa.insert(Comment), rows)
    db.session.commit()
    body = client.get(url(post)).get_json()
    assert len(body["items"]) == PER_PAGE
    assert body["next"].endswith(f"{url(post)}?page=2")
    second = client.get(body["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert client.get(url(post) + "?page=zero").status_code == 400


def test_unknown_or_draft_post_is_404(client, app):
    assert client.get("/api/posts/nope/comments").status_code == 404
    draft = make_post(status=PostStatus.DRAFT)
    assert client.get(url(draft)).status_code == 404
    assert client.post(url(draft), json={"body": "x", **GUEST}).status_code == 404


def test_a_bad_page_of_an_unknown_post_is_404_and_past_the_end_is_empty(client, post):
    assert client.get("/api/posts/nope/comments?page=zero").status_code == 404
    make_comment(post)
    body = client.get(url(post) + "?page=2").get_json()
    assert body == {"items": [], "next": None}


def test_a_scheduled_post_lists_comments_once_its_time_has_come(client):
    due = make_post(status=PostStatus.SCHEDULED, published_at=utcnow() - timedelta(minutes=1))
    make_comment(due, body="Hi")
    assert [c["html"] for c in client.get(url(due)).get_json()["items"]] == ["<p>Hi</p>"]
    later = make_post(status=PostStatus.SCHEDULED, published_at=utcnow() + timedelta(hours=1))
    make_comment(later)
    assert client.get(url(later)).status_code == 404


def test_a_deleted_comment_is_listed_as_a_placeholder(client, db, post):
    gone = make_comment(post, body="Secret", author_website="https://a.example.com")
    gone.status = CommentStatus.DELETED
    db.session.commit()
    (item,) = client.get(url(post)).get_json()["items"]
    assert item["status"] == "deleted" and item["html"] == DELETED_HTML
    assert item["author"]["name"] == "" and item["author"]["website"] is None
    assert item["author"]["avatar_url"]


def test_reasons_are_listed_for_moderators_and_the_comments_author(client, login_as, post):
    author = make_user()
    reasons = [{"code": "first_time", "message": "A first comment."}]
    held = make_comment(post, user=author, status=CommentStatus.PENDING, reasons=reasons)
    other = make_comment(post, body="Fine")

    def listed(user=None):
        if user is not None:
            login_as(user)
        return {c["id"]: c for c in client.get(url(post)).get_json()["items"]}

    assert all("reasons" not in c for c in listed().values())
    mine = listed(author)
    assert mine[held.id]["reasons"] == reasons and "reasons" not in mine[other.id]
    assert all("reasons" in c for c in listed(make_user(role=Role.MODERATOR)).values())
    assert held.id not in listed(make_user())


def count_queries(app, client, path: str) -> tuple[int, int]:
    """(status, SQL statements run) for a GET of ``path``."""
    engine = app.extensions["sqlalchemy"].engine
    seen = []
    here = threading.get_ident()  # the test client runs the app in this thread

    def count(*_args, **_kwargs):
        if threading.get_ident() == here:
            seen.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.get(path).status_code
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return status, len(seen)


def test_a_page_costs_one_query_whatever_the_number_of_comments(app, client, db, login_as):
    small, large = make_post(), make_post()
    make_comment(small)
    rows = [
        {
            "post_id": large.id,
            "author_name": f"Guest {n}",
            "author_email": f"g{n}@example.com",
            "body": "Bulk",
            "body_html": "<p>Bulk</p>",
            "status": CommentStatus.APPROVED,
        }
        for n in range(2 * PER_PAGE + 50)
    ]
    db.session.execute(sa.insert(Comment), rows)
    db.session.commit()
    # The post's check rides in the page's query; the guests' pictures need none.
    assert count_queries(app, client, url(small)) == (200, 1)
    for page in (1, 2, 3):
        assert count_queries(app, client, f"{url(large)}?page={page}") == (200, 1)
    # An empty page asks once more: no post at all, or only no comments there?
    assert count_queries(app, client, f"{url(large)}?page=4") == (200, 2)
    assert count_queries(app, client, "/api/posts/nope/comments") == (404, 2)
    # A logged-in reader costs loading their account too, whatever the discussion.
    login_as(make_user())
    assert count_queries(app, client, url(small)) == count_queries(app, client, url(large))


def test_guest_posts_and_sees_own_held_comment_with_reasons(app, client, db, post):
    response = client.post(url(post), json={"body": "Hello *API*", **GUEST, "notify": False})
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "pending"
    assert [r["code"] for r in data["reasons"]] == ["first_time"]
    assert data["html"] == "<p>Hello <em>API</em></p>"
    assert response.headers["Location"] == f"/c/{data['id']}"
    assert "blog_guest=" in response.headers["Set-Cookie"]

    mine = client.get(url(post)).get_json()["items"]
    assert [(c["id"], c["status"]) for c in mine] == [(data["id"], "pending")]
    assert mine[0]["reasons"][0]["code"] == "first_time"
    assert app.test_client().get(url(post)).get_json()["items"] == []


def test_user_posts_approved_comment_and_reply(client, db, login_as, post):
    set_rules(policy="none")
    user = login_as(make_user(display_name="Api User"))
    first = client.post(url(post), json={"body": "First"})
    assert first.status_code == 201 and first.get_json()["status"] == "approved"
    assert first.get_json()["reasons"] == []
    assert first.get_json()["author"]["name"] == "Api User"
    reply = client.post(url(post), json={"body": "Reply", "parent_id": first.get_json()["id"]})
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == first.get_json()["id"]
    comment = db.session.get(Comment, reply.get_json()["id"])
    assert comment.user_id == user.id


def test_validation_errors_are_400_with_fields(client, db, post):
    response = client.post(
        url(post), json={"body": "", "name": "", "email": "bad", "website": "ftp://x"}
    )
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"]
    assert set(data["fields"]) == {"body", "name", "email", "website"}
    assert client.post(url(post), json={"body": 5, **GUEST}).get_json()["fields"]["body"]
    assert (
        client.post(url(post), json={"body": "x", "parent_id": "abc", **GUEST}).status_code == 400
    )
    assert db.session.query(Comment).count() == 0


def test_duplicate_is_400(client, post):
    assert client.post(url(post), json={"body": "Twice", **GUEST}).status_code == 201
    again = client.post(url(post), json={"body": "Twice", **GUEST})
    assert again.status_code == 400 and again.get_json()["error"] == "You already said that."


def test_non_json_is_415_and_bad_json_400(client, post):
    assert client.post(url(post), data={"body": "form"}).status_code == 415
    bad = client.post(url(post), data="{nope", content_type="application/json")
    assert bad.status_code == 400
    assert client.post(url(post), json=["a list"]).status_code == 400


def test_missing_csrf_is_refused(client, db, post):
    response = client.post(url(post), json={"body": "x", **GUEST}, csrf=False)
    assert response.status_code == 400 and "error" in response.get_json()
    assert db.session.query(Comment).count() == 0


def test_closed_banned_and_guests_not_allowed_are_403(client, db, login_as, post):
    post.comments_enabled = False
    db.session.commit()
    assert client.post(url(post), json={"body": "x", **GUEST}).status_code == 403
    post.comments_enabled = True
    db.session.commit()
    set_rules(guests_allowed=False)
    response = client.post(url(post), json={"body": "x", **GUEST})
    assert response.status_code == 403 and response.get_json()["error"]
    login_as(make_user(banned=True))
    assert client.post(url(post), json={"body": "x"}).status_code == 403


def test_parent_on_another_post_is_404(client, post):
    elsewhere = make_comment(make_post())
    response = client.post(url(post), json={"body": "x", "parent_id": elsewhere.id, **GUEST})
    assert response.status_code == 404
    held = make_comment(post, status=CommentStatus.PENDING)
    assert (
        client.post(url(post), json={"body": "y", "parent_id": held.id, **GUEST}).status_code == 404
    )


def test_no_form_stamp_needed_and_no_too_fast(client, db, post):
    set_rules(policy="none")
    response = client.post(url(post), json={"body": "Quick", **GUEST})
    assert response.get_json()["status"] == "approved"


@pytest.mark.parametrize("config_overrides", [{"COMMENT_RATE_LIMIT": "1 per minute"}])
def test_rate_limited_is_429_json(client, post):
    assert client.post(url(post), json={"body": "One", **GUEST}).status_code == 201
    response = client.post(url(post), json={"body": "Two", **GUEST})
    assert response.status_code == 429
    assert "error" in response.get_json()
    assert "Retry-After" in response.headers
