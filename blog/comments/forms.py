"""Comment input: checking fields from the form or the API, and the form's signed stamp."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..accounts.services import normalise_email
from ..sanitise import clean_text, safe_url

BODY_MAX = 10_000
NAME_MAX = 100
EMAIL_MAX = 254
WEBSITE_MAX = 255
# The field people never see; bots fill in everything.
HONEYPOT = "homepage"
STAMP_FIELD = "ts"
# A form may stay open for a while (or sit in a page cache); older stamps are refused.
STAMP_MAX_AGE = 7 * 24 * 3600


class FormStampError(ValueError):
    """The form's stamp is missing, tampered with, or too old."""


@dataclass
class CommentInput:
    body: str = ""
    name: str = ""
    email: str = ""
    website: str | None = None
    notify: bool = False
    parent_id: int | None = None


def read_input(data: Mapping[str, Any], *, guest: bool) -> tuple[CommentInput, dict[str, str]]:
    """The comment fields from form or JSON data, and a message for each bad one."""
    errors: dict[str, str] = {}
    clean = CommentInput()
    clean.body = _text(data, "body", errors).strip()
    if "body" not in errors:
        if not clean.body:
            errors["body"] = "Write a comment."
        elif len(clean.body) > BODY_MAX:
            errors["body"] = f"Keep your comment under {BODY_MAX:,} characters."
    clean.notify = _flag(data.get("notify"))
    clean.parent_id = _parent(data.get("parent_id"), errors)
    if guest:
        _guest_fields(data, clean, errors)
    return clean, errors


def _guest_fields(data: Mapping[str, Any], clean: CommentInput, errors: dict[str, str]) -> None:
    clean.name = " ".join(_text(data, "name", errors).split())
    if "name" not in errors:
        if not clean.name:
            errors["name"] = "Enter your name."
        elif len(clean.name) > NAME_MAX:
            errors["name"] = f"Keep your name to {NAME_MAX} characters."
    clean.email = _text(data, "email", errors).strip()
    if "email" not in errors:
        if not clean.email:
            errors["email"] = "Enter your email address (it is never shown)."
        elif len(clean.email) > EMAIL_MAX or not _valid_email(clean.email):
            errors["email"] = "Enter a valid email address, like name@example.com."
        else:
            clean.email = normalise_email(clean.email)
    raw_site = _text(data, "website", errors).strip()
    if raw_site and "website" not in errors:
        if "://" not in raw_site and "." in raw_site and " " not in raw_site:
            raw_site = "https://" + raw_site  # people often leave the scheme out
        clean.website = safe_url(raw_site) if _plausible_site(raw_site) else None
        if clean.website is None:
            errors["website"] = "Enter a web address starting with http:// or https://."
        elif len(clean.website) > WEBSITE_MAX:
            errors["website"] = f"Keep the web address to {WEBSITE_MAX} characters."
            clean.website = None


# A host name (letters of any script, digits, dots, dashes) and an optional port.
_HOST = re.compile(r"^(?:[^\W_]|[.-])+\.(?:[^\W_]|-)+\.?(?::\d{1,5})?$")
_UNSAFE_CHARS = re.compile(r"[\s<>\"'`\\]")


def _plausible_site(url: str) -> bool:
    """A web address people could mean: a real-looking host, nothing that breaks out of markup."""
    if _UNSAFE_CHARS.search(url):
        return False
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return False
    host = netloc.rpartition("@")[2]
    return bool(_HOST.match(host)) or host.startswith("localhost")


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "Must be text."
        return ""
    return clean_text(value)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("1", "on", "true", "yes")


def _parent(value: Any, errors: dict[str, str]) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool):
        errors["parent_id"] = "Must be the id of a comment."
        return None
    try:
        parent = int(value)
    except (TypeError, ValueError):
        errors["parent_id"] = "Must be the id of a comment."
        return None
    if not 0 < parent < 2**62:
        errors["parent_id"] = "Must be the id of a comment."
        return None
    return parent


def _valid_email(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# --- the form's stamp ------------------------------------------------------------


def _stamp_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="comment-form-stamp")


def make_stamp(post_id: int, *, age: float = 0) -> str:
    """A signed note of when the form for ``post_id`` was shown (``age`` seconds ago)."""
    serializer = _stamp_serializer()
    signer = serializer.make_signer(serializer.salt)
    if age:
        signer.get_timestamp = lambda: int(time.time() - age)
    return signer.sign(serializer.dump_payload({"p": post_id})).decode()


def stamp_age(token: Any, post_id: int) -> float:
    """Seconds since the form was shown; FormStampError when the stamp is not good."""
    if not isinstance(token, str) or not token:
        raise FormStampError("The form is missing its stamp. Reload the page and try again.")
    try:
        data, signed_at = _stamp_serializer().loads(
            token, max_age=STAMP_MAX_AGE, return_timestamp=True
        )
    except SignatureExpired:
        raise FormStampError("The form has expired. Reload the page and try again.") from None
    except BadSignature:
        raise FormStampError("The form was changed. Reload the page and try again.") from None
    if not isinstance(data, dict) or data.get("p") != post_id:
        raise FormStampError("The form belongs to another post. Reload the page and try again.")
    return max(0.0, time.time() - signed_at.timestamp())
