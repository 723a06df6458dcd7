"""The moderation queue in a real browser: keyboard shortcuts, select-all, and without JS."""

from __future__ import annotations

import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, Role
from tests.browser.helpers import log_in
from tests.factories import make_comment, make_post, make_user


def statuses() -> dict[int, CommentStatus]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Comment.id, Comment.status)).all())


def three_held() -> list[int]:
    post = make_post()
    return [
        make_comment(post, body=f"Held comment {n}", status=CommentStatus.PENDING).id
        for n in range(3)
    ]


def test_keyboard_shortcuts_and_select_all(page):
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    make_user(Role.MODERATOR, email="keys@example.com")
    ids = three_held()
    newest_first = list(reversed(ids))
    log_in(page, "keys@example.com")
    page.goto("/moderation/")
    assert page.is_visible("#select-all")  # shown only when the script runs

    page.keyboard.press("j")
    first = page.locator(f"#mod-comment-{newest_first[0]}")
    assert "is-current" in first.get_attribute("class")
    expect(page.locator("#mod-announce")).to_contain_text("Comment 1 of 3")
    page.keyboard.press("x")
    assert page.is_checked(f"#select-{newest_first[0]}")
    expect(page.locator("#mod-announce")).to_contain_text("Selected")

    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "Pending (2)" in page.content()
    assert statuses()[newest_first[1]] == CommentStatus.APPROVED

    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("s")
    assert statuses()[newest_first[0]] == CommentStatus.SPAM

    page.check("#select-all")
    assert page.is_checked(f"#select-{newest_first[2]}")
    page.select_option("#bulk-action", "reject")
    with page.expect_navigation():
        page.click('#bulk-form button:has-text("Apply")')
    assert "Pending (0)" in page.content()
    assert statuses()[newest_first[2]] == CommentStatus.REJECTED
    assert not [p for p in problems if "Content Security Policy" in p]


def test_the_queue_works_without_javascript(page_nojs):
    make_user(Role.MODERATOR, email="nojs@example.com")
    ids = three_held()
    page = page_nojs
    log_in(page, "nojs@example.com")
    page.goto("/moderation/")
    assert not page.is_visible("#select-all")
    page.check(f"#select-{ids[0]}")
    page.check(f"#select-{ids[1]}")
    page.select_option("#bulk-action", "approve")
    with page.expect_navigation():
        page.click('#bulk-form button:has-text("Apply")')
    assert "2 comments approved." in page.content()
    with page.expect_navigation():
        page.click(f'#mod-comment-{ids[2]} form[data-action="spam"] button')
    assert "Pending (0)" in page.content()
    assert set(statuses().values()) == {CommentStatus.APPROVED, CommentStatus.SPAM}
