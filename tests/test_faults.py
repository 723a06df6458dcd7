"""When a part fails: SMTP down, PostgreSQL restarted under load, Redis stopped.

Each test runs its own servers (a PostgreSQL cluster and a redis-server of its
own where it stops or restarts them), never the machine's shared ones.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, MailStatus, OutboxMail, Role
from tests.conftest import require
from tests.factories import make_post, make_user
from tests.procs import (
    PostgresCluster,
    SmtpSink,
    Stack,
    ThrowawayDatabase,
    Visitor,
    postgres_binaries,
    postgres_reachable,
    postgres_server_url,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

NO_LIMIT = "10000 per minute"


@pytest.fixture(scope="module")
def database():
    """A throwaway database on the shared PostgreSQL server, migrated once."""
    server = postgres_server_url()
    require(postgres_reachable(server), f"PostgreSQL is not reachable at {server}")
    with ThrowawayDatabase(server) as database:
        yield database


@pytest.fixture
def make_stack(tmp_path):
    stacks: list[Stack] = []

    def make(settings: dict[str, str], migrate: bool = False) -> Stack:
        stack = Stack(tmp_path / f"stack{len(stacks)}", settings)
        stack.tmp.mkdir()
        stacks.append(stack)
        if migrate:
            stack.migrate()
        return stack

    yield make
    for stack in stacks:
        stack.stop()
        stack.dispose()


_migrated: set[str] = set()


def stack_on(make_stack, database, **settings: str) -> Stack:
    stack = make_stack(
        {"BLOG_DATABASE_URL": database.url, "BLOG_COMMENT_RATE_LIMIT": NO_LIMIT, **settings},
        migrate=database.url not in _migrated,
    )
    _migrated.add(database.url)
    return stack


def seed(stack: Stack, tag: str, moderator: bool = True) -> dict:
    """A published post (and a moderator and author to hear about held comments)."""
    with stack.app().app_context():
        author = None
        if moderator:
            make_user(Role.MODERATOR, email=f"mod-{tag}@example.com")
            author = make_user(Role.AUTHOR, email=f"author-{tag}@example.com")
        post = make_post(title=f"Post for {tag}", slug=f"post-{tag}", author=author)
        return {"slug": post.slug, "path": post.url_path}


def query(stack: Stack, statement):
    with stack.app().app_context():
        try:
            return db.session.execute(statement).all()
        finally:
            db.session.remove()


def comment(base: str, slug: str, text: str, who: str):
    data = {"body": text, "name": who, "email": f"{who}@example.com"}
    return Visitor().post_json(base, f"/api/posts/{slug}/comments", data)


def outbox_settled(stack: Stack) -> bool:
    return not query(stack, sa.select(OutboxMail.id).where(OutboxMail.status != MailStatus.SENT))


def last_mail_id(stack: Stack) -> int:
    return query(stack, sa.select(sa.func.coalesce(sa.func.max(OutboxMail.id), 0)))[0][0]


def assert_delivered_once(stack: Stack, smtp: SmtpSink, after: int) -> None:
    """Every mail queued after outbox id ``after`` reached ``smtp``, and only once."""
    delivered = [int(re.search(r"outbox-(\d+)", m)[1]) for m in smtp.message_ids()]
    twice = [mail_id for mail_id, n in Counter(delivered).items() if n > 1]
    assert not twice, f"delivered more than once: {twice}"
    queued = query(stack, sa.select(OutboxMail.id).where(OutboxMail.id > after))
    assert queued and set(delivered) == {row.id for row in queued}


def test_mail_waits_while_smtp_is_down_and_then_arrives(make_stack, database, redis_server, smtp):
    stack = stack_on(make_stack, database, BLOG_REDIS_URL=redis_server.url, BLOG_MAIL_URL=smtp.url)
    post = seed(stack, "smtp")
    before = last_mail_id(stack)
    stack.start(apps=1)
    smtp.stop()
    for n in range(3):
        answer = comment(stack.apps[0].url, post["slug"], f"While SMTP sleeps, {n}.", f"s{n}")
        assert answer.status_code == 201, answer.text

    def tried_and_failed() -> bool:
        mails = sa.select(OutboxMail.status, OutboxMail.attempts).where(OutboxMail.id > before)
        rows = query(stack, mails)
        return len(rows) >= 3 and all(r.status == MailStatus.PENDING and r.attempts for r in rows)

    assert wait_for(tried_and_failed, 15, 0.2), stack.logs()
    assert smtp.messages == []
    smtp.start()  # the same port again
    assert wait_for(lambda: outbox_settled(stack), 20, 0.2), stack.logs()
    time.sleep(1.2)  # another sweep passes: still nothing twice
    assert_delivered_once(stack, smtp, before)


def test_readers_and_commenters_are_served_while_redis_is_down(
    make_stack, database, redis_server, smtp
):
    stack = stack_on(make_stack, database, BLOG_REDIS_URL=redis_server.url, BLOG_MAIL_URL=smtp.url)
    post = seed(stack, "redis")
    before = last_mail_id(stack)
    [app] = stack.start(apps=1)
    page = app.url + post["path"]
    Visitor().get(page)
    assert Visitor().get(page).headers["X-Cache"] == "hit"

    redis_server.stop()
    for n in range(3):
        read = Visitor().get(page)
        assert read.status_code == 200 and "X-Cache" not in read.headers
        answer = comment(app.url, post["slug"], f"Redis is away, {n}.", f"r{n}")
        assert answer.status_code == 201, answer.text
    # Jobs run in the app instead of the queue: the mails still go out.
    assert wait_for(lambda: outbox_settled(stack), 20, 0.2), stack.logs()

    redis_server.start()  # back on the same port: the cache and the queue return
    assert wait_for(lambda: "X-Cache" in Visitor().get(page).headers, 15, 0.5), stack.logs()
    answer = comment(app.url, post["slug"], "Redis is back.", "r-back")
    assert answer.status_code == 201
    assert wait_for(lambda: outbox_settled(stack), 20, 0.2), stack.logs()
    assert_delivered_once(stack, smtp, before)


def test_a_postgres_restart_loses_no_acknowledged_comment(make_stack):
    require(postgres_binaries() is not None, "PostgreSQL server binaries are not installed")
    cluster = PostgresCluster().start()
    stack = make_stack(
        {"BLOG_DATABASE_URL": cluster.url, "BLOG_COMMENT_RATE_LIMIT": NO_LIMIT}, migrate=True
    )
    try:
        _restart_under_load(stack, cluster)
    finally:
        stack.stop()  # before the cluster, so nothing waits on a database that is gone
        stack.dispose()
        cluster.stop()


def _restart_under_load(stack: Stack, cluster: PostgresCluster) -> None:
    post = seed(stack, "restart", moderator=False)
    [app] = stack.start(apps=1, worker=False)
    stop = threading.Event()
    results: list[tuple[int, int | None, str]] = []
    lock = threading.Lock()

    def load(worker: int) -> None:
        for n in range(60):  # bounded: at most 4 x 60 posts
            if stop.is_set():
                return
            text = f"Load {worker}-{n} while the database restarts."
            try:
                answer = comment(app.url, post["slug"], text, f"load{worker}-{n}")
                status = answer.status_code
                made = answer.json().get("id") if status == 201 else None
            except Exception:  # a dropped connection is not an acknowledgement
                status, made = 0, None
            with lock:
                results.append((status, made, text))

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        cluster.restart()
        restarted = time.monotonic()
        assert wait_for(app.healthy, 10, 0.1), stack.logs()
        back_in = time.monotonic() - restarted
        time.sleep(1.5)  # more load on the recovered pool
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    statuses = Counter(status for status, _, _ in results)
    acknowledged = {made: text for status, made, text in results if status == 201}
    stored = dict(query(stack, sa.select(Comment.id, Comment.body)))
    assert all(stored.get(made) == text for made, text in acknowledged.items()), statuses
    assert statuses[500] == 0, (statuses, stack.logs())
    assert back_in < 10
    late = comment(app.url, post["slug"], "After the restart.", "late")
    assert late.status_code == 201, late.text
    assert len(acknowledged) > 10, statuses
