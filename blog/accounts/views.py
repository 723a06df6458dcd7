"""Email accounts: log in, log out, sign up, verify, reset a password; identicons."""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..auth import safe_next
from ..extensions import db, limiter
from ..models import User
from ..ratelimit import login_limit
from . import avatars, bp, services
from .forms import LoginForm, NewPasswordForm, ResetRequestForm, SignupForm
from .providers import EMAIL_METHOD, enabled_providers
from .services import AccountError

# Login, sign-up and reset attempts share one budget per IP: every POST counts.
login_rate = limiter.shared_limit(login_limit, scope="accounts-login", methods=["POST"])

WRONG_CREDENTIALS = "That email and password do not match an account here."
LINK_USED = "This link has expired or has already been used."
_DIGEST = re.compile(rf"^[0-9a-f]{{{avatars.HASH_LENGTH}}}$")


def log_in(user: User, method: str, remember: bool = False) -> None:
    """Start a session for ``user``, noting how they came in (for "You are commenting using…")."""
    login_user(user, remember=remember)
    session["login_method"] = method


@bp.route("/login", methods=["GET", "POST"])
@login_rate
def login():
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), "")
    error, status = None, 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            error, status = WRONG_CREDENTIALS, 401
        elif not user.email_verified:
            services.send_verification(user)
            db.session.commit()
            error, status = "Please confirm your email address first: we sent you a new link.", 403
        else:
            log_in(user, EMAIL_METHOD, remember=form.remember.data)
            return redirect(safe_next(next_url))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "accounts/login.html",
        form=form,
        error=error,
        next_url=next_url,
        providers=enabled_providers(),
    )
    return page, status


@bp.post("/logout")
def logout():
    logout_user()
    session.pop("login_method", None)
    flash("You are logged out.", "info")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/signup", methods=["GET", "POST"])
@login_rate
def signup():
    form = SignupForm()
    next_url = safe_next(request.values.get("next"), "")
    error, status = None, 200
    if form.validate_on_submit():
        try:
            services.sign_up(form.display_name.data, form.email.data, form.password.data)
        except AccountError as exc:
            error, status = str(exc), 400
        else:
            db.session.commit()
            # The same answer whether or not the address already had an account.
            return render_template(
                "accounts/check_mail.html", email=form.email.data, purpose="signup"
            )
    elif form.is_submitted():
        status = 400
    page = render_template(
        "accounts/signup.html",
        form=form,
        error=error,
        next_url=next_url,
        providers=enabled_providers(),
    )
    return page, status


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """GET shows a button (mail scanners fetch links); POST confirms the address."""
    if request.method == "GET":
        user = services.check_verify_token(token)
        if user is None:
            return render_template("accounts/link_used.html", message=LINK_USED), 400
        return render_template(
            "accounts/confirm.html", user=user, action="verify", email=user.email
        )
    try:
        user = services.confirm_email(token)
    except AccountError as exc:
        return render_template("accounts/link_used.html", message=str(exc)), 400
    db.session.commit()
    if current_user.is_authenticated and current_user.id != user.id:
        logout_user()
    if not current_user.is_authenticated:
        log_in(user, EMAIL_METHOD)
    flash("Your email address is confirmed. Welcome!", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/reset", methods=["GET", "POST"])
@login_rate
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/check_mail.html", email=form.email.data, purpose="reset")
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@login_rate
def reset_password(token: str):
    if services.check_reset_token(token) is None:
        return render_template("accounts/link_used.html", message=LINK_USED, reset=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            logout_user()
            session.pop("login_method", None)
            flash("Your password is changed. Log in with it now.", "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status


@bp.get("/avatar/<digest>.svg")
def identicon(digest: str):
    if not _DIGEST.match(digest):
        abort(404)
    response = Response(avatars.identicon_svg(digest), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=604800, immutable"
    return response
