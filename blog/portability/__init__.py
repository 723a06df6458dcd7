"""Bringing a blog in and taking it out: WordPress, Disqus and JSON imports,
WXR and JSON exports, and each reader's own data (download and erasure)."""

from flask import Blueprint

bp = Blueprint("portability", __name__)

from . import views  # noqa: E402,F401
