"""The page cache for anonymous readers, in process and in Redis.

A probe page stands in for the readers' pages: it shows the number of
approved comments and carries the CSRF token the way every page does, so
these tests do not depend on the post templates.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import abort, flash, render_template_string

from blog import create_app
from blog.cache import DEFAULT_PATHS, fresh
from blog.comments.forms import make_stamp, stamp_age
from blog.extensions import db
from blog.models import Comment, CommentStatus, PostStatus, utcnow
from blog.moderation.services import change_status
from tests.conftest import CSRFClient
from tests.factories import make_comment, make_post, make_user
from tests.procs import free_port
from tests.test_comment_support import set_rules, submit

PROBE = """<!doctype html><html><head>
<meta name="csrf-token" content="{{ csrf_token() }}"></head><body>
<p id="count">{{ count }} approved</p><p id="stamp">{{ stamp }}</p>
<form method="post" action="/probe-post">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button>Go</button>
</form></body></html>"""


@pytest.fixture
def config_overrides():
    return {"PAGE_CACHE": True, "PAGE_CACHE_PATHS": (*DEFAULT_PATHS, r"/probe/[a-z]+")}


def add_probe(app) -> None:
    """Readers' page stand-ins: ``/probe/<name>`` (cacheable) and a CSRF-checked POST."""

    def probe(name: str):
        if name == "missing":
            abort(404)
        count = db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.APPROVED)
        )
        return render_template_string(PROBE, count=count, stamp=fresh(make_stamp, 7))

    def flashing():
        flash("Only for you")
        return render_template_string(PROBE, count=0)

    app.add_url_rule("/probe/<name>", "probe", probe)
    app.add_url_rule("/probe/flash", "flashing", flashing)
    app.add_url_rule("/probe-post", "probe_post", lambda: "posted", methods=["POST"])


@pytest.fixture
def probe_app(app, base_config, config_overrides):
    """The app readers use, on the database and instance folder of ``app``.

    Separate from ``app`` (whose context the test holds) so that every request
    gets a fresh context, as in production.
    """
    reader_app = create_app({**base_config, **config_overrides, "INSTANCE_PATH": app.instance_path})
    reader_app.test_client_class = CSRFClient
    add_probe(reader_app)
    yield reader_app
    dispose(reader_app)


def dispose(*apps) -> None:
    """Close the database connections of apps made in a test (the fixture's closes itself)."""
    for each in apps:
        with each.app_context():
            db.engine.dispose()


@pytest.fixture
def reader(probe_app):
    return probe_app.test_client()


def token_in(response) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))[1]


def count_in(response) -> int:
    return int(re.search(r'id="count">(\d+) approved', response.get_data(as_text=True))[1])


def test_a_second_anonymous_read_is_served_from_the_cache(reader):
    first = reader.get("/probe/home")
    second = reader.get("/probe/home")
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "miss"
    assert second.headers["X-Cache"] == "hit"
    assert "text/html" in second.headers["Content-Type"]
    assert "Content-Security-Policy" in second.headers


def test_query_strings_are_cached_apart(reader):
    reader.get("/probe/home?page=1")
    assert reader.get("/probe/home?page=2").headers["X-Cache"] == "miss"
    assert reader.get("/probe/home?page=1").headers["X-Cache"] == "hit"


def test_head_is_answered_from_the_cached_get(reader):
    reader.get("/probe/home")
    head = reader.head("/probe/home")
    assert head.status_code == 200
    assert head.headers["X-Cache"] == "hit"
    assert head.data == b""


def test_every_visitor_gets_their_own_csrf_token_from_a_cached_page(probe_app):
    first, second = probe_app.test_client(), probe_app.test_client()
    miss = first.get("/probe/home")
    hit = second.get("/probe/home")
    assert hit.headers["X-Cache"] == "hit"
    assert token_in(hit) != token_in(miss)
    assert "per-request-" not in hit.get_data(as_text=True)
    # The new visitor got a session cookie holding the token's secret...
    assert "session=" in hit.headers.get("Set-Cookie", "")
    # ...so the form on the cached page posts, and another visitor's token does not.
    assert second.post("/probe-post", data={"csrf_token": token_in(hit)}).status_code == 200
    assert second.post("/probe-post", data={"csrf_token": token_in(miss)}).status_code == 400
    assert first.post("/probe-post", data={"csrf_token": token_in(miss)}).status_code == 200


def test_values_made_per_request_are_made_anew_on_a_cached_page(reader):
    reader.get("/probe/home")
    time.sleep(1.1)  # the stamp counts whole seconds
    hit = reader.get("/probe/home")
    assert hit.headers["X-Cache"] == "hit"
    stamp = re.search(r'id="stamp">([^<]+)<', hit.get_data(as_text=True))[1]
    assert stamp_age(stamp, 7) < 1


def test_the_token_in_the_form_matches_the_one_in_the_meta_tag(reader):
    reader.get("/probe/home")
    page = reader.get("/probe/home").get_data(as_text=True)
    tokens = set(re.findall(r'(?:content|value)="([\w.-]{40,})"', page))
    assert len(tokens) == 1


def test_logged_in_readers_and_guests_are_never_served_from_the_cache(probe_app, login_as):
    anonymous = probe_app.test_client()
    anonymous.get("/probe/home")
    member = probe_app.test_client()
    login_as(make_user(), member)
    answer = member.get("/probe/home")
    assert answer.status_code == 200 and "X-Cache" not in answer.headers
    guest = probe_app.test_client()
    guest.set_cookie("blog_guest", "signed-guest-value")
    answer = guest.get("/probe/home")
    assert answer.status_code == 200 and "X-Cache" not in answer.headers


