"""Logging in from the comment box in Chromium, against the local OAuth servers:
Google (OpenID Connect) and back to the same post and place, replies with and without
JavaScript; X and Facebook; "Log out / Change"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from blog.extensions import db
from blog.models import Comment
from tests.browser.helpers import watch
from tests.factories import make_comment, make_post
from tests.test_oauth import facebook_says, google_says, x_says

pytestmark = pytest.mark.oauth


@pytest.fixture
def config_overrides(oauth):
    return oauth.settings()


@pytest.fixture
def post(app):
    post = make_post(title="Night ferries")
    make_comment(post, author_name="Pat Parent", body="Does the last ferry run in winter?")
    return post


def parent_of(post) -> Comment:
    return db.session.scalars(sa.select(Comment).filter_by(post_id=post.id)).first()


def log_in_from_the_comment_box(page, provider: str, post) -> None:
    """Click the provider's icon under "Leave a Reply"; the provider sends us back."""
    with page.expect_navigation(url=f"**{post.url_path}#respond"):
        page.click(f"#respond a.login-{provider}")


def comment_box(page):
    return page.locator("#respond .logged-in-as")


def test_google_from_the_comment_box_then_replies_with_and_without_javascript(
    page, new_page, oauth, post
):
    google_says(oauth, name="Greta Google", picture=None)  # no picture to fetch from afar
    parent = parent_of(post)
    seen = watch(page)
    page.goto(post.url_path)
    log_in_from_the_comment_box(page, "google", post)
    # Back on the same post, at the same place: the comment form.
    assert page.url.endswith(post.url_path + "#respond")
    expect(page.locator("#respond")).to_be_in_viewport()
    expect(comment_box(page)).to_contain_text("You are commenting using your Google account.")
    expect(page.locator(".site-header nav")).to_contain_text("Greta Google")

    # With JavaScript: the form moves under the comment and posts without a reload.
    page.evaluate("window.sameDocument = 'still here'")
    page.click(f"#comment-{parent.id} .comment-reply-link")
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply to Pat Parent")
    page.fill("#comment-body", "It does, twice a week.")
    page.click("#commentform button[type=submit]")
    reply = page.locator(f"#comment-{parent.id} ol.children li.comment")
    expect(reply.locator(".comment-body")).to_have_text("It does, twice a week.")
    expect(reply.locator(".comment-author")).to_have_text("Greta Google")
    assert page.evaluate("window.sameDocument") == "still here"
    assert seen.problems() == []

    # Without JavaScript, in another tab of the same browser (the same session).
    plain = new_page(javascript=False, storage_state=page.context.storage_state())
    plain.goto(post.url_path)
    expect(comment_box(plain)).to_contain_text("You are commenting using your Google account.")
    plain.click(f"#comment-{parent.id} .comment-reply-link")
    expect(plain.locator("#reply-title")).to_contain_text("Leave a Reply to Pat Parent")
    plain.fill("#comment-body", "And on Sundays in summer.")
    with plain.expect_navigation():
        plain.click("#commentform button[type=submit]")
    second = db.session.scalars(
        sa.select(Comment).filter_by(parent_id=parent.id).order_by(Comment.id.desc())
    ).first()
    assert second.body == "And on Sundays in summer." and second.user.display_name == "Greta Google"
    assert plain.url.endswith(f"#comment-{second.id}")
    under_parent = plain.locator(f"#comment-{parent.id} ol.children #comment-{second.id}")
    expect(under_parent.locator(".comment-body")).to_have_text("And on Sundays in summer.")


def test_x_then_facebook_from_the_comment_box_with_log_out_and_change(page, oauth, post):
    x_says(oauth)
    facebook_says(oauth)
    google_says(oauth, name="Greta Google", picture=None)  # no picture to fetch from afar
    page.goto(post.url_path)
    expect(page.locator("#respond .comment-notes").first).to_have_text(
        "Fill in your details below or click an icon to log in:"
    )

    log_in_from_the_comment_box(page, "twitter", post)
    expect(comment_box(page)).to_contain_text("You are commenting using your X (Twitter) account.")
    expect(page.locator("#comment-name")).to_have_count(0)  # no guest fields now

    # "Log out": back to the same post, as a guest.
    with page.expect_navigation():
        comment_box(page).locator("button:has-text('Log out')").click()
    assert page.url.endswith(post.url_path)
    expect(page.locator(".flashes")).to_contain_text("You are logged out.")
    expect(page.locator("#comment-name")).to_be_visible()

    log_in_from_the_comment_box(page, "facebook", post)
    expect(comment_box(page)).to_contain_text("You are commenting using your Facebook account.")

    # "Change": logged out, on the login page, then another provider, back to the post.
    with page.expect_navigation():
        comment_box(page).locator("button:has-text('Change')").click()
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator(".site-header nav")).to_contain_text("Sign up")
    with page.expect_navigation(url=f"**{post.url_path}#respond"):
        page.click("text=Log in with Google")
    expect(comment_box(page)).to_contain_text("You are commenting using your Google account.")
    expect(page.locator(".site-header nav")).to_contain_text("Greta Google")
