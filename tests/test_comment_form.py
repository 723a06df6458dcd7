"""The comment form with JavaScript off: post, redirect, errors, and what each visitor sees."""

from __future__ import annotations

import re

import pytest

from blog.comments.forms import STAMP_MAX_AGE, make_stamp
from blog.models import Comment, CommentStatus, Identity, Subscription
from blog.moderation.settings import update_settings

from .factories import make_comment, make_post, make_user
from .test_comment_support import codes, form_data, post_form, set_rules


@pytest.fixture
def post(app):
    return make_post(title="On gardens")


def only_comment(db) -> Comment:
    return db.session.scalars(db.select(Comment)).one()


def test_page_shows_the_form_for_guests(client, post):
    html = client.get(post.url_path).get_data(as_text=True)
    assert "Leave a Reply" in html
    assert "Fill in your details below or click an icon to log in:" in html
    for name in ("body", "name", "email", "website", "ts", "csrf_token", "parent_id"):
        assert f'name="{name}"' in html
    assert "Your email address will not be published." in html
    assert "never shown publicly" in html
    assert "Notify me of new comments by email" in html
    assert f'action="/comments/{post.id}"' in html


def test_honeypot_is_hidden_from_people(client, post):
    html = client.get(post.url_path).get_data(as_text=True)
    field = re.search(r'<p class="hp-field"[^>]*>.*?</p>', html, re.S).group(0)
    assert 'aria-hidden="true"' in field
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    with client.get("/static/comments.css") as css:
        assert ".hp-field" in css.get_data(as_text=True)


def test_page_has_no_inline_script_or_handlers(client, post):
    make_comment(post, body="Hello **there**")
    html = client.get(post.url_path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)
    assert "style=" not in html


def test_guest_comment_is_held_and_shown_only_to_its_author(app, client, db, post):
    response = post_form(client, post, body="My first words here.")
    assert response.status_code == 303
    comment = only_comment(db)
    assert comment.status == CommentStatus.PENDING and codes(comment) == ["first_time"]
    assert response.headers["Location"].endswith(f"{post.url_path}#comment-{comment.id}")
    assert "blog_guest=" in response.headers["Set-Cookie"]

    mine = client.get(post.url_path).get_data(as_text=True)
    assert f'id="comment-{comment.id}"' in mine
    assert "Your comment is awaiting moderation" in mine
    assert "My first words here." in mine

    stranger = app.test_client().get(post.url_path).get_data(as_text=True)
    assert f'id="comment-{comment.id}"' not in stranger
    assert "My first words here." not in stranger


def test_users_held_comment_is_shown_to_them_only(app, client, db, login_as, post):
    user = login_as(make_user())
    post_form(client, post, guest=False, body="Held for the user.")
    comment = only_comment(db)
    assert comment.user_id == user.id and comment.status == CommentStatus.PENDING
    assert "Your comment is awaiting moderation" in client.get(post.url_path).get_data(True)
    other = app.test_client()
    login_as(make_user(), other)
    assert "Held for the user." not in other.get(post.url_path).get_data(True)


def test_approved_comment_appears_for_everyone(app, client, db, post):
    set_rules(policy="none")
    response = post_form(
        client, post, body="Plainly *approved*.", website="https://ann.example.com"
    )
    comment = only_comment(db)
    assert comment.status == CommentStatus.APPROVED
    assert response.headers["Location"].endswith(f"#comment-{comment.id}")
    html = app.test_client().get(post.url_path).get_data(as_text=True)
    block = html[html.index(f'id="comment-{comment.id}"') :]
    assert '<div class="comment-body"><p>Plainly <em>approved</em>.</p></div>' in block
    assert '<a class="url" href="https://ann.example.com" rel="nofollow ugc">Ann Guest</a>' in block
    assert 'class="avatar"' in block
    assert "1 comment" in html
    assert "awaiting moderation" not in html


