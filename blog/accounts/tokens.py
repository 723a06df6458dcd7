"""Signed, expiring, single-use links for mail: verify an address, reset a password, move email.

A token carries a fingerprint of the account's current state (email, whether
it is verified, password hash, session version). Using the link changes that
state, so the same link never works twice.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

VERIFY, RESET, CHANGE_EMAIL = "verify-email", "reset-password", "change-email"
MAX_AGE = {
    VERIFY: timedelta(days=3),
    RESET: timedelta(hours=1),
    CHANGE_EMAIL: timedelta(days=1),
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # A salt per purpose: a reset link can never be used to verify, and so on.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"accounts.{purpose}")


def fingerprint(user: User) -> str:
    """A short digest of the account state that a link is good for."""
    state = "|".join(
        str(part)
        for part in (
            user.id,
            user.email,
            user.email_verified,
            user.password_hash,
            user.session_version,
        )
    )
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def make_token(purpose: str, user: User, **extra: Any) -> str:
    """A link token for ``user``; ``extra`` travels signed with it."""
    return _serializer(purpose).dumps({"uid": user.id, "fp": fingerprint(user), **extra})


def load_token(purpose: str, token: str) -> tuple[User, dict[str, Any]] | None:
    """The user and the token's data, or None when expired, forged or already used."""
    try:
        data = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose].total_seconds())
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not hmac.compare_digest(str(data.get("fp")), fingerprint(user)):
        return None
    return user, data
