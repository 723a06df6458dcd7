"""Reader-facing pages."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from . import bp


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
