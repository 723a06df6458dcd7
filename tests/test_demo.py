"""``blog demo`` on a fresh, empty database, and the site it leaves behind."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent, Post, PostStatus, Role, User
from tests.conftest import _make_postgres_database


@pytest.fixture
def fresh_app(tmp_path):
    """An app on a database with no tables at all, as on a first run."""
    base = os.environ.get("BLOG_TEST_DATABASE_URL")
    admin = name = None
    if base:
        url, admin, name = _make_postgres_database(base)
    else:
        url = "sqlite:///" + str(tmp_path / "demo.sqlite3")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "demo-test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "REDIS_URL": None,
            "MAIL_URL": None,
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_demo_builds_a_ready_site(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com" in result.output
    password = re.search(r"^\s+password\s+(\S+)$", result.output, re.M).group(1)
    assert "blog run" in result.output

    with fresh_app.app_context():
        users = {u.role: u for u in db.session.scalars(sa.select(User))}
        assert set(users) == set(Role)
        assert all(u.check_password(password) for u in users.values())
        posts = list(db.session.scalars(sa.select(Post)))
        states = Counter(p.effective_status for p in posts)
        assert states[PostStatus.PUBLISHED] >= 5
        assert states[PostStatus.SCHEDULED] == 1 and states[PostStatus.DRAFT] == 1
        assert all(p.tags for p in posts)
        comments = list(db.session.scalars(sa.select(Comment)))
        kinds = Counter(c.status for c in comments)
        assert kinds[CommentStatus.APPROVED] >= 3
        for status in (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.REJECTED):
            assert kinds[status] >= 1, status
        assert any(c.parent_id and c.status == CommentStatus.APPROVED for c in comments)
        assert all(c.body_html for c in comments)
        # Every state was reached through the moderation log.
        events = db.session.scalar(sa.select(sa.func.count()).select_from(ModerationEvent))
        assert events >= len(comments)
        rejected = db.session.scalar(
            sa.select(ModerationEvent).where(ModerationEvent.to_status == CommentStatus.REJECTED)
        )
        assert rejected.actor.role == Role.MODERATOR
        welcome = next(p for p in posts if p.title == "Welcome to the demo blog")
        assert welcome.comment_count == kinds_on(comments, welcome.id)
        welcome_path = welcome.url_path

    client = fresh_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Welcome to the demo blog" in home and "Writing posts in Markdown" in home
    assert "Ideas for future posts" not in home and "Coming soon" not in home
    page = client.get(welcome_path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thanks for the tour!" in html  # an approved comment
    assert "My very first comment here" not in html  # held: only its writer sees it
    assert client.get("/tag/markdown/").status_code == 200
    assert "Markdown" in client.get("/search?q=markdown").get_data(as_text=True)
    assert client.get("/feed.atom").status_code == 200

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already has posts" in again.output
    with fresh_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == len(posts)


def kinds_on(comments: list[Comment], post_id: int) -> int:
    return sum(1 for c in comments if c.post_id == post_id and c.status == CommentStatus.APPROVED)


def test_demo_takes_a_chosen_password(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["demo", "--password", "my demo secret"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        assert admin.role == Role.ADMIN and admin.check_password("my demo secret")
