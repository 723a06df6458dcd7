"""Avatars: the provider's picture, Gravatar when the site allows it, else an identicon.

Identicons are drawn here from a keyed hash, so no outside service learns
who comments and the hash reveals no address.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from urllib.parse import urlencode

from flask import current_app, g, has_request_context, url_for

from ..models import User

GRAVATAR_BASE = "https://www.gravatar.com/avatar/"
IDENTICON, GRAVATAR = "identicon", "gravatar"
HASH_LENGTH = 20
GRID = 5


def gravatar_enabled() -> bool:
    return bool(current_app.config.get("GRAVATAR"))


def avatar_hash(seed: str) -> str:
    """A keyed digest naming an identicon: stable per seed, meaningless outside this site."""
    return _keyed_digest(current_app.config["SECRET_KEY"], seed)


@lru_cache(maxsize=20_000)
def _keyed_digest(key: str, seed: str) -> str:
    # Pages and the API draw the same authors again and again: each digest once.
    return hmac.new(key.encode(), f"avatar:{seed}".encode(), hashlib.sha256).hexdigest()[
        :HASH_LENGTH
    ]


_BLANK = "0" * HASH_LENGTH


class _Site:
    """What avatar URLs depend on (the settings, the key, where identicons live),
    each read once and only when a rule needs it."""

    __slots__ = ("_gravatar", "_identicon")

    def __init__(self) -> None:
        self._gravatar: bool | None = None
        self._identicon: tuple[str, str] | None = None  # (key, URL pattern)

    @property
    def gravatar(self) -> bool:
        if self._gravatar is None:
            self._gravatar = gravatar_enabled()
        return self._gravatar

    def identicon_url(self, seed: str) -> str:
        if self._identicon is None:
            self._identicon = (current_app.config["SECRET_KEY"], _identicon_pattern())
        key, pattern = self._identicon
        return pattern.replace(_BLANK, _keyed_digest(key, seed))

    def picture(self, user_id: int | None, stored: str | None, email: str | None, name: str) -> str:
        """The picture for an account (its id and stored URL) or a guest (email, name)."""
        if user_id is not None:
            if stored and (self.gravatar or not is_gravatar(stored)):
                return stored
            return self.identicon_url(f"user:{user_id}")
        if email and self.gravatar:
            return gravatar_url(email)
        if email:
            return self.identicon_url(f"email:{email.strip().lower()}")
        return self.identicon_url(f"name:{name.strip()}")


def _identicon_pattern() -> str:
    """An identicon's URL with ``_BLANK`` for its digest (hex: nothing to quote)."""
    if not has_request_context():
        return f"/avatar/{_BLANK}.svg"  # jobs and mail: no request to build a URL from
    # A page may draw hundreds of avatars: build the URL once per request.
    pattern = g.get("_identicon_url")
    if pattern is None:
        pattern = g._identicon_url = url_for("accounts.identicon", digest=_BLANK)
    return pattern


def identicon_url(seed: str) -> str:
    return _Site().identicon_url(seed)


def gravatar_url(email: str, size: int = 80) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{GRAVATAR_BASE}{digest}?" + urlencode({"d": "identicon", "s": size})


def is_gravatar(url: str | None) -> bool:
    return bool(url) and url.startswith(GRAVATAR_BASE)


def avatar_url(user: User | None, email: str | None = None, name: str = "") -> str:
    """The picture to show for a user, or for a guest known by email and name."""
    if user is not None and getattr(user, "id", None) is not None:
        return _Site().picture(user.id, user.avatar_url, None, name)
    return _Site().picture(None, None, email, name)


# The comment code may use either name.
avatar_url_for = avatar_url


class Avatars:
    """Avatar URLs for many comments in one go (a page, an API list): the
    settings are read once and each author's picture is made once, since a
    discussion names the same people again and again."""

    def __init__(self) -> None:
        self._site = _Site()
        self._made: dict[tuple, str] = {}

    def __call__(
        self, user_id: int | None, stored: str | None, email: str | None, name: str
    ) -> str:
        """``avatar_url`` for a comment's account (id, stored URL) or its guest author."""
        key = (user_id, stored, email, name)
        url = self._made.get(key)
        if url is None:
            url = self._made[key] = self._site.picture(user_id, stored, email, name)
        return url


def avatar_choices(user: User) -> list[tuple[str, str, str]]:
    """(value, label, picture URL) for each avatar the user may pick."""
    choices = [(IDENTICON, "A pattern drawn for you", identicon_url(f"user:{user.id}"))]
    if gravatar_enabled() and user.email:
        choices.append((GRAVATAR, "Your Gravatar", gravatar_url(user.email)))
    for identity in user.identities:
        if identity.avatar_url:
            from .providers import provider_title

            label = f"Your picture on {provider_title(identity.provider)}"
            choices.append((f"identity:{identity.id}", label, identity.avatar_url))
    return choices


def current_choice(user: User) -> str:
    if not user.avatar_url:
        return IDENTICON
    if is_gravatar(user.avatar_url):
        return GRAVATAR if gravatar_enabled() else IDENTICON
    for identity in user.identities:
        if identity.avatar_url == user.avatar_url:
            return f"identity:{identity.id}"
    return IDENTICON


def choose_avatar(user: User, choice: str) -> bool:
    """Store the picture ``choice`` names; False when it is not one of the user's choices."""
    for value, _label, url in avatar_choices(user):
        if value == choice:
            user.avatar_url = None if value == IDENTICON else url
            return True
    return False


def follow_email_change(user: User, new_email: str) -> None:
    """A Gravatar follows the address it was made from."""
    if is_gravatar(user.avatar_url):
        user.avatar_url = gravatar_url(new_email)


def identicon_svg(digest: str) -> str:
    """A symmetric 5x5 pattern in one colour, drawn from the hex digest."""
    value = int(digest, 16)
    hue = value % 360
    colour = f"hsl({hue} 55% 45%)"
    cells = []
    bits = value >> 9
    for row in range(GRID):
        for col in range((GRID + 1) // 2):
            on = bits & 1
            bits >>= 1
            if not on:
                continue
            for x in {col, GRID - 1 - col}:
                cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="80" height="80"'
        ' role="img" aria-label="Avatar">'
        '<rect width="7" height="7" fill="#f0f0f0"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
