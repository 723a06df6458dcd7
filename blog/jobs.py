"""Background jobs: an RQ queue when Redis is configured, else right after the request.

Jobs are plain module-level functions taking simple arguments, so RQ can
import them by name. Each runs inside an application context (``blog worker``
provides one) and leaves a clean database session behind.

The outbox stays the source of truth for mail: a job that is lost (Redis
down, worker stopped) only delays a mail until the next sweep, which
``blog worker`` runs every ``MAIL_SWEEP_SECONDS`` and, without Redis, the
app runs after a request once that long has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context
from redis.exceptions import RedisError

from . import redisconn

log = logging.getLogger(__name__)

QUEUE_NAME = "blog"
JOB_TIMEOUT = 300
#: the mark of a job queued by ``enqueue_once`` and not yet started
WAITING_PREFIX = "blog:job-waiting:"
WAITING_TTL = 60


def init_app(app: Flask) -> None:
    app.config.setdefault("MAIL_SWEEP_SECONDS", 30)
    app.extensions["blog.queue"] = None
    app.extensions["blog.jobs"] = {"last_sweep": time.monotonic()}
    if app.config["REDIS_URL"]:
        from rq import Queue

        client = redisconn.link(app.config["REDIS_URL"]).client
        app.extensions["blog.queue"] = Queue(QUEUE_NAME, connection=client)
    app.after_request(_run_deferred_after_response)
    if not app.config["REDIS_URL"]:
        # Registered after the runner so it runs before it (Flask runs these in reverse).
        app.after_request(_sweep_now_and_then)


def enqueue(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` in the background. Call it after the data it needs is committed."""
    _enqueue(func, args, once=False)


def enqueue_once(func: Callable[[], Any]) -> None:
    """Run ``func()`` in the background, unless a job for it is still waiting in the queue.

    For a job that looks for its own work (the mail sender): the waiting job
    starts after this call, so it finds whatever this caller committed. The
    job clears its mark as it starts, before it looks; a call after that
    queues a new job. A mark outlives a lost job by ``WAITING_TTL`` at most.
    """
    _enqueue(func, (), once=True)


def _enqueue(func: Callable[..., Any], args: tuple[Any, ...], *, once: bool) -> None:
    queue = current_app.extensions.get("blog.queue")
    if queue is not None:
        redis = redisconn.link(current_app.config["REDIS_URL"])
        if redis.up:
            try:
                job: tuple[Any, ...] = (run_job, func, *args)
                if once:
                    mark = f"{WAITING_PREFIX}{func.__module__}.{func.__qualname__}"
                    if not redis.client.set(mark, 1, nx=True, ex=WAITING_TTL):
                        return  # the waiting job does this work too
                    job = (_run_marked, mark, func)
                # One round trip for the whole job (RQ's own enqueue takes two).
                with redis.client.pipeline() as pipe:
                    queue.enqueue(
                        *job,
                        job_timeout=JOB_TIMEOUT,
                        result_ttl=0,
                        failure_ttl=86400,
                        pipeline=pipe,
                    )
                    pipe.execute()
                return
            except (RedisError, OSError) as exc:
                redis.mark_down(exc)
        # Redis down: the work is not lost, do it here instead.
        log.info("job queue unavailable, running %s in process", func.__name__)
    if has_request_context():
        g.setdefault("deferred_jobs", []).append((func, args))
    else:
        # A context of its own: the caller's session may be in the middle of
        # its commit (enqueue is called from after_commit hooks).
        with current_app.app_context():
            run_job(func, *args)


def run_job(func: Callable[..., Any], *args: Any) -> Any:
    """Run a job, logging (not raising) its failure and leaving a clean session."""
    from .dbsession import close_session, rollback_session

    try:
        return func(*args)
    except Exception:
        log.exception("job %s failed", getattr(func, "__name__", func))
        rollback_session()
    finally:
        close_session()


def _run_marked(mark: str, func: Callable[[], Any]) -> Any:
    """A job queued by ``enqueue_once``: clear its mark, then run (in that order, so
    that work committed after the mark is cleared queues a job of its own)."""
    redis = redisconn.link(current_app.config["REDIS_URL"])
    redis.call(lambda client: client.delete(mark), None)
    return run_job(func)


def _run_deferred_after_response(response: Response) -> Response:
    jobs = g.pop("deferred_jobs", None)
    if jobs:
        app = current_app._get_current_object()

        def run() -> None:
            with app.app_context():
                for func, args in jobs:
                    run_job(func, *args)

        response.call_on_close(run)
    return response


def _sweep_now_and_then(response: Response) -> Response:
    """Without a worker, retry due mail after a request every so often."""
    state = current_app.extensions["blog.jobs"]
    now = time.monotonic()
    if now - state["last_sweep"] >= current_app.config["MAIL_SWEEP_SECONDS"]:
        state["last_sweep"] = now
        from .mail import send_due_mail

        g.setdefault("deferred_jobs", []).append((send_due_mail, ()))
    return response
