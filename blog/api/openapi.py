"""The OpenAPI 3.1 document for /api, served at /api/openapi.json.

Written by hand, next to the code it describes; tests/test_openapi.py fails
when a route under /api is missing here or described here but not served.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from . import bp
from .openapi_schemas import SCHEMAS, ref


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(ref("Error"), description)


def _collection(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next": {"type": ["string", "null"], "description": "URL of the next page"},
        },
    }


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "Bad input: {error, fields?}",
        401: "Not logged in",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        415: "Not JSON",
        429: "Rate limited",
    }
    return {str(code): _error(words[code]) for code in codes}


# CSRF failures answer 400, so every state-changing call lists it.
_WRITE = (400, 415, 413)

_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000000},
}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ID = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CSRF = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": False,
    "description": "The token from GET /api/csrf or the page's csrf-token meta tag.",
    "schema": {"type": "string"},
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/api/csrf": {
        "get": {
            "summary": "The CSRF token for this session",
            "responses": {"200": _json(ref("CsrfToken"), "The token")},
        }
    },
    "/api/login": {
        "post": {
            "summary": "Log in with an email account",
            "parameters": [_CSRF],
            "requestBody": _body(ref("LoginInput")),
            "responses": {
                "200": _json(ref("Me"), "Logged in; the session cookie is set"),
                **_errors(*_WRITE, 401, 429),
            },
        }
    },
    "/api/logout": {
        "post": {
            "summary": "Log out",
            "parameters": [_CSRF],
            "responses": {
                "200": _json({"type": "object"}, "Logged out"),
                **_errors(400),
            },
        }
    },
    "/api/me": {
        "get": {
            "summary": "The current user",
            "responses": {"200": _json(ref("Me"), "The user"), **_errors(401)},
        }
    },
    "/api/posts": {
        "get": {
            "summary": "Published posts, newest first",
            "parameters": [
                _PAGE,
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "description": "Authors: their own posts (admins: all) in this status.",
                    "schema": {
                        "type": "string",
                        "enum": ["all", "draft", "scheduled", "published"],
                    },
                },
            ],
            "responses": {
                "200": _json(_collection("Post"), "A page of posts"),
                # ?status= is for authors: 401 for visitors, 403 for readers.
                **_errors(400, 401, 403),
            },
        },
        "post": {
            "summary": "Write a post (authors and up)",
            "parameters": [_CSRF],
            "requestBody": _body(ref("PostInput")),
            "responses": {
                "201": _json(ref("Post"), "The new post"),
                **_errors(*_WRITE, 401, 403),
            },
        },
    },
    "/api/posts/{slug}": {
        "get": {
            "summary": "One post",
            "parameters": [_SLUG],
            "responses": {"200": _json(ref("Post"), "The post"), **_errors(404)},
        },
        "patch": {
            "summary": "Change a post (its author, or an admin)",
            "parameters": [_SLUG, _CSRF],
            "requestBody": _body(ref("PostPatch")),
            "responses": {
                "200": _json(ref("Post"), "The changed post"),
                **_errors(*_WRITE, 401, 403, 404),
            },
        },
        "delete": {
            "summary": "Delete a post and its comments (its author, or an admin)",
            "parameters": [_SLUG, _CSRF],
            "responses": {
                "204": {"description": "Deleted"},
                **_errors(400, 401, 403, 404),
            },
        },
    },
    "/api/posts/{slug}/comments": {
        "get": {
            "summary": "Approved comments, plus the caller's own held ones",
            "parameters": [_SLUG, _PAGE],
            "responses": {
                "200": _json(_collection("Comment"), "A page of comments"),
                **_errors(400, 404),
            },
        },
        "post": {
            "summary": "Comment on a post",
            "parameters": [_SLUG, _CSRF],
            "requestBody": _body(ref("CommentInput")),
            "responses": {
                "201": _json(ref("CommentCreated"), "Stored; approved, held or spam"),
                **_errors(*_WRITE, 403, 404, 429),
            },
        },
    },
    "/api/moderation/queue": {
        "get": {
            "summary": "Comments by moderation status (moderators)",
            "parameters": [
                _PAGE,
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "string",
                        "enum": ["pending", "flagged", "spam", "rejected", "approved"],
                    },
                },
            ],
            "responses": {
                "200": _json(_collection("Comment"), "A page of the queue"),
                **_errors(400, 401, 403),
            },
        }
    },
    "/api/comments/{comment_id}/moderate": {
        "post": {
            "summary": "Approve, reject, mark spam, restore or edit a comment (moderators)",
            "parameters": [_ID, _CSRF],
            "requestBody": _body(ref("ModerateInput")),
            "responses": {
                "200": _json(ref("Comment"), "The comment after the action"),
                **_errors(*_WRITE, 401, 403, 404),
            },
        }
    },
    "/api/moderation/bulk": {
        "post": {
            "summary": "One action on many comments (moderators)",
            "parameters": [_CSRF],
            "requestBody": _body(ref("BulkInput")),
            "responses": {
                "200": _json(ref("BulkResult"), "What was changed"),
                **_errors(*_WRITE, 401, 403),
            },
        }
    },
    "/api/moderation/settings": {
        "get": {
            "summary": "The moderation rules (moderators)",
            "responses": {
                "200": _json(ref("ModerationSettings"), "The rules"),
                **_errors(401, 403),
            },
        },
        "put": {
            "summary": "Change the named rules; the rest stay (moderators)",
            "parameters": [_CSRF],
            "requestBody": _body(ref("ModerationSettingsInput")),
            "responses": {
                "200": _json(ref("ModerationSettings"), "The rules after the change"),
                **_errors(*_WRITE, 401, 403),
            },
        },
    },
    "/api/moderation/log": {
        "get": {
            "summary": "Every moderation decision, newest first (moderators)",
            "parameters": [_PAGE],
            "responses": {
                "200": _json(_collection("LogEntry"), "A page of the log"),
                **_errors(400, 401, 403),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document")},
        }
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['SITE_TITLE']} API",
            "version": "1",
            "description": (
                "Session cookies authenticate. Every state-changing call carries the "
                "CSRF token in X-CSRFToken. Errors are {error, ...} with the right status."
            ),
        },
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


@bp.get("/openapi.json")
def openapi_json():
    return document()
