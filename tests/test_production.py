"""Two app processes under gunicorn and one ``blog worker``, sharing PostgreSQL and Redis.

Nothing a process keeps to itself may matter to another: a rate limit holds
across both, a comment approved through one is on the other's cached page at
once, and each mail is delivered exactly once to a real SMTP server.
"""

from __future__ import annotations

import re
import time

import pytest
import redis
import sqlalchemy as sa

from blog.comments.forms import stamp_age
from blog.extensions import db
from blog.models import Comment, MailStatus, OutboxMail, Role
from tests.conftest import require
from tests.factories import PASSWORD, make_post, make_user
from tests.procs import (
    RedisServer,
    SmtpSink,
    Stack,
    ThrowawayDatabase,
    Visitor,
    postgres_reachable,
    postgres_server_url,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

RATE_LIMIT = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    server = postgres_server_url()
    require(postgres_reachable(server), f"PostgreSQL is not reachable at {server}")
    require(RedisServer.available(), "redis-server is not installed")
    redis_server = RedisServer().start()
    smtp = SmtpSink().start()
    with ThrowawayDatabase(server) as database:
        stack = Stack(
            tmp_path_factory.mktemp("production"),
            {
                "BLOG_DATABASE_URL": database.url,
                "BLOG_REDIS_URL": redis_server.url,
                "BLOG_MAIL_URL": smtp.url,
                "BLOG_COMMENT_RATE_LIMIT": f"{RATE_LIMIT} per minute",
            },
        )
        stack.redis, stack.smtp = redis_server, smtp
        try:
            stack.migrate()  # as the Procfile's release step does
            stack.seed = seed(stack)
            stack.start(apps=2)
            yield stack
        finally:
            stack.stop()
            redis_server.close()
            smtp.stop()
            stack.dispose()


def seed(stack: Stack) -> dict:
    """A moderator, an author and a published post, written as the tests' factories do."""
    with stack.app().app_context():
        moderator = make_user(Role.MODERATOR, email="mod@example.com")
        author = make_user(Role.AUTHOR, email="author@example.com")
        post = make_post(title="Scaling out", author=author)
        return {
            "moderator": moderator.email,
            "slug": post.slug,
            "path": post.url_path,
            "id": post.id,
        }


@pytest.fixture
def fresh_limits(stack):
    """Each test starts with no comment counted against the rate limits."""
    client = redis.Redis.from_url(stack.redis.url)
    for key in client.scan_iter("*LIMITS*"):
        client.delete(key)
    client.close()


def rows(stack: Stack, query):
    with stack.app().app_context():
        try:
            return db.session.execute(query).all()
        finally:
            db.session.remove()


def comment(visitor: Visitor, base: str, slug: str, n: int, who: str = "guest"):
    data = {"body": f"Thought number {n} from {who}.", "name": who, "email": f"{who}@example.com"}
    return visitor.post_json(base, f"/api/posts/{slug}/comments", data)


def test_a_rate_limit_holds_across_processes(stack, fresh_limits):
    first, second = (app.url for app in stack.apps)
    visitor = Visitor()
    answers = [
        comment(visitor, (first, second)[n % 2], stack.seed["slug"], n).status_code
        for n in range(RATE_LIMIT + 3)
    ]
    assert answers[:RATE_LIMIT] == [201] * RATE_LIMIT, stack.logs()
    assert answers[RATE_LIMIT:] == [429] * 3


def test_an_approval_through_one_process_shows_on_the_others_cached_page(stack, fresh_limits):
    first, second = (app.url for app in stack.apps)
    page = second + stack.seed["path"]
    # Each anonymous reader is a new Visitor: no cookie is kept between reads.
    assert Visitor().get(page).status_code == 200
    before = Visitor().get(page)
    assert before.status_code == 200 and before.headers["X-Cache"] == "hit"

    guest = Visitor()
    posted = comment(guest, first, stack.seed["slug"], 1, who="newcomer")
    assert posted.status_code == 201, posted.text
    held = posted.json()
    assert held["status"] == "pending"  # a first-time commenter is held
    assert f'id="comment-{held["id"]}"' not in Visitor().get(page).text

    moderator = Visitor()
    login = moderator.post_json(
        first, "/api/login", {"email": stack.seed["moderator"], "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    approved = moderator.post_json(
        first, f"/api/comments/{held['id']}/moderate", {"action": "approve"}
    )
    assert approved.status_code == 200, approved.text

    after = Visitor().get(page)
    assert after.status_code == 200
    assert after.headers["X-Cache"] == "miss"
    assert f'id="comment-{held["id"]}"' in after.text
    assert "Thought number 1 from newcomer." in after.text
    again = Visitor().get(page)
    assert again.headers["X-Cache"] == "hit" and f'id="comment-{held["id"]}"' in again.text


def test_cached_pages_give_each_reader_their_own_csrf_token(stack):
    page = stack.apps[0].url + stack.seed["path"]
    tokens = set()
    for _ in range(3):
        answer = Visitor().get(page)
        assert "session=" in answer.headers.get("Set-Cookie", "")
        tokens.add(re.search(r'name="csrf-token" content="([^"]+)"', answer.text)[1])
    assert len(tokens) == 3


def test_the_comment_form_on_a_cached_page_works_without_javascript(stack, fresh_limits):
    page = stack.apps[1].url + stack.seed["path"]
    Visitor().get(page)
    reader = Visitor()
    cached = reader.get(page)
    assert cached.headers["X-Cache"] == "hit"
    form = re.search(r'<form id="commentform".*?</form>', cached.text, re.S)[0]
    field = {name: value for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form)}
    with stack.app().app_context():
        assert stamp_age(field["ts"], stack.seed["id"]) < 2  # made for this reader, now
    action = re.search(r'action="([^"]+)"', form)[1]
    sent = reader.http.post(
        stack.apps[0].url + action,
        data={
            "csrf_token": field["csrf_token"],
            "ts": field["ts"],
            "body": "Typed into the plain form.",
            "name": "Plain Reader",
            "email": "plain@example.com",
        },
        allow_redirects=False,
        timeout=20,
    )
    assert sent.status_code == 303, sent.text
    mine = reader.get(page)  # the guest cookie now keeps this reader off the cache
    assert "X-Cache" not in mine.headers
    assert "Typed into the plain form." in mine.text
    assert "Typed into the plain form." not in Visitor().get(page).text


def test_each_mail_is_delivered_exactly_once(stack, fresh_limits):
    first, second = (app.url for app in stack.apps)
    for n in range(RATE_LIMIT):
        who = f"writer{n}"
        answer = comment(Visitor(), (first, second)[n % 2], stack.seed["slug"], n, who=who)
        assert answer.status_code == 201, answer.text

    def settled() -> bool:
        pending = rows(stack, sa.select(OutboxMail.id).where(OutboxMail.status != MailStatus.SENT))
        return not pending

    assert wait_for(settled, 20, 0.2), stack.logs()
    time.sleep(1.5)  # one more sweep: nothing may be sent twice
    sent = {row.id for row in rows(stack, sa.select(OutboxMail.id))}
    delivered = [_outbox_id(mid) for mid in stack.smtp.message_ids()]
    assert len(delivered) == len(set(delivered)), "a mail was delivered twice"
    assert set(delivered) == sent
    assert len(sent) >= RATE_LIMIT  # every held comment told someone
    assert rows(stack, sa.select(sa.func.count(Comment.id)))[0][0] >= RATE_LIMIT


def _outbox_id(message_id: str) -> int:
    return int(re.search(r"outbox-(\d+)", message_id)[1])
