"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from .models import Role


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(Role=Role, site_title=lambda: current_app.config["SITE_TITLE"])
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["isodate"] = lambda d: d.isoformat() if d else ""


def format_datetime(value: datetime | None, fmt: str = "%-d %B %Y at %H:%M") -> str:
    return value.strftime(fmt) if value else ""
