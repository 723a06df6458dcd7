"""Mail queued through Redis: one sender job waits in the queue for any number of commits."""

from __future__ import annotations

import pytest
import redis
from rq import Queue

from blog.extensions import db
from blog.jobs import QUEUE_NAME
from blog.mail import queue_mail
from blog.models import MailStatus, OutboxMail


@pytest.fixture
def config_overrides(redis_server):
    redis.Redis.from_url(redis_server.url).flushdb()
    return {"REDIS_URL": redis_server.url}


def commit_a_mail(n: int) -> None:
    queue_mail(f"reader{n}@example.com", f"Hello {n}", "Text")
    db.session.commit()  # queues the sender after the commit


def run_next_job(app, queue: Queue) -> None:
    """What ``blog worker`` does with the next job, in this process."""
    job = queue.fetch_job(queue.pop_job_id())
    with app.app_context():
        job.func(*job.args, **job.kwargs)


def test_one_sender_job_waits_for_a_burst_of_mail(app, smtp, redis_server):
    app.config["MAIL_URL"] = smtp.url
    queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
    for n in range(3):
        commit_a_mail(n)
    assert queue.count == 1  # not one job per commit
    run_next_job(app, queue)
    assert sorted(smtp.recipients()) == [f"reader{n}@example.com" for n in range(3)]
    assert {m.status for m in db.session.query(OutboxMail)} == {MailStatus.SENT}
    # Once a sender has started, mail committed after it gets a sender of its own.
    commit_a_mail(3)
    assert queue.count == 1
    run_next_job(app, queue)
    assert smtp.recipients()[-1] == "reader3@example.com"


def test_mail_committed_while_the_sender_waits_goes_with_it(app, smtp, redis_server):
    app.config["MAIL_URL"] = smtp.url
    queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
    commit_a_mail(0)
    job = queue.fetch_job(queue.pop_job_id())  # taken by a worker, not started yet
    commit_a_mail(1)
    assert queue.count == 0  # the taken job has not looked for mail yet
    with app.app_context():
        job.func(*job.args, **job.kwargs)
    assert sorted(smtp.recipients()) == ["reader0@example.com", "reader1@example.com"]
