"""Login providers as the rest of the site sees them (placeholder until identity lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    name: str  # used in URLs: /login/<name>
    title: str  # shown to people: "Google", "X (Twitter)"


def enabled_providers() -> list[ProviderInfo]:
    """Providers configured on this site, in the order the login icons show them."""
    return []


def login_method_title(user) -> str:
    """How ``user`` logged in this session, e.g. "Google" or "email"."""
    return "email"
