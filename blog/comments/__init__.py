"""The discussion under each post: the comment form, pipeline and feeds."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from . import feeds, subscription_views, views  # noqa: E402,F401
