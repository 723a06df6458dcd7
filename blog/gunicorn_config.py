"""Gunicorn settings: ``gunicorn -c python:blog.gunicorn_config 'blog:create_app()'``.

Every value can be set from the environment:

- ``BLOG_BIND`` (or ``PORT``, as platforms set it): the address to listen on;
  default ``127.0.0.1:8000``, or ``0.0.0.0:$PORT`` when ``PORT`` is set
- ``BLOG_WORKERS`` (or ``WEB_CONCURRENCY``): worker processes; default
  2 x CPUs + 1, at most 12
- ``BLOG_THREADS``: threads per worker; default 1
- ``BLOG_TIMEOUT``: seconds before a stuck worker is restarted; default 30

The app is loaded in each worker, never in the master (no ``preload_app``),
so no database or Redis connection is shared across a fork.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _bind() -> str:
    if os.environ.get("BLOG_BIND"):
        return os.environ["BLOG_BIND"]
    if os.environ.get("PORT"):
        return f"0.0.0.0:{os.environ['PORT']}"
    return "127.0.0.1:8000"


bind = _bind()
_default_workers = min(2 * multiprocessing.cpu_count() + 1, 12)
workers = _int("BLOG_WORKERS", _int("WEB_CONCURRENCY", _default_workers))
threads = _int("BLOG_THREADS", 1)
timeout = _int("BLOG_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Logs go to stdout/stderr, where the process manager (systemd, a container
# runtime, a Procfile runner) collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("BLOG_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
# gunicorn 25+ opens a control socket at one fixed path per user; two masters
# on one machine would fight over it. We do not use gunicornc.
control_socket_disable = True
# Replace a worker now and then, so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200
preload_app = False
