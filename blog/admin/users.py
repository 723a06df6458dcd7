"""Admin page for users: list and search them, change roles, ban and unban."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts import roles
from ..accounts.providers import provider_title
from ..accounts.services import AccountError
from ..auth import role_required, safe_next
from ..extensions import db
from ..models import Role, User
from . import bp

PER_PAGE = 50


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _back():
    return redirect(safe_next(request.form.get("back"), url_for("admin.users")))


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    search = request.args.get("q", "")[:100]
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 1_000_000 else 1
    pages = db.paginate(roles.user_query(search), page=page, per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/users.html",
        pages=pages,
        search=search,
        roles=list(Role),
        provider_title=provider_title,
        back=request.full_path.rstrip("?"),
    )


@bp.post("/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def change_role(user_id: int):
    user = _user_or_404(user_id)
    try:
        roles.change_role(current_user, user, roles.parse_role(request.form.get("role")))
    except AccountError as exc:
        flash(str(exc), "error")
        return _back()
    db.session.commit()
    flash(f"{user.display_name} is now {user.role.value}.", "success")
    return _back()


@bp.post("/users/<int:user_id>/ban")
@role_required(Role.ADMIN)
def ban(user_id: int):
    return _set_banned(_user_or_404(user_id), True)


@bp.post("/users/<int:user_id>/unban")
@role_required(Role.ADMIN)
def unban(user_id: int):
    return _set_banned(_user_or_404(user_id), False)


def _set_banned(user: User, banned: bool):
    try:
        roles.set_banned(current_user, user, banned)
    except AccountError as exc:
        flash(str(exc), "error")
        return _back()
    db.session.commit()
    state = "banned: they can no longer comment" if banned else "no longer banned"
    flash(f"{user.display_name} is {state}.", "success")
    return _back()
