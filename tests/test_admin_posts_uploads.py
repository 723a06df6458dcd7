"""Images for posts: only real images are kept, under random names, served safely."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Role, Upload
from blog.posts.uploads import MAX_UPLOAD_BYTES, detect_image_type, size_text
from tests.factories import make_user
from tests.test_posts_story import PNG, upload_image

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (PNG, "image/png", "png"),
        (JPEG, "image/jpeg", "jpg"),
        (GIF, "image/gif", "gif"),
        (WEBP, "image/webp", "webp"),
    ],
)
def test_each_image_type_is_stored_and_served_with_its_type(
    app, client, login_as, data, content_type, extension
):
    user = login_as(make_user(Role.AUTHOR))
    response = upload_image(client, data, name="../../evil name.exe")
    assert response.status_code == 302
    upload = db.session.scalar(sa.select(Upload))
    assert re.fullmatch(rf"[\w-]{{20,}}\.{extension}", upload.filename)
    assert upload.content_type == content_type and upload.size == len(data)
    assert upload.uploader_id == user.id and upload.original_name == "evil name.exe"
    stored = Path(app.config["UPLOAD_FOLDER"]) / upload.filename
    assert stored.read_bytes() == data

    reader = app.test_client()
    with reader.get(f"/uploads/{upload.filename}") as image:
        assert image.status_code == 200
        assert image.mimetype == content_type
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=31536000" in image.headers["Cache-Control"]
        assert "immutable" in image.headers["Cache-Control"]
        assert image.data == data


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "picture.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "drawing.svg"),
        (b"%PDF-1.7 ...", "paper.jpg"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "sound.webp"),
    ],
)
def test_files_that_are_not_images_are_refused_whatever_their_name(client, login_as, data, name):
    login_as(make_user(Role.AUTHOR))
    response = client.post(
        "/admin/uploads",
        data={"image": (io.BytesIO(data), name, "image/png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Only PNG, JPEG, GIF and WebP images" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0


def test_too_large_and_missing_files_are_refused(app, client, login_as):
    login_as(make_user(Role.AUTHOR))
    app.config["UPLOAD_MAX_BYTES"] = 2048
    assert "up to 2 KB" in client.get("/admin/uploads").get_data(as_text=True)
    response = upload_image(client, PNG + b"\x00" * 2048)
    assert response.status_code == 400
    assert "at most 2 KB" in response.get_data(as_text=True)
    response = client.post("/admin/uploads", data={"alt": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose an image file" in response.get_data(as_text=True)
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not list(folder.iterdir())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0


def test_the_upload_page_shows_the_markdown_to_paste(client, login_as):
    login_as(make_user(Role.AUTHOR))
    response = upload_image(client, alt="Boats [at] dawn")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    upload = db.session.scalar(sa.select(Upload))
    assert f'value="![Boats  at  dawn](/uploads/{upload.filename})"' in page
    assert "Your image is ready" in page and 'enctype="multipart/form-data"' in page


def test_authors_list_their_own_uploads_admins_all(client, login_as):
    login_as(make_user(Role.AUTHOR))
    upload_image(client, name="mine.png")
    login_as(make_user(Role.AUTHOR))
    assert "mine.png" not in client.get("/admin/uploads").get_data(as_text=True)
    login_as(make_user(Role.ADMIN))
    assert "mine.png" in client.get("/admin/uploads").get_data(as_text=True)


@pytest.mark.parametrize(
    "name", ["nope.png", "../secret_key", "..%2Fsecret_key", "aaaaaaaaaaaaaaaaaaaa.svg"]
)
def test_unknown_or_odd_upload_names_are_404(client, name):
    assert client.get(f"/uploads/{name}").status_code == 404


def test_default_limit_is_five_megabytes():
    assert size_text(MAX_UPLOAD_BYTES) == "5 MB"


def test_detect_image_type_needs_the_whole_signature():
    assert detect_image_type(b"\x89PNG") is None
    assert detect_image_type(b"RIFF1234WEBP") == ("image/webp", "webp")
    assert detect_image_type(b"") is None
