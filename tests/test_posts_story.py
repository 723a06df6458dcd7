"""The publishing story end to end, through HTTP only: an author writes a post
with an image, previews it, schedules it, publishes it; a reader finds it
everywhere a reader looks."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import sqlalchemy as sa

from blog.models import Post, PostStatus, Role, Tag, Upload, utcnow
from tests.factories import make_user

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def form(**fields):
    """The post form as a browser sends it (an unticked checkbox is left out)."""
    data = {
        "title": "",
        "slug": "",
        "body": "",
        "excerpt": "",
        "tags": "",
        "status": "draft",
        "published_at": "",
        "comments_enabled": "y",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def upload_image(client, data: bytes = PNG, name: str = "harbour.png", alt: str = "The harbour"):
    return client.post(
        "/admin/uploads",
        data={"image": (io.BytesIO(data), name), "alt": alt},
        content_type="multipart/form-data",
    )


def test_author_writes_previews_schedules_publishes_and_readers_find_it(app, client, login_as, db):
    author = login_as(make_user(Role.AUTHOR, display_name="Arthur Author"))

    # An image first: the upload page hands back the Markdown to paste.
    response = upload_image(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    snippet = re.search(r"!\[The harbour\]\((/uploads/[\w-]+\.png)\)", page)
    assert snippet, page
    image_url = snippet.group(1)
    with client.get(image_url) as image:
        assert image.data == PNG and image.mimetype == "image/png"

    body = (
        f"Morning light on the water.\n\n![The harbour]({image_url})\n\nQuiet boats *everywhere*."
    )
    # Preview renders the Markdown but saves nothing.
    response = client.post(
        "/admin/posts/new", data=form(title="Harbour at dawn", body=body, preview="Preview")
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Preview (not saved yet)" in text
    assert f'<img src="{image_url}" alt="The harbour">' in text
    assert "<em>everywhere</em>" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0

    # Scheduled for tomorrow: saved, but no reader sees it yet.
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/admin/posts/new",
        data=form(
            title="Harbour at dawn",
            body=body,
            tags="Travel, Photos",
            status="scheduled",
            published_at=tomorrow,
            save="Save",
        ),
    )
    assert response.status_code == 302
    post = db.session.scalar(sa.select(Post))
    assert post.status == PostStatus.SCHEDULED and post.slug == "harbour-at-dawn"
    assert post.author_id == author.id
    assert sorted(t.slug for t in post.tags) == ["photos", "travel"]
    assert "will appear on" in client.get(response.headers["Location"]).get_data(as_text=True)

    reader = client.application.test_client()
    permalink = post.url_path
    assert "Harbour at dawn" not in reader.get("/").get_data(as_text=True)
    assert reader.get(permalink).status_code == 404
    assert reader.get("/tag/travel/").status_code == 404
    assert "Harbour at dawn" not in reader.get("/search?q=harbour").get_data(as_text=True)
    assert "Harbour at dawn" not in reader.get("/feed.atom").get_data(as_text=True)
    assert permalink not in reader.get("/sitemap.xml").get_data(as_text=True)

    # The author changes their mind and publishes now.
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data=form(
            title="Harbour at dawn",
            slug="harbour-at-dawn",
            body=body,
            tags="Travel, Photos",
            status="published",
            save="Save",
        ),
    )
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.effective_status == PostStatus.PUBLISHED
    permalink = post.url_path
    assert re.fullmatch(r"/\d{4}/\d{2}/\d{2}/harbour-at-dawn/", permalink)

    home = reader.get("/").get_data(as_text=True)
    assert f'href="{permalink}"' in home and "Harbour at dawn" in home

    page = reader.get(permalink)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1" in html and "Harbour at dawn" in html
    assert f'<img src="{image_url}" alt="The harbour">' in html
    assert 'id="comments"' in html  # the comment area sits below the post
    assert f'<link rel="canonical" href="http://127.0.0.1:5000{permalink}">' in html

    tag_page = reader.get("/tag/photos/").get_data(as_text=True)
    assert "Posts tagged “Photos”" in tag_page and f'href="{permalink}"' in tag_page

    results = reader.get("/search?q=quiet+boats").get_data(as_text=True)
    assert f'href="{permalink}"' in results and "1 result for" in results

    feed = ET.fromstring(reader.get("/feed.atom").data)
    assert feed.tag == f"{ATOM}feed"
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Harbour at dawn"
    assert entry.find(f"{ATOM}link").get("href") == "http://127.0.0.1:5000" + permalink
    assert image_url in entry.findtext(f"{ATOM}content")

    sitemap = ET.fromstring(reader.get("/sitemap.xml").data)
    locs = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert "http://127.0.0.1:5000" + permalink in locs
    assert "http://127.0.0.1:5000/tag/travel/" in locs


def test_scheduled_post_appears_when_its_time_comes_without_any_job(client, login_as, db):
    login_as(make_user(Role.AUTHOR))
    soon = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        "/admin/posts/new",
        data=form(
            title="Later today",
            body="Patience.",
            tags="Waiting",
            status="scheduled",
            published_at=soon,
            save="Save",
        ),
    )
    post = db.session.scalar(sa.select(Post))
    reader = client.application.test_client()
    assert "Later today" not in reader.get("/").get_data(as_text=True)
    assert reader.get("/api/posts/later-today").status_code == 404

    # Time passes: the stored status stays "scheduled", only the clock moved.
    post.published_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert post.status == PostStatus.SCHEDULED

    assert "Later today" in reader.get("/").get_data(as_text=True)
    assert reader.get(post.url_path).status_code == 200
    assert reader.get("/tag/waiting/").status_code == 200
    assert "Later today" in reader.get("/search?q=patience").get_data(as_text=True)
    assert "Later today" in reader.get("/feed.atom").get_data(as_text=True)
    assert reader.get("/api/posts/later-today").get_json()["status"] == "published"


def test_drafts_stay_invisible_to_readers(client, login_as, db):
    login_as(make_user(Role.AUTHOR))
    client.post(
        "/admin/posts/new",
        data=form(title="Unfinished thoughts", body="Secret words.", tags="Hidden", save="Save"),
    )
    post = db.session.scalar(sa.select(Post))
    assert post.status == PostStatus.DRAFT
    reader = client.application.test_client()
    assert "Unfinished thoughts" not in reader.get("/").get_data(as_text=True)
    assert reader.get(post.url_path).status_code == 404
    assert reader.get("/tag/hidden/").status_code == 404
    assert "Unfinished" not in reader.get("/search?q=secret").get_data(as_text=True)
    assert "Unfinished" not in reader.get("/feed.atom").get_data(as_text=True)
    assert "unfinished" not in reader.get("/sitemap.xml").get_data(as_text=True)
    assert reader.get("/api/posts/unfinished-thoughts").status_code == 404
    # ... while its author can look at it in the author area.
    preview = client.get(f"/admin/posts/{post.id}/preview").get_data(as_text=True)
    assert "Secret words." in preview
    assert db.session.scalar(sa.select(Tag.slug)) == "hidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
