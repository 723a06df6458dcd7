"""``blog worker``: runs queued jobs (RQ, when Redis is configured) and sweeps the outbox.

The RQ worker runs jobs in this process (no fork per job, so the database
pool is never shared with a child) inside an application context. Next to
it a thread sends every due mail every ``MAIL_SWEEP_SECONDS``: mail queued
while Redis was down, and mail waiting for its next attempt after a failure.
Without Redis the worker is only that sweep.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import click
from flask import Flask, current_app
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: seconds before a new RQ worker is started after one stopped on an error,
#: doubling up to MAX_RESTART_DELAY while the errors go on
RESTART_DELAY = 2.0
MAX_RESTART_DELAY = 30.0


@click.command("worker")
@click.option(
    "--sweep-interval",
    type=float,
    default=None,
    help="Seconds between outbox sweeps (default: BLOG_MAIL_SWEEP_SECONDS, 30).",
)
@click.option("--burst", is_flag=True, help="Run what is queued and one sweep, then exit.")
def worker_command(sweep_interval: float | None, burst: bool) -> None:
    """Run background jobs and send mail from the outbox until stopped."""
    app = current_app._get_current_object()
    interval = sweep_interval or float(app.config["MAIL_SWEEP_SECONDS"])
    if burst:
        sweep_once(app)
        if app.config["REDIS_URL"]:
            _rq_worker(app, threading.Event()).work(burst=True, logging_level="INFO")
        return
    run_worker(app, interval)


def run_worker(app: Flask, interval: float) -> None:
    """Serve the queue and sweep the outbox until SIGTERM or SIGINT."""
    stop = threading.Event()
    sweeper = threading.Thread(
        target=_sweep_loop, args=(app, interval, stop), name="outbox-sweep", daemon=True
    )
    sweeper.start()
    log.info(
        "blog worker started: queue %s, outbox sweep every %ss",
        "on" if app.config["REDIS_URL"] else "off (no BLOG_REDIS_URL)",
        interval,
    )
    _on_signal_stop(stop)
    try:
        if app.config["REDIS_URL"]:
            _serve_queue(app, stop)
        else:
            _wait_for_signal(stop)
    finally:
        stop.set()
        sweeper.join(timeout=30)
    log.info("blog worker stopped")


def sweep_once(app: Flask) -> int:
    """Send every due mail now; return how many were sent (0 when the database is down)."""
    from .jobs import run_job
    from .mail import sweep_outbox

    with app.app_context():
        return run_job(sweep_outbox) or 0


def _sweep_loop(app: Flask, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            sent = sweep_once(app)
        except Exception:  # whatever happens, the next sweep comes
            log.exception("outbox sweep failed")
            sent = 0
        if sent:
            log.info("outbox sweep sent %s mail(s)", sent)
        stop.wait(interval)


def _serve_queue(app: Flask, stop: threading.Event) -> None:
    """Run RQ workers one after another until asked to stop.

    RQ rides out a Redis restart while waiting for jobs; a worker that quits
    (Redis unreachable at start, another Redis error) is replaced after a
    pause that grows while Redis stays away. The outbox sweep goes on meanwhile.
    """
    delay = RESTART_DELAY
    while not stop.is_set():
        started = time.monotonic()
        try:
            _rq_worker(app, stop).work(logging_level="INFO")
        except (RedisError, OSError) as exc:
            log.warning("job queue unavailable: %s", exc)
        except Exception:
            log.exception("queue worker failed")
        _on_signal_stop(stop)  # RQ's handlers belonged to the worker that ended
        if stop.is_set():
            return
        if time.monotonic() - started > MAX_RESTART_DELAY:
            delay = RESTART_DELAY
        log.warning("queue worker not running; trying again in %.0fs", delay)
        stop.wait(delay)
        delay = min(delay * 2, MAX_RESTART_DELAY)


def _rq_worker(app: Flask, stop: threading.Event) -> Any:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from .jobs import QUEUE_NAME

    class AppWorker(SimpleWorker):
        """Runs each job inside the app's context; a stop signal also stops the sweep."""

        def request_stop(self, signum: int, frame: Any) -> None:
            stop.set()
            super().request_stop(signum, frame)

        def execute_job(self, job: Any, queue: Any) -> Any:
            with app.app_context():
                return super().execute_job(job, queue)

    # No read timeout: the worker blocks on Redis waiting for jobs.
    connection = Redis.from_url(
        app.config["REDIS_URL"],
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=30,
    )
    return AppWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)


def _on_signal_stop(stop: threading.Event) -> None:
    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _wait_for_signal(stop: threading.Event) -> None:
    _on_signal_stop(stop)
    while not stop.wait(1):
        pass
