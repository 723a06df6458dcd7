"""Email account rules, callable without a request: sign up, verify, log in, reset, change."""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..mail import queue_mail
from ..models import User
from ..sanitise import clean_text, safe_url
from . import tokens

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing megabytes of "password" is a cheap denial of service


class AccountError(ValueError):
    """A rule said no; the message is fit to show the person."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def checked_email(value: str | None) -> str:
    """A normalised address, or AccountError when it is not one."""
    try:
        return normalise_email(validate_email(value or "", check_deliverability=False).normalized)
    except EmailNotValidError:
        raise AccountError("Enter a valid email address.") from None


def check_password_rules(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Use a password of at most {MAX_PASSWORD} characters.")
    return password


def clean_display_name(name: str | None) -> str:
    name = clean_text(name or "").strip()
    if not name:
        raise AccountError("Enter the name to show with your comments.")
    if len(name) > 100:
        raise AccountError("Keep the name under 100 characters.")
    return name


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def release_unverified(email: str, keep: User | None = None) -> None:
    """Free ``email`` from an account that never proved it owns it, for one that has."""
    holder = find_by_email(email)
    if holder is not None and holder is not keep and not holder.email_verified:
        holder.email = None
        db.session.flush()


def link(endpoint: str, **values: str) -> str:
    """An absolute link for mail, on the public base URL."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def send_mail(to: str, template: str, subject: str, **context) -> None:
    """Queue a text and HTML mail from templates/accounts/mail/<template>.{txt,html}."""
    context.setdefault("site", current_app.config["SITE_TITLE"])
    text = render_template(f"accounts/mail/{template}.txt", **context)
    html = render_template(f"accounts/mail/{template}.html", **context)
    queue_mail(to, f"{subject} · {context['site']}", text, html)


# --- sign up and verification ---------------------------------------------------


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not anyone's password", method=method)


def sign_up(display_name: str, email: str, password: str) -> User | None:
    """Make an unverified account and mail its link; an address in use gets a hint instead.

    Returns the new user, or None when the address already had an account (the
    caller answers the same either way, so nobody learns which addresses exist).
    """
    display_name = clean_display_name(display_name)
    email = checked_email(email)
    check_password_rules(password)
    existing = find_by_email(email)
    if existing is not None:
        # Hash anyway: a known address must not answer faster than a new one.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        send_mail(
            email,
            "signup_exists",
            "You already have an account",
            user=existing,
            login_url=link("accounts.login"),
            reset_url=link("accounts.reset_request"),
        )
        return None
    user = User(email=email, email_verified=False, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    token = tokens.make_token(tokens.VERIFY, user, email=user.email)
    send_mail(
        user.email,
        "verify",
        "Confirm your email address",
        user=user,
        url=link("accounts.verify_email", token=token),
    )


def check_verify_token(token: str) -> User | None:
    found = tokens.load_token(tokens.VERIFY, token)
    if found is None or found[0].email != found[1].get("email") or found[0].email_verified:
        return None
    return found[0]


def confirm_email(token: str) -> User:
    user = check_verify_token(token)
    if user is None:
        raise AccountError("This link has expired or has already been used.")
    user.email_verified = True
    return user


# --- logging in -----------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None, taking the same time either way."""
    user = find_by_email(email) if email else None
    if user is None or not user.password_hash:
        # Hash anyway, so a missing account answers no faster than a wrong password.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if user.check_password(password) else None


# --- passwords ------------------------------------------------------------------


def request_reset(email: str) -> None:
    """Mail a reset link if an account uses ``email``; say nothing either way."""
    try:
        email = checked_email(email)
    except AccountError:
        return
    user = find_by_email(email)
    if user is None:
        return
    token = tokens.make_token(tokens.RESET, user)
    send_mail(
        email,
        "reset",
        "Reset your password",
        user=user,
        url=link("accounts.reset_password", token=token),
    )


def check_reset_token(token: str) -> User | None:
    found = tokens.load_token(tokens.RESET, token)
    return found[0] if found and found[0].email else None


def reset_password(token: str, password: str) -> User:
    """Set a new password from a mailed link; every other session ends."""
    user = check_reset_token(token)
    if user is None:
        raise AccountError("This link has expired or has already been used.")
    set_new_password(user, check_password_rules(password))
    # The link reached the inbox, so the address is proved as well.
    user.email_verified = True
    return user


def change_password(user: User, current: str | None, new: str) -> None:
    """Change (or first set) the password; the current one is asked for when there is one."""
    check_password_rules(new)
    if user.password_hash and not user.check_password(current or ""):
        raise AccountError("Your current password is not right.")
    if not user.email:
        raise AccountError("Add an email address first: you log in with it and the password.")
    set_new_password(user, new)


def set_new_password(user: User, password: str) -> None:
    user.set_password(password)
    user.session_version += 1  # log out everywhere else


# --- email changes ------------------------------------------------------------------


def request_email_change(user: User, new_email: str, password: str | None) -> str:
    """Mail a confirmation link to the new address; it becomes the email only when used."""
    new_email = checked_email(new_email)
    if user.password_hash and not user.check_password(password or ""):
        raise AccountError("Your current password is not right.")
    if new_email == user.email and user.email_verified:
        raise AccountError("That is already your address.")
    token = tokens.make_token(tokens.CHANGE_EMAIL, user, new=new_email)
    send_mail(
        new_email,
        "change_email",
        "Confirm your new email address",
        user=user,
        new_email=new_email,
        url=link("accounts.confirm_email_change", token=token),
    )
    return new_email


def check_email_change_token(token: str) -> tuple[User, str] | None:
    found = tokens.load_token(tokens.CHANGE_EMAIL, token)
    if found is None or not isinstance(found[1].get("new"), str):
        return None
    return found[0], found[1]["new"]


def confirm_email_change(token: str) -> User:
    found = check_email_change_token(token)
    if found is None:
        raise AccountError("This link has expired or has already been used.")
    user, new_email = found
    holder = find_by_email(new_email)
    if holder is not None and holder is not user and holder.email_verified:
        raise AccountError("Another account already uses that address.")
    release_unverified(new_email, keep=user)
    from .avatars import follow_email_change

    follow_email_change(user, new_email)
    user.email = new_email
    user.email_verified = True
    return user


# --- profile --------------------------------------------------------------------------


def update_profile(user: User, display_name: str, website: str | None) -> None:
    user.display_name = clean_display_name(display_name)
    website = (website or "").strip()
    if website:
        url = safe_url(website)
        if url is None or len(url) > 255:
            raise AccountError("The website must be an http:// or https:// address.")
        user.website = url
    else:
        user.website = None
