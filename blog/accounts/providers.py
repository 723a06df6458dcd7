"""Login providers as the rest of the site sees them: which are on, and their names."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_request_context, session
from flask_login import current_user

log = logging.getLogger(__name__)

# How a provider is spoken to: OpenID Connect by discovery, or one of the
# two plain OAuth 2.0 providers whose user comes from their own API.
OIDC, TWITTER, FACEBOOK = "oidc", "twitter", "facebook"

EMAIL_METHOD = "email"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class ProviderInfo:
    name: str  # used in URLs: /login/<name>
    title: str  # shown to people: "Google", "X (Twitter)"
    icon: str = "icons/openid.svg"  # under /static
    kind: str = OIDC


@dataclass(frozen=True)
class ProviderConfig:
    """Everything the OAuth client needs for one provider."""

    info: ProviderInfo
    client_id: str
    client_secret: str | None
    metadata_url: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    api_base: str | None = None


BUILT_IN = {
    "google": ProviderInfo("google", "Google", "icons/google.svg", OIDC),
    "twitter": ProviderInfo("twitter", "X (Twitter)", "icons/x.svg", TWITTER),
    "facebook": ProviderInfo("facebook", "Facebook", "icons/facebook.svg", FACEBOOK),
}


def provider_configs(app: Flask) -> list[ProviderConfig]:
    """The providers whose client id is set, in the order their icons show."""
    cfg = app.config
    found: list[ProviderConfig] = []
    if cfg.get("GOOGLE_CLIENT_ID"):
        found.append(
            ProviderConfig(
                BUILT_IN["google"],
                cfg["GOOGLE_CLIENT_ID"],
                cfg.get("GOOGLE_CLIENT_SECRET"),
                metadata_url=cfg["GOOGLE_METADATA_URL"],
            )
        )
    for name in (TWITTER, FACEBOOK):
        prefix = name.upper()
        if cfg.get(f"{prefix}_CLIENT_ID"):
            found.append(
                ProviderConfig(
                    BUILT_IN[name],
                    cfg[f"{prefix}_CLIENT_ID"],
                    cfg.get(f"{prefix}_CLIENT_SECRET"),
                    authorize_url=cfg[f"{prefix}_AUTHORIZE_URL"],
                    token_url=cfg[f"{prefix}_TOKEN_URL"],
                    api_base=cfg[f"{prefix}_API_BASE"],
                )
            )
    found.extend(_oidc_providers(cfg.get("OIDC_PROVIDERS")))
    return found


def _oidc_providers(raw: Any) -> list[ProviderConfig]:
    """Providers from ``BLOG_OIDC_PROVIDERS``; a broken entry is logged and left out."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            log.warning("BLOG_OIDC_PROVIDERS is not valid JSON; no extra providers")
            return []
    if not isinstance(raw, dict):
        log.warning("BLOG_OIDC_PROVIDERS must be a JSON object; no extra providers")
        return []
    found = []
    for name, entry in raw.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in BUILT_IN:
            log.warning("OIDC provider name %r is not usable (a-z, 0-9, - and _)", name)
            continue
        if (
            not isinstance(entry, dict)
            or not entry.get("client_id")
            or not entry.get("metadata_url")
        ):
            log.warning("OIDC provider %r needs client_id and metadata_url; left out", name)
            continue
        title = str(entry.get("title") or name.capitalize())
        found.append(
            ProviderConfig(
                ProviderInfo(name, title),
                str(entry["client_id"]),
                entry.get("client_secret") and str(entry["client_secret"]),
                metadata_url=str(entry["metadata_url"]),
            )
        )
    return found


def enabled_providers() -> list[ProviderInfo]:
    """Providers configured on this site, in the order the login icons show them."""
    return [c.info for c in current_app.extensions.get("blog.providers", [])]


def provider_info(name: str) -> ProviderInfo | None:
    """The configured provider called ``name``, or None."""
    for info in enabled_providers():
        if info.name == name:
            return info
    return None


def provider_title(name: str) -> str:
    """A provider's title, even when it is no longer configured."""
    if name == EMAIL_METHOD:
        return "email"
    info = provider_info(name) or BUILT_IN.get(name)
    return info.title if info else name.capitalize()


def login_method_title(user) -> str:
    """How ``user`` logged in this session, e.g. "Google" or "email"."""
    method = None
    if has_request_context() and getattr(current_user, "id", None) == getattr(user, "id", 0):
        method = session.get("login_method")
    if method is None:
        # No record of this session's way in: name the account's first one.
        if getattr(user, "password_hash", None) and getattr(user, "email", None):
            method = EMAIL_METHOD
        elif getattr(user, "identities", None):
            method = user.identities[0].provider
        else:
            method = EMAIL_METHOD
    return provider_title(method)
