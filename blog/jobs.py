"""Background jobs: an RQ queue when Redis is configured, else right after the request.

Jobs are plain module-level functions taking simple arguments, so RQ can
import them by name. Each runs inside an application context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.extensions["blog.queue"] = None
    if app.config["REDIS_URL"]:
        from redis import Redis
        from rq import Queue

        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        app.extensions["blog.queue"] = Queue("blog", connection=conn)
    app.after_request(_run_deferred_after_response)


def enqueue(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` in the background. Call it after the data it needs is committed."""
    queue = current_app.extensions.get("blog.queue")
    if queue is not None:
        try:
            queue.enqueue(func, *args, job_timeout=300, result_ttl=0)
            return
        except Exception:  # Redis down: the work is not lost, do it here instead.
            log.warning("job queue unavailable, running %s in process", func.__name__)
    if has_request_context():
        g.setdefault("deferred_jobs", []).append((func, args))
    else:
        run_job(func, *args)


def run_job(func: Callable[..., Any], *args: Any) -> Any:
    """Run a job, logging (not raising) its failure and leaving a clean session."""
    from .extensions import db

    try:
        return func(*args)
    except Exception:
        log.exception("job %s failed", func.__name__)
        db.session.rollback()
    finally:
        db.session.remove()


def _run_deferred_after_response(response):
    jobs = g.pop("deferred_jobs", None)
    if jobs:
        app = current_app._get_current_object()

        def run() -> None:
            with app.app_context():
                for func, args in jobs:
                    run_job(func, *args)

        response.call_on_close(run)
    return response
