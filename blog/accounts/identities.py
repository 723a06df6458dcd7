"""Linking rules: which user a provider's identity belongs to, and the ways in a user keeps.

Identities are found by (provider, subject), never by email. A new identity
joins an existing user only when the provider vouches for an email that the
user has verified too; otherwise it makes a new user.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Identity, User, utcnow
from .oauth import ProviderProfile
from .providers import EMAIL_METHOD, provider_title
from .services import AccountError, find_by_email, release_unverified


def find_identity(provider: str, subject: str) -> Identity | None:
    return db.session.scalar(
        sa.select(Identity).where(Identity.provider == provider, Identity.subject == subject)
    )


def sign_in_with(profile: ProviderProfile, current: User | None = None) -> User:
    """The user this profile logs in as; with ``current``, link it to that user instead."""
    identity = find_identity(profile.provider, profile.subject)
    if current is not None:
        if identity is None:
            _add_identity(current, profile)
        elif identity.user_id != current.id:
            raise AccountError(
                f"That {provider_title(profile.provider)} account is already linked "
                "to another user of this site."
            )
        else:
            _refresh(identity, profile)
        return current
    if identity is not None:
        _refresh(identity, profile)
        return identity.user
    user = _user_with_verified_email(profile) or _new_user(profile)
    _add_identity(user, profile)
    return user


def _user_with_verified_email(profile: ProviderProfile) -> User | None:
    if not (profile.email and profile.email_verified):
        return None
    user = find_by_email(profile.email)
    return user if user is not None and user.email_verified else None


def _new_user(profile: ProviderProfile) -> User:
    """A user made from a first login; name and picture come from this provider."""
    name = profile.display_name or profile.username or f"{provider_title(profile.provider)} user"
    user = User(display_name=name, avatar_url=profile.avatar_url, email_verified=False)
    if profile.email and profile.email_verified:
        release_unverified(profile.email)
        if find_by_email(profile.email) is None:
            user.email, user.email_verified = profile.email, True
    db.session.add(user)
    return user


def _add_identity(user: User, profile: ProviderProfile) -> Identity:
    identity = Identity(provider=profile.provider, subject=profile.subject)
    _copy_profile(identity, profile)
    user.identities.append(identity)
    db.session.flush()
    return identity


def _refresh(identity: Identity, profile: ProviderProfile) -> None:
    """Keep the identity's copy of the profile current; the user's picture follows it."""
    user = identity.user
    if user.avatar_url and user.avatar_url == identity.avatar_url and profile.avatar_url:
        user.avatar_url = profile.avatar_url
    _copy_profile(identity, profile)


def _copy_profile(identity: Identity, profile: ProviderProfile) -> None:
    identity.display_name = profile.display_name
    identity.username = profile.username
    identity.email = profile.email
    identity.email_verified = profile.email_verified
    identity.avatar_url = profile.avatar_url
    identity.last_login_at = utcnow()


def has_password_login(user: User) -> bool:
    """Email and password count as a way in once the address is verified."""
    return bool(user.password_hash and user.email and user.email_verified)


def ways_in(user: User) -> list[str]:
    """The names of every way this user can log in: "email" and provider names."""
    names = [EMAIL_METHOD] if has_password_login(user) else []
    names.extend(identity.provider for identity in user.identities)
    return names


def unlink(user: User, identity_id: int) -> Identity:
    """Remove one of the user's identities, unless it is their last way in."""
    identity = next((i for i in user.identities if i.id == identity_id), None)
    if identity is None:
        raise AccountError("That login is not linked to your account.")
    if len(ways_in(user)) <= 1:
        raise AccountError(
            "This is your only way to log in. Link another provider or set a password first."
        )
    if user.avatar_url and user.avatar_url == identity.avatar_url:
        user.avatar_url = None
    user.identities.remove(identity)
    db.session.flush()
    return identity
