"""Logging in with Google, X, Facebook and an OpenID Connect SSO: full round trips
against real servers on 127.0.0.1, and the rules that link identities to users."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Identity, User
from tests.factories import PASSWORD, make_user
from tests.oauth_servers import app_path, authorize, login_with, start_login

pytestmark = pytest.mark.oauth


@pytest.fixture
def config_overrides(oauth):
    return oauth.settings()


def google_says(oauth, sub="g-100", email="greta@gmail.example", verified=True, **claims):
    claims = {
        "sub": sub,
        "email": email,
        "email_verified": verified,
        "name": "Greta Google",
        "picture": "https://pictures.example/greta.png",
        **claims,
    }
    oauth.scenario("google", claims=claims)


def x_says(oauth, user_id="x-42", **fields):
    data = {
        "id": user_id,
        "name": "Xavier",
        "username": "xavier",
        "profile_image_url": "https://pictures.example/xavier.jpg",
        **fields,
    }
    oauth.scenario("twitter", userinfo={"data": data})


def facebook_says(oauth, user_id="fb-7", email="fiona@fb.example"):
    oauth.scenario(
        "facebook",
        userinfo={
            "id": user_id,
            "name": "Fiona",
            "email": email,
            "picture": {"data": {"url": "https://pictures.example/fiona.jpg"}},
        },
    )


def me(client):
    response = client.get("/api/me")
    return response.get_json() if response.status_code == 200 else None


def users() -> list[User]:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).order_by(User.id)).all()


# --- each provider, start to finish ------------------------------------------------


def test_login_page_offers_each_configured_provider(client):
    page = client.get("/login?next=/2024/01/01/hello/").get_data(as_text=True)
    for name, title in [
        ("google", "Google"),
        ("twitter", "X (Twitter)"),
        ("facebook", "Facebook"),
        ("corp", "Corp SSO"),
    ]:
        assert f'href="/login/{name}?next=/2024/01/01/hello/"' in page
        assert f"Log in with {title}" in page
        assert (
            f"/static/icons/{'openid' if name == 'corp' else name.replace('twitter', 'x')}.svg"
            in page
        )


def test_google_round_trip_makes_a_verified_user(client, oauth):
    google_says(oauth)
    url = start_login(client, "google", next="/account")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"] and "openid" in query["scope"][0]

    response = client.get(app_path(authorize("google", url)))

    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert me(client) == {
        "id": users()[0].id,
        "display_name": "Greta Google",
        "email": "greta@gmail.example",
        "role": "reader",
        "avatar_url": "https://pictures.example/greta.png",
        "website": None,
        "providers": ["google"],
    }
    user = users()[0]
    assert user.email_verified and user.password_hash is None
    identity = user.identities[0]
    assert (identity.provider, identity.subject, identity.email_verified) == (
        "google",
        "g-100",
        True,
    )
    page = client.get("/account").get_data(as_text=True)
    assert "You are logged in with Google." in page


def test_x_round_trip_works_without_an_email(client, oauth):
    x_says(oauth)
    url = start_login(client, "twitter")
    assert parse_qs(urlsplit(url).query)["code_challenge_method"] == ["S256"]

    response = client.get(app_path(authorize("twitter", url)))

    assert response.status_code == 302 and response.headers["Location"] == "/"
    data = me(client)
    assert data["display_name"] == "Xavier" and data["email"] is None
    assert data["providers"] == ["twitter"]
    identity = users()[0].identities[0]
    assert (identity.subject, identity.username) == ("x-42", "xavier")
    # The account page offers to add an address, for notifications.
    page = client.get("/account").get_data(as_text=True)
    assert "You have no email address here yet" in page


def test_facebook_round_trip_keeps_its_email_unverified(client, oauth):
    facebook_says(oauth)
    response = login_with(client, "facebook", next="/2024/05/06/a-post/")
    assert response.headers["Location"] == "/2024/05/06/a-post/"
    user = users()[0]
    assert user.display_name == "Fiona" and user.avatar_url == "https://pictures.example/fiona.jpg"
    # Facebook does not say it checked the address, so the account does not claim it.
    assert user.email is None
    assert user.identities[0].email == "fiona@fb.example"


def test_oidc_provider_round_trip(client, oauth):
    response = login_with(client, "corp", account="alice", next="/account")
    assert response.headers["Location"] == "/account"
    data = me(client)
    assert data["email"] == "alice@corp.example" and data["providers"] == ["corp"]
    assert data["display_name"] == "Corp alice"


def test_returning_login_finds_the_same_user(client, app, oauth):
    google_says(oauth, name="Greta")
    login_with(client, "google")
    client.post("/logout")
    assert me(client) is None
    google_says(oauth, name="Greta G.", picture="https://pictures.example/new.png")
    login_with(client, "google")
    assert len(users()) == 1
    user = users()[0]
    assert me(client)["id"] == user.id
    # The identity's copy follows the provider; so does the picture the user had from it.
    assert user.identities[0].display_name == "Greta G."
    assert user.avatar_url == "https://pictures.example/new.png"


# --- linking rules ----------------------------------------------------------------


def test_verified_email_joins_the_user_with_that_verified_email(client, oauth):
    existing = make_user(email="greta@gmail.example", email_verified=True)
    google_says(oauth, email="Greta@Gmail.example", verified=True)
    login_with(client, "google")
    assert [u.id for u in users()] == [existing.id]
    assert me(client)["providers"] == ["email", "google"]


def test_unverified_email_makes_a_new_user(client, oauth):
    existing = make_user(email="greta@gmail.example", email_verified=True)
    google_says(oauth, email="greta@gmail.example", verified=False)
    login_with(client, "google")
    everyone = users()
    assert len(everyone) == 2
    newcomer = everyone[1]
    assert me(client)["id"] == newcomer.id != existing.id
    assert newcomer.email is None and existing.identities == []


def test_verified_email_does_not_join_an_unverified_account(client, oauth):
    squatter = make_user(email="greta@gmail.example", email_verified=False)
    google_says(oauth, email="greta@gmail.example", verified=True)
    login_with(client, "google")
    everyone = users()
    assert len(everyone) == 2
    # The address goes to the person the provider vouches for, not the unproved claim.
    assert everyone[1].email == "greta@gmail.example" and everyone[1].email_verified
    assert db.session.get(User, squatter.id).email is None


def test_logged_in_user_links_another_provider(client, login_as, oauth):
    user = login_as(make_user())
    x_says(oauth)
    response = login_with(client, "twitter")
    assert response.headers["Location"] == "/account"
    assert me(client)["providers"] == ["email", "twitter"]
    assert len(users()) == 1
    page = client.get("/account").get_data(as_text=True)
    assert "Your X (Twitter) account is now linked" in page
    # The next login with X is this user.
    client.post("/logout")
    login_with(client, "twitter")
    assert me(client)["id"] == user.id


def test_identity_of_another_user_is_not_linked(client, login_as, oauth):
    x_says(oauth)
    login_with(client, "twitter")
    owner_id = me(client)["id"]
    client.post("/logout")
    other = login_as(make_user())
    response = login_with(client, "twitter")
    assert response.headers["Location"] == "/account"
    assert "already linked to another user" in client.get("/account").get_data(as_text=True)
    assert me(client)["id"] == other.id and me(client)["providers"] == ["email"]
    identity = db.session.scalar(sa.select(Identity))
    assert identity.user_id == owner_id


def test_account_page_links_only_providers_not_yet_linked(client, login_as, oauth):
    user = make_user()
    user.identities.append(Identity(provider="google", subject="g-1"))
    db.session.commit()
    login_as(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Link with Google" not in page
    assert 'href="/login/twitter?next=/account"' in page and "Link with X (Twitter)" in page


# --- unlinking -----------------------------------------------------------------------


def _unlink(client, user: User, provider: str):
    identity = next(i for i in user.identities if i.provider == provider)
    return client.post(f"/account/identities/{identity.id}/unlink")


def test_unlink_when_a_password_remains(client, login_as, oauth):
    google_says(oauth)
    user = login_as(make_user(email="greta@gmail.example"))
    login_with(client, "google")
    db.session.refresh(user)
    response = _unlink(client, user, "google")
    assert response.status_code == 302
    assert me(client)["providers"] == ["email"]
    # Email and password still work.
    client.post("/logout")
    client.post("/login", data={"email": "greta@gmail.example", "password": PASSWORD})
    assert me(client)["id"] == user.id


def test_last_way_in_cannot_be_unlinked(client, oauth):
    x_says(oauth)
    login_with(client, "twitter")
    user = users()[0]
    response = _unlink(client, user, "twitter")
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "This is your only way to log in" in page
    assert me(client)["providers"] == ["twitter"]


def test_two_providers_one_can_go_then_the_other_stays(client, oauth):
    x_says(oauth)
    login_with(client, "twitter")
    facebook_says(oauth)
    login_with(client, "facebook")
    user = users()[0]
    assert me(client)["providers"] == ["twitter", "facebook"]
    _unlink(client, user, "twitter")
    assert me(client)["providers"] == ["facebook"]
    db.session.refresh(user)
    _unlink(client, user, "facebook")
    assert me(client)["providers"] == ["facebook"]


def test_unverified_password_is_not_a_way_in(client, login_as, oauth):
    user = login_as(make_user(email_verified=False))
    x_says(oauth)
    login_with(client, "twitter")
    db.session.refresh(user)
    _unlink(client, user, "twitter")
    assert me(client)["providers"] == ["twitter"]


def test_someone_elses_identity_cannot_be_unlinked(client, login_as):
    owner = make_user()
    owner.identities.append(Identity(provider="google", subject="g-9"))
    owner.identities.append(Identity(provider="twitter", subject="x-9"))
    db.session.commit()
    login_as(make_user())
    response = client.post(f"/account/identities/{owner.identities[0].id}/unlink")
    assert response.status_code == 302
    assert "not linked to your account" in client.get("/account").get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(User, owner.id).identities) == 2