def test_a_page_with_a_flashed_message_is_not_stored(probe_app, reader):
    reader.get("/probe/flash")
    assert "X-Cache" not in reader.get("/probe/home").headers  # the flash is pending
    other = probe_app.test_client()
    assert other.get("/probe/flash").headers["X-Cache"] == "miss"


def test_only_readers_pages_are_cached(reader):
    assert "X-Cache" not in reader.get("/api/csrf").headers
    assert "X-Cache" not in reader.post("/probe-post").headers
    assert "X-Cache" not in reader.get("/probe/not-a-reader-page").headers
    reader.get("/probe/missing")
    missing = reader.get("/probe/missing")
    assert missing.status_code == 404 and missing.headers["X-Cache"] == "miss"


def test_approving_a_comment_invalidates_the_cached_pages(reader):
    # The change is committed in the test's app, the page read through another
    # one on the same instance folder: two processes of one host without Redis.
    post = make_post()
    held = make_comment(post, status=CommentStatus.PENDING)
    reader.get("/probe/home")
    assert count_in(reader.get("/probe/home")) == 0
    change_status(held, CommentStatus.APPROVED, actor=None, action="approve")
    db.session.commit()
    fresh = reader.get("/probe/home")
    assert fresh.headers["X-Cache"] == "miss"
    assert count_in(fresh) == 1


def test_a_rolled_back_change_keeps_the_cache(reader):
    post = make_post()
    held = make_comment(post, status=CommentStatus.PENDING)
    reader.get("/probe/home")
    change_status(held, CommentStatus.APPROVED, actor=None, action="approve")
    db.session.rollback()
    assert reader.get("/probe/home").headers["X-Cache"] == "hit"


def test_a_new_held_comment_does_not_invalidate(reader):
    post = make_post()
    reader.get("/probe/home")
    make_comment(post, status=CommentStatus.PENDING)
    assert reader.get("/probe/home").headers["X-Cache"] == "hit"


@pytest.mark.parametrize("change", ["edit post", "remove comment", "edit comment"])
def test_post_and_comment_changes_invalidate(reader, change):
    post = make_post()
    comment = make_comment(post)
    reader.get("/probe/home")
    if change == "edit post":
        post.title = "A new title"
    elif change == "remove comment":
        db.session.delete(comment)
    else:
        comment.body_html = "<p>Edited</p>"
    db.session.commit()
    assert reader.get("/probe/home").headers["X-Cache"] == "miss"


def test_an_entry_expires_when_a_scheduled_post_goes_live(reader):
    make_post(status=PostStatus.SCHEDULED, published_at=utcnow() + timedelta(seconds=2))
    reader.get("/probe/home")
    assert reader.get("/probe/home").headers["X-Cache"] == "hit"
    time.sleep(2.1)
    assert reader.get("/probe/home").headers["X-Cache"] == "miss"


def test_the_in_process_cache_is_bounded(probe_app, reader):
    probe_app.extensions["blog.cache"].store.max_entries = 2
    for name in ("one", "two", "three"):
        reader.get(f"/probe/{name}")
    assert reader.get("/probe/three").headers["X-Cache"] == "hit"
    assert reader.get("/probe/one").headers["X-Cache"] == "miss"


# --- in Redis ------------------------------------------------------------------------


@pytest.fixture
def redis_config(redis_server):
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return {
        "PAGE_CACHE": True,
        "PAGE_CACHE_PATHS": (*DEFAULT_PATHS, r"/probe/[a-z]+"),
        "REDIS_URL": redis_server.url,
    }


def test_processes_share_the_redis_cache_and_its_invalidation(
    base_config, redis_config, db, request
):
    first = create_app({**base_config, **redis_config})
    second = create_app({**base_config, **redis_config})
    for each in (first, second):
        add_probe(each)
    request.addfinalizer(lambda: dispose(first, second))
    with first.app_context():
        post = make_post()
        comment = make_comment(post, status=CommentStatus.PENDING)
        assert first.test_client().get("/probe/home").headers["X-Cache"] == "miss"
        assert second.test_client().get("/probe/home").headers["X-Cache"] == "hit"
        change_status(comment, CommentStatus.APPROVED, actor=None, action="ok")
        db.session.commit()
    fresh = second.test_client().get("/probe/home")
    assert fresh.headers["X-Cache"] == "miss"
    assert count_in(fresh) == 1


def test_readers_are_served_when_redis_is_down(base_config, request):
    down = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(
        {**base_config, "PAGE_CACHE": True, "REDIS_URL": down, "PAGE_CACHE_PATHS": [r"/probe/\w+"]}
    )
    add_probe(app)
    request.addfinalizer(lambda: dispose(app))
    client = app.test_client()
    for _ in range(3):
        answer = client.get("/probe/home")
        assert answer.status_code == 200
        assert "X-Cache" not in answer.headers


def test_held_and_spam_comments_from_the_pipeline_keep_the_cache(reader):
    post = make_post()
    set_rules(policy="all")
    reader.get("/probe/home")
    held = submit(post, "Waiting for a moderator.").comment
    assert held.status == CommentStatus.PENDING
    change_status(held, CommentStatus.SPAM, actor=None, action="spam")
    db.session.commit()
    assert reader.get("/probe/home").headers["X-Cache"] == "hit"

    other = submit(post, "Approved in the end.").comment
    change_status(other, CommentStatus.APPROVED, actor=None, action="approve")
    db.session.commit()
    assert reader.get("/probe/home").headers["X-Cache"] == "miss"
