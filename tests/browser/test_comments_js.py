"""The comment form in a real browser: improved with JavaScript, whole without it."""

from __future__ import annotations

import pytest

from blog.models import Comment, CommentStatus
from tests.factories import make_comment, make_post
from tests.test_comment_support import set_rules


@pytest.fixture
def post(app):
    return make_post(title="Browser post")


def csp_errors(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: (
            found.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return found


def fill_guest(page, body: str) -> None:
    page.fill("#comment-body", body)
    page.fill("#comment-name", "Jo Script")
    page.fill("#comment-email", "jo@example.com")


def test_reply_form_moves_and_posts_without_reload(page, db, post):
    set_rules(policy="none")
    parent = make_comment(post, author_name="Pat Parent", body="The parent.")
    errors = csp_errors(page)
    page.goto(post.url_path)
    page.evaluate("window.notReloaded = true")
    page.click(f"#comment-{parent.id} .comment-reply-link")
    assert page.locator(f"#comment-{parent.id} #respond").count() == 1
    assert "Leave a Reply to Pat Parent" in page.inner_text("#reply-title")
    assert page.input_value("#comment-parent") == str(parent.id)

    fill_guest(page, "A *scripted* reply.")
    page.click("#commentform button[type=submit]")
    reply = page.locator(f"#comment-{parent.id} ol.children li.comment")
    reply.wait_for()
    assert reply.locator(".comment-body em").inner_text() == "scripted"
    assert page.evaluate("window.notReloaded") is True
    stored = db.session.scalars(db.select(Comment).filter_by(parent_id=parent.id)).one()
    assert stored.status == CommentStatus.APPROVED
    assert page.locator(f"#comment-{stored.id}").count() == 1
    assert errors == []


def test_cancel_puts_the_form_back(page, post):
    parent = make_comment(post)
    page.goto(post.url_path)
    page.click(f"#comment-{parent.id} .comment-reply-link")
    page.click("#cancel-comment-reply-link")
    assert page.locator(f"#comment-{parent.id} #respond").count() == 0
    assert page.input_value("#comment-parent") == ""


def test_held_comment_is_marked_and_errors_show_without_reload(page, db, post):
    page.goto(post.url_path)
    page.fill("#comment-body", "Missing details.")
    page.click("#commentform button[type=submit]")
    page.locator(".field-error").first.wait_for()
    assert "Enter your name." in page.inner_text("#commentform")

    fill_guest(page, "Held by the script.")
    page.click("#commentform button[type=submit]")
    page.locator(".comment-awaiting-moderation").wait_for()
    page.reload()  # the guest cookie keeps it visible to its author
    assert "Your comment is awaiting moderation" in page.inner_text("#comments")


def test_without_javascript_the_form_still_works(page_nojs, new_page, db, post):
    page = page_nojs
    page.goto(post.url_path)
    page.fill("#comment-body", "")
    page.fill("#comment-name", "No Script")
    with page.expect_navigation():  # read the page once the answer has loaded
        page.click("#commentform button[type=submit]")
    assert "Write a comment." in page.content()
    assert page.input_value("#comment-name") == "No Script"

    page.fill("#comment-body", "Posted the old way.")
    page.fill("#comment-email", "noscript@example.com")
    with page.expect_navigation():  # read the page once the answer has loaded
        page.click("#commentform button[type=submit]")
    comment = db.session.scalars(db.select(Comment)).one()
    assert page.url.endswith(f"#comment-{comment.id}")
    assert "Your comment is awaiting moderation" in page.inner_text(f"#comment-{comment.id}")

    stranger = new_page(javascript=False)
    stranger.goto(post.url_path)
    assert stranger.locator(f"#comment-{comment.id}").count() == 0


def test_a_guest_deletes_their_comment_with_its_delete_button(page_nojs, db, post):
    page = page_nojs  # the button submits the discussion's one form: no script needed
    set_rules(policy="none")
    other = make_comment(post, body="Someone else's words.")
    page.goto(post.url_path)
    fill_guest(page, "Words I take back.")
    with page.expect_navigation():
        page.click("#commentform button[type=submit]")
    mine = db.session.scalars(db.select(Comment).filter_by(body="Words I take back.")).one()
    assert page.locator(f"#comment-{other.id} .comment-delete").count() == 0

    with page.expect_navigation():
        page.click(f"#comment-{mine.id} .comment-delete")
    assert "Your comment was deleted." in page.inner_text("body")
    assert page.locator(f"#comment-{mine.id}").count() == 0
    assert page.locator(f"#comment-{other.id}").count() == 1
