"""The moderation screen at /moderation/: queues, actions, edit, reply, ban, log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Ban, Comment, CommentStatus, Flag, ModerationEvent, Post, Role, User
from blog.moderation import services
from tests.factories import make_comment, make_post, make_user


def held(post: Post, **kw) -> Comment:
    reasons = [services.reason("too_many_links", "It has 3 links; more than 2 are held.")]
    return make_comment(post, status=CommentStatus.PENDING, reasons=reasons, **kw)


def status_of(comment_id: int) -> CommentStatus:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).status


def last_event(comment_id: int) -> ModerationEvent:
    return db.session.scalar(
        sa.select(ModerationEvent)
        .where(ModerationEvent.comment_id == comment_id)
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )


@pytest.fixture
def mod(app, login_as) -> User:
    return login_as(make_user(Role.MODERATOR, display_name="Mo"))


@pytest.fixture
def post(app) -> Post:
    return make_post(title="A post about tea")


def test_only_moderators_and_admins_see_the_screen(app, client, login_as):
    assert client.get("/moderation/").status_code in (302, 401)
    login_as(make_user(Role.AUTHOR))
    assert client.get("/moderation/").status_code == 403
    assert (
        client.post("/moderation/bulk", data={"ids": "1", "action": "approve"}).status_code == 403
    )
    login_as(make_user(Role.ADMIN))
    assert client.get("/moderation/").status_code == 200


def test_queue_shows_counts_details_reasons_and_history(client, mod, post):
    reader = make_user(display_name="Rita Reader", email="rita@example.com")
    make_comment(post, user=reader)
    make_comment(post, user=reader)
    make_comment(post, user=reader, status=CommentStatus.SPAM)
    comment = held(
        post,
        user=reader,
        body="Look <script>alert(1)</script> **here**",
        ip="198.51.100.23",
        user_agent="TeaBrowser/1.0",
        author_website="https://rita.example",
    )
    held(post, author_name="Other guest", author_email="other@example.com")
    page = client.get("/moderation/").get_data(as_text=True)
    assert "Pending (2)" in page and "Spam (1)" in page and "Approved (2)" in page
    assert "Flagged (0)" in page and "Rejected (0)" in page
    card = page[page.index(f'id="mod-comment-{comment.id}"') :]
    card = card[: card.index("</article>")]
    for text in (
        "Rita Reader",
        "rita@example.com",
        "https://rita.example",
        "198.51.100.23",
        "TeaBrowser/1.0",
        "It has 3 links; more than 2 are held.",
        "2 approved, 1 spam",
        'href="' + post.url_path + '"',
        "A post about tea",
        "<strong>here</strong>",
    ):
        assert text in card, text
    assert "<script>alert" not in page
    assert "Keyboard shortcuts" in page and "moderation.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script"
    assert not re.search(r"\son[a-z]+=", page), "no event handler attributes"
    assert " style=" not in page


def test_unknown_queue_is_a_404(client, mod):
    assert client.get("/moderation/?status=nonsense").status_code == 404


@pytest.mark.parametrize(
    ("start", "action", "after"),
    [
        (CommentStatus.PENDING, "approve", CommentStatus.APPROVED),
        (CommentStatus.PENDING, "reject", CommentStatus.REJECTED),
        (CommentStatus.APPROVED, "spam", CommentStatus.SPAM),
        (CommentStatus.APPROVED, "reject", CommentStatus.REJECTED),
    ],
)
def test_each_action_is_a_post_that_logs_and_redirects(client, mod, post, start, action, after):
    comment = make_comment(post, status=start, author_name="Gina")
    response = client.post(
        f"/moderation/comments/{comment.id}/{action}", data={"next": "/moderation/?status=spam"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/?status=spam"
    assert status_of(comment.id) == after
    event = last_event(comment.id)
    assert (event.action, event.actor_id, event.from_status) == (action, mod.id, start)
    assert "The comment by Gina was" in client.get("/moderation/").get_data(as_text=True)
    expected_count = 1 if after == CommentStatus.APPROVED else 0
    assert db.session.get(Post, post.id).comment_count == expected_count


def test_restore_from_the_spam_queue(client, mod, post):
    comment = make_comment(post)
    client.post(f"/moderation/comments/{comment.id}/spam")
    page = client.get("/moderation/?status=spam").get_data(as_text=True)
    assert f"/moderation/comments/{comment.id}/restore" in page
    client.post(f"/moderation/comments/{comment.id}/restore")
    assert status_of(comment.id) == CommentStatus.APPROVED


def test_actions_need_the_csrf_token_and_a_post(client, mod, post):
    comment = held(post)
    response = client.post(f"/moderation/comments/{comment.id}/approve", csrf=False)
    assert response.status_code == 400
    assert client.get(f"/moderation/comments/{comment.id}/approve").status_code == 405
    assert status_of(comment.id) == CommentStatus.PENDING


def test_an_action_that_does_not_apply_says_so(client, mod, post):
    comment = make_comment(post)
    response = client.post(f"/moderation/comments/{comment.id}/approve", follow_redirects=True)
    assert "cannot be approved now" in response.get_data(as_text=True)
    assert client.post("/moderation/comments/999999/approve").status_code == 404
    assert client.get(f"/moderation/comments/{10**20}").status_code == 404
    assert client.post(f"/moderation/users/{10**20}/unban").status_code == 404


def test_next_never_leaves_the_site(client, mod, post):
    comment = held(post)
    response = client.post(
        f"/moderation/comments/{comment.id}/approve", data={"next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/moderation/"


def test_bulk_action_on_a_selection(client, mod, post):
    a, b, c = held(post), held(post), held(post)
    approved = make_comment(post)
    response = client.post(
        "/moderation/bulk",
        data={"ids": [str(a.id), str(b.id), str(approved.id)], "action": "spam"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "3 comments marked as spam." in page
    assert [status_of(x.id) for x in (a, b, c)] == [
        CommentStatus.SPAM,
        CommentStatus.SPAM,
        CommentStatus.PENDING,
    ]
    assert "Pending (1)" in page and "Spam (3)" in page
    nothing = client.post("/moderation/bulk", data={"action": "approve"}, follow_redirects=True)
    assert "Select at least one comment" in nothing.get_data(as_text=True)
    bad = client.post("/moderation/bulk", data={"ids": str(c.id), "action": "explode"})
    assert bad.status_code == 302 and status_of(c.id) == CommentStatus.PENDING


def test_the_bulk_form_and_checkboxes_work_without_javascript(client, mod, post):
    comment = held(post)
    page = client.get("/moderation/").get_data(as_text=True)
    assert 'id="bulk-form"' in page and 'action="/moderation/bulk"' in page
    assert f'name="ids" value="{comment.id}" form="bulk-form"' in page
    assert '<select name="action" id="bulk-action">' in page


def test_flagged_queue_holds_flagged_comments_until_decided(client, mod, post):
    comment = make_comment(post, flag_count=1)
    db.session.add(Flag(comment_id=comment.id, reporter="ip:192.0.2.50"))
    db.session.commit()
    page = client.get("/moderation/?status=flagged").get_data(as_text=True)
    assert "Flagged (1)" in page and f'id="mod-comment-{comment.id}"' in page
    assert "flagged by readers 1 time" in page
    client.post(f"/moderation/comments/{comment.id}/approve")
    page = client.get("/moderation/?status=flagged").get_data(as_text=True)
    assert "Flagged (0)" in page and f'id="mod-comment-{comment.id}"' not in page
    assert status_of(comment.id) == CommentStatus.APPROVED


def test_pagination(client, mod, post):
    for n in range(23):
        held(post, body=f"comment {n}")
    first = client.get("/moderation/").get_data(as_text=True)
    assert first.count('class="mod-comment"') == 20
    assert "Page 1 of 2" in first and "page=2" in first
    second = client.get("/moderation/?page=2").get_data(as_text=True)
    assert second.count('class="mod-comment"') == 3


def test_comment_page_shows_its_history(client, mod, post):
    comment = held(post)
    client.post(f"/moderation/comments/{comment.id}/reject")
    page = client.get(f"/moderation/comments/{comment.id}").get_data(as_text=True)
    assert "What happened to it" in page and "pending → rejected" in page and "Mo" in page


def test_edit_from_the_screen(client, mod, post):
    comment = held(post, body="Speling mistake", author_name="Ed")
    form = client.get(f"/moderation/comments/{comment.id}/edit").get_data(as_text=True)
    assert "Speling mistake" in form and 'value="Ed"' in form
    response = client.post(
        f"/moderation/comments/{comment.id}/edit",
        data={"body": "Spelling *fixed*", "author_name": "Edward", "author_website": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Comment, comment.id)
    assert edited.body_html == "<p>Spelling <em>fixed</em></p>"
    assert edited.author_name == "Edward" and edited.status == CommentStatus.PENDING
    assert last_event(comment.id).action == "edit"


def test_edit_errors_are_shown_next_to_the_field(client, mod, post):
    comment = held(post, body="text")
    response = client.post(
        f"/moderation/comments/{comment.id}/edit",
        data={"body": "text", "author_name": "Ed", "author_website": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give an http:// or https:// address" in page
    assert 'aria-invalid="true"' in page
    assert last_event(comment.id) is None


def test_reply_as_moderator_from_the_screen(client, mod, post):
    parent = held(post, author_name="Asker")
    page = client.get(f"/moderation/comments/{parent.id}/reply").get_data(as_text=True)
    assert "replying approves it too" in page
    response = client.post(f"/moderation/comments/{parent.id}/reply", data={"body": "Welcome!"})
    assert response.status_code == 302
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == parent.id))
    assert reply.status == CommentStatus.APPROVED and reply.user_id == mod.id
    assert status_of(parent.id) == CommentStatus.APPROVED
    empty = client.post(f"/moderation/comments/{parent.id}/reply", data={"body": ""})
    assert empty.status_code == 400


def test_ban_from_the_screen_and_unban_on_the_settings_page(client, mod, post):
    troll = make_user(display_name="Troll", email="troll@example.com")
    comment = held(post, user=troll, ip="203.0.113.9")
    form = client.get(f"/moderation/comments/{comment.id}/ban").get_data(as_text=True)
    assert "Ban the account" in form and "Ban the IP address" in form
    response = client.post(
        f"/moderation/comments/{comment.id}/ban",
        data={"user": "y", "email": "y", "ip": "y", "spam": "y", "reason": "rude"},
        follow_redirects=True,
    )
    assert "Banned: user Troll, email troll@example.com, IP 203.0.113.9." in response.get_data(
        as_text=True
    )
    assert status_of(comment.id) == CommentStatus.SPAM
    assert db.session.get(User, troll.id).banned

    settings = client.get("/moderation/settings").get_data(as_text=True)
    assert "troll@example.com" in settings and "203.0.113.9" in settings
    ban_ids = db.session.scalars(sa.select(Ban.id)).all()
    for ban_id in ban_ids:
        assert client.post(f"/moderation/bans/{ban_id}/delete").status_code == 302
    assert client.post(f"/moderation/users/{troll.id}/unban").status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(Ban)).all() == []
    assert not db.session.get(User, troll.id).banned


def test_ban_with_nothing_chosen_is_an_error(client, mod, post):
    comment = held(post)
    response = client.post(f"/moderation/comments/{comment.id}/ban", data={"reason": ""})
    assert response.status_code == 400
    assert "Choose what to ban" in response.get_data(as_text=True)


def test_add_a_ban_by_hand(client, mod):
    response = client.post(
        "/moderation/bans",
        data={"ban-kind": "ip", "ban-value": "192.0.2.0/24", "ban-reason": "botnet"},
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Ban.value)) == "192.0.2.0/24"
    bad = client.post("/moderation/bans", data={"ban-kind": "ip", "ban-value": "nope"})
    assert bad.status_code == 400
    assert "Give an IP address" in bad.get_data(as_text=True)


def test_log_page_lists_every_event_newest_first(client, mod, post):
    comment = held(post)
    services.change_status(comment, CommentStatus.PENDING, actor=None, action="submit")
    db.session.commit()
    client.post(f"/moderation/comments/{comment.id}/approve")
    client.post(f"/moderation/comments/{comment.id}/spam")
    page = client.get("/moderation/log").get_data(as_text=True)
    spam, approve, submit = (page.index(f"<td>{a}") for a in ("spam", "approve", "submit"))
    assert spam < approve < submit
    assert "automatic" in page and "approved → spam" in page
    assert f'href="/moderation/comments/{comment.id}"' in page
