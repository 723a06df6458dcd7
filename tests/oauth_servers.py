"""Real OAuth 2.0 / OpenID Connect servers on 127.0.0.1 for the login tests.

``oauth_servers`` (one per test session) runs tests/oauth/servers.mjs with
Node: oauth2-mock-server as Google, X and Facebook, and oidc-provider as a
company SSO called "corp". ``npm ci`` runs first when node_modules is missing.
No Node or npm: the tests skip locally and fail in CI.

The helpers below drive a login the way a browser would: the app's redirect
to the provider, the provider's pages and redirects (with ``requests``), then
the app's callback through the Flask test client.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oauth" / "servers.mjs"
# The Flask test client's host; the redirect URIs the providers know start with it.
APP_BASE = "http://localhost"
CORP_CLIENT_ID, CORP_CLIENT_SECRET = "blog-corp", "corp-secret"
START_TIMEOUT = 30


def _require(available: bool, reason: str) -> None:
    from tests.conftest import require

    require(available, reason)


# Every package.json devDependency the tests load (the browser tests inject axe-core).
NPM_PACKAGES = ("oauth2-mock-server", "oidc-provider", "axe-core")


def _npm_ci() -> None:
    if all((ROOT / "node_modules" / name).is_dir() for name in NPM_PACKAGES):
        return
    npm = shutil.which("npm")
    _require(npm is not None, "npm is not installed (needed for the OAuth test servers)")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    _require(done.returncode == 0, f"npm ci failed: {done.stderr[-2000:]}")


class OAuthServers:
    """The running servers: their addresses, the app settings for them, scenario control."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    def scenario(self, name: str, **scenario: Any) -> None:
        """Set how provider ``name`` answers from now on (see tests/oauth/servers.mjs)."""
        response = requests.post(
            f"{self.urls['control']}/scenario/{name}", json=scenario, timeout=5
        )
        response.raise_for_status()

    def reset(self) -> None:
        for name in ("google", "twitter", "facebook", "corp"):
            self.scenario(name)

    def settings(self) -> dict[str, Any]:
        """App settings pointing every provider at these servers."""
        google, twitter, facebook, corp = (
            self.urls[n] for n in ("google", "twitter", "facebook", "corp")
        )
        return {
            "BASE_URL": APP_BASE,
            "GOOGLE_CLIENT_ID": "blog-google",
            "GOOGLE_CLIENT_SECRET": "google-secret",
            "GOOGLE_METADATA_URL": f"{google}/.well-known/openid-configuration",
            "TWITTER_CLIENT_ID": "blog-x",
            "TWITTER_CLIENT_SECRET": "x-secret",
            "TWITTER_AUTHORIZE_URL": f"{twitter}/authorize",
            "TWITTER_TOKEN_URL": f"{twitter}/token",
            "TWITTER_API_BASE": f"{twitter}/",
            "FACEBOOK_CLIENT_ID": "blog-facebook",
            "FACEBOOK_CLIENT_SECRET": "facebook-secret",
            "FACEBOOK_AUTHORIZE_URL": f"{facebook}/authorize",
            "FACEBOOK_TOKEN_URL": f"{facebook}/token",
            "FACEBOOK_API_BASE": f"{facebook}/",
            "OIDC_PROVIDERS": {
                "corp": {
                    "title": "Corp SSO",
                    "metadata_url": f"{corp}/.well-known/openid-configuration",
                    "client_id": CORP_CLIENT_ID,
                    "client_secret": CORP_CLIENT_SECRET,
                }
            },
        }


def _read_ready_line(proc: subprocess.Popen) -> dict[str, str]:
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=START_TIMEOUT):
            raise RuntimeError("the OAuth test servers did not start in time")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the OAuth test servers exited at start")
    return json.loads(line)


def _stop(proc: subprocess.Popen) -> None:
    if proc.stdin:
        proc.stdin.close()  # the script exits when its input closes
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="session")
def oauth_servers() -> Iterator[OAuthServers]:
    node = shutil.which("node")
    _require(node is not None, "node is not installed (needed for the OAuth test servers)")
    _npm_ci()
    env = {
        **os.environ,
        "BLOG_TEST_APP_BASE": APP_BASE,
        "BLOG_TEST_CORP_CLIENT_ID": CORP_CLIENT_ID,
        "BLOG_TEST_CORP_CLIENT_SECRET": CORP_CLIENT_SECRET,
    }
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            try:
                urls = _read_ready_line(proc)
            except (RuntimeError, ValueError) as exc:
                stderr.seek(0)
                _require(False, f"{exc}: {stderr.read()[-2000:].decode(errors='replace')}")
            yield OAuthServers(urls)
        finally:
            _stop(proc)


@pytest.fixture
def oauth(oauth_servers) -> OAuthServers:
    """The servers, with every provider back to its plain behaviour."""
    oauth_servers.reset()
    return oauth_servers


@pytest.fixture
def dead_url() -> str:
    """An address on 127.0.0.1 where nothing listens: a provider that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- driving a login ----------------------------------------------------------------


def app_path(url: str) -> str:
    """The path and query of an app URL, for the Flask test client."""
    assert url.startswith(APP_BASE + "/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start_login(client, provider: str, **query: str) -> str:
    """GET /login/<provider>; returns the provider URL the app redirects to."""
    response = client.get(f"/login/{provider}", query_string=query)
    assert response.status_code == 302, response.data[:500]
    return response.headers["Location"]


def mock_authorize(url: str) -> str:
    """oauth2-mock-server approves at once; returns the app callback URL it redirects to."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text[:500]
    return response.headers["Location"]


class _FormFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.actions.append(dict(attrs).get("action") or "")


def corp_authorize(url: str, account: str = "alice", approve: bool = True) -> str:
    """Walk oidc-provider's login and consent pages; returns the app callback URL."""
    with requests.Session() as browser:
        response = browser.get(url, allow_redirects=False, timeout=10)
        for _ in range(12):
            if response.status_code in (302, 303):
                target = urljoin(response.url, response.headers["Location"])
                if target.startswith(APP_BASE + "/"):
                    return target
                response = browser.get(target, allow_redirects=False, timeout=10)
                continue
            response = _answer_page(browser, response, account, approve)
    raise AssertionError("oidc-provider never sent the browser back to the app")


def _answer_page(browser, page, account: str, approve: bool):
    """Fill in the login form, or approve (or abort) on the consent page."""
    assert page.status_code == 200, page.text[:1000]
    finder = _FormFinder()
    finder.feed(page.text)
    action = urljoin(page.url, finder.actions[0])
    if not approve:
        return browser.get(action + "/abort", allow_redirects=False, timeout=10)
    if 'name="prompt" value="login"' in page.text:
        form = {"prompt": "login", "login": account, "password": "any"}
    else:
        form = {"prompt": "consent"}
    return browser.post(action, data=form, allow_redirects=False, timeout=10)


def authorize(provider: str, url: str, **kwargs: Any) -> str:
    """The provider's part of the flow, for any provider; returns the callback URL."""
    if provider == "corp":
        return corp_authorize(url, **kwargs)
    return mock_authorize(url)


def login_with(client, provider: str, next: str | None = None, **kwargs: Any):
    """A whole round trip; returns the app's answer to the callback."""
    query = {"next": next} if next else {}
    callback = authorize(provider, start_login(client, provider, **query), **kwargs)
    return client.get(app_path(callback))
