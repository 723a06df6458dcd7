"""The app factory, settings and the basics every page relies on."""

from blog import create_app


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_secret_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("BLOG_SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) > 30
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_settings_come_from_prefixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_GOOGLE_CLIENT_ID", "12345")
    monkeypatch.setenv("BLOG_COMMENT_RATE_LIMIT", "2 per minute")
    monkeypatch.setenv("BLOG_OIDC_PROVIDERS", '{"corp": {"title": "Corp SSO"}}')
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["GOOGLE_CLIENT_ID"] == "12345"
    assert app.config["COMMENT_RATE_LIMIT"] == "2 per minute"
    assert app.config["OIDC_PROVIDERS"] == {"corp": {"title": "Corp SSO"}}
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is nothing at this address." in response.data


def test_security_headers(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
