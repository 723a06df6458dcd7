"""Comment cards: each comment's markup is drawn once and reused, and never goes stale."""

from __future__ import annotations

import re

import pytest

from blog.comments.cards import EXTENSION
from blog.models import Comment, CommentStatus, utcnow

from .factories import make_comment, make_post, make_user
from .test_comment_support import post_form, set_rules


@pytest.fixture
def post(app):
    set_rules(policy="none")
    return make_post()


def card_of(html: str, comment_id: int) -> str:
    """The markup of one comment's card on a page."""
    start = html.index(f'id="comment-{comment_id}"')
    return html[start : html.index("</article>", start)]


def page(client, post) -> str:
    response = client.get(post.url_path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def comment_list(html: str) -> str:
    """The page's list of comments (the rest holds tokens made anew each time)."""
    return html[html.index('<ol class="comment-list">') : html.index('id="comment-action-form"')]


def test_the_second_view_reuses_every_card(app, client, post):
    made = [make_comment(post, body=f"Comment {n}.") for n in range(5)]
    remembered = app.extensions[EXTENSION].remembered
    first = comment_list(page(client, post))
    hits, misses = remembered.hits, remembered.misses
    assert comment_list(page(client, post)) == first
    assert remembered.hits - hits == len(made)
    assert remembered.misses == misses


def test_an_edit_a_new_status_and_a_new_picture_show_at_once(client, db, post):
    user = make_user(display_name="Robin")
    comment = make_comment(post, body="First words.", user=user)
    assert "First words." in card_of(page(client, post), comment.id)

    comment.body_html = "<p>Second words.</p>"
    comment.edited_at = utcnow()
    db.session.commit()
    card = card_of(page(client, post), comment.id)
    assert "Second words." in card and "(edited)" in card

    user.avatar_url = "https://pictures.example.org/robin.png"
    db.session.commit()
    assert 'src="https://pictures.example.org/robin.png"' in card_of(page(client, post), comment.id)

    comment.status = CommentStatus.SPAM
    db.session.commit()
    assert f'id="comment-{comment.id}"' not in page(client, post)


def test_closing_the_discussion_takes_the_reply_links_away(client, db, post):
    comment = make_comment(post)
    assert "comment-reply-link" in card_of(page(client, post), comment.id)
    post.comments_enabled = False
    db.session.commit()
    card = card_of(page(client, post), comment.id)
    assert "comment-reply-link" not in card and "comment-flag" in card


def test_a_card_holds_nothing_of_the_session_that_drew_it(app, client, db, login_as, post):
    author = login_as(make_user())
    comment = make_comment(post, user=author, created_at=utcnow())
    mine = card_of(page(client, post), comment.id)
    assert f'href="/comments/{comment.id}/edit"' in mine and "csrf_token" not in mine

    stranger = app.test_client()
    theirs = card_of(page(stranger, post), comment.id)
    assert "/edit" not in theirs and "/delete" not in theirs and "Report" in theirs


def test_the_delete_button_posts_the_area_form_with_its_token(app, db, post):
    reader = app.test_client()
    assert post_form(reader, post, body="Gone soon.").status_code == 303
    comment = db.session.scalars(db.select(Comment).filter_by(body="Gone soon.")).one()

    html = page(reader, post)
    button = re.search(
        r'<button type="submit" form="comment-action-form" '
        rf'formaction="(/comments/{comment.id}/delete)"',
        card_of(html, comment.id),
    )
    form = re.search(r'<form id="comment-action-form" method="post"[^>]*>(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
    assert button and fields.get("csrf_token")

    response = reader.post(button.group(1), data=fields, csrf=False)  # the form's token only
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Comment, comment.id) is None


@pytest.mark.parametrize("config_overrides", [{"COMMENT_CARD_CACHE_MB": 0}])
def test_with_no_cards_kept_the_page_is_the_same(app, client, post):
    comment = make_comment(post, body="Drawn anew.")
    first = comment_list(page(client, post))
    assert "Drawn anew." in card_of(first, comment.id)
    assert comment_list(page(client, post)) == first
    assert app.extensions[EXTENSION].remembered is None


@pytest.mark.parametrize("config_overrides", [{"COMMENT_CARD_CACHE_MB": 0.05}])  # ~52 KB
def test_cards_stay_within_their_budget_and_the_oldest_give_way(app, client, post):
    long_text = "A long comment, said at length. " * 300  # about 10,000 characters
    made = [make_comment(post, body=f"{n} {long_text}") for n in range(3)]  # ~21 KB a card
    remembered = app.extensions[EXTENSION].remembered
    html = page(client, post)
    assert all(f'id="comment-{c.id}"' in html for c in made)  # drawn, kept or not
    assert 0 < remembered.size <= remembered.budget
    assert [card.id for card in remembered.cards] == [made[1].id, made[2].id]

    short = make_comment(post, body="Short.")
    page(client, post)
    assert [card.id for card in remembered.cards] == [made[1].id, made[2].id, short.id]
    assert remembered.size <= remembered.budget
