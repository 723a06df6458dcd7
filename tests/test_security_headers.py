"""Headers, cookies and sessions: CSP and friends, HSTS on https, cookie flags, CSRF on
every state change, no open redirects, and rate limits answered with a readable 429."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from blog.models import Role
from tests.factories import PASSWORD, make_post, make_user
from tests.test_comment_support import GUEST, form_data, post_form

HTTPS = {"BASE_URL": "https://blog.example.org"}


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


# --- headers -------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/login", "/api/posts", "/no-such-page", "/static/style.css", "/feed.atom"):
        response = client.get(path)
        response.close()  # a static file is streamed from disk
        assert_strict_headers(response)
        assert "Strict-Transport-Security" not in response.headers


def assert_strict_headers(response) -> None:
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert not any("unsafe" in w or w == "*" for words in csp.values() for w in words)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("config_overrides", [HTTPS])
def test_https_sites_send_hsts(client):
    for path in ("/", "/api/me", "/no-such-page"):
        response = client.get(path)
        assert_strict_headers(response)
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script_or_style(client):
    post = make_post(title="Plain")
    for path in ("/", post.url_path, "/login", "/signup", "/search?q=plain"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<style" not in page and " style=" not in page
        assert " onclick=" not in page and "javascript:" not in page


# --- cookies -------------------------------------------------------------------------


def cookies_set(response) -> dict[str, SimpleCookie]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            found[name] = morsel
    return found


def log_in_by_form(client, **headers: str):
    make_user(email="cookie@example.com")
    data = {"email": "cookie@example.com", "password": PASSWORD, "remember": "y"}
    response = client.post("/login", data=data, headers=headers)
    assert response.status_code == 302
    return cookies_set(response)


@pytest.mark.parametrize("config_overrides", [HTTPS])
def test_cookies_are_secure_on_https(client):
    # Over https Flask-WTF also wants a same-site Referer (browsers send one).
    assert client.post("/api/logout").status_code == 400
    cookies = log_in_by_form(client, Referer="https://localhost/login")
    for name in ("session", "remember_token"):
        morsel = cookies[name]
        assert morsel["httponly"] and morsel["secure"], name
        assert morsel["samesite"] == "Lax", name
    post = make_post()
    client.post("/logout", headers={"Referer": "https://localhost/"})
    response = client.post(
        f"/comments/{post.id}",
        data=form_data(post),
        headers={"Referer": "https://localhost" + post.url_path},
    )
    guest = cookies_set(response)["blog_guest"]
    assert guest["httponly"] and guest["secure"] and guest["samesite"] == "Lax"


def test_cookies_on_plain_http_are_httponly_and_lax_but_not_secure(client):
    cookies = log_in_by_form(client)
    for name in ("session", "remember_token"):
        morsel = cookies[name]
        assert morsel["httponly"] and morsel["samesite"] == "Lax" and not morsel["secure"]


# --- CSRF ----------------------------------------------------------------------------

# The one route that takes a POST without the token: RFC 8058 one-click unsubscribe,
# sent by mail clients; the signed token in its URL is what protects it.
CSRF_EXEMPT = {"comments.unsubscribe_view"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def plausible_path(rule) -> str:
    """The rule's path with each argument filled in with a value its converter accepts."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 2024 if name == "year" else 1
        else:
            values[name] = "some-slug" if name == "slug" else "a.b.c"
    return rule.build(values, append_unknown=False)[1]


def state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & WRITES):
            if rule.endpoint not in CSRF_EXEMPT:
                yield rule, method


def test_every_state_change_is_refused_without_the_csrf_token(app, client, login_as):
    admin = make_user(Role.ADMIN)
    post = make_post(author=admin)
    login_as(admin)
    checked = []
    for rule, method in state_changing_rules(app):
        path = plausible_path(rule)
        for kwargs in ({"data": {"body": "x", "email": "a@example.com"}}, {"json": {"x": 1}}):
            response = client.open(path, method=method, csrf=False, **kwargs)
            assert response.status_code == 400, (method, path, response.status_code)
            if path.startswith("/api/"):
                assert "error" in response.get_json()
            else:
                assert b"security token" in response.data
        checked.append((method, path))
    # A token from another session is no better than none.
    other = app.test_client()
    stolen = other.csrf_token()
    response = client.post(
        f"/comments/{post.id}", data={"body": "x", "csrf_token": stolen}, csrf=False
    )
    assert response.status_code == 400
    response = client.post("/api/logout", headers={"X-CSRFToken": "forged"}, csrf=False)
    assert response.status_code == 400
    assert len(checked) >= 40  # every write route the app has (about 50 today)


def test_the_unsubscribe_exemption_is_protected_by_its_signed_token(client):
    response = client.post("/unsubscribe/not-a-real-token", csrf=False)
    assert response.status_code == 400


# --- redirects -----------------------------------------------------------------------

EVIL = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "//evil.example@127.0.0.1",
]


def test_login_and_logout_never_redirect_away(client):
    make_user(email="nav@example.com")
    for target in EVIL:
        page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
        assert "evil.example" not in page and "javascript:" not in page
        response = client.post(
            "/login", data={"email": "nav@example.com", "password": PASSWORD, "next": target}
        )
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        response = client.post("/logout", data={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        page = client.get("/signup", query_string={"next": target}).get_data(as_text=True)
        assert "evil.example" not in page and "javascript:" not in page


def test_a_local_next_is_followed(client):
    make_user(email="nav@example.com")
    response = client.post(
        "/login",
        data={"email": "nav@example.com", "password": PASSWORD, "next": "/2024/01/02/a-post/"},
    )
    assert response.headers["Location"] == "/2024/01/02/a-post/"


@pytest.mark.oauth
class TestProviderLogin:
    @pytest.fixture
    def config_overrides(self, oauth):
        return oauth.settings()

    @pytest.mark.parametrize("provider", ["google", "twitter"])
    def test_oauth_login_never_redirects_away(self, client, oauth, provider):
        from tests.oauth_servers import login_with
        from tests.test_oauth import x_says

        x_says(oauth)
        for target in EVIL:
            response = login_with(client, provider, next=target)
            assert response.status_code == 302
            assert response.headers["Location"] == "/", target
            client.post("/logout")
        response = login_with(client, provider, next="/tag/news/")
        assert response.headers["Location"] == "/tag/news/"


# --- rate limits ---------------------------------------------------------------------

LIMITS = {"LOGIN_RATE_LIMIT": "2 per minute", "COMMENT_RATE_LIMIT": "2 per minute"}


def assert_readable_429(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1" in page and "Too many" in page and "try again" in page
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("config_overrides", [LIMITS])
def test_login_attempts_are_limited_with_a_page_and_json(client):
    wrong = {"email": "who@example.com", "password": "wrong password"}
    assert client.post("/login", data=wrong).status_code == 401
    assert client.post("/login", data=wrong).status_code == 401
    assert_readable_429(client.post("/login", data=wrong))
    response = client.post("/api/login", json=wrong)
    assert response.status_code == 429
    assert response.get_json()["error"] and int(response.headers["Retry-After"]) > 0
    assert client.get("/login").status_code == 200  # reading is never limited


@pytest.mark.parametrize("config_overrides", [LIMITS])
def test_comments_are_limited_with_a_page_and_json(client):
    post = make_post()
    for n in range(2):
        assert post_form(client, post, body=f"Comment {n}").status_code in (302, 303)
    assert_readable_429(post_form(client, post, body="One too many"))
    response = client.post(f"/api/posts/{post.slug}/comments", json={"body": "API", **GUEST})
    assert response.status_code == 429
    assert response.get_json()["error"]
