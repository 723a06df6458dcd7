"""The author area: who may enter, the post form's rules, edits and deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, Post, PostStatus, Redirect, Role, Tag, utcnow
from blog.signals import post_changed
from tests.factories import make_comment, make_post, make_user
from tests.test_posts_story import form


def test_visitors_are_sent_to_log_in_and_readers_refused(client, login_as):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/admin/posts/new", data=form(title="x", save="Save")).status_code == 302
    login_as(make_user(Role.READER))
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/posts/new").status_code == 403
    assert client.post("/admin/posts/new", data=form(title="x", save="Save")).status_code == 403
    assert client.get("/admin/uploads").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_authors_see_their_own_posts_admins_see_all(client, login_as):
    alice = make_user(Role.AUTHOR, display_name="Alice")
    bob = make_user(Role.AUTHOR, display_name="Bob")
    make_post(title="Alice's draft", author=alice, status=PostStatus.DRAFT)
    make_post(title="Alice's live post", author=alice)
    make_post(
        title="Alice's future post",
        author=alice,
        status=PostStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=2),
    )
    make_post(title="Bob's post", author=bob)

    login_as(alice)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Alice&#39;s draft" in html and "Alice&#39;s live post" in html
    assert "Alice&#39;s future post" in html and "Bob&#39;s post" not in html
    drafts = client.get("/admin/?status=draft").get_data(as_text=True)
    assert "Alice&#39;s draft" in drafts and "live post" not in drafts
    scheduled = client.get("/admin/?status=scheduled").get_data(as_text=True)
    assert "future post" in scheduled and "draft" not in scheduled.split("<table")[1]
    assert client.get("/admin/?status=bogus").status_code == 404

    login_as(make_user(Role.ADMIN))
    html = client.get("/admin/").get_data(as_text=True)
    assert "Bob&#39;s post" in html and "Alice&#39;s draft" in html


def test_new_post_form_has_labelled_fields_and_utc_time(client, login_as):
    login_as(make_user(Role.AUTHOR))
    html = client.get("/admin/posts/new").get_data(as_text=True)
    for name in ("title", "slug", "body", "excerpt", "tags", "published_at"):
        assert f'<label for="{name}">' in html
    assert 'type="datetime-local"' in html and "(UTC)" in html
    assert 'name="preview"' in html and 'name="save"' in html
    assert 'name="csrf_token"' in html
    assert 'type="checkbox"' in html and "Allow comments" in html


def test_slug_is_made_from_the_title_and_kept_unique(client, login_as):
    login_as(make_user(Role.AUTHOR))
    for _ in range(3):
        response = client.post(
            "/admin/posts/new", data=form(title="Ça va? Très bien!", status="published", save="1")
        )
        assert response.status_code == 302
    slugs = db.session.scalars(sa.select(Post.slug).order_by(Post.id)).all()
    assert slugs == ["ca-va-tres-bien", "ca-va-tres-bien-2", "ca-va-tres-bien-3"]


def test_an_explicit_slug_that_is_taken_is_an_error(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    make_post(slug="taken", author=author)
    response = client.post("/admin/posts/new", data=form(title="New", slug="Taken", save="1"))
    assert response.status_code == 400
    assert "Another post already uses this slug." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "x" * 301}, "Field cannot be longer than 300 characters."),
        ({"status": "scheduled", "published_at": ""}, "Choose a time in the future"),
        (
            {"status": "scheduled", "published_at": "2001-01-01T10:00"},
            "Choose a time in the future",
        ),
        ({"status": "sideways"}, "Not a valid choice"),
        ({"published_at": "tomorrow"}, "Not a valid datetime value"),
        ({"slug": "!!!"}, "Use letters or digits in the slug."),
        ({"tags": ", ".join(f"t{n}" for n in range(21))}, "Use at most 20 tags."),
    ],
)
def test_bad_input_is_shown_on_the_form_not_saved(client, login_as, fields, message):
    login_as(make_user(Role.AUTHOR))
    data = form(title="A title", save="Save")
    data.update(fields)
    response = client.post("/admin/posts/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and "The post was not saved." in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_published_with_a_future_time_is_scheduled(client, login_as):
    login_as(make_user(Role.AUTHOR))
    later = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        "/admin/posts/new",
        data=form(title="Later", status="published", published_at=later, save="1"),
    )
    assert db.session.scalar(sa.select(Post.status)) == PostStatus.SCHEDULED


def test_edit_changes_the_post_rerenders_and_announces_it(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    post = make_post(title="Before", body="old *text*", author=author, tags=["One"])
    seen = []
    with post_changed.connected_to(lambda sender, **kw: seen.append(sender.id)):
        response = client.post(
            f"/admin/posts/{post.id}/edit",
            data=form(
                title="After",
                slug=post.slug,
                body="new **text**",
                excerpt="In *short*.",
                tags="Two, three",
                status="published",
                comments_enabled=None,
                save="Save",
            ),
        )
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.title == "After"
    assert post.body_html == "<p>new <strong>text</strong></p>"
    assert post.excerpt_html == "<p>In <em>short</em>.</p>"
    assert sorted(t.name for t in post.tags) == ["Two", "three"]
    assert post.comments_enabled is False
    assert seen == [post.id]
    assert db.session.scalar(sa.select(Tag).where(Tag.slug == "one")) is not None


def test_edit_form_shows_the_post_as_it_is(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    post = make_post(
        title="Shown",
        author=author,
        tags=["A", "B"],
        status=PostStatus.SCHEDULED,
        published_at=utcnow() - timedelta(minutes=5),  # its time came: it reads published
    )
    html = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="Shown"' in html and 'value="A, B"' in html
    assert 'checked id="status-2" name="status" type="radio" value="published"' in html
    assert f'value="{post.published_at:%Y-%m-%dT%H:%M}"' in html


def test_renaming_a_published_post_keeps_its_old_address(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    post = make_post(title="First name", slug="first-name", author=author)
    old = post.url_path
    client.post(
        f"/admin/posts/{post.id}/edit",
        data=form(title="Second name", slug="second-name", body="b", status="published", save="1"),
    )
    db.session.refresh(post)
    assert post.url_path != old
    assert db.session.scalar(sa.select(Redirect.old_path)) == old
    reader = client.application.test_client()
    response = reader.get(old)
    assert response.status_code == 301 and response.headers["Location"] == post.url_path


def test_authors_cannot_touch_other_authors_posts_admins_can(client, login_as):
    owner = make_user(Role.AUTHOR)
    post = make_post(title="Owned", author=owner)
    login_as(make_user(Role.AUTHOR))
    assert client.get(f"/admin/posts/{post.id}/edit").status_code == 403
    assert client.post(f"/admin/posts/{post.id}/edit", data=form(title="Mine")).status_code == 403
    assert client.post(f"/admin/posts/{post.id}/delete").status_code == 403
    assert client.get(f"/admin/posts/{post.id}/preview").status_code == 403
    assert client.get("/admin/posts/9999/edit").status_code == 404

    login_as(make_user(Role.ADMIN))
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data=form(title="Edited by admin", slug=post.slug, status="published", save="1"),
    )
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.title == "Edited by admin" and post.author_id == owner.id


def test_delete_asks_first_then_deletes_post_and_comments(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    post = make_post(title="Doomed", author=author, tags=["Kept"])
    make_comment(post)
    post_id, path = post.id, post.url_path
    page = client.get(f"/admin/posts/{post_id}/delete").get_data(as_text=True)
    assert "Delete “Doomed”?" in page and "1 comment" in page and 'method="post"' in page

    assert client.post(f"/admin/posts/{post_id}/delete", csrf=False).status_code == 400
    assert db.session.get(Post, post_id) is not None

    seen = []
    with post_changed.connected_to(lambda sender, **kw: seen.append(sender.url_path)):
        response = client.post(f"/admin/posts/{post_id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert seen == [path]
    assert "Deleted “Doomed”." in client.get("/admin/").get_data(as_text=True)
    assert client.get(path).status_code == 404


def test_state_changes_need_the_csrf_token(client, login_as):
    login_as(make_user(Role.AUTHOR))
    response = client.post("/admin/posts/new", data=form(title="No token", save="1"), csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_preview_of_an_existing_post_does_not_change_it(client, login_as):
    author = login_as(make_user(Role.AUTHOR))
    post = make_post(title="Stable", body="original", author=author)
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data=form(title="Changed?", slug=post.slug, body="# Trial", preview="Preview"),
    )
    assert response.status_code == 200
    assert "<h1>Trial</h1>" in response.get_data(as_text=True)
    db.session.refresh(post)
    assert post.title == "Stable" and post.body == "original"


def test_the_author_area_menu_grows_with_the_role(client, login_as):
    login_as(make_user(Role.AUTHOR))
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/posts/new"' in html and 'href="/admin/uploads"' in html
    assert 'href="/admin/users"' not in html
    login_as(make_user(Role.ADMIN))
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users"' in html and 'href="/moderation/"' in html