def test_field_errors_show_the_post_page_again_with_kept_values(client, db, post):
    response = post_form(
        client,
        post,
        body="Kept <b>text</b>",
        name="",
        email="not-an-email",
        website="javascript:alert(1)",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "On gardens" in html  # the post page itself
    assert "Enter your name." in html
    assert "Enter a valid email address" in html
    assert "Enter a web address starting with http:// or https://." in html
    assert "Kept &lt;b&gt;text&lt;/b&gt;</textarea>" in html
    assert 'value="not-an-email"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.query(Comment).count() == 0


def test_empty_and_too_long_body(client, post):
    assert "Write a comment." in post_form(client, post, body="  ").get_data(True)
    response = post_form(client, post, body="x" * 10_001)
    assert response.status_code == 400
    assert "under 10,000 characters" in response.get_data(True)


def test_long_name_is_refused(client, post):
    response = post_form(client, post, name="n" * 101)
    assert response.status_code == 400
    assert "100 characters" in response.get_data(True)


def test_website_without_scheme_is_accepted_as_https(db, client, post):
    post_form(client, post, website="ann.example.com")
    assert only_comment(db).author_website == "https://ann.example.com"


@pytest.mark.parametrize(
    ("stamp", "message"),
    [
        (None, "missing its stamp"),
        ("tampered.value.here", "was changed"),
        ("expired", "has expired"),
    ],
)
def test_bad_form_stamp_is_a_form_error(app, client, db, post, stamp, message):
    data = form_data(post)
    if stamp is None:
        del data["ts"]
    elif stamp == "expired":
        data["ts"] = make_stamp(post.id, age=STAMP_MAX_AGE + 60)
    else:
        data["ts"] = stamp
    response = client.post(f"/comments/{post.id}", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 0


def test_stamp_of_another_post_is_refused(client, post):
    other = make_post()
    data = form_data(post, ts=make_stamp(other.id, age=10))
    assert client.post(f"/comments/{post.id}", data=data).status_code == 400


def test_too_fast_is_held_not_refused(client, db, post):
    set_rules(policy="none")
    response = post_form(client, post, age=0)
    assert response.status_code == 303
    comment = only_comment(db)
    assert comment.status == CommentStatus.PENDING
    assert codes(comment) == ["too_fast"]


def test_filled_honeypot_is_spam_and_never_shown(client, db, post):
    response = post_form(client, post, homepage="http://spam.example.com")
    assert response.status_code == 303
    comment = only_comment(db)
    assert comment.status == CommentStatus.SPAM
    assert "honeypot" in codes(comment)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "awaiting moderation" in page  # the flash: the sender learns nothing
    assert f'id="comment-{comment.id}"' not in page


def test_missing_csrf_token_is_refused(client, db, post):
    response = client.post(f"/comments/{post.id}", data=form_data(post), csrf=False)
    assert response.status_code == 400
    assert db.session.query(Comment).count() == 0


def test_duplicate_is_refused_with_a_clear_message(client, db, post):
    post_form(client, post, body="Same words.")
    response = post_form(client, post, body="Same words.")
    assert response.status_code == 400
    assert "You already said that." in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 1


def test_closed_post_shows_a_message_and_refuses(client, db, post):
    post.comments_enabled = False
    db.session.commit()
    html = client.get(post.url_path).get_data(as_text=True)
    assert "Comments are closed" in html and 'id="commentform"' not in html
    assert post_form(client, post).status_code == 403


def test_guests_not_allowed_see_login_links(client, db, post):
    set_rules(guests_allowed=False)
    html = client.get(post.url_path).get_data(as_text=True)
    assert "Log in to leave a comment." in html and 'id="commentform"' not in html
    assert post_form(client, post).status_code == 403


def test_unknown_or_hidden_post_is_404(client, db):
    from blog.models import PostStatus

    draft = make_post(status=PostStatus.DRAFT)
    assert client.post(f"/comments/{draft.id}", data=form_data(draft)).status_code == 404
    assert client.post("/comments/999999", data={}).status_code == 404


def test_email_account_sees_who_they_comment_as(client, db, login_as, post):
    user = login_as(make_user(display_name="Eve Mail"))
    html = client.get(post.url_path).get_data(as_text=True)
    assert "You are commenting using your email account." in html
    assert re.search(r'<form method="post" action="/logout"[^>]*>', html)
    # "Change" logs out first, then offers every way in (not linking another account).
    assert 'value="/login?next=' in html and ">Change</button>" in html
    assert 'name="email"' not in html and 'name="name"' not in html
    response = post_form(client, post, guest=False, body="As myself.")
    assert response.status_code == 303
    comment = only_comment(db)
    assert comment.author_name == "Eve Mail" and comment.author_email == user.email


def test_google_account_sees_google(client, db, login_as, post):
    user = make_user(password=None, display_name="Gus Google")
    db.session.add(Identity(user=user, provider="google", subject="g-123"))
    db.session.commit()
    login_as(user)
    html = client.get(post.url_path).get_data(as_text=True)
    assert "You are commenting using your Google account." in html


def test_each_enabled_provider_has_a_login_link(app, client, post):
    from blog.accounts.providers import enabled_providers

    html = client.get(post.url_path).get_data(as_text=True)
    for provider in enabled_providers():
        assert f'href="/login/{provider.name}?next={post.url_path}%23respond"' in html


def test_banned_user_sees_no_form(client, db, login_as, post):
    login_as(make_user(banned=True))
    html = client.get(post.url_path).get_data(as_text=True)
    assert "may no longer comment" in html and 'id="commentform"' not in html
    assert post_form(client, post, guest=False).status_code == 403


def test_reply_without_javascript(client, db, post):
    set_rules(policy="none")
    parent = make_comment(post, author_name="Pat Parent", body="The parent.")
    html = client.get(f"{post.url_path}?replytocom={parent.id}").get_data(as_text=True)
    assert "Leave a Reply to" in html and "Pat Parent" in html
    assert f'name="parent_id" id="comment-parent" value="{parent.id}"' in html
    assert f'href="{post.url_path}?replytocom={parent.id}#respond"' in html

    response = post_form(client, post, body="The reply.", parent_id=str(parent.id))
    assert response.status_code == 303
    reply = db.session.scalars(db.select(Comment).filter_by(body="The reply.")).one()
    assert reply.parent_id == parent.id
    page = client.get(post.url_path).get_data(as_text=True)
    nested = page[page.index(f'id="comment-{parent.id}"') :]
    assert nested.index('class="children"') < nested.index(f'id="comment-{reply.id}"')


def test_reply_to_a_comment_of_another_post_is_404(client, db, post):
    other = make_comment(make_post())
    assert post_form(client, post, parent_id=str(other.id)).status_code == 404


def test_field_error_on_a_reply_keeps_the_parent(client, db, post):
    parent = make_comment(post, author_name="Pat Parent")
    response = post_form(client, post, body="", parent_id=str(parent.id))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'name="parent_id" id="comment-parent" value="{parent.id}"' in html


def test_notify_box_subscribes(client, db, post):
    post_form(client, post, notify="1")
    sub = db.session.scalars(db.select(Subscription)).one()
    assert sub.email == "ann@example.com" and not sub.confirmed


def test_a_reader_without_email_is_asked_for_one_to_get_notifications(client, db, login_as, post):
    # X gives no email: the account comments without one, and the form points
    # to where one is added (and confirmed) for notifications.
    user = make_user(password=None)
    user.email, user.email_verified = None, False
    db.session.commit()
    login_as(user)
    html = client.get(post.url_path).get_data(as_text=True)
    assert 'name="notify"' not in html
    assert 'href="/account#email">add an email address to your account</a>' in html


@pytest.mark.parametrize("config_overrides", [{"COMMENT_RATE_LIMIT": "2 per minute"}])
def test_rate_limit_per_ip_gives_a_readable_page(client, db, post):
    assert post_form(client, post, body="One.").status_code == 303
    assert post_form(client, post, body="Two.", email="b@example.com").status_code == 303
    response = post_form(client, post, body="Three.", email="c@example.com")
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 2
    # The API shares the same limits.
    api = client.post(f"/api/posts/{post.slug}/comments", json={"body": "Four.", **GUEST_C})
    assert api.status_code == 429 and "error" in api.get_json()


GUEST_C = {"name": "Cy", "email": "cy@example.com"}


@pytest.mark.parametrize("config_overrides", [{"COMMENT_RATE_LIMIT": "2 per minute"}])
def test_rate_limit_per_account_across_addresses(client, db, login_as, post):
    login_as(make_user())
    results = []
    for n, ip in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.3"]):
        data = form_data(post, guest=False, body=f"Comment {n}.")
        response = client.post(f"/comments/{post.id}", data=data, environ_base={"REMOTE_ADDR": ip})
        results.append(response.status_code)
    assert results == [303, 303, 429]


def test_settings_changes_apply_to_the_page(client, db, post):
    update_settings({"guests_allowed": False})
    db.session.commit()
    assert "Log in to leave a comment." in client.get(post.url_path).get_data(True)


@pytest.mark.parametrize("config_overrides", [{"GOOGLE_CLIENT_ID": "test-client"}])
def test_google_login_icon_when_configured(client, post):
    html = client.get(post.url_path).get_data(as_text=True)
    assert f'href="/login/google?next={post.url_path}%23respond"' in html
    assert "Fill in your details below or click an icon to log in:" in html
