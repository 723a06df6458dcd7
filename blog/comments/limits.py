"""Comment rate limits, per IP and per account, shared by the form and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user

from ..extensions import _client_ip, limiter
from ..ratelimit import comment_limit

MESSAGE = "You are commenting too fast. Please wait a minute and try again."


def ip_key() -> str:
    return "ip:" + _client_ip()


def account_key() -> str:
    """The account for a logged-in reader; for a guest, the email they give (or the IP)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    email = request.form.get("email") if request.form else None
    if email is None:
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested too deep; json_body answers it with a 400
            data = None
        email = data.get("email") if isinstance(data, dict) else None
    if isinstance(email, str) and email.strip():
        return "email:" + email.strip().lower()[:254]
    return ip_key()


# Shared scopes: a comment by form and one by the API count against the same limits.
_per_ip = limiter.shared_limit(
    comment_limit, scope="comment-ip", key_func=ip_key, methods=["POST"], error_message=MESSAGE
)
_per_account = limiter.shared_limit(
    comment_limit,
    scope="comment-account",
    key_func=account_key,
    methods=["POST"],
    error_message=MESSAGE,
)


# Flags have their own count: reporting comments never uses up one's own comments.
flag_rate_limit = limiter.shared_limit(
    comment_limit, scope="flag-ip", key_func=ip_key, methods=["POST"], error_message=MESSAGE
)


def comment_rate_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply both comment limits to a view."""
    return _per_ip(_per_account(view))
