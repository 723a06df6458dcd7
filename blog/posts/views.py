"""Reader-facing pages: home, post pages, tags, search, health."""

from __future__ import annotations

from functools import lru_cache
from html import unescape

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_sqlalchemy.pagination import Pagination

from ..comments.area import comment_area
from ..extensions import db
from ..sanitise import strip_tags
from . import bp, queries

MAX_PAGE = 100_000


def page_number(name: str = "page") -> int:
    """A page number from the query string; anything but 1..MAX_PAGE is a 404."""
    raw = request.args.get(name, "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def paginate(query: sa.Select, page: int) -> Pagination:
    """One page of ``query``; a page past the end is a 404."""
    per_page = int(current_app.config["POSTS_PER_PAGE"])
    return db.paginate(query, page=page, per_page=per_page, error_out=True)


@bp.get("/")
def home():
    if set(request.args) - {"page"}:
        # Old blogs linked posts as /?p=12; imports keep those addresses.
        target = queries.redirect_for(request.path, request.query_string.decode("utf-8", "replace"))
        if target:
            return redirect(target, 301)
    posts = paginate(queries.stream(), page_number())
    return render_template("posts/home.html", posts=posts)


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/<slug>/")
def post(year: int, month: int, day: int, slug: str):
    found, date_matches = queries.post_at(year, month, day, slug)
    if found is None:
        abort(404)  # the 404 handler below still looks for a Redirect row
    if not date_matches:
        # The post was re-dated: its old address leads to the new one.
        return redirect(found.url_path, 301)
    area = comment_area(found, page_number("cpage"))
    return render_template("posts/post.html", post=found, area=area)


@bp.get("/tag/<slug>/")
def tag(slug: str):
    found = queries.tag_by_slug(slug)
    if found is None:
        abort(404)
    posts = paginate(queries.tagged(found), page_number())
    if not posts.items:
        abort(404)  # a tag only drafts carry is not public yet
    return render_template("posts/tag.html", tag=found, posts=posts)


@bp.get("/search")
def search():
    q = queries.search_terms(request.args.get("q", ""))
    if len(q) > queries.SEARCH_MAX:
        message = f"Please search with fewer than {queries.SEARCH_MAX} characters."
        q = q[: queries.SEARCH_MAX]
        return render_template("posts/search.html", q=q, search_q=q, posts=None, error=message), 400
    posts = paginate(queries.search(q), page_number()) if q else None
    return render_template("posts/search.html", q=q, search_q=q, posts=posts, error=None)


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.app_errorhandler(404)
def not_found(exc):
    """Before saying 404, see whether an old address (from an import) moved."""
    from ..errors import handle_http_error

    if request.method in ("GET", "HEAD") and not request.path.startswith(("/api/", "/static/")):
        try:
            target = queries.redirect_for(
                request.path, request.query_string.decode("utf-8", "replace")
            )
        except Exception:  # the database may be what failed; the 404 still stands
            db.session.rollback()
            target = None
        if target and target != request.path:
            return redirect(target, 301)
    return handle_http_error(exc)


@bp.app_template_global()
def absolute_url(path: str) -> str:
    """``path`` on this site as a full URL (canonical links, feeds, OpenGraph)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.app_template_global()
def page_url(page: int, **args) -> str:
    """The current page's address with another page number."""
    merged = {**request.args.to_dict(), **args, "page": page}
    if page == 1:
        merged.pop("page")
    return url_for(request.endpoint, **(request.view_args or {}), **merged)


@lru_cache(maxsize=256)
def plain_text(html: str) -> str:
    """Text for people, from sanitised HTML (entities turned back into characters).

    Remembered by the HTML itself: every view of a post page sums the post up for
    its meta tags, and parsing the body each time cost more than the rest of
    the page's template."""
    return unescape(strip_tags(html))


@bp.app_template_filter("summary_text")
def summary_text(post, length: int = 280) -> str:
    """Plain text that sums a post up: its excerpt, else the start of its body."""
    text = plain_text(post.excerpt_html or post.body_html)
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
