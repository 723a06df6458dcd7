"""The posts API: read by anyone, written by authors, with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Post, PostStatus, Role, utcnow
from tests.factories import make_comment, make_post, make_user


def test_list_shows_visible_posts_newest_first_with_paging(app, client):
    for n in range(23):
        make_post(title=f"Post {n}", published_at=utcnow() - timedelta(hours=40 - n))
    make_post(title="Draft", status=PostStatus.DRAFT)
    make_post(title="Later", status=PostStatus.SCHEDULED, published_at=utcnow() + timedelta(1))
    first = client.get("/api/posts").get_json()
    assert [p["title"] for p in first["items"][:2]] == ["Post 22", "Post 21"]
    assert len(first["items"]) == 20
    assert first["next"] == "/api/posts?page=2"
    second = client.get(first["next"]).get_json()
    assert [p["title"] for p in second["items"]] == ["Post 2", "Post 1", "Post 0"]
    assert second["next"] is None
    assert client.get("/api/posts?page=0").status_code == 400
    assert client.get("/api/posts?page=x").get_json()["error"]


def test_post_object_has_the_contract_fields(client):
    author = make_user(Role.AUTHOR, display_name="Ann")
    post = make_post(
        title="Shape",
        body="Hello *you*",
        author=author,
        tags=["Alpha", "Beta"],
        published_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
    )
    make_comment(post)
    data = client.get("/api/posts/" + post.slug).get_json()
    assert data["id"] == post.id and data["slug"] == post.slug and data["title"] == "Shape"
    assert data["url"] == f"/2024/02/03/{post.slug}/"
    assert data["status"] == "published"
    assert data["html"] == "<p>Hello <em>you</em></p>"
    assert data["tags"] == ["Alpha", "Beta"]
    assert data["published_at"] == "2024-02-03T04:05:06+00:00"
    assert data["author"] == {"name": "Ann"}
    assert data["comment_count"] == 1
    assert datetime.fromisoformat(data["updated_at"])
    assert "excerpt" in data


def test_unknown_and_hidden_posts_are_404_to_readers(client, login_as):
    draft = make_post(slug="hidden", status=PostStatus.DRAFT, author=make_user(Role.AUTHOR))
    assert client.get("/api/posts/nope").status_code == 404
    assert client.get("/api/posts/hidden").get_json() == {"error": "No such post."}
    login_as(draft.author)
    assert client.get("/api/posts/hidden").get_json()["status"] == "draft"


def test_author_creates_reads_updates_and_deletes_a_post(client, login_as):
    login_as(make_user(Role.AUTHOR, display_name="Ann"))
    response = client.post(
        "/api/posts", json={"title": "From the API", "body": "Made by **JSON**.", "tags": ["Api"]}
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "draft" and created["published_at"] is None
    assert created["slug"] == "from-the-api" and created["tags"] == ["Api"]
    assert created["html"] == "<p>Made by <strong>JSON</strong>.</p>"
    assert response.headers["Location"] == "/api/posts/from-the-api"

    mine = client.get("/api/posts?status=draft").get_json()
    assert [p["slug"] for p in mine["items"]] == ["from-the-api"]
    assert client.get("/api/posts").get_json()["items"] == []

    response = client.patch("/api/posts/from-the-api", json={"status": "published"})
    assert response.status_code == 200
    published = response.get_json()
    assert published["status"] == "published" and published["published_at"]
    assert published["title"] == "From the API" and published["tags"] == ["Api"]  # unchanged
    assert [p["slug"] for p in client.get("/api/posts").get_json()["items"]] == ["from-the-api"]

    response = client.patch(
        "/api/posts/from-the-api", json={"title": "Renamed", "tags": "one, two", "body": "New."}
    )
    changed = response.get_json()
    assert changed["title"] == "Renamed" and changed["tags"] == ["one", "two"]
    assert changed["slug"] == "from-the-api" and changed["html"] == "<p>New.</p>"

    assert client.delete("/api/posts/from-the-api").status_code == 204
    assert client.get("/api/posts/from-the-api").status_code == 404


def test_scheduling_through_the_api(client, login_as, db):
    login_as(make_user(Role.AUTHOR))
    when = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = client.post(
        "/api/posts",
        json={
            "title": "Tomorrow",
            "body": "",
            "status": "scheduled",
            "published_at": when.isoformat(),
        },
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "scheduled"
    assert response.get_json()["published_at"] == when.isoformat()
    naive = client.post(
        "/api/posts",
        json={
            "title": "Naive",
            "body": "",
            "status": "scheduled",
            "published_at": "2099-01-02T03:04:05",
        },
    )
    assert naive.get_json()["published_at"] == "2099-01-02T03:04:05+00:00"
    zulu = client.post(
        "/api/posts",
        json={
            "title": "Zulu",
            "body": "",
            "status": "scheduled",
            "published_at": "2099-01-02T03:04:05Z",
        },
    )
    assert zulu.status_code == 201
    listed = client.get("/api/posts?status=scheduled").get_json()["items"]
    assert {p["title"] for p in listed} == {"Tomorrow", "Naive", "Zulu"}

    post = db.session.scalar(sa.select(Post).where(Post.slug == "tomorrow"))
    post.published_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/posts/tomorrow").get_json()["status"] == "published"
    assert client.get("/api/posts?status=published").get_json()["items"][0]["slug"] == "tomorrow"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "title"),
        ({"title": "ok"}, "body"),
        ({"title": "   ", "body": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "ok", "status": "live"}, "status"),
        ({"title": "ok", "published_at": "next tuesday"}, "published_at"),
        ({"title": "ok", "published_at": 12}, "published_at"),
        ({"title": "ok", "status": "scheduled"}, "published_at"),
        (
            {"title": "ok", "status": "scheduled", "published_at": "2001-01-01T00:00:00Z"},
            "published_at",
        ),
        ({"title": "ok", "tags": [1, 2]}, "tags"),
        ({"title": "ok", "tags": {"a": 1}}, "tags"),
        ({"title": "ok", "body": ["x"]}, "body"),
        ({"title": "ok", "comments_enabled": "yes"}, "comments_enabled"),
        ({"title": "ok", "slug": "???"}, "slug"),
    ],
)
def test_bad_input_is_400_with_the_field_named(client, login_as, payload, field):
    login_as(make_user(Role.AUTHOR))
    if field != "body":
        payload = {"body": "", **payload}
    response = client.post("/api/posts", json=payload)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] and field in data["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_wrong_content_type_and_broken_json(client, login_as):
    login_as(make_user(Role.AUTHOR))
    response = client.post("/api/posts", data="title=x", content_type="text/plain")
    assert response.status_code == 415 and response.get_json()["error"]
    response = client.post("/api/posts", data="{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post("/api/posts", json=["a list"])
    assert response.status_code == 400


def test_who_may_write(client, login_as):
    owner = make_user(Role.AUTHOR)
    make_post(slug="owned", author=owner)
    make_post(slug="owned-draft", author=owner, status=PostStatus.DRAFT)

    assert client.post("/api/posts", json={"title": "x", "body": ""}).status_code == 401
    assert client.patch("/api/posts/owned", json={"title": "x", "body": ""}).status_code == 401
    assert client.get("/api/posts?status=draft").status_code == 401

    login_as(make_user(Role.READER))
    assert client.post("/api/posts", json={"title": "x", "body": ""}).status_code == 403
    assert client.patch("/api/posts/owned", json={"title": "x"}).status_code == 403
    assert client.get("/api/posts?status=draft").status_code == 403

    login_as(make_user(Role.AUTHOR))
    assert client.patch("/api/posts/owned", json={"title": "x"}).status_code == 403
    assert client.patch("/api/posts/owned-draft", json={"title": "x"}).status_code == 403
    assert client.delete("/api/posts/owned").status_code == 403
    assert client.patch("/api/posts/missing", json={"title": "x"}).status_code == 404
    assert client.get("/api/posts?status=draft").get_json()["items"] == []
    assert client.get("/api/posts?status=nonsense").status_code == 400

    login_as(make_user(Role.ADMIN))
    response = client.patch("/api/posts/owned", json={"title": "Admin was here"})
    assert response.status_code == 200 and response.get_json()["title"] == "Admin was here"
    drafts = client.get("/api/posts?status=draft").get_json()["items"]
    assert [p["slug"] for p in drafts] == ["owned-draft"]


def test_writes_need_the_csrf_token(client, login_as):
    login_as(make_user(Role.AUTHOR))
    response = client.post("/api/posts", json={"title": "x", "body": ""}, csrf=False)
    assert response.status_code == 400 and "error" in response.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
