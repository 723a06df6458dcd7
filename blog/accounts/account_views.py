"""The account page: profile, picture, ways in, password, email, and the data forms."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from . import avatars, bp, identities, services
from .forms import AvatarForm, ChangeEmailForm, ChangePasswordForm, ProfileForm
from .providers import EMAIL_METHOD, enabled_providers, provider_title
from .services import AccountError
from .views import LINK_USED, log_in


def _account_page(status: int = 200, **forms):
    user = current_user
    forms.setdefault("profile_form", ProfileForm(obj=user, formdata=None))
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("email_form", ChangeEmailForm(formdata=None))
    linked = {identity.provider for identity in user.identities}
    page = render_template(
        "accounts/account.html",
        user=user,
        avatar_url=avatars.avatar_url(user),
        avatar_choices=avatars.avatar_choices(user),
        avatar_choice=avatars.current_choice(user),
        identities=user.identities,
        can_unlink=len(identities.ways_in(user)) > 1,
        has_password_login=identities.has_password_login(user),
        providers_to_link=[p for p in enabled_providers() if p.name not in linked],
        provider_title=provider_title,
        **forms,
    )
    return page, status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.website.data)
        except AccountError as exc:
            form.website.errors = [str(exc)]
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.account"))
    return _account_page(400, profile_form=form)


@bp.post("/account/avatar")
@login_required
def choose_avatar():
    form = AvatarForm()
    if form.validate_on_submit() and avatars.choose_avatar(current_user, form.avatar.data or ""):
        db.session.commit()
        flash("Your picture is changed.", "success")
        return redirect(url_for("accounts.account"))
    flash("Choose one of the pictures offered.", "error")
    return _account_page(400)


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except AccountError as exc:
            form.current_password.errors = [str(exc)]
        else:
            db.session.commit()
            # The session version moved on: renew this session, the others end.
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other devices are logged out.", "success")
            return redirect(url_for("accounts.account"))
    return _account_page(400, password_form=form)


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            address = services.request_email_change(
                current_user, form.email.data, form.password.data
            )
        except AccountError as exc:
            form.email.errors = [str(exc)]
        else:
            db.session.commit()
            flash(
                f"We sent a link to {address}. It becomes your address when you open it.",
                "info",
            )
            return redirect(url_for("accounts.account"))
    return _account_page(400, email_form=form)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """GET shows a button (mail scanners fetch links); POST moves the address."""
    if request.method == "GET":
        found = services.check_email_change_token(token)
        if found is None:
            return render_template("accounts/link_used.html", message=LINK_USED), 400
        user, new_email = found
        return render_template("accounts/confirm.html", user=user, action="email", email=new_email)
    try:
        user = services.confirm_email_change(token)
    except AccountError as exc:
        return render_template("accounts/link_used.html", message=str(exc)), 400
    db.session.commit()
    if current_user.is_authenticated and current_user.id != user.id:
        logout_user()
    if not current_user.is_authenticated:
        log_in(user, EMAIL_METHOD)
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/verify")
@login_required
def resend_verification():
    if current_user.email and not current_user.email_verified:
        services.send_verification(current_user)
        db.session.commit()
        flash(f"We sent a new link to {current_user.email}.", "info")
    return redirect(url_for("accounts.account"))


@bp.post("/account/identities/<int:identity_id>/unlink")
@login_required
def unlink_identity(identity_id: int):
    try:
        identity = identities.unlink(current_user, identity_id)
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.account"))
    db.session.commit()
    flash(f"Your {provider_title(identity.provider)} login is removed.", "success")
    return redirect(url_for("accounts.account"))
