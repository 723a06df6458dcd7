"""The author area (posts, uploads) and the admin pages (users, settings)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import posts, uploads, users  # noqa: E402,F401
