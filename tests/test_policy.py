"""The moderation policy: every rule, and the reason it records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blog.models import Ban, BanKind, CommentStatus, ModerationEvent, Role, utcnow
from blog.moderation.settings import get_settings

from .factories import make_comment, make_post, make_user
from .test_comment_support import codes, set_rules, submit


@pytest.fixture
def post(app):
    return make_post()


def test_first_time_guest_is_held_with_reason(post):
    result = submit(post)
    assert result.ok and result.comment.status == CommentStatus.PENDING
    assert codes(result) == ["first_time"]
    assert result.comment.reasons[0]["text"]


def test_guest_with_an_approved_comment_is_approved(post):
    make_comment(post, author_email="ann@example.com", author_name="Ann Guest")
    result = submit(post, body="Back again.")
    assert result.comment.status == CommentStatus.APPROVED
    assert result.comment.reasons == []


def test_first_time_is_per_identity_not_per_name(post):
    make_comment(post, author_email="someone-else@example.com", author_name="Ann Guest")
    assert codes(submit(post)) == ["first_time"]


def test_user_with_approved_comment_is_approved(post):
    user = make_user()
    make_comment(post, user=user)
    assert submit(post, "Another one.", user=user).comment.status == CommentStatus.APPROVED


def test_user_guest_history_does_not_count(post):
    user = make_user(email="ann@example.com")
    make_comment(post, author_email="ann@example.com")  # as a guest, not as the user
    assert codes(submit(post, user=user)) == ["first_time"]


def test_policy_all_holds_known_commenters(post):
    make_comment(post, author_email="ann@example.com")
    set_rules(policy="all")
    result = submit(post, "Held anyway.")
    assert result.comment.status == CommentStatus.PENDING
    assert codes(result) == ["hold_all"]


def test_policy_none_approves_first_timers(post):
    set_rules(policy="none")
    assert submit(post).comment.status == CommentStatus.APPROVED


def test_more_links_than_allowed_is_held(post):
    set_rules(policy="none", max_links=2)
    body = "See https://a.example.com/ and https://b.example.com/ and [c](https://c.example.com/)"
    result = submit(post, body)
    assert result.comment.link_count == 3
    assert result.comment.status == CommentStatus.PENDING
    assert codes(result) == ["too_many_links"]
    assert "3 links" in result.comment.reasons[0]["text"]


def test_links_up_to_the_limit_pass(post):
    set_rules(policy="none", max_links=2)
    result = submit(post, "See https://a.example.com/ and https://b.example.com/")
    assert result.comment.status == CommentStatus.APPROVED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", "Buy CHEAP pills now"),
        ("name", "Cheap Deals"),
        ("email", "cheap@example.com"),
        ("website", "https://cheap.example/"),
        ("ip", "cheap"),
        ("user_agent", "CheapBot/1.0"),
    ],
)
def test_hold_word_in_every_field(post, field, value):
    set_rules(policy="none", hold_words=["cheap"])
    fields = {"body": "Hello there."}
    if field in ("ip", "user_agent"):
        result = submit(post, **fields, **{field: value})
    else:
        fields[field] = value
        result = submit(post, **fields)
    assert result.comment.status == CommentStatus.PENDING
    assert codes(result) == ["hold_word"]
    assert '"cheap"' in result.comment.reasons[0]["text"]


def test_hold_word_matches_ip_prefix(post):
    set_rules(policy="none", hold_words=["203.0.113."])
    result = submit(post, ip="203.0.113.7")
    assert codes(result) == ["hold_word"]
    assert "IP" in result.comment.reasons[0]["text"]


def test_block_word_is_spam_case_insensitively(post):
    set_rules(policy="none", block_words=["Casino"])
    result = submit(post, "Visit my CASINO")
    assert result.comment.status == CommentStatus.SPAM
    assert codes(result) == ["block_word"]


def test_block_and_hold_words_both_recorded(post):
    set_rules(block_words=["casino"], hold_words=["poker"])
    result = submit(post, "casino and poker")
    assert result.comment.status == CommentStatus.SPAM
    assert set(codes(result)) == {"block_word", "hold_word", "first_time"}


def test_banned_email_is_spam(db, post):
    db.session.add(Ban(kind=BanKind.EMAIL, value="ann@example.com"))
    db.session.commit()
    result = submit(post)
    assert result.comment.status == CommentStatus.SPAM
    assert "banned_email" in codes(result)


def test_banned_email_domain_is_spam(db, post):
    db.session.add(Ban(kind=BanKind.EMAIL, value="@example.com"))
    db.session.commit()
    assert "banned_email" in codes(submit(post))


def test_banned_ip_and_network_are_spam(db, post):
    db.session.add(Ban(kind=BanKind.IP, value="198.51.100.5"))
    db.session.add(Ban(kind=BanKind.IP, value="203.0.113.0/24"))
    db.session.commit()
    assert "banned_ip" in codes(submit(post, ip="198.51.100.5"))
    assert "banned_ip" in codes(submit(post, "Other text.", ip="203.0.113.77"))
    assert "banned_ip" not in codes(submit(post, "Third text.", ip="192.0.2.1"))


def test_banned_user_is_refused(post):
    user = make_user(banned=True)
    result = submit(post, user=user)
    assert not result.ok and result.status == 403


def test_moderators_are_trusted(post):
    moderator = make_user(role=Role.MODERATOR)
    set_rules(policy="all", hold_words=["word"])
    result = submit(post, "a word", user=moderator)
    assert result.comment.status == CommentStatus.APPROVED


def test_every_decision_is_logged_with_its_reasons(db, post):
    result = submit(post)
    event = db.session.query(ModerationEvent).filter_by(comment_id=result.comment.id).one()
    assert event.action == "submit" and event.actor_id is None
    assert event.from_status is None and event.to_status == CommentStatus.PENDING
    assert [r["code"] for r in event.reasons] == ["first_time"]


def test_approved_comment_counts_on_the_post(db, post):
    set_rules(policy="none")
    submit(post)
    submit(post, "Second.")
    db.session.refresh(post)
    assert post.comment_count == 2


def test_closed_post_refuses(db, post):
    post.comments_enabled = False
    db.session.commit()
    result = submit(post)
    assert result.status == 403 and "closed" in result.message


def test_old_post_closes_after_days(db):
    old = make_post(published_at=utcnow() - timedelta(days=40))
    set_rules(close_after_days=30)
    result = submit(old)
    assert result.status == 403 and "30 days" in result.message
    set_rules(close_after_days=0)
    assert submit(old).ok


def test_guests_not_allowed(post):
    set_rules(guests_allowed=False)
    result = submit(post)
    assert result.status == 403
    assert submit(post, user=make_user()).ok


def test_defaults_are_the_documented_ones(app):
    settings = get_settings()
    assert settings["policy"] == "first_time" and settings["max_links"] == 2
    assert settings["thread_depth"] == 5 and settings["comments_per_page"] == 50
