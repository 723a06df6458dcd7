"""OAuth and OpenID Connect clients (Authlib): starting a login and reading who came back.

Each app gets its own Authlib registry, built from its settings: a process
may hold several apps (tests do), and Authlib caches clients and provider
metadata per registry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, url_for
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from ..sanitise import clean_text, safe_url
from .providers import FACEBOOK, OIDC, TWITTER, ProviderConfig, provider_configs

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds for any call to a provider
SCOPES = {
    OIDC: "openid email profile",
    TWITTER: "users.read tweet.read",
    FACEBOOK: "email public_profile",
}
# Google signs with either form of its issuer.
EXTRA_ISSUERS = {"google": ["accounts.google.com", "https://accounts.google.com"]}


class ProfileError(ValueError):
    """The provider's answer about the user is not what we can use."""


class DeniedError(Exception):
    """The person said no on the provider's consent page."""


# Everything a provider or an attacker can make a callback raise.
FLOW_ERRORS = (
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    DeniedError,
    KeyError,
    ValueError,
    TypeError,
    RuntimeError,
)


@dataclass(frozen=True)
class ProviderProfile:
    """Who the provider says the person is."""

    provider: str
    subject: str
    display_name: str | None
    username: str | None = None
    email: str | None = None
    email_verified: bool = False
    avatar_url: str | None = None


def init_app(app: Flask) -> None:
    """Register a client for every provider whose client id is set."""
    registry = OAuth()
    registry.init_app(app)
    configs = provider_configs(app)
    for config in configs:
        registry.register(config.info.name, **_client_settings(config))
    app.extensions["blog.oauth"] = registry
    app.extensions["blog.providers"] = configs


def _client_settings(config: ProviderConfig) -> dict[str, Any]:
    kind = config.info.kind
    client_kwargs: dict[str, Any] = {"scope": SCOPES[kind], "default_timeout": TIMEOUT}
    if kind in (OIDC, TWITTER):
        client_kwargs["code_challenge_method"] = "S256"
    if kind == FACEBOOK:
        client_kwargs["token_endpoint_auth_method"] = "client_secret_post"
    settings: dict[str, Any] = {
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "client_kwargs": client_kwargs,
    }
    if kind == OIDC:
        settings["server_metadata_url"] = config.metadata_url
    else:
        settings.update(
            authorize_url=config.authorize_url,
            access_token_url=config.token_url,
            api_base_url=config.api_base,
        )
    return settings


def _client(name: str):
    return current_app.extensions["blog.oauth"].create_client(name)


def _config(name: str) -> ProviderConfig:
    for config in current_app.extensions["blog.providers"]:
        if config.info.name == name:
            return config
    raise KeyError(name)


def callback_url(name: str) -> str:
    """The redirect URI to register with the provider: BASE_URL + /login/<name>/callback."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("accounts.oauth_callback", provider=name)


def start(name: str) -> Response:
    """Send the browser to the provider (state, PKCE and nonce kept in the session)."""
    return _client(name).authorize_redirect(callback_url(name))


def finish(name: str, args: dict[str, str]) -> ProviderProfile:
    """Check the callback, trade the code for tokens and read the user; raises FLOW_ERRORS."""
    if args.get("error"):
        raise DeniedError(args["error"])
    if not args.get("state"):
        raise MismatchingStateError()
    client = _client(name)
    kind = _config(name).info.kind
    if kind == OIDC:
        return _oidc_profile(name, client)
    token = client.authorize_access_token()
    if kind == TWITTER:
        return _twitter_profile(name, client, token)
    return _facebook_profile(name, client, token)


def _oidc_profile(name: str, client) -> ProviderProfile:
    metadata = client.load_server_metadata()
    issuers = [metadata["issuer"], *EXTRA_ISSUERS.get(name, [])]
    token = client.authorize_access_token(
        claims_options={
            "iss": {"essential": True, "values": issuers},
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
        }
    )
    claims = dict(token.get("userinfo") or {})
    if not claims:
        raise ProfileError("no id_token in the token response")
    if not (claims.get("email") and claims.get("name")) and metadata.get("userinfo_endpoint"):
        extra = client.userinfo(token=token)
        if str(extra.get("sub")) != str(claims["sub"]):
            raise ProfileError("userinfo is about someone else")
        claims = {**extra, **claims}
    verified = claims.get("email_verified") in (True, "true")
    return make_profile(
        name,
        claims["sub"],
        display_name=claims.get("name"),
        username=claims.get("preferred_username"),
        email=claims.get("email"),
        email_verified=verified,
        avatar_url=claims.get("picture"),
    )


def _twitter_profile(name: str, client, token: dict) -> ProviderProfile:
    response = client.get("2/users/me", params={"user.fields": "profile_image_url"}, token=token)
    response.raise_for_status()
    data = response.json()["data"]
    return make_profile(
        name,
        data["id"],
        display_name=data.get("name"),
        username=data.get("username"),
        avatar_url=data.get("profile_image_url"),
    )


def _facebook_profile(name: str, client, token: dict) -> ProviderProfile:
    response = client.get("me", params={"fields": "id,name,email,picture"}, token=token)
    response.raise_for_status()
    data = response.json()
    picture = data.get("picture") or {}
    # Facebook does not say whether it checked the address: never trust it for linking.
    return make_profile(
        name,
        data["id"],
        display_name=data.get("name"),
        email=data.get("email"),
        email_verified=False,
        avatar_url=(picture.get("data") or {}).get("url") if isinstance(picture, dict) else None,
    )


def make_profile(
    provider: str,
    subject: Any,
    *,
    display_name: Any = None,
    username: Any = None,
    email: Any = None,
    email_verified: bool = False,
    avatar_url: Any = None,
) -> ProviderProfile:
    """A profile from untrusted provider data: types checked, lengths bounded."""
    if isinstance(subject, bool) or not isinstance(subject, str | int):
        raise ProfileError("the provider gave no user id")
    subject = clean_text(str(subject)).strip()
    if not subject or len(subject) > 255:
        raise ProfileError("the provider's user id is empty or too long")
    email = _text(email, 254)
    if email and ("@" not in email or any(ch.isspace() for ch in email)):
        email = None
    avatar = _text(avatar_url, 500)
    return ProviderProfile(
        provider=provider,
        subject=subject,
        display_name=_text(display_name, 100),
        username=_text(username, 100),
        email=email.lower() if email else None,
        email_verified=bool(email and email_verified),
        avatar_url=safe_url(avatar) if avatar else None,
    )


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProfileError("the provider sent a field of the wrong type")
    value = clean_text(value).strip()
    return value[:limit] or None
