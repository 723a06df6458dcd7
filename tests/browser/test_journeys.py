"""Journeys through the site in Chromium, as readers, guests, moderators and authors
make them: reading and paging, commenting without JavaScript and being approved from
the queue by keyboard, bulk spam, publishing a post, and taking one's data away."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from blog.extensions import db
from blog.models import Comment, CommentStatus, Post, PostStatus, Role, User
from tests.browser.helpers import log_in, watch
from tests.factories import make_comment, make_post, make_user
from tests.test_comment_support import set_rules


def statuses() -> dict[int, CommentStatus]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Comment.id, Comment.status)).all())


def test_a_reader_reads_pages_through_comments_and_follows_a_permalink(page):
    set_rules(comments_per_page=3)
    older = make_post(title="An older post")
    post = make_post(title="Harbour lights", body="The *lights* came on at six.")
    comments = [make_comment(post, body=f"Remark number {n}.") for n in range(1, 8)]
    make_comment(older, body="Elsewhere.")
    seen = watch(page)

    page.goto("/")
    expect(page.locator("main h2 a").first).to_have_text("Harbour lights")
    page.click("text=Harbour lights")
    expect(page.locator("h1")).to_have_text("Harbour lights")
    expect(page.locator(".post-body em")).to_have_text("lights")
    expect(page.locator("#comments-title")).to_contain_text("7")
    expect(page.locator("#comments .comment-body")).to_have_text(
        ["Remark number 1.", "Remark number 2.", "Remark number 3."]
    )

    page.locator('.comment-pages a[rel="next"]').click()
    expect(page.locator("#comments .comment-body").first).to_have_text("Remark number 4.")
    assert "cpage=2" in page.url

    # A permalink found elsewhere (the feed, a mail) leads to the page that shows it.
    last = comments[-1]
    page.goto(f"/c/{last.id}")
    assert page.url.endswith(f"#comment-{last.id}") and "cpage=3" in page.url
    expect(page.locator(f"#comment-{last.id} .comment-body")).to_have_text("Remark number 7.")
    expect(page.locator(f"#comment-{last.id}")).to_be_in_viewport()
    page.locator(f"#comment-{last.id} .comment-permalink").click()
    expect(page.locator(f"#comment-{last.id}")).to_be_visible()
    assert seen.problems() == []


def test_a_guest_comments_without_javascript_and_a_moderator_approves_by_keyboard(
    page_nojs, new_page
):
    make_user(Role.MODERATOR, email="mona@example.com")
    post = make_post(title="Tide tables")
    guest = page_nojs
    guest.goto(post.url_path)
    guest.fill("#comment-body", "When is low tide on Sunday?")
    guest.fill("#comment-name", "Gus Guest")
    with guest.expect_navigation():
        guest.click("#commentform button[type=submit]")
    # The form comes back with the field marked and the rest kept.
    expect(guest.locator("#comment-email-error")).to_have_text(
        "Enter your email address (it is never shown)."
    )
    expect(guest.locator("#comment-email")).to_have_attribute("aria-invalid", "true")
    assert guest.input_value("#comment-body") == "When is low tide on Sunday?"
    assert guest.input_value("#comment-name") == "Gus Guest"
    guest.fill("#comment-email", "gus@example.com")
    with guest.expect_navigation():
        guest.click("#commentform button[type=submit]")
    comment = db.session.scalars(sa.select(Comment)).one()
    assert guest.url.endswith(f"#comment-{comment.id}")
    expect(guest.locator(f"#comment-{comment.id} .comment-awaiting-moderation")).to_have_text(
        "Your comment is awaiting moderation."
    )

    moderator = new_page()
    log_in(moderator, "mona@example.com")
    moderator.goto("/moderation/")
    expect(moderator.locator(f"#mod-comment-{comment.id}")).to_contain_text("Gus Guest")
    moderator.keyboard.press("j")
    expect(moderator.locator(f"#mod-comment-{comment.id}")).to_be_focused()
    with moderator.expect_navigation():
        moderator.keyboard.press("a")
    expect(moderator.locator(".flashes")).to_contain_text("approved")
    assert statuses()[comment.id] == CommentStatus.APPROVED

    guest.reload()
    shown = guest.locator(f"#comment-{comment.id}")
    expect(shown.locator(".comment-body")).to_have_text("When is low tide on Sunday?")
    expect(shown.locator(".comment-awaiting-moderation")).to_have_count(0)
    stranger = new_page(javascript=False)
    stranger.goto(post.url_path)
    expect(stranger.locator(f"#comment-{comment.id} .comment-author")).to_have_text("Gus Guest")


def test_a_moderator_marks_five_comments_as_spam_at_once(page):
    make_user(Role.MODERATOR, email="mo@example.com")
    post = make_post()
    spam = [
        make_comment(post, body=f"Cheap watches {n}", status=CommentStatus.PENDING)
        for n in range(5)
    ]
    keep = make_comment(post, body="A real question.", status=CommentStatus.PENDING)
    log_in(page, "mo@example.com")
    page.goto("/moderation/")
    expect(page.locator("#mod-list .mod-comment")).to_have_count(6)
    for comment in spam:
        page.check(f"#select-{comment.id}")
    page.select_option("#bulk-action", "spam")
    with page.expect_navigation():
        page.click('#bulk-form button:has-text("Apply")')
    expect(page.locator(".flashes")).to_contain_text("5 comments")
    expect(page.locator("#mod-list .mod-comment")).to_have_count(1)
    now = statuses()
    assert [now[c.id] for c in spam] == [CommentStatus.SPAM] * 5
    assert now[keep.id] == CommentStatus.PENDING
    page.click("text=Spam (5)")
    expect(page.locator("#mod-list .mod-comment")).to_have_count(5)
    page.goto("/moderation/log")
    expect(page.locator("main")).to_contain_text("spam")


def test_an_author_writes_previews_and_publishes_a_post(page, new_page):
    make_user(Role.AUTHOR, email="ada@example.com", display_name="Ada Author")
    log_in(page, "ada@example.com")
    page.goto("/admin/")
    page.click("text=New post")
    page.fill("#title", "Winter swimming")
    page.fill("#body", "Cold water, **warm** people.")
    page.fill("#tags", "sea, winter")
    page.click("button:has-text('Preview'), input[value='Preview']")
    expect(page.locator(".preview .post-body strong")).to_have_text("warm")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    page.check("input[name=status][value=published]")
    with page.expect_navigation():
        page.click("button:has-text('Save'), input[value='Save']")
    db.session.expire_all()
    post = db.session.scalars(sa.select(Post)).one()
    assert post.status == PostStatus.PUBLISHED and post.slug == "winter-swimming"

    reader = new_page(javascript=False)
    reader.goto("/")
    reader.click("text=Winter swimming")
    expect(reader.locator("h1")).to_have_text("Winter swimming")
    expect(reader.locator(".post-body strong")).to_have_text("warm")
    expect(reader.locator("main")).to_contain_text("Ada Author")
    reader.click("a[href='/tag/winter/']")
    expect(reader.locator("h1")).to_have_text("Posts tagged “winter”")
    expect(reader.locator("main")).to_contain_text("Winter swimming")


def test_a_reader_downloads_their_data_then_deletes_their_account(page, new_page):
    reader = make_user(email="rhea@example.com", display_name="Rhea Reader")
    post = make_post(title="On privacy")
    mine = make_comment(post, user=reader, body="My own words.")
    log_in(page, "rhea@example.com")
    page.goto("/account")
    with page.expect_download() as download:
        page.click("button:has-text('Download my data')")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["display_name"] == "Rhea Reader"
    assert [c["body"] for c in data["comments"]] == ["My own words."]
    assert download.value.suggested_filename.endswith(".json")

    page.check("#delete-comments-anonymise")
    page.fill("#delete-confirm", "DELETE")
    with page.expect_navigation():
        page.click("button:has-text('Delete my account')")
    expect(page.locator(".flashes")).to_contain_text(
        "Your account and your data have been deleted."
    )
    expect(page.locator("nav")).to_contain_text("Log in")
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).filter_by(email="rhea@example.com")) is None

    reader_view = new_page(javascript=False)
    reader_view.goto(post.url_path)
    kept = reader_view.locator(f"#comment-{mine.id}")
    expect(kept.locator(".comment-body")).to_have_text("My own words.")
    expect(kept.locator(".comment-author")).not_to_contain_text("Rhea")
