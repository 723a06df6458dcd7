"""Each reader's data on the web: download it, erase it, or (moderators) erase on request."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user, login_required, logout_user
from slugify import slugify

from ..auth import role_required
from ..extensions import db
from ..models import Role, User
from . import bp
from .personal import (
    CommentChoice,
    erase_blocker,
    erase_user,
    export_user_data,
    may_erase,
    user_comments,
)

CONFIRM_WORD = "DELETE"


def _erase_form() -> tuple[CommentChoice | None, str | None]:
    """The choice of what happens to comments, or a message saying what is missing."""
    try:
        choice = CommentChoice(request.form.get("comments", ""))
    except ValueError:
        return None, "Choose whether your comments are anonymised or removed."
    if request.form.get("confirm", "").strip() != CONFIRM_WORD:
        return None, f"Type {CONFIRM_WORD} in the box to confirm."
    return choice, None


@bp.post("/account/export")
@login_required
def export_mine():
    """Everything the site holds about the logged-in user, as a JSON download."""
    data = export_user_data(current_user)
    site = slugify(current_app.config["SITE_TITLE"]) or "blog"
    name = f"{site}-my-data-{data['exported_at'][:10]}.json"
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_mine():
    """Ask for confirmation (GET); erase the account and log out (POST)."""
    comment_count = len(user_comments(current_user))
    if request.method == "GET":
        return render_template("portability/delete.html", comment_count=comment_count)
    choice, error = _erase_form()
    error = error or erase_blocker(current_user)
    if error:
        return render_template(
            "portability/delete.html", comment_count=comment_count, error=error
        ), 400
    user = db.session.get(User, current_user.id)
    erase_user(user, choice, actor=None)
    db.session.commit()
    logout_user()
    flash("Your account and your data have been deleted.", "success")
    return redirect("/")


@bp.route("/moderation/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def erase_on_request(user_id: int):
    """A moderator erases a reader's data at that reader's request."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description="There is no such user.")
    if not may_erase(current_user, user):
        abort(403, description="You cannot erase this account.")
    comment_count = len(user_comments(user))
    page = "portability/erase.html"
    if request.method == "GET":
        return render_template(page, target=user, comment_count=comment_count)
    choice, error = _erase_form()
    if error:
        return render_template(page, target=user, comment_count=comment_count, error=error), 400
    name = user.display_name
    result = erase_user(user, choice, actor=current_user)
    db.session.commit()
    return render_template("portability/erased.html", name=name, result=result)
