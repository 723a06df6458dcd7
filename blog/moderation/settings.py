"""The moderation rules a site sets: read with defaults, changed field by field."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import SiteSetting

KEY = "moderation"


class Policy(enum.StrEnum):
    ALL = "all"  # hold every comment
    FIRST_TIME = "first_time"  # hold unless the identity has an approved comment
    NONE = "none"  # hold only what a rule catches


DEFAULTS: dict[str, Any] = {
    "policy": Policy.FIRST_TIME.value,
    "max_links": 2,
    "hold_words": [],
    "block_words": [],
    "guests_allowed": True,
    "close_after_days": 0,  # 0: never close
    "thread_depth": 5,
    "comments_per_page": 50,
    "edit_window_minutes": 15,
    # Not in the API contract's list, but part of the same settings page.
    "flags_to_hold": 3,
    "newest_first": False,
}

_BOUNDS = {
    "max_links": (0, 1000),
    "close_after_days": (0, 36500),
    "thread_depth": (1, 20),
    "comments_per_page": (1, 500),
    "edit_window_minutes": (0, 10080),
    "flags_to_hold": (1, 1000),
}
_BOOLEANS = {"guests_allowed", "newest_first"}
_WORD_LISTS = {"hold_words", "block_words"}


class SettingsError(ValueError):
    """Bad settings input; ``fields`` maps each bad field to a message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some settings are not valid.")
        self.fields = fields


def get_settings() -> dict[str, Any]:
    """The current settings, every field present."""
    row = db.session.get(SiteSetting, KEY)
    return settings_from(row.value if row else None)


def settings_column() -> sa.ScalarSelect[Any]:
    """The stored settings as a column, for a query that reads more than them
    (``settings_from`` completes them)."""
    return sa.select(SiteSetting.value).where(SiteSetting.key == KEY).scalar_subquery()


def settings_from(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Stored settings (None when never saved) with every field present."""
    stored = stored or {}
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def update_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store the fields named in ``changes``; the rest stay. Caller commits."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in DEFAULTS:
            errors[name] = "Unknown setting."
            continue
        try:
            clean[name] = _validate(name, value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise SettingsError(errors)
    row = db.session.get(SiteSetting, KEY)
    if row is None:
        row = SiteSetting(key=KEY, value={})
        db.session.add(row)
    row.value = {**row.value, **clean}  # a new dict, so the JSON change is seen
    return get_settings()


def _validate(name: str, value: Any) -> Any:
    if name == "policy":
        try:
            return Policy(value).value
        except ValueError:
            raise ValueError("Choose one of: all, first_time, none.") from None
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise ValueError("Must be true or false.")
        return value
    if name in _WORD_LISTS:
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise ValueError("Must be a list of strings.")
        words = [w.strip() for w in value if w.strip()]
        if len(words) > 5000 or any(len(w) > 200 for w in words):
            raise ValueError("At most 5000 words of at most 200 characters each.")
        return words
    low, high = _BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"Must be a whole number from {low} to {high}.")
    return value
