"""Logging in with a provider: ``GET /login/<provider>`` and its callback.

Every failure ends in a redirect with a message and no new session.
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import MismatchingStateError
from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user

from ..auth import safe_next
from ..extensions import db
from . import bp, identities, oauth
from .oauth import FLOW_ERRORS, DeniedError
from .providers import ProviderInfo, provider_info
from .services import AccountError
from .views import log_in

log = logging.getLogger(__name__)


def _provider(name: str) -> ProviderInfo:
    info = provider_info(name)
    if info is None:
        abort(404)
    return info


def _back() -> str:
    """Where a failed flow returns: the account page when linking, else the login page."""
    if current_user.is_authenticated:
        return url_for("accounts.account")
    return url_for("accounts.login")


@bp.get("/login/<provider>")
def oauth_start(provider: str):
    info = _provider(provider)
    session["oauth_next"] = safe_next(request.args.get("next"))
    try:
        return oauth.start(info.name)
    except FLOW_ERRORS as exc:
        log.warning("could not start login with %s: %r", info.name, exc)
        flash(f"We could not reach {info.title}. Please try again later.", "error")
        return redirect(_back())


@bp.get("/login/<provider>/callback")
def oauth_callback(provider: str):
    info = _provider(provider)
    next_url = safe_next(session.pop("oauth_next", None))
    linking = current_user.is_authenticated
    try:
        profile = oauth.finish(info.name, request.args)
        user = identities.sign_in_with(profile, current_user if linking else None)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_back())
    except FLOW_ERRORS as exc:
        db.session.rollback()
        log.warning("login with %s failed: %r", info.name, exc)
        flash(failure_message(info, exc), "error")
        return redirect(_back())
    if linking:
        flash(f"Your {info.title} account is now linked: you can log in with it too.", "success")
        return redirect(url_for("accounts.account"))
    log_in(user, info.name)
    flash(f"You are logged in with {info.title}.", "success")
    return redirect(next_url)


def failure_message(info: ProviderInfo, exc: BaseException) -> str:
    """What to tell the person, without the provider's or the attacker's own words."""
    if isinstance(exc, DeniedError):
        return f"The login with {info.title} was cancelled, so you are not logged in."
    if isinstance(exc, MismatchingStateError):
        return (
            f"That login with {info.title} had expired or did not start on this site. "
            "Please try again."
        )
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return f"We could not reach {info.title}. Please try again later."
    return f"{info.title} did not confirm who you are, so you are not logged in. Please try again."
