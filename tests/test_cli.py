"""The ``blog`` console script's own commands: ``user create`` and ``rerender``."""

from __future__ import annotations

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Role, User
from tests.factories import make_post, make_user


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_user_create_makes_a_verified_user_with_a_role(runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "  New.Person@Example.COM ",
            "--role",
            "author",
            "--password",
            "long enough secret",
            "--name",
            "New Person",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "User new.person@example.com created with role author." in result.output
    user = user_by_email("new.person@example.com")
    assert user.role == Role.AUTHOR and user.email_verified
    assert user.display_name == "New Person"
    assert user.check_password("long enough secret")


def test_user_create_defaults_to_reader_and_the_email_name(runner):
    result = runner.invoke(args=["user", "create", "plain@example.com", "--password", "12345678"])
    assert result.exit_code == 0, result.output
    user = user_by_email("plain@example.com")
    assert user.role == Role.READER and user.display_name == "plain"


def test_user_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["user", "create", "asked@example.com"], input="typed secret\ntyped secret\n"
    )
    assert result.exit_code == 0, result.output
    assert user_by_email("asked@example.com").check_password("typed secret")


def test_user_create_refuses_short_passwords(runner):
    result = runner.invoke(args=["user", "create", "short@example.com", "--password", "1234"])
    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
    assert user_by_email("short@example.com") is None


def test_user_create_on_an_existing_user_changes_the_role(runner):
    user = make_user(Role.READER, email="there@example.com")
    result = runner.invoke(args=["user", "create", "THERE@example.com", "--role", "moderator"])
    assert result.exit_code == 0, result.output
    assert "updated with role moderator" in result.output
    db.session.refresh(user)
    assert user.role == Role.MODERATOR
    assert user.check_password("correct horse battery")  # left alone without --password


def test_user_create_refuses_unknown_roles(runner):
    result = runner.invoke(args=["user", "create", "x@example.com", "--role", "overlord"])
    assert result.exit_code == 2 and "overlord" in result.output


def test_rerender_rebuilds_post_html_from_markdown(runner):
    post = make_post(body="Now *with* emphasis")
    post.body_html = "<p>stale</p>"
    db.session.commit()
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0, result.output
    db.session.refresh(post)
    assert post.body_html == "<p>Now <em>with</em> emphasis</p>"
