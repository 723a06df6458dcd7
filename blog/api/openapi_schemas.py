"""The component schemas of the OpenAPI document (see ``openapi.py``)."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A JSON reference to one of the schemas below."""
    return {"$ref": f"#/components/schemas/{name}"}


_STATUS = {"type": "string", "enum": ["pending", "approved", "spam", "rejected", "deleted"]}
_REASON = {
    "type": "object",
    "required": ["code", "text"],
    "properties": {"code": {"type": "string"}, "text": {"type": "string"}},
}
_WORDS = {"type": "array", "items": {"type": "string"}}
_SETTINGS_FIELDS = {
    "policy": {"type": "string", "enum": ["all", "first_time", "none"]},
    "max_links": {"type": "integer", "minimum": 0},
    "hold_words": _WORDS,
    "block_words": _WORDS,
    "guests_allowed": {"type": "boolean"},
    "close_after_days": {"type": "integer", "minimum": 0},
    "thread_depth": {"type": "integer", "minimum": 1},
    "comments_per_page": {"type": "integer", "minimum": 1},
    "edit_window_minutes": {"type": "integer", "minimum": 0},
    "flags_to_hold": {"type": "integer", "minimum": 1},
    "newest_first": {"type": "boolean"},
}
_DATE = {"type": ["string", "null"], "format": "date-time"}

_POST_FIELDS = {
    "title": {"type": "string"},
    "body": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "status": {"type": "string", "enum": ["draft", "scheduled", "published"]},
    "published_at": _DATE,
    "excerpt": {"type": "string"},
    "slug": {"type": "string", "description": "Made from the title when left out"},
    "comments_enabled": {"type": "boolean"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "CsrfToken": {
        "type": "object",
        "required": ["csrf_token"],
        "properties": {"csrf_token": {"type": "string"}},
    },
    "LoginInput": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
    },
    "Me": {
        "type": "object",
        "required": ["id", "display_name", "email", "role", "avatar_url", "website", "providers"],
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "role": {"type": "string", "enum": ["reader", "author", "moderator", "admin"]},
            "avatar_url": {"type": ["string", "null"]},
            "website": {"type": ["string", "null"]},
            "providers": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Post": {
        "type": "object",
        "required": ["id", "slug", "title", "url", "status", "html", "tags", "published_at"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "scheduled", "published"]},
            "html": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "published_at": _DATE,
            "body": {"type": "string", "description": "The Markdown source"},
            "excerpt": {"type": "string"},
            "excerpt_html": {"type": "string"},
            "author": {
                "type": "object",
                "properties": {"name": {"type": ["string", "null"]}},
            },
            "comment_count": {"type": "integer"},
            "comments_enabled": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "PostInput": {"type": "object", "required": ["title", "body"], "properties": _POST_FIELDS},
    # PATCH changes only the fields it names.
    "PostPatch": {"type": "object", "properties": _POST_FIELDS},
    "Author": {
        "type": "object",
        "required": ["name", "website", "avatar_url"],
        "properties": {
            "name": {"type": "string"},
            "website": {"type": ["string", "null"]},
            "avatar_url": {"type": ["string", "null"]},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "post_id", "parent_id", "status", "author", "html", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "post_id": {"type": "integer"},
            "parent_id": {"type": ["integer", "null"]},
            "status": _STATUS,
            "author": ref("Author"),
            "html": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "reasons": {"type": "array", "items": _REASON},
        },
    },
    "CommentInput": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string"},
            "parent_id": {"type": ["integer", "null"]},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "website": {"type": "string"},
            "notify": {"type": "boolean"},
        },
    },
    "CommentCreated": {
        "type": "object",
        "required": ["id", "status", "reasons"],
        "properties": {
            "id": {"type": "integer"},
            "status": _STATUS,
            "reasons": {"type": "array", "items": _REASON},
        },
    },
    "ModerateInput": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {
                "type": "string",
                "enum": ["approve", "reject", "spam", "restore", "edit"],
            },
            "body": {"type": "string", "description": "The new text, for edit"},
        },
    },
    "BulkInput": {
        "type": "object",
        "required": ["ids", "action"],
        "properties": {
            "ids": {"type": "array", "items": {"type": "integer"}},
            "action": {"type": "string", "enum": ["approve", "reject", "spam", "restore"]},
        },
    },
    "BulkResult": {
        "type": "object",
        "required": ["updated"],
        "properties": {"updated": {"type": "integer"}},
    },
    "ModerationSettings": {
        "type": "object",
        "required": list(_SETTINGS_FIELDS)[:9],
        "properties": _SETTINGS_FIELDS,
    },
    "ModerationSettingsInput": {"type": "object", "properties": _SETTINGS_FIELDS},
    "LogEntry": {
        "type": "object",
        "required": ["id", "at", "actor", "action", "comment_id", "from_status", "to_status"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "display_name": {"type": "string"},
                        },
                    },
                ]
            },
            "action": {"type": "string"},
            "comment_id": {"type": ["integer", "null"]},
            "from_status": {"oneOf": [{"type": "null"}, _STATUS]},
            "to_status": {"oneOf": [{"type": "null"}, _STATUS]},
            "reasons": {"type": "array", "items": _REASON},
        },
    },
}
