"""The moderation screen, rules and log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

from . import link_views, settings_views, views  # noqa: E402,F401
