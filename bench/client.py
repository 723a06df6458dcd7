"""A few plain HTTP calls: logging in, checking answers before loading them."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.request


class Client:
    """A browser-like session: cookies kept, CSRF token sent on JSON writes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, dict(r.headers.items()), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()

    def post_json(self, path: str, data: dict) -> tuple[int, dict]:
        token = json.loads(self.get("/api/csrf")[2])["csrf_token"]
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=60) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def login(base: str, email: str, password: str) -> str:
    """Log in through the API; the Cookie header of that session."""
    client = Client(base)
    status, body = client.post_json("/api/login", {"email": email, "password": password})
    if status != 200:
        raise RuntimeError(f"login as {email} failed: {status} {body}")
    return client.cookie_header()
