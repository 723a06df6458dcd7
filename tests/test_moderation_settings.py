"""The moderation settings form at /moderation/settings."""

from __future__ import annotations

import pytest

from blog.models import Role
from blog.moderation.settings import get_settings, update_settings
from tests.factories import make_user

FORM = {
    "policy": "all",
    "max_links": "4",
    "hold_words": "casino\n  pills  \n\n",
    "block_words": "viagra",
    "guests_allowed": "y",
    "close_after_days": "30",
    "thread_depth": "3",
    "comments_per_page": "20",
    "edit_window_minutes": "10",
    "flags_to_hold": "2",
}


@pytest.fixture
def mod(app, login_as):
    return login_as(make_user(Role.MODERATOR))


def test_the_form_shows_the_current_settings(client, mod, db):
    update_settings({"hold_words": ["alpha", "beta"], "max_links": 7})
    db.session.commit()
    page = client.get("/moderation/settings").get_data(as_text=True)
    assert "alpha\nbeta</textarea>" in page
    assert 'id="max_links" name="max_links" required type="number" value="7"' in page
    first_time = 'checked id="policy-1" name="policy" required type="radio" value="first_time">'
    assert first_time in page
    for label in (
        "Hold words (one per line)",
        "flags that send an approved comment back to the queue",
        "Guests may comment",
    ):
        assert label in page


def test_saving_the_form_changes_every_field(client, mod):
    response = client.post("/moderation/settings", data=FORM)
    assert response.status_code == 302
    assert get_settings() == {
        "policy": "all",
        "max_links": 4,
        "hold_words": ["casino", "pills"],
        "block_words": ["viagra"],
        "guests_allowed": True,
        "close_after_days": 30,
        "thread_depth": 3,
        "comments_per_page": 20,
        "edit_window_minutes": 10,
        "flags_to_hold": 2,
        "newest_first": False,
    }
    # An unticked box is a "no".
    client.post("/moderation/settings", data={**FORM, "guests_allowed": "", "newest_first": "y"})
    settings = get_settings()
    assert settings["guests_allowed"] is False and settings["newest_first"] is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_links", "-1", "Must be a whole number from 0 to 1000."),
        ("thread_depth", "99", "Must be a whole number from 1 to 20."),
        ("comments_per_page", "many", "Not a valid integer value."),
        ("policy", "sometimes", "Not a valid choice"),
    ],
)
def test_bad_values_are_shown_and_nothing_changes(client, mod, field, value, message):
    response = client.post("/moderation/settings", data={**FORM, field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert get_settings()["policy"] == "first_time"


def test_the_settings_page_needs_csrf_and_a_moderator(app, client, login_as):
    login_as(make_user(Role.AUTHOR))
    assert client.get("/moderation/settings").status_code == 403
    login_as(make_user(Role.MODERATOR))
    response = client.post("/moderation/settings", data=FORM, csrf=False)
    assert response.status_code == 400
    assert get_settings()["policy"] == "first_time"
