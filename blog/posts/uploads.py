"""Images for posts: checked by their first bytes, stored under a random name, served safely."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import abort, current_app, send_from_directory

from ..extensions import db
from ..models import Upload, User
from ..sanitise import clean_text
from . import bp

# The default for BLOG_UPLOAD_MAX_BYTES (requests are capped by MAX_CONTENT_LENGTH too).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Generated names only: a random token and the extension of the detected type.
FILENAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(png|jpg|gif|webp)$")
ONE_YEAR = 365 * 24 * 3600


class UploadError(ValueError):
    """A file that is not accepted, with words for the author."""


def detect_image_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, or None when not an image we take.

    The client's file name and stated type are never trusted: an HTML or SVG
    file renamed to ``.png`` must not be served back as anything.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def store_upload(stream: IO[bytes], original_name: str, uploader: User) -> Upload:
    """Check and keep an uploaded image; commit the Upload row. Raises UploadError."""
    limit = max_upload_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise UploadError("Choose an image file to upload.")
    if len(data) > limit:
        raise UploadError(f"Images can be at most {size_text(limit)}.")
    detected = detect_image_type(data[:16])
    if detected is None:
        raise UploadError("Only PNG, JPEG, GIF and WebP images can be uploaded.")
    content_type, extension = detected
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{secrets.token_urlsafe(18)}.{extension}"
    path = folder / filename
    # O_EXCL: never overwrite, even on the rare chance of a repeated token.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    upload = Upload(
        filename=filename,
        original_name=clean_text(os.path.basename(original_name or ""))[:255] or "image",
        content_type=content_type,
        size=len(data),
        uploader_id=uploader.id,
    )
    db.session.add(upload)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return upload


def max_upload_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or MAX_UPLOAD_BYTES)


def size_text(size: int) -> str:
    """``5 MB``, ``300 KB``: sizes as people read them."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(1, round(size / 1024))} KB"


def recent_uploads(user: User, limit: int = 30) -> list[Upload]:
    """The images a user uploaded (all of them for admins), newest first."""
    query = sa.select(Upload).order_by(Upload.created_at.desc(), Upload.id.desc()).limit(limit)
    if not user.is_admin:
        query = query.where(Upload.uploader_id == user.id)
    return list(db.session.scalars(query))


def upload_url(upload: Upload) -> str:
    return f"/uploads/{upload.filename}"


@bp.get("/uploads/<filename>")
def uploaded_file(filename: str):
    """An uploaded image, with the type found at upload time and a long cache life."""
    if not FILENAME.match(filename):
        abort(404)
    upload = db.session.scalar(sa.select(Upload).where(Upload.filename == filename))
    if upload is None:
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_FOLDER"],
        filename,
        mimetype=upload.content_type,
        max_age=ONE_YEAR,
        conditional=True,
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response
