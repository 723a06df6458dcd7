"""Reading: home, post pages, tags, search, feeds, sitemap, uploaded images, health."""

from flask import Blueprint

bp = Blueprint("posts", __name__)

from . import feeds, uploads, views  # noqa: E402,F401
