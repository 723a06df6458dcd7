"""Avatars for users and guests (placeholder until the identity work lands)."""

from __future__ import annotations

from ..models import User


def avatar_url(user: User | None, email: str | None, name: str) -> str:
    """The picture to show next to a comment's author."""
    if user is not None and user.avatar_url:
        return user.avatar_url
    return "/static/icons/avatar.svg"
