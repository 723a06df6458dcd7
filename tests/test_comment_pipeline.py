"""The pipeline as a plain function: one transaction, clear messages, no request needed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from blog.comments.pipeline import RequestInfo, submit_comment
from blog.models import Comment, CommentStatus, ModerationEvent, OutboxMail, Role, Subscription

from .factories import make_post, make_user
from .test_comment_support import submit


@pytest.fixture
def post(app):
    return make_post()


def test_comment_event_mail_and_subscription_commit_together(db, post):
    make_user(role=Role.MODERATOR, email="mod@example.com")
    seen: list[dict[str, int]] = []

    def after_commit(session) -> None:
        if seen:
            return  # later commits are the mail sender's, after the comment's
        with db.engine.connect() as conn:  # what another process sees now
            seen.append(
                {
                    table.__tablename__: conn.scalar(sa.select(sa.func.count()).select_from(table))
                    for table in (Comment, ModerationEvent, OutboxMail, Subscription)
                }
            )

    sa.event.listen(Session, "after_commit", after_commit)
    try:
        result = submit(post, "Hold me.", notify=True)
    finally:
        sa.event.remove(Session, "after_commit", after_commit)
    assert result.comment.status == CommentStatus.PENDING
    # The first commit holds the comment, its event, its mails and the subscription.
    assert seen[0] == {"comments": 1, "moderation_events": 1, "outbox": 2, "subscriptions": 1}
    recipients = set(db.session.scalars(sa.select(OutboxMail.to)))
    assert recipients == {"ann@example.com", "mod@example.com"}


def test_refusals_store_nothing(db, post):
    results = [
        submit(post, ""),
        submit(post, "x", email="not-an-email"),
        submit(post, "x", parent_id=12345),
        submit(post, "x", user=make_user(banned=True)),
    ]
    assert [r.status for r in results] == [400, 400, 404, 403]
    assert all(not r.ok and r.message for r in results)
    assert db.session.query(Comment).count() == 0
    assert db.session.query(ModerationEvent).count() == 0


def test_kept_values_come_back_with_errors(post):
    result = submit(post, "Keep me", email="bad")
    assert result.values["body"] == "Keep me" and result.values["email"] == "bad"
    assert set(result.errors) == {"email"}


def test_form_checks_apply_only_to_form_submissions(post):
    data = {"body": "No stamp.", "name": "Ann", "email": "ann@example.com"}
    api = submit_comment(post, data, None, RequestInfo(ip="192.0.2.1"))
    assert api.ok
    form = submit_comment(post, {**data, "body": "Other"}, None, RequestInfo(via_form=True))
    assert form.status == 400 and "form" in form.errors


def test_user_details_come_from_the_account(post):
    user = make_user(display_name="Acc Name", website="https://acc.example.com")
    result = submit(post, "Mine.", user=user, name="Forged", email="forged@example.com")
    comment = result.comment
    assert (comment.author_name, comment.author_email) == ("Acc Name", user.email)
    assert comment.author_website == "https://acc.example.com" and comment.user_id == user.id


def test_control_characters_are_dropped(post):
    result = submit(post, "Hi\x00 there\x07", name="A\x00nn")
    assert result.comment.body == "Hi there" and result.comment.author_name == "Ann"
