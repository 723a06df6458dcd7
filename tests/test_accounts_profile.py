"""The account page, avatars, and what the comment form asks of the accounts code."""

from __future__ import annotations

import re

import pytest
from flask import session
from flask_login import login_user

from blog.accounts.avatars import avatar_url, gravatar_url
from blog.accounts.providers import ProviderInfo, enabled_providers, login_method_title
from blog.extensions import db
from blog.models import Identity, User
from tests.factories import PASSWORD, make_user


def with_identity(user: User, provider: str, avatar: str | None = None) -> Identity:
    identity = Identity(provider=provider, subject=f"{provider}-{user.id}", avatar_url=avatar)
    user.identities.append(identity)
    db.session.commit()
    return identity


def test_account_page_needs_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_account_page_sections(client, login_as):
    login_as(make_user(display_name="Ada"))
    page = client.get("/account").get_data(as_text=True)
    for heading in ("Profile", "Picture", "Ways to log in", "Email address", "Password"):
        assert f">{heading}</h2>" in page
    # Your data: the forms the export/delete routes answer.
    assert '<h2 id="data-title">Your data</h2>' in page
    assert 'action="/account/export"' in page and "Download my data" in page
    assert 'action="/account/delete"' in page and "Delete my account" in page
    assert 'name="comments" id="delete-comments-anonymise" value="anonymise"' in page
    assert 'value="remove"' in page and 'name="confirm"' in page
    assert page.count('<form method="post"') == page.count('name="csrf_token"') >= 7
    assert "<script>" not in page and " style=" not in page and " onclick" not in page


def test_profile_update(client, login_as):
    user = login_as(make_user())
    response = client.post(
        "/account/profile", data={"display_name": "  Ada L. ", "website": "https://ada.example/"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.website) == ("Ada L.", "https://ada.example/")
    client.post("/account/profile", data={"display_name": "Ada", "website": ""})
    db.session.refresh(user)
    assert user.website is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": "Ada", "website": "javascript:alert(1)"}, "http:// or https://"),
        ({"display_name": "Ada", "website": "ftp://ada.example"}, "http:// or https://"),
        ({"display_name": "", "website": ""}, "Enter the name to show."),
        ({"display_name": "x" * 101, "website": ""}, "Field cannot be longer than 100"),
    ],
)
def test_profile_refuses_bad_input(client, login_as, data, message):
    user = login_as(make_user(display_name="Before"))
    response = client.post("/account/profile", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Before" and user.website is None


# --- avatars ----------------------------------------------------------------------------


def test_identicon_is_an_svg_drawn_from_the_hash(client, app):
    user = make_user()
    url = avatar_url(user)
    assert re.fullmatch(r"/avatar/[0-9a-f]{20}\.svg", url)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")
    assert "max-age" in response.headers["Cache-Control"]
    assert client.get(url).data == response.data
    assert avatar_url(make_user()) != url
    assert client.get("/avatar/not-a-hash.svg").status_code == 404


def test_guest_avatars(app):
    # The hash is keyed: it does not reveal the address the way a plain digest would.
    assert "guest@example.com" not in avatar_url(None, "guest@example.com", "Guest")
    assert avatar_url(None, "Guest@Example.com ", "G") == avatar_url(None, "guest@example.com", "")
    assert avatar_url(None, None, "Guest") != avatar_url(None, None, "Other")
    app.config["GRAVATAR"] = True
    assert avatar_url(None, "guest@example.com", "Guest") == gravatar_url("guest@example.com")


def test_choose_provider_picture_then_identicon(client, login_as):
    user = login_as(make_user())
    identity = with_identity(user, "google", "https://pictures.example/me.png")
    page = client.get("/account").get_data(as_text=True)
    assert "Your picture on Google" in page and "Your Gravatar" not in page

    client.post("/account/avatar", data={"avatar": f"identity:{identity.id}"})
    db.session.refresh(user)
    assert avatar_url(user) == "https://pictures.example/me.png"

    client.post("/account/avatar", data={"avatar": "identicon"})
    db.session.refresh(user)
    assert avatar_url(user).startswith("/avatar/")


def test_cannot_choose_someone_elses_picture(client, login_as):
    other = make_user()
    theirs = with_identity(other, "google", "https://pictures.example/them.png")
    user = login_as(make_user())
    response = client.post("/account/avatar", data={"avatar": f"identity:{theirs.id}"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.avatar_url is None


@pytest.mark.parametrize("config_overrides", [{"GRAVATAR": True}])
def test_gravatar_when_the_site_allows_it(client, app, login_as, config_overrides):
    user = login_as(make_user(email="ada@example.com"))
    assert "Your Gravatar" in client.get("/account").get_data(as_text=True)
    client.post("/account/avatar", data={"avatar": "gravatar"})
    db.session.refresh(user)
    assert avatar_url(user) == gravatar_url("ada@example.com")
    # Switched off later: nobody's picture comes from Gravatar any more.
    app.config["GRAVATAR"] = False
    assert avatar_url(user).startswith("/avatar/")


# --- what the comment form uses ----------------------------------------------------------


def test_no_providers_unless_configured(app):
    assert enabled_providers() == []


@pytest.mark.parametrize(
    "config_overrides",
    [
        {
            "GOOGLE_CLIENT_ID": "g",
            "FACEBOOK_CLIENT_ID": "f",
            "OIDC_PROVIDERS": {
                "gitlab": {
                    "title": "GitLab",
                    "metadata_url": "https://gl.example/",
                    "client_id": "c",
                },
                "broken": {"title": "No client id", "metadata_url": "https://b.example/"},
                "google": {
                    "title": "Clash",
                    "metadata_url": "https://x.example/",
                    "client_id": "c",
                },
                "Bad Name": {"metadata_url": "https://x.example/", "client_id": "c"},
            },
        }
    ],
)
def test_enabled_providers_in_icon_order(app, config_overrides):
    assert enabled_providers() == [
        ProviderInfo("google", "Google", "icons/google.svg", "oidc"),
        ProviderInfo("facebook", "Facebook", "icons/facebook.svg", "facebook"),
        ProviderInfo("gitlab", "GitLab", "icons/openid.svg", "oidc"),
    ]


@pytest.mark.parametrize("config_overrides", [{"OIDC_PROVIDERS": "{not json"}])
def test_broken_provider_settings_do_not_stop_the_site(client, config_overrides):
    assert enabled_providers() == []
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize("config_overrides", [{"TWITTER_CLIENT_ID": "x"}])
def test_login_method_title(app, config_overrides):
    user = make_user(email="ada@example.com")
    with_identity(user, "twitter")
    with app.test_request_context():
        # Without a record of this session: the account's first way in.
        assert login_method_title(user) == "email"
        login_user(user)
        session["login_method"] = "twitter"
        assert login_method_title(user) == "X (Twitter)"
    x_only = make_user(password=None)
    with_identity(x_only, "twitter")
    x_only.email = None
    db.session.commit()
    with app.test_request_context():
        assert login_method_title(x_only) == "X (Twitter)"


def test_login_method_is_recorded_at_login(client, login_as):
    make_user(email="ada@example.com")
    client.post("/login", data={"email": "ada@example.com", "password": PASSWORD})
    with client.session_transaction() as session_data:
        assert session_data["login_method"] == "email"


def test_icons_are_our_own_svg_files(client):
    for name in ("google", "x", "facebook", "openid"):
        with client.get(f"/static/icons/{name}.svg") as response:
            assert response.status_code == 200
            assert response.get_data(as_text=True).lstrip().startswith("<svg")
