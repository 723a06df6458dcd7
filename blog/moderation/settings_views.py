"""The moderation settings page (rules and the ban list) and the moderation log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..auth import role_required
from ..extensions import db
from ..models import Ban, Role, User
from . import bp
from .bans import add_ban, banned_users, list_bans, remove_ban, unban_user
from .forms import AddBanForm, SettingsForm
from .queues import log_select
from .services import MAX_ID, ModerationError
from .settings import SettingsError, get_settings, update_settings
from .views import _field_errors, me

LOG_PER_PAGE = 50


def _settings_page(form: SettingsForm, ban_form: AddBanForm, status: int = 200):
    page = render_template(
        "moderation/settings.html",
        form=form,
        ban_form=ban_form,
        bans=list_bans(),
        banned_users=banned_users(),
    )
    return page, status


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.load(get_settings())
    elif form.validate_on_submit():
        try:
            update_settings(form.changes())
        except SettingsError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                getattr(form, name).errors = [message]
        else:
            db.session.commit()
            flash("The moderation settings were saved.", "success")
            return redirect(url_for(".settings"))
    return _settings_page(
        form, AddBanForm(formdata=None, prefix="ban"), 400 if form.errors else 200
    )


@bp.post("/bans")
@role_required(Role.MODERATOR)
def ban_add():
    ban_form = AddBanForm(prefix="ban")
    if ban_form.validate_on_submit():
        try:
            ban = add_ban(ban_form.kind.data, ban_form.value.data, me(), ban_form.reason.data)
        except ModerationError as exc:
            db.session.rollback()
            _field_errors(ban_form, exc)
        else:
            db.session.commit()
            flash(f"Banned {ban.kind.value} {ban.value}.", "success")
            return redirect(url_for(".settings") + "#bans")
    form = SettingsForm(formdata=None)
    form.load(get_settings())
    return _settings_page(form, ban_form, 400)


@bp.post("/bans/<int:ban_id>/delete")
@role_required(Role.MODERATOR)
def ban_delete(ban_id: int):
    ban = db.get_or_404(Ban, ban_id) if ban_id <= MAX_ID else abort(404)
    remove_ban(ban)
    db.session.commit()
    flash(f"Lifted the ban on {ban.kind.value} {ban.value}.", "success")
    return redirect(url_for(".settings") + "#bans")


@bp.post("/users/<int:user_id>/unban")
@role_required(Role.MODERATOR)
def user_unban(user_id: int):
    user = db.get_or_404(User, user_id) if user_id <= MAX_ID else abort(404)
    unban_user(user)
    db.session.commit()
    flash(f"Lifted the ban on {user.display_name}.", "success")
    return redirect(url_for(".settings") + "#bans")


@bp.get("/log")
@role_required(Role.MODERATOR)
def log():
    page = min(request.args.get("page", 1, type=int), 100_000)  # past it: an empty page
    pagination = db.paginate(log_select(), page=page, per_page=LOG_PER_PAGE, error_out=False)
    return render_template("moderation/log.html", pagination=pagination)
