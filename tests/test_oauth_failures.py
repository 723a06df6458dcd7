"""Every way a provider login can go wrong ends in a redirect with a message and no
session: never a 500, never a user logged in, never a redirect off this site."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from blog.accounts import oauth as accounts_oauth
from blog.extensions import db
from blog.models import User
from tests.oauth_servers import app_path, authorize, corp_authorize, login_with, start_login

pytestmark = pytest.mark.oauth

NOT_CONFIRMED = "did not confirm who you are, so you are not logged in"


@pytest.fixture
def config_overrides(oauth):
    return oauth.settings()


@pytest.fixture
def good_google(oauth):
    oauth.scenario(
        "google",
        claims={"sub": "g-1", "email": "g@gmail.example", "email_verified": True, "name": "G"},
    )
    return oauth


def assert_refused(client, response, message: str, to: str = "/login") -> None:
    """Redirected with ``message`` shown, and nobody is logged in."""
    assert response.status_code == 302, response.data[:300]
    assert response.headers["Location"] == to
    page = client.get(to).get_data(as_text=True)
    assert message in page
    assert client.get("/api/me").status_code == 401
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def callback_with(location: str, **changes: str | None) -> str:
    """The callback URL with query parameters changed (None drops one)."""
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"{parts.path}?{urlencode(query)}"


# --- the person or the browser ------------------------------------------------------


def test_denied_consent(client, good_google):
    url = start_login(client, "google")
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(
        "/login/google/callback?"
        + urlencode({"error": "access_denied", "error_description": "<b>No</b>", "state": state})
    )
    assert_refused(client, response, "The login with Google was cancelled")


def test_denied_consent_on_a_real_openid_provider(client, oauth):
    callback = corp_authorize(start_login(client, "corp"), approve=False)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    assert_refused(client, client.get(app_path(callback)), "The login with Corp SSO was cancelled")


@pytest.mark.parametrize("provider", ["google", "twitter", "corp"])
def test_tampered_state(client, good_google, provider):
    callback = authorize(provider, start_login(client, provider))
    response = client.get(callback_with(app_path(callback), state="forged-state"))
    assert_refused(client, response, "had expired or did not start on this site")


@pytest.mark.parametrize("provider", ["google", "facebook"])
def test_missing_state(client, good_google, provider):
    callback = authorize(provider, start_login(client, provider))
    response = client.get(callback_with(app_path(callback), state=None))
    assert_refused(client, response, "had expired or did not start on this site")


def test_callback_from_a_flow_started_in_another_browser(client, app, good_google):
    other_browser = app.test_client()
    callback = authorize("google", start_login(other_browser, "google"))
    response = client.get(app_path(callback))
    assert_refused(client, response, "had expired or did not start on this site")


def test_replayed_callback(client, good_google):
    callback = app_path(authorize("google", start_login(client, "google")))
    assert client.get(callback).status_code == 302
    client.post("/logout")
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert_refused(client, client.get(callback), "had expired or did not start on this site")


def test_replayed_code_is_refused_by_the_provider(client, oauth):
    first = corp_authorize(start_login(client, "corp"))
    used_code = parse_qs(urlsplit(first).query)["code"][0]
    client.get(app_path(first))
    client.post("/logout")
    db.session.execute(sa.delete(User))
    db.session.commit()
    # A fresh flow (valid state) carrying the code that was already used.
    second = corp_authorize(start_login(client, "corp", next="/x"))
    response = client.get(callback_with(app_path(second), code=used_code))
    assert_refused(client, response, NOT_CONFIRMED)


def reconfigure(app, **settings) -> None:
    """Change provider settings of the running app, as a restart with new settings would."""
    app.config.update(settings)
    accounts_oauth.init_app(app)


def test_wrong_client_secret(client, app, oauth):
    providers = app.config["OIDC_PROVIDERS"]
    reconfigure(app, OIDC_PROVIDERS={"corp": {**providers["corp"], "client_secret": "wrong"}})
    callback = corp_authorize(start_login(client, "corp"))
    assert_refused(client, client.get(app_path(callback)), NOT_CONFIRMED)


# --- the id_token -------------------------------------------------------------------


def _google_with(client, oauth, **scenario):
    claims = {"sub": "g-1", "email": "g@gmail.example", "email_verified": True, "name": "G"}
    claims.update(scenario.pop("claims", {}))
    oauth.scenario("google", claims=claims, **scenario)
    return login_with(client, "google")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"nonce": "a-nonce-from-elsewhere"}, id="wrong-nonce"),
        pytest.param({"nonce": None}, id="missing-nonce"),
        pytest.param({"iss": "http://evil.example"}, id="wrong-issuer"),
        pytest.param({"aud": "another-client"}, id="wrong-audience"),
        pytest.param({"aud": "another-client", "azp": "blog-google"}, id="wrong-audience-azp"),
        pytest.param({"sub": None}, id="no-subject"),
        pytest.param({"exp": None}, id="no-expiry"),
    ],
)
def test_bad_id_token_claims(client, oauth, claims):
    assert_refused(client, _google_with(client, oauth, claims=claims), NOT_CONFIRMED)


def test_expired_id_token(client, oauth):
    now = int(time.time())
    claims = {"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}
    assert_refused(client, _google_with(client, oauth, claims=claims), NOT_CONFIRMED)


def test_forged_id_token_signature(client, oauth):
    assert_refused(client, _google_with(client, oauth, forge_signature=True), NOT_CONFIRMED)


def test_token_response_without_id_token(client, oauth):
    assert_refused(client, _google_with(client, oauth, drop_id_token=True), NOT_CONFIRMED)


def test_token_endpoint_error(client, oauth):
    assert_refused(client, _google_with(client, oauth, token_error="invalid_grant"), NOT_CONFIRMED)


# --- the provider's user data -------------------------------------------------------


@pytest.mark.parametrize(
    "userinfo",
    [
        pytest.param({}, id="no-data"),
        pytest.param({"data": {"name": "No id"}}, id="no-id"),
        pytest.param({"data": {"id": ["a", "list"]}}, id="id-of-wrong-type"),
        pytest.param({"data": {"id": "1", "name": {"first": "X"}}}, id="name-of-wrong-type"),
        pytest.param({"data": {"id": ""}}, id="empty-id"),
        pytest.param(["not", "an", "object"], id="not-an-object"),
    ],
)
def test_bad_x_user_data(client, oauth, userinfo):
    oauth.scenario("twitter", userinfo=userinfo)
    assert_refused(client, login_with(client, "twitter"), NOT_CONFIRMED)


@pytest.mark.parametrize("status", [401, 500])
def test_user_endpoint_failing(client, oauth, status):
    oauth.scenario("facebook", userinfo={"error": "nope"}, userinfo_status=status)
    assert_refused(client, login_with(client, "facebook"), NOT_CONFIRMED)


def test_facebook_user_without_id(client, oauth):
    oauth.scenario("facebook", userinfo={"name": "Nobody"})
    assert_refused(client, login_with(client, "facebook"), NOT_CONFIRMED)


def test_userinfo_about_someone_else_is_refused(client, oauth):
    # The id_token has no email or name, so the app asks userinfo, which names another sub.
    oauth.scenario("google", claims={"sub": "g-1"}, userinfo={"sub": "g-2", "email": "x@y.z"})
    assert_refused(client, login_with(client, "google"), NOT_CONFIRMED)


# --- the provider is down -------------------------------------------------------------


def test_provider_down_when_starting(client, app, dead_url):
    reconfigure(app, GOOGLE_METADATA_URL=f"{dead_url}/.well-known/openid-configuration")
    response = client.get("/login/google")
    assert_refused(client, response, "We could not reach Google")


def test_provider_down_when_trading_the_code(client, app, oauth, dead_url):
    oauth.scenario("twitter", userinfo={"data": {"id": "1", "name": "X"}})
    url = start_login(client, "twitter")
    callback = authorize("twitter", url)
    reconfigure(app, TWITTER_TOKEN_URL=f"{dead_url}/token")
    assert_refused(client, client.get(app_path(callback)), "We could not reach X (Twitter)")


def test_user_endpoint_down(client, app, oauth, dead_url):
    url = start_login(client, "facebook")
    callback = authorize("facebook", url)
    reconfigure(app, FACEBOOK_API_BASE=f"{dead_url}/")
    assert_refused(client, client.get(app_path(callback)), "We could not reach Facebook")


# --- where the browser goes afterwards ---------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_never_leaves_the_site(client, good_google, target):
    response = login_with(client, "google", next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/api/me").status_code == 200


def test_unknown_or_unconfigured_provider_is_not_found(client, app):
    assert client.get("/login/myspace").status_code == 404
    assert client.get("/login/myspace/callback?code=x&state=y").status_code == 404
    reconfigure(app, GOOGLE_CLIENT_ID=None)
    assert client.get("/login/google").status_code == 404
