"""``blog demo``: a ready database with demo posts, users and comments."""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db
from .models import Comment, CommentStatus, Post, PostStatus, Role, User, utcnow
from .sanitise import count_links, render_comment

DEMO_USERS = [
    (Role.ADMIN, "admin@example.com", "Ada Admin"),
    (Role.AUTHOR, "author@example.com", "Arthur Author"),
    (Role.MODERATOR, "moderator@example.com", "Mona Moderator"),
    (Role.READER, "reader@example.com", "Rita Reader"),
]


@click.command("demo")
@with_appcontext
@click.option("--password", help="Password for the demo accounts (default: a generated one).")
def demo_command(password: str | None) -> None:
    """Create the database and fill it with demo posts, users and comments."""
    upgrade()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Post)):
        click.echo("The database already has posts, so the demo left it as it is.")
        click.echo(f"Serve it with `blog run`; the demo admin is {DEMO_USERS[0][1]}.")
        return
    password = password or secrets.token_urlsafe(9)
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    users = make_users(password)
    posts = make_posts(users[Role.AUTHOR], users[Role.ADMIN])
    make_comments(posts, users)
    click.echo(f"Demo site ready: {len(posts)} posts, {len(users)} accounts.")
    click.echo("")
    click.echo("Log in at /login with one of these (all share the password below):")
    for role, email, _name in DEMO_USERS:
        click.echo(f"  {role.value:<10} {email}")
    click.echo(f"  password   {password}")
    click.echo("")
    click.echo(f"Start the site with `blog run` and open {current_app.config['BASE_URL']}/")


def make_users(password: str) -> dict[Role, User]:
    """One verified account per role (an existing one gets the role and password)."""
    users = {}
    for role, email, name in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, email_verified=True, display_name=name)
            db.session.add(user)
        user.role = role
        user.set_password(password)
        users[role] = user
    db.session.commit()
    return users


def make_posts(author: User, admin: User) -> list[Post]:
    """The demo posts, saved the way the author area saves them."""
    from .demo_content import POSTS
    from .posts.services import PostInput, save_post

    now = utcnow().replace(second=0, microsecond=0)
    posts = []
    for n, (title, tags, days_ago, excerpt, body) in enumerate(POSTS):
        if days_ago is None:
            status, when = PostStatus.DRAFT, None
        elif days_ago < 0:
            status, when = PostStatus.SCHEDULED, now - timedelta(days=days_ago)
        else:
            status, when = PostStatus.PUBLISHED, now - timedelta(days=days_ago, hours=n)
        data = PostInput(
            title=title, body=body, excerpt=excerpt, tags=tags, status=status, published_at=when
        )
        posts.append(save_post(data, author=admin if n == 0 else author))
    return posts


def make_comments(posts: list[Post], users: dict[Role, User]) -> None:
    """Comments in every state, recorded through the one status-changing function."""
    from .demo_content import COMMENTS, REASONS
    from .moderation.services import change_status, reason
    from .moderation.settings import update_settings

    # The spam example was caught by this word; keep the rule so it shows in settings.
    update_settings({"block_words": ["pills"]})
    writers = {"reader": users[Role.READER], "author": users[Role.AUTHOR]}
    moderator = users[Role.MODERATOR]
    made: dict[str, Comment] = {}
    for n, (post_index, key, parent_key, writer, status, body, code) in enumerate(COMMENTS):
        post = posts[post_index]
        user = writers.get(writer)
        html = render_comment(body)
        comment = Comment(
            post=post,
            parent=made.get(parent_key) if parent_key else None,
            user=user,
            author_name=user.display_name if user else writer,
            author_email=user.email if user else f"{writer.split()[0].lower()}@example.net",
            body=body,
            body_html=html,
            link_count=count_links(html),
            ip=f"192.0.2.{10 + n}",
            user_agent="blog demo",
            created_at=post.published_at + timedelta(hours=2 + n),
        )
        db.session.add(comment)
        reasons = [reason(code, REASONS[code])] if code else []
        arrived = CommentStatus.PENDING if status == "rejected" else CommentStatus(status)
        change_status(comment, arrived, actor=None, action="submit", reasons=reasons)
        if status == "rejected":
            db.session.flush()
            change_status(
                comment, CommentStatus.REJECTED, actor=moderator, action="reject", note="Off topic."
            )
        made[key] = comment
    db.session.commit()
