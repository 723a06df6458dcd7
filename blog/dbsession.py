"""Ending a database session when its connection may have died under it."""

from __future__ import annotations

import contextlib
import logging

from .extensions import db

log = logging.getLogger(__name__)


def close_session() -> None:
    """Roll back and close the current session; never raise for a lost connection.

    After PostgreSQL restarts, the ROLLBACK that closing sends can itself fail.
    Then the connection is invalidated instead (the pool opens a new one on
    the next checkout), so a finished answer never turns into a 500 and a
    worker's loop never dies on its cleanup.
    """
    try:
        db.session.remove()
    except Exception as exc:
        log.warning("discarding a database session whose connection was lost: %s", exc)
        with contextlib.suppress(Exception):
            db.session.invalidate()
        db.session.registry.clear()


def rollback_session() -> None:
    """Roll back after an error; discard the session if even that fails."""
    try:
        db.session.rollback()
    except Exception:
        close_session()
