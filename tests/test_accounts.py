"""Email accounts: sign up, confirm, log in and out, reset, change email and password.
Mail is read from the outbox and its links followed, as a reader would."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import OutboxMail, User
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a much better password"


def mails_to(address: str) -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.to == address).order_by(OutboxMail.id)
    ).all()


def link_in(mail: OutboxMail) -> str:
    """The path of the site link in a mail (its text and HTML carry the same one)."""
    found = re.findall(r"http://127\.0\.0\.1:5000(/\S+)", mail.text)
    assert found, mail.text
    assert found[0] in mail.html
    return found[0]


def me(client):
    response = client.get("/api/me")
    return response.get_json() if response.status_code == 200 else None


class OtherDevice:
    """A second browser. Its requests run in an app context of their own, so
    nothing request-scoped (the CSRF token in ``g``) leaks between the two."""

    def __init__(self, app) -> None:
        self.app, self.client = app, app.test_client()

    def log_in(self, email: str, password: str = PASSWORD):
        with self.app.app_context():
            return log_in(self.client, email, password)

    def me(self):
        with self.app.app_context():
            return me(self.client)


def sign_up(client, email="nora@example.com", password=PASSWORD, name="Nora"):
    return client.post("/signup", data={"display_name": name, "email": email, "password": password})


def log_in(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


# --- signing up ------------------------------------------------------------------------


def test_signup_then_confirm_by_mail(client):
    response = sign_up(client, email="Nora@Example.com")
    assert response.status_code == 200
    assert "Check your mail" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.email_verified, user.display_name) == (
        "nora@example.com",
        False,
        "Nora",
    )
    assert user.password_hash and PASSWORD not in user.password_hash
    assert me(client) is None

    # Not confirmed yet: the password is right, but the account waits for the link.
    response = log_in(client, "nora@example.com")
    assert response.status_code == 403
    assert "confirm your email address first" in response.get_data(as_text=True)
    assert me(client) is None

    mails = mails_to("nora@example.com")
    assert len(mails) == 2 and "Confirm your email address" in mails[0].subject
    link = link_in(mails[0])
    page = client.get(link)
    assert page.status_code == 200 and "Confirm nora@example.com" in page.get_data(as_text=True)
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert me(client)["email"] == "nora@example.com"
    db.session.refresh(user)
    assert user.email_verified

    # Single use: both links are spent now that the address is confirmed.
    for mail in mails:
        assert client.get(link_in(mail)).status_code == 400
        assert "expired or has already been used" in client.post(link_in(mail)).get_data(
            as_text=True
        )


def test_signup_with_a_used_address_answers_the_same(client):
    owner = make_user(email="owner@example.com")
    response = sign_up(client, email="owner@example.com", name="Impostor")
    assert response.status_code == 200
    assert "Check your mail" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    mail = mails_to("owner@example.com")[-1]
    assert "already has an account" in mail.text
    db.session.refresh(owner)
    assert owner.display_name != "Impostor"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password": "short"}, "at least 8 characters"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"display_name": ""}, "Enter the name to show"),
        ({"display_name": "\x00\x01"}, "Enter the name to show"),
    ],
)
def test_signup_refuses_bad_input(client, form, message):
    data = {"display_name": "Nora", "email": "nora@example.com", "password": PASSWORD, **form}
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_forged_or_expired_verification_link(client, monkeypatch):
    sign_up(client)
    link = link_in(mails_to("nora@example.com")[0])
    assert client.get(link[:-3] + "abc").status_code == 400
    later = time.time() + 4 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.post(link).status_code == 400
    assert not db.session.scalar(sa.select(User)).email_verified


# --- logging in and out ---------------------------------------------------------------


def test_login_and_logout(client):
    user = make_user(email="lena@example.com")
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'href="/signup"' in page
    response = log_in(client, " Lena@Example.com ", next="/2024/01/02/post/")
    assert response.status_code == 302 and response.headers["Location"] == "/2024/01/02/post/"
    assert me(client)["id"] == user.id
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}:{user.session_version}"

    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert me(client) is not None
    response = client.post("/logout")
    assert response.status_code == 302
    assert me(client) is None


def test_login_errors_do_not_tell_which_accounts_exist(client):
    make_user(email="lena@example.com")
    wrong_password = log_in(client, "lena@example.com", "not the password")
    no_account = log_in(client, "nobody@example.com", "not the password")
    assert wrong_password.status_code == no_account.status_code == 401
    message = "That email and password do not match an account here."
    assert message in wrong_password.get_data(as_text=True)
    assert message in no_account.get_data(as_text=True)
    assert me(client) is None


def test_login_form_needs_its_fields_and_csrf(client):
    assert client.post("/login", data={"email": "", "password": ""}).status_code == 400
    response = client.post(
        "/login", data={"email": "a@b.example", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "javascript:x"])
def test_login_next_stays_on_the_site(client, target):
    make_user(email="lena@example.com")
    response = log_in(client, "lena@example.com", next=target)
    assert response.headers["Location"] == "/"


def test_banned_user_may_log_in(client):
    user = make_user(email="ben@example.com", banned=True)
    assert log_in(client, "ben@example.com").status_code == 302
    assert me(client)["id"] == user.id


# --- forgotten password ------------------------------------------------------------------


def test_reset_answers_the_same_for_unknown_addresses(client):
    make_user(email="lena@example.com")
    known = client.post("/reset", data={"email": "lena@example.com"})
    unknown = client.post("/reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    text = "If an account here uses"
    assert text in known.get_data(as_text=True) and text in unknown.get_data(as_text=True)
    assert len(mails_to("lena@example.com")) == 1
    assert mails_to("nobody@example.com") == []


def test_reset_password_by_mail_ends_other_sessions(client, app):
    user = make_user(email="lena@example.com")
    other_device = OtherDevice(app)
    other_device.log_in("lena@example.com")
    assert other_device.me()["id"] == user.id

    client.post("/reset", data={"email": "lena@example.com"})
    link = link_in(mails_to("lena@example.com")[0])
    assert "Choose a new password" in client.get(link).get_data(as_text=True)
    assert client.post(link, data={"password": "short"}).status_code == 400
    response = client.post(link, data={"password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"

    assert other_device.me() is None
    assert log_in(client, "lena@example.com").status_code == 401
    assert log_in(client, "lena@example.com", NEW_PASSWORD).status_code == 302
    # The link worked once.
    assert client.post(link, data={"password": "yet another password"}).status_code == 400


def test_reset_link_expires(client, monkeypatch):
    make_user(email="lena@example.com")
    client.post("/reset", data={"email": "lena@example.com"})
    link = link_in(mails_to("lena@example.com")[0])
    later = time.time() + 2 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(link, data={"password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired or has already been used" in response.get_data(as_text=True)


def test_reset_link_of_one_purpose_does_not_verify(client):
    user = make_user(email="lena@example.com", email_verified=False)
    client.post("/reset", data={"email": "lena@example.com"})
    token = link_in(mails_to("lena@example.com")[0]).rsplit("/", 1)[1]
    assert client.post(f"/verify/{token}").status_code == 400
    db.session.refresh(user)
    assert not user.email_verified


# --- changing password and email ----------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_others(client, app, login_as):
    user = make_user(email="lena@example.com")
    other_device = OtherDevice(app)
    other_device.log_in("lena@example.com")
    log_in(client, "lena@example.com")

    wrong = client.post(
        "/account/password", data={"current_password": "nope", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 400
    assert "Your current password is not right." in wrong.get_data(as_text=True)

    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert me(client)["id"] == user.id
    assert other_device.me() is None
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_change_email_takes_effect_once_confirmed(client, login_as):
    user = login_as(make_user(email="old@example.com"))
    wrong = client.post("/account/email", data={"email": "new@example.com", "password": "x"})
    assert wrong.status_code == 400

    response = client.post(
        "/account/email", data={"email": "New@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.com"
    mail = mails_to("new@example.com")[0]
    link = link_in(mail)
    assert "Confirm new@example.com" in client.get(link).get_data(as_text=True)
    assert client.post(link).status_code == 302
    db.session.refresh(user)
    assert (user.email, user.email_verified) == ("new@example.com", True)
    assert client.post(link).status_code == 400

    client.post("/logout")
    assert log_in(client, "old@example.com").status_code == 401
    assert log_in(client, "new@example.com").status_code == 302


def test_change_email_to_an_address_someone_verified(client, login_as):
    make_user(email="taken@example.com")
    user = login_as(make_user(email="me@example.com"))
    client.post("/account/email", data={"email": "taken@example.com", "password": PASSWORD})
    link = link_in(mails_to("taken@example.com")[0])
    response = client.post(link)
    assert response.status_code == 400
    assert "Another account already uses that address." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "me@example.com"


def test_x_user_adds_an_email_for_notifications(client, login_as):
    user = make_user(password=None, email_verified=False)
    user.email = None
    db.session.commit()
    login_as(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Add address" in page and "to confirm the change" not in page
    assert client.post("/account/email", data={"email": "x@example.com"}).status_code == 302
    client.post(link_in(mails_to("x@example.com")[0]))
    db.session.refresh(user)
    assert (user.email, user.email_verified) == ("x@example.com", True)


# --- rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_login_signup_and_reset_attempts_are_limited_per_ip(client, config_overrides):
    make_user(email="lena@example.com")
    assert log_in(client, "lena@example.com", "wrong one").status_code == 401
    assert sign_up(client, email="n1@example.com").status_code == 200
    assert client.post("/reset", data={"email": "lena@example.com"}).status_code == 200
    for attempt in (
        lambda: log_in(client, "lena@example.com"),
        lambda: sign_up(client, email="n2@example.com"),
        lambda: client.post("/reset", data={"email": "lena@example.com"}),
    ):
        response = attempt()
        assert response.status_code == 429
        assert "Too many requests" in response.get_data(as_text=True)
    # Another address is another budget; reading the pages is never limited.
    assert client.get("/login").status_code == 200
    other = client.post(
        "/login",
        data={"email": "lena@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.status_code == 302
