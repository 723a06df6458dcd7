"""Pieces every API module uses: the CSRF endpoint, JSON input and pagination."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response, abort, current_app, request, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import BadRequest

from ..errors import error_response
from . import bp


@bp.get("/csrf")
def csrf_token():
    """The CSRF token for this session, for scripts that send X-CSRFToken."""
    return {"csrf_token": generate_csrf()}


class ApiError(Exception):
    """Raised by API views for a clean ``{"error": ..., "fields": ...}`` answer."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.message, **exc.extra)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400/415 that says what is wrong."""
    if not request.is_json:
        raise ApiError(415, "Send a JSON object with Content-Type: application/json.")
    try:
        data = request.get_json()
    except (BadRequest, RecursionError):  # nested too deep is not JSON we take either
        raise ApiError(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    try:
        # "\ud800" is valid JSON but no text: it could be neither stored nor shown.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "The body holds text that is not valid Unicode.") from None
    return data


def page_arg(name: str = "page") -> int:
    """A page number from the query string: 1 or more, else 400."""
    raw = request.args.get(name, "1")
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be a whole number.") from None
    if value < 1 or value > 1_000_000:
        raise ApiError(400, f"'{name}' must be between 1 and 1000000.")
    return value


def collection(items: list[dict[str, Any]], next_page: int | None, endpoint: str, **args: Any):
    """``{"items": [...], "next": URL or null}``, the shape of every list."""
    next_url = url_for(endpoint, page=next_page, **args) if next_page else None
    return {"items": items, "next": next_url}


def json_response(data: Any) -> Response:
    """``data`` as JSON, as Flask would send it, encoded by orjson.

    For a big list (a page of comments) Flask's encoder costs a good part of
    the request; orjson is many times faster. The keys stay sorted, as Flask
    sorts them; text outside ASCII comes as UTF-8 rather than as \\u escapes.
    """
    body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


def not_found(what: str = "Not found.") -> None:
    abort(404, description=what)
