"""Error pages for people and JSON errors for the API: never a bare 500 for bad input."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from .dbsession import close_session, rollback_session

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in first.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "That method is not allowed here.",
    413: "What you sent is too large.",
    415: "That content type is not supported here.",
    429: "Too many requests. Please wait a little and try again.",
    500: "Something went wrong on our side. It has been logged.",
}


# The largest id a row can have (PostgreSQL's integer). Larger numbers in a URL
# match no route, so they are a 404 instead of an overflow in the database driver.
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that refuses numbers no row can have."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_routing(app: Flask) -> None:
    """Set up before any route is added: routes compile their converters when added."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    for exc in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(exc, handle_database_unavailable)
    app.register_error_handler(sa_exc.DataError, handle_unstorable_data)
    # Runs before Flask-SQLAlchemy's own teardown (registered earlier, run later).
    app.teardown_appcontext(lambda exc: close_session())


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str | None = None, **extra) -> Response:
    """One way to answer with an error, as JSON for the API or a page for people."""
    message = message or MESSAGES.get(status, "Error")
    if wants_json():
        response = jsonify(error=message, **extra)
    else:
        response = Response(
            render_template("error.html", status=status, message=message), mimetype="text/html"
        )
    response.status_code = status
    return response


def handle_csrf_error(exc: CSRFError) -> Response:
    return error_response(
        400, "The form has expired or lacks its security token. Reload the page and try again."
    )


def handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    description = exc.description if status != 429 else None
    if description and description == type(exc).description:
        description = None  # werkzeug's generic text reads worse than ours
    response = error_response(status, description)
    if status == 429 and exc.response is not None:
        # keep Retry-After and the limit headers Flask-Limiter prepared
        for name, value in exc.response.headers.items():
            if name.lower().startswith(("retry-after", "x-ratelimit")):
                response.headers[name] = value
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    from .extensions import db

    db.session.rollback()
    return handle_http_error(InternalServerError())


def handle_unstorable_data(exc: Exception) -> Response:
    """The database refused a value from the request (a NUL byte in text, a number out
    of range): the request was bad, so a 400, but logged, as a check was missing."""
    log.warning("database refused a value on %s %s: %s", request.method, request.path, exc)
    rollback_session()
    return error_response(400, "The request holds a value that cannot be stored.")


def handle_database_unavailable(exc: Exception) -> Response:
    """The database went away (a restart, a failover): a clean 503, not a 500.

    The pool's pre-ping replaces dead connections on the next checkout, so
    the app recovers by itself once the database is back.
    """
    log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
    rollback_session()
    message = "The site is briefly unavailable. Please try again in a moment."
    try:
        response = error_response(503, message)
    except Exception:  # the error page itself needed the database (the logged-in user)
        close_session()
        response = Response(f"<!doctype html><title>503</title><p>{message}</p>", 503)
    response.headers["Retry-After"] = "5"
    return response
