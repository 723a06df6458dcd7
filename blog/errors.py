"""Error pages for people and JSON errors for the API: never a bare 500 for bad input."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    for exc in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(exc, handle_database_unavailable)
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
