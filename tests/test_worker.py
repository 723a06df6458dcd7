"""The outbox and its senders: exactly-once delivery, backoff, the worker's sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.mail import queue_mail, send_due_mail, sweep_outbox
from blog.models import MailStatus, OutboxMail, utcnow
from blog.worker import sweep_once
from tests.procs import SmtpSink, free_port, wait_for


@pytest.fixture
def config_overrides():
    return {"MAIL_RETRY_SECONDS": 0.2}


def use_smtp(app, sink: SmtpSink) -> None:
    app.config["MAIL_URL"] = sink.url


def queue(n: int) -> list[int]:
    mails = [queue_mail(f"reader{i}@example.com", f"Hello {i}", f"Body {i}") for i in range(n)]
    db.session.info.pop("mail_queued", None)  # leave sending to the test
    db.session.commit()
    return [m.id for m in mails]


def statuses() -> dict[int, MailStatus]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(OutboxMail.id, OutboxMail.status)).all())


def test_due_mail_is_sent_once_and_marked(app, smtp):
    use_smtp(app, smtp)
    ids = queue(3)
    assert send_due_mail() == 3
    assert send_due_mail() == 0
    assert sorted(smtp.recipients()) == [f"reader{i}@example.com" for i in range(3)]
    assert set(statuses().values()) == {MailStatus.SENT}
    sent = db.session.get(OutboxMail, ids[0])
    assert sent.sent_at is not None and sent.attempts == 1


def test_concurrent_senders_never_send_a_mail_twice(app, smtp):
    """Four senders at once over the same outbox (on PostgreSQL: real row locks)."""
    use_smtp(app, smtp)
    ids = queue(40)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def sender() -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                send_due_mail()
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    delivered = smtp.message_ids()
    assert len(delivered) == len(set(delivered)) == 40
    assert set(statuses().values()) == {MailStatus.SENT}
    assert len(ids) == 40


def test_a_failed_send_is_retried_with_backoff(app, smtp):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    [mail_id] = queue(1)
    assert send_due_mail() == 0
    mail = db.session.get(OutboxMail, mail_id)
    assert mail.status == MailStatus.PENDING and mail.attempts == 1
    assert mail.next_attempt_at > utcnow() and mail.last_error
    assert mail.claimed_by is None
    assert send_due_mail() == 0  # not due yet: no second attempt at once
    assert db.session.get(OutboxMail, mail_id).attempts == 1
    use_smtp(app, smtp)
    assert wait_for(lambda: sweep_outbox() == 1, 5, 0.1)
    assert smtp.recipients() == ["reader0@example.com"]


def test_a_mail_that_keeps_failing_is_given_up(app):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    [mail_id] = queue(1)
    mail = db.session.get(OutboxMail, mail_id)
    mail.attempts = 11  # one try left
    db.session.commit()
    send_due_mail()
    assert db.session.get(OutboxMail, mail_id).status == MailStatus.FAILED


def test_a_mail_claimed_by_a_sender_that_died_is_sent_later(app, smtp):
    use_smtp(app, smtp)
    [mail_id] = queue(1)
    mail = db.session.get(OutboxMail, mail_id)
    mail.claimed_by, mail.claimed_at = "gone:1", utcnow()
    db.session.commit()
    assert send_due_mail() == 0  # someone else holds it
    mail.claimed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert send_due_mail() == 1


def test_the_worker_command_sweeps_the_outbox(app, smtp, runner):
    use_smtp(app, smtp)
    queue(2)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(smtp.recipients()) == 2


def test_the_sweep_survives_a_database_error(base_config, tmp_path):
    broken = create_app(
        {
            **base_config,
            "INSTANCE_PATH": str(tmp_path / "broken"),
            "DATABASE_URL": "sqlite:////nonexistent/folder/blog.sqlite3",
        }
    )
    assert sweep_once(broken) == 0  # logged, not raised: the next sweep tries again


def test_mail_is_sent_in_process_when_the_queue_is_down(app, smtp, base_config, tmp_path):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    other = create_app(
        {
            **base_config,
            "INSTANCE_PATH": str(tmp_path / "other"),
            "REDIS_URL": dead_redis,
            "MAIL_URL": smtp.url,
        }
    )
    try:
        with other.app_context():
            queue_mail("reader@example.com", "Hi", "Text")
            db.session.commit()  # the job cannot be queued, so it runs here
    finally:
        with other.app_context():
            db.engine.dispose()
    assert smtp.recipients() == ["reader@example.com"]


def test_without_a_worker_the_app_retries_due_mail_after_requests(app, smtp, client):
    use_smtp(app, smtp)
    app.config["MAIL_SWEEP_SECONDS"] = 0
    queue(1)  # waiting, as after a failed first attempt
    client.get("/healthz").close()  # the sweep runs once the response is done
    assert smtp.recipients() == ["reader0@example.com"]
