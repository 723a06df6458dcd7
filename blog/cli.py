"""The ``blog`` console script: Flask's CLI plus our commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup

from .extensions import db
from .models import Role, User


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="Run and manage the blog.")(prog_name="blog")


def init_app(app: Flask) -> None:
    from .demo import demo_command
    from .portability import cli as portability_cli
    from .worker import worker_command

    portability_cli.init_app(app)
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(rerender_command)
    app.cli.add_command(worker_command)


user_cli = click.Group("user", help="Manage users.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.READER.value)
@click.option("--password", help="Prompted for when left out.")
@click.option("--name", "display_name", help="Display name (defaults to the email's local part).")
def create_user_command(email: str, role: str, password: str | None, display_name: str | None):
    """Create a user with a verified email, or change the role of an existing one."""
    from .accounts.services import normalise_email

    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise click.BadParameter("use at least 8 characters", param_hint="--password")
        user = User(
            email=email, email_verified=True, display_name=display_name or email.split("@")[0]
        )
        db.session.add(user)
        action = "created"
    else:
        action = "updated"
    user.role = Role(role)
    if password:
        user.set_password(password)
    db.session.commit()
    click.echo(f"User {email} {action} with role {role}.")


@click.command("rerender")
def rerender_command():
    """Rebuild every stored HTML field from its source (after the allowlist changes)."""
    from .models import Comment, Post
    from .sanitise import count_links, render_comment, render_post

    posts = comments = 0
    for post in db.session.scalars(sa.select(Post)):
        post.body_html = render_post(post.body)
        post.excerpt_html = render_post(post.excerpt) if post.excerpt else ""
        posts += 1
    for comment in db.session.scalars(sa.select(Comment).execution_options(yield_per=500)):
        comment.body_html = render_comment(comment.body)
        comment.link_count = count_links(comment.body_html)
        comments += 1
    db.session.commit()
    click.echo(f"Re-rendered {posts} posts and {comments} comments.")
