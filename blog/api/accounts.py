"""Logging in and out over JSON, and who the current user is."""

from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user, logout_user

from ..accounts import services
from ..accounts.avatars import avatar_url
from ..accounts.identities import ways_in
from ..accounts.providers import EMAIL_METHOD
from ..accounts.views import WRONG_CREDENTIALS, log_in, login_rate
from ..extensions import db
from ..models import User
from . import bp
from .common import ApiError, json_body


def me_json(user: User) -> dict[str, Any]:
    """The current user as /api/me shows them."""
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role.value,
        "avatar_url": avatar_url(user),
        "website": user.website,
        "providers": ways_in(user),
    }


@bp.post("/login")
@login_rate
def login():
    data = json_body()
    fields = {
        name: "Required." for name in ("email", "password") if not isinstance(data.get(name), str)
    }
    fields.update({n: "Required." for n in ("email", "password") if data.get(n) == ""})
    if fields:
        raise ApiError(400, "Send an email and a password.", fields=fields)
    user = services.authenticate(data["email"], data["password"])
    if user is None:
        raise ApiError(401, WRONG_CREDENTIALS)
    if not user.email_verified:
        services.send_verification(user)
        db.session.commit()
        raise ApiError(401, "Confirm your email address first: we sent you a new link.")
    log_in(user, EMAIL_METHOD)
    return me_json(user)


@bp.post("/logout")
def logout():
    logout_user()
    session.pop("login_method", None)
    return {}


@bp.get("/me")
def me():
    if not current_user.is_authenticated:
        raise ApiError(401, "Not logged in.")
    return me_json(current_user)
