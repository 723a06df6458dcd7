"""The JSON API under /api, described by /api/openapi.json.

Each feature keeps its endpoints in its own module here (posts, comments,
moderation, accounts); ``openapi.py`` describes them all.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import accounts, comments, common, moderation, openapi, posts  # noqa: E402,F401
