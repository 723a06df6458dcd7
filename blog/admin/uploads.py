"""Uploading images for posts."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..models import Role, Upload
from ..posts.uploads import (
    UploadError,
    max_upload_bytes,
    recent_uploads,
    size_text,
    store_upload,
    upload_url,
)
from . import bp
from .forms import UploadForm


def markdown_snippet(upload: Upload, alt: str | None = None) -> str:
    """The Markdown an author pastes into a post to show the image."""
    alt = alt if alt is not None else upload.original_name.rsplit(".", 1)[0]
    alt = re.sub(r"[\[\]\n\r]+", " ", alt).strip()
    return f"![{alt}]({upload_url(upload)})"


@bp.route("/uploads", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def uploads():
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        file = form.image.data
        try:
            upload = store_upload(file.stream, file.filename or "", current_user)
        except UploadError as exc:
            form.image.errors = [*form.image.errors, str(exc)]
            status = 400
        else:
            flash("Uploaded. Paste the Markdown below into a post to show the image.", "success")
            return redirect(url_for("admin.uploads", new=upload.filename, alt=form.alt.data or ""))
    elif form.is_submitted():
        status = 400
    items = recent_uploads(current_user)
    new = next((u for u in items if u.filename == request.args.get("new")), None)
    snippets = {u.id: markdown_snippet(u) for u in items}
    if new is not None:
        snippets[new.id] = markdown_snippet(new, request.args.get("alt") or None)
    return render_template(
        "admin/uploads.html",
        form=form,
        uploads=items,
        new=new,
        snippets=snippets,
        upload_url=upload_url,
        max_size=size_text(max_upload_bytes()),
    ), status
