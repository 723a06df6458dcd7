"""Account rules, callable without a request."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()
