"""Akismet's verdict, from a local HTTP server that answers as comment-check does."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from blog.models import CommentStatus

from .factories import make_post
from .test_comment_support import codes, set_rules, submit


class FakeAkismet(BaseHTTPRequestHandler):
    """comment-check: "true" for spam, "false" for ham, "invalid" for a bad key."""

    received: list[tuple[str, dict[str, str]]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.received.append((self.path, fields))
        content = fields.get("comment_content", "")
        status, body, extra = 200, "false", {}
        if "spammy" in content:
            body = "true"
        elif "badkey" in content:
            body, extra = "invalid", {"X-akismet-debug-help": "Empty 'key' value"}
        elif "crash" in content:
            status, body = 500, "oops"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def akismet(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAkismet)
    FakeAkismet.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["AKISMET_KEY"] = "test-key"
    app.config["AKISMET_URL"] = f"http://127.0.0.1:{server.server_port}/{{key}}/1.1/comment-check"
    try:
        yield FakeAkismet
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def post(app):
    set_rules(policy="none")
    return make_post()


def test_spam_verdict(akismet, post):
    result = submit(post, "Totally spammy text", ip="203.0.113.9", user_agent="Bot/2")
    assert result.comment.status == CommentStatus.SPAM
    assert codes(result) == ["akismet_spam"]
    path, fields = akismet.received[0]
    assert path == "/test-key/1.1/comment-check"
    assert fields["user_ip"] == "203.0.113.9" and fields["user_agent"] == "Bot/2"
    assert fields["comment_author"] == "Ann Guest"
    assert fields["comment_author_email"] == "ann@example.com"
    assert fields["comment_type"] == "comment" and fields["blog"]
    assert fields["permalink"].endswith(post.url_path)
    assert fields["is_test"] == "1"


def test_ham_verdict_adds_no_reason(akismet, post):
    result = submit(post, "A kind remark")
    assert result.comment.status == CommentStatus.APPROVED
    assert result.comment.reasons == []
    assert len(akismet.received) == 1


@pytest.mark.parametrize("body", ["badkey here", "crash now"])
def test_an_error_holds_with_a_reason(akismet, post, body):
    result = submit(post, body)
    assert result.comment.status == CommentStatus.PENDING
    assert codes(result) == ["akismet_error"]


def test_unreachable_akismet_holds_and_never_500s(app, client, post):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens
    app.config["AKISMET_KEY"] = "test-key"
    app.config["AKISMET_URL"] = f"http://127.0.0.1:{port}/{{key}}/comment-check"
    response = client.post(
        f"/api/posts/{post.slug}/comments",
        json={"body": "Hello", "name": "Ann", "email": "ann@example.com"},
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    assert [r["code"] for r in response.get_json()["reasons"]] == ["akismet_error"]


def test_not_asked_when_already_spam_or_no_key(app, akismet, post):
    set_rules(block_words=["casino"])
    submit(post, "casino")
    assert akismet.received == []
    app.config["AKISMET_KEY"] = None
    assert submit(post, "spammy but unchecked").comment.status == CommentStatus.APPROVED
    assert akismet.received == []


def test_reply_is_sent_as_reply(akismet, post):
    first = submit(post, "Parent text").comment
    submit(post, "Child text", parent_id=first.id)
    assert akismet.received[-1][1]["comment_type"] == "reply"
