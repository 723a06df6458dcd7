"""Moderator actions as plain service functions, without a request."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blog.comments.pipeline import RequestInfo, submit_comment
from blog.extensions import db
from blog.models import Ban, BanKind, Comment, CommentStatus, ModerationEvent, Post, Role, User
from blog.moderation import bans, services
from blog.moderation.services import Action, ModerationError
from tests.factories import make_comment, make_post, make_user


def held(post: Post, **kw) -> Comment:
    reasons = [services.reason("first_time", "A first comment from this commenter.")]
    return make_comment(post, status=CommentStatus.PENDING, reasons=reasons, **kw)


def events_for(comment_id: int) -> list[ModerationEvent]:
    return list(
        db.session.scalars(
            sa.select(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.id)
        )
    )


def count_of(post_id: int) -> int:
    return db.session.get(Post, post_id).comment_count


@pytest.fixture
def mod(app) -> User:
    return make_user(Role.MODERATOR, display_name="Mo Derator")


@pytest.fixture
def post(app) -> Post:
    return make_post()


def test_approve_logs_the_event_and_counts_the_comment(mod, post):
    comment = held(post)
    services.approve(comment, mod)
    db.session.commit()
    assert comment.status == CommentStatus.APPROVED
    assert count_of(post.id) == 1
    [event] = events_for(comment.id)
    assert (event.actor_id, event.action) == (mod.id, "approve")
    assert (event.from_status, event.to_status) == (CommentStatus.PENDING, CommentStatus.APPROVED)
    # The reasons it was held stay on the comment for the record.
    assert comment.reasons[0]["code"] == "first_time"


def test_reject_and_spam_take_approved_comments_out_of_the_count(mod, post):
    first, second = make_comment(post), make_comment(post)
    assert count_of(post.id) == 2
    services.reject(first, mod)
    services.mark_spam(second, mod)
    db.session.commit()
    assert (first.status, second.status) == (CommentStatus.REJECTED, CommentStatus.SPAM)
    assert count_of(post.id) == 0


@pytest.mark.parametrize(
    ("start", "action", "restored"),
    [
        (CommentStatus.APPROVED, Action.SPAM, CommentStatus.APPROVED),
        (CommentStatus.PENDING, Action.REJECT, CommentStatus.PENDING),
        (CommentStatus.APPROVED, Action.REJECT, CommentStatus.APPROVED),
        (CommentStatus.PENDING, Action.SPAM, CommentStatus.PENDING),
    ],
)
def test_restore_goes_back_to_the_status_before(mod, post, start, action, restored):
    comment = make_comment(post, status=start)
    services.moderate(comment, action, mod)
    services.restore(comment, mod)
    db.session.commit()
    assert comment.status == restored
    assert count_of(post.id) == (1 if restored == CommentStatus.APPROVED else 0)
    assert [e.action for e in events_for(comment.id)] == [action.value, "restore"]


def test_restore_of_spam_caught_on_arrival_goes_to_pending(mod, post):
    result = submit_comment(
        post,
        {"body": "Cheap pills", "name": "Spammer", "email": "spam@example.com"},
        None,
        RequestInfo(ip="192.0.2.9"),
    )
    comment = db.session.get(Comment, result.comment.id)
    services.change_status(comment, CommentStatus.SPAM, actor=None, action="policy")
    db.session.commit()
    services.restore(comment, mod)
    db.session.commit()
    assert comment.status == CommentStatus.PENDING


def test_actions_that_do_not_apply_are_refused(mod, post):
    comment = make_comment(post)
    with pytest.raises(ModerationError, match="approved"):
        services.approve(comment, mod)
    with pytest.raises(ModerationError):
        services.restore(comment, mod)
    with pytest.raises(ModerationError, match="Unknown action"):
        services.moderate(comment, "delete", mod)
    assert events_for(comment.id) == []


def test_approving_a_flagged_approved_comment_keeps_it(mod, post):
    comment = make_comment(post, flag_count=2)
    services.approve(comment, mod)
    db.session.commit()
    assert comment.status == CommentStatus.APPROVED
    assert count_of(post.id) == 1
    assert events_for(comment.id)[-1].action == "approve"


def test_bulk_updates_what_applies_and_reports_the_rest(mod, post):
    a, b = held(post), held(post)
    approved = make_comment(post)
    result = services.bulk([a.id, b.id, approved.id, 999_999, a.id], "approve", mod)
    db.session.commit()
    assert {c.id for c in result.updated} == {a.id, b.id}
    assert result.skipped == [approved.id]
    assert result.missing == [999_999]
    assert count_of(post.id) == 3
    with pytest.raises(ModerationError):
        services.bulk([a.id], "edit", mod)


def test_edit_re_renders_and_sanitises(mod, post):
    comment = held(post, body="old")
    services.edit_comment(
        comment,
        mod,
        body="New **text** <script>alert(1)</script> see https://example.org",
        author_name="  Renamed  ",
        author_website="https://renamed.example",
    )
    db.session.commit()
    assert "<strong>text</strong>" in comment.body_html
    assert "<script" not in comment.body_html
    assert comment.link_count == 1
    assert 'rel="nofollow ugc noopener noreferrer"' in comment.body_html
    assert (comment.author_name, comment.author_website) == ("Renamed", "https://renamed.example")
    assert comment.edited_at is not None
    [event] = events_for(comment.id)
    assert event.action == "edit" and event.from_status == event.to_status
    assert event.note == "Edited: text, name, website"
    assert comment.status == CommentStatus.PENDING


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"author_name": ""}, "author_name"),
        ({"author_website": "javascript:alert(1)"}, "author_website"),
    ],
)
def test_edit_refuses_bad_input(mod, post, fields, bad):
    comment = held(post, body="kept")
    with pytest.raises(ModerationError) as info:
        services.edit_comment(comment, mod, **fields)
    assert bad in info.value.fields


def test_reply_as_moderator_publishes_and_approves_the_held_parent(mod, post):
    parent = held(post)
    reply = services.reply_as_moderator(parent, mod, "Thanks, *welcome*!")
    db.session.commit()
    assert parent.status == CommentStatus.APPROVED
    assert reply.status == CommentStatus.APPROVED
    assert (reply.parent_id, reply.user_id, reply.author_name) == (parent.id, mod.id, "Mo Derator")
    assert "<em>welcome</em>" in reply.body_html
    assert count_of(post.id) == 2
    assert [e.action for e in events_for(parent.id)] == ["approve"]
    [event] = events_for(reply.id)
    assert (event.action, event.from_status, event.actor_id) == ("reply", None, mod.id)


def test_reply_to_spam_is_refused(mod, post):
    parent = make_comment(post, status=CommentStatus.SPAM)
    with pytest.raises(ModerationError):
        services.reply_as_moderator(parent, mod, "hello")
    with pytest.raises(ModerationError):
        services.reply_as_moderator(held(post), mod, " ")


def test_ban_author_bans_user_email_and_ip_and_logs_it(mod, post):
    reader = make_user(email="Troll@Example.com")
    comment = held(post, user=reader, ip="203.0.113.7")
    result = bans.ban_author(
        comment, mod, user=True, email=True, ip=True, spam=True, reason="abuse"
    )
    db.session.commit()
    assert db.session.get(User, reader.id).banned
    rows = {(b.kind, b.value, b.reason) for b in db.session.scalars(sa.select(Ban))}
    assert rows == {
        (BanKind.EMAIL, "troll@example.com", "abuse"),
        (BanKind.IP, "203.0.113.7", "abuse"),
    }
    assert len(result.banned) == 3
    assert comment.status == CommentStatus.SPAM
    [event] = events_for(comment.id)
    assert event.action == "ban" and event.to_status == CommentStatus.SPAM
    # Banning again adds nothing and says so.
    again = bans.ban_author(comment, mod, user=True, email=True, ip=True)
    assert again.banned == []


def test_moderators_cannot_ban_themselves_or_other_moderators(mod, post):
    own = held(post, user=mod)
    with pytest.raises(ModerationError, match="yourself"):
        bans.ban_author(own, mod)
    other = held(post, user=make_user(Role.MODERATOR))
    with pytest.raises(ModerationError, match="admin"):
        bans.ban_author(other, mod, email=False)
    admin = make_user(Role.ADMIN)
    bans.ban_author(other, admin, email=False)
    assert other.user.banned


def test_add_ban_validates_and_normalises(mod):
    assert bans.add_ban("email", " Someone@Example.COM ", mod).value == "someone@example.com"
    assert bans.add_ban("ip", "2001:db8::0:1", mod).value == "2001:db8::1"
    assert bans.add_ban("ip", "198.51.100.7/24", mod).value == "198.51.100.0/24"
    for kind, value in [("ip", "not-an-ip"), ("email", "nobody"), ("phone", "123")]:
        with pytest.raises(ModerationError):
            bans.add_ban(kind, value, mod)
    with pytest.raises(ModerationError, match="already"):
        bans.add_ban("email", "someone@example.com", mod)


def test_bans_stop_the_next_comment(mod, post):
    """The comment policy reads the bans made here."""
    guest = {"body": "First words", "name": "Guest", "email": "guest@example.com"}
    first = submit_comment(post, guest, None, RequestInfo(ip="198.51.100.3"))
    comment = db.session.get(Comment, first.comment.id)
    bans.ban_author(comment, mod, email=True, ip=True)
    db.session.commit()
    again = submit_comment(post, {**guest, "body": "More"}, None, RequestInfo(ip="198.51.100.3"))
    stored = db.session.get(Comment, again.comment.id)
    assert stored.status == CommentStatus.SPAM
    assert {"banned_email", "banned_ip"} <= {r["code"] for r in stored.reasons}

    reader = make_user()
    by_user = make_comment(post, user=reader)
    bans.ban_author(by_user, mod, user=True, email=False)
    db.session.commit()
    refused = submit_comment(
        post, {"body": "Let me in"}, db.session.get(User, reader.id), RequestInfo()
    )
    assert refused.status == 403 and refused.comment is None

    bans.unban_user(db.session.get(User, reader.id))
    for ban in bans.list_bans():
        bans.remove_ban(ban)
    db.session.commit()
    assert bans.banned_users() == [] and bans.list_bans() == []


def test_approving_a_comment_leaves_the_posts_updated_time(app):
    post = make_post()
    before = post.updated_at
    comment = make_comment(post, status=CommentStatus.PENDING)
    services.change_status(comment, CommentStatus.APPROVED, actor=None, action="approve")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Post, post.id).updated_at == before
    assert db.session.get(Post, post.id).comment_count == 1


def test_new_comments_first_events_are_written_with_them_in_one_statement(app, mod):
    post = make_post()
    assert post.id and mod.id  # loaded now: no flush before the one counted
    new = [
        Comment(post=post, author_name=f"Guest {n}", body=f"Hello {n}", body_html=f"<p>{n}</p>")
        for n in range(3)
    ]
    for n, comment in enumerate(new):
        db.session.add(comment)
        services.change_status(
            comment,
            CommentStatus.APPROVED if n else CommentStatus.PENDING,
            actor=mod if n == 2 else None,
            action="import",
            reasons=[services.reason("imported", f"Number {n}")],
            note=f"note {n}",
        )
    statements = []
    engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[:3])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.flush()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert sum(s[:3] == ["INSERT", "INTO", "moderation_events"] for s in statements) == 1
    db.session.commit()
    for n, comment in enumerate(new):
        [event] = events_for(comment.id)
        assert (event.action, event.from_status, event.note) == ("import", None, f"note {n}")
        assert event.to_status == comment.status
        assert event.reasons == [{"code": "imported", "text": f"Number {n}"}]
        assert event.actor_id == (mod.id if n == 2 else None)
        assert event.at is not None
    assert count_of(post.id) == 2


def test_a_new_comment_rolled_back_leaves_no_event_waiting(app):
    post = make_post()
    comment = Comment(post=post, author_name="Guest", body="Gone", body_html="<p>Gone</p>")
    db.session.add(comment)
    services.change_status(comment, CommentStatus.PENDING, actor=None, action="submit")
    db.session.rollback()
    kept = Comment(post_id=post.id, author_name="Guest", body="Kept", body_html="<p>Kept</p>")
    db.session.add(kept)
    services.change_status(kept, CommentStatus.PENDING, actor=None, action="submit")
    db.session.commit()
    assert db.session.scalars(sa.select(ModerationEvent.comment_id)).all() == [kept.id]
