"""The pipeline as a plain function: one transaction, clear messages, no request needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from blog.comments.pipeline import RequestInfo, _has_text, submit_comment
from blog.models import (
    Ban,
    BanKind,
    Comment,
    CommentStatus,
    ModerationEvent,
    OutboxMail,
    Role,
    Subscription,
    utcnow,
)
from blog.sanitise import render_comment, strip_tags

from .factories import make_comment, make_post, make_user
from .test_comment_support import codes, set_rules, submit


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


# --- the duplicate rule, and the bans, read with the settings in one query ---------


def test_the_same_text_within_the_hour_is_refused_with_who_said_it(db, post):
    assert submit(post, "Same words.").ok
    mine = submit(post, "Same words.")
    assert mine.status == 400 and mine.errors == {"body": "You already said that."}
    theirs = submit(post, "Same words.", email="bo@example.com", name="Bo")
    assert theirs.status == 400
    assert theirs.message == "Someone already said exactly that here within the last hour."
    user = make_user()
    assert submit(post, "Account words.", user=user).ok
    assert submit(post, "Account words.", user=user).message == "You already said that."
    # The same guest address is someone else when an account wrote it.
    guest = submit(post, "Account words.", email=user.email)
    assert guest.message.startswith("Someone already said")


def test_old_deleted_or_elsewhere_the_same_text_is_no_duplicate(db, post):
    make_comment(post, "Said before.", author_email="ann@example.com",
                 created_at=utcnow() - timedelta(minutes=61))  # fmt: skip
    make_comment(post, "Said and gone.", author_email="ann@example.com",
                 status=CommentStatus.DELETED)  # fmt: skip
    make_comment(make_post(), "Said elsewhere.", author_email="ann@example.com")
    for text in ("Said before.", "Said and gone.", "Said elsewhere."):
        assert submit(post, text).ok, text


def test_an_address_in_any_of_several_banned_networks_is_spam(db, post):
    for value in ("203.0.113.0/24", "2001:db8::/32", "not a network/", "198.51.100.0/25"):
        db.session.add(Ban(kind=BanKind.IP, value=value))
    db.session.add(Ban(kind=BanKind.EMAIL, value="@spam.example"))
    db.session.commit()
    assert "banned_ip" in codes(submit(post, "One.", ip="198.51.100.77"))
    assert "banned_ip" in codes(submit(post, "Two.", ip="2001:db8::1"))
    assert "banned_ip" not in codes(submit(post, "Three.", ip="198.51.100.200"))
    assert "banned_ip" not in codes(submit(post, "Four.", ip=None))
    five = codes(submit(post, "Five.", email="x@spam.example", ip="192.0.2.1"))
    assert five == ["banned_email", "first_time"]
    result = submit(post, "Six.", email="x@spam.example", ip="203.0.113.9")
    assert codes(result) == ["banned_email", "banned_ip", "first_time"]
    assert result.comment.reasons[1]["text"] == "The IP address 203.0.113.9 is banned."


def test_a_refusal_comes_before_the_field_errors(db, post):
    set_rules(guests_allowed=False)
    refused = submit(post, "", email="bad")
    assert refused.status == 403 and refused.message == "Log in to leave a comment."
    assert refused.errors == {} and refused.values["email"] == "bad"


@pytest.mark.parametrize(
    "body",
    ["Plain words", "**", "<b></b>", "&nbsp;", "&#160;", "\u00a0", "<i> </i>", "&amp;", "&lt;",
     "<!-- c -->", "<script>x</script>", "[](http://example.com)", "\u200b", "<span>&nbsp;</span>",
     "&#x20;", "&emsp;&thinsp;", "\u3000", "<code> </code>", "&;", "<>", "***", "> &nbsp;"],
)  # fmt: skip
def test_text_after_formatting_is_found_as_strip_tags_finds_it(body):
    html = render_comment(body)
    assert _has_text(html) == bool(strip_tags(html))
