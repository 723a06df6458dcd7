"""Forms of the moderation screen. The rules live in the services; these only read input."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from ..models import BanKind

try:  # WTForms 3.3 wants choices as SelectChoice objects
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # older WTForms takes (value, label) pairs

    def _Choice(value: str, label: str) -> tuple[str, str]:  # noqa: N802
        return (value, label)


from .services import BODY_MAX, NAME_MAX, WEBSITE_MAX
from .settings import DEFAULTS, Policy

_WHOLE = "Give a whole number."


class SettingsForm(FlaskForm):
    policy = RadioField(
        "Hold comments for moderation",
        choices=[
            _Choice(Policy.ALL.value, "Hold every comment"),
            _Choice(Policy.FIRST_TIME.value, "Hold a first comment (until one is approved)"),
            _Choice(Policy.NONE.value, "Hold only what a rule below catches"),
        ],
        validators=[InputRequired()],
    )
    max_links = IntegerField(
        "Hold a comment with more than this many links", [InputRequired(_WHOLE)]
    )
    hold_words = TextAreaField("Hold words (one per line)")
    block_words = TextAreaField("Block words: mark as spam (one per line)")
    guests_allowed = BooleanField("Guests may comment with a name and email")
    close_after_days = IntegerField(
        "Close comments on posts older than this many days (0: never)", [InputRequired(_WHOLE)]
    )
    thread_depth = IntegerField("Thread replies this many levels deep", [InputRequired(_WHOLE)])
    comments_per_page = IntegerField("Top-level comments per page", [InputRequired(_WHOLE)])
    edit_window_minutes = IntegerField(
        "Commenters may edit their comment for this many minutes", [InputRequired(_WHOLE)]
    )
    flags_to_hold = IntegerField(
        "Readers' flags that send an approved comment back to the queue", [InputRequired(_WHOLE)]
    )
    newest_first = BooleanField("Show the newest page of comments first")

    def load(self, settings: dict[str, Any]) -> None:
        """Fill the fields from stored settings (word lists become lines)."""
        for name in DEFAULTS:
            value = settings[name]
            getattr(self, name).data = "\n".join(value) if isinstance(value, list) else value

    def changes(self) -> dict[str, Any]:
        """The submitted settings, in the shape ``update_settings`` takes."""
        data = {}
        for name in DEFAULTS:
            value = getattr(self, name).data
            if name in ("hold_words", "block_words"):
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            data[name] = value
        return data


class EditForm(FlaskForm):
    body = TextAreaField("Comment text (Markdown)", [InputRequired(), Length(max=BODY_MAX)])
    author_name = StringField("Author's name", [InputRequired(), Length(max=NAME_MAX)])
    author_website = StringField("Author's website", [Optional(), Length(max=WEBSITE_MAX)])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply (Markdown)", [InputRequired(), Length(max=BODY_MAX)])


class BanForm(FlaskForm):
    user = BooleanField("Ban the account", default=True)
    email = BooleanField("Ban the email address", default=True)
    ip = BooleanField("Ban the IP address")
    spam = BooleanField("Also mark this comment as spam", default=True)
    reason = StringField("Reason (for the ban list)", [Optional(), Length(max=500)])


class AddBanForm(FlaskForm):
    kind = SelectField(
        "What to ban",
        choices=[
            _Choice(BanKind.EMAIL.value, "Email address (or @domain)"),
            _Choice(BanKind.IP.value, "IP address (or range)"),
        ],
    )
    value = StringField("Address", [InputRequired(), Length(max=254)])
    reason = StringField("Reason", [Optional(), Length(max=500)])
