"""POST /api/login, POST /api/logout and GET /api/me."""

from __future__ import annotations

import pytest

from blog.models import Identity, Role
from tests.factories import PASSWORD, make_user


def test_login_me_logout(client):
    user = make_user(email="ada@example.com", role=Role.AUTHOR, website="https://ada.example")
    response = client.post("/api/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body == client.get("/api/me").get_json()
    assert body["id"] == user.id and body["email"] == "ada@example.com"
    assert body["role"] == "author" and body["website"] == "https://ada.example"
    assert body["providers"] == ["email"]
    assert body["avatar_url"].startswith("/avatar/") and body["avatar_url"].endswith(".svg")

    response = client.post("/api/logout")
    assert response.status_code == 200 and response.get_json() == {}
    assert client.get("/api/me").status_code == 401


def test_me_lists_every_way_in(client, login_as, db):
    user = make_user()
    user.identities.extend(
        [Identity(provider="google", subject="1"), Identity(provider="twitter", subject="2")]
    )
    db.session.commit()
    login_as(user)
    assert client.get("/api/me").get_json()["providers"] == ["email", "google", "twitter"]


def test_me_needs_a_session(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.get_json() == {"error": "Not logged in."}


def test_wrong_credentials_do_not_tell_which_accounts_exist(client):
    make_user(email="ada@example.com")
    wrong = client.post("/api/login", json={"email": "ada@example.com", "password": "nope-nope"})
    missing = client.post("/api/login", json={"email": "who@example.com", "password": "nope-nope"})
    assert wrong.status_code == missing.status_code == 401
    assert wrong.get_json() == missing.get_json()
    assert "error" in wrong.get_json()
    assert client.get("/api/me").status_code == 401


def test_unconfirmed_account_cannot_log_in(client):
    make_user(email="new@example.com", email_verified=False)
    response = client.post("/api/login", json={"email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 401
    assert "Confirm your email address first" in response.get_json()["error"]
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@example.com"},
        {"password": PASSWORD},
        {"email": "", "password": ""},
        {"email": ["ada@example.com"], "password": PASSWORD},
        {"email": "ada@example.com", "password": 12345678},
    ],
)
def test_missing_or_malformed_fields(client, body):
    response = client.post("/api/login", json=body)
    assert response.status_code == 400
    assert "error" in response.get_json() and "fields" in response.get_json()


def test_not_json(client):
    response = client.post("/api/login", data="email=a&password=b")
    assert response.status_code == 415
    response = client.post("/api/login", data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_login_needs_the_csrf_token(client):
    make_user(email="ada@example.com")
    response = client.post(
        "/api/login", json={"email": "ada@example.com", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("config_overrides", [{"LOGIN_RATE_LIMIT": "2 per minute"}])
def test_login_attempts_are_limited(client, config_overrides):
    for _ in range(2):
        response = client.post("/api/login", json={"email": "a@b.example", "password": "x"})
        assert response.status_code == 401
    response = client.post("/api/login", json={"email": "a@b.example", "password": "x"})
    assert response.status_code == 429
    assert "error" in response.get_json()
