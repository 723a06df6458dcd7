"""The moderation API: the queue, actions, bulk actions, settings and the log.

Moderators only: 401 for visitors, 403 for everyone else.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import request
from flask_login import current_user

from ..auth import role_required
from ..comments.serialise import comment_to_json
from ..extensions import db
from ..models import Comment, ModerationEvent, Role
from ..moderation.queues import (
    author_history,
    history_text,
    log_select,
    parse_queue,
    queue_select,
)
from ..moderation.services import (
    Action,
    ModerationError,
    bulk,
    edit_comment,
    find_comment,
    moderate,
    parse_action,
)
from ..moderation.settings import SettingsError, get_settings, update_settings
from . import bp
from .common import ApiError, collection, json_body, page_arg

QUEUE_PER_PAGE = 50
LOG_PER_PAGE = 100
API_ACTIONS = (Action.APPROVE, Action.REJECT, Action.SPAM, Action.RESTORE, Action.EDIT)


def moderation_json(comment: Comment, history: Counter | None = None) -> dict[str, Any]:
    """A comment as moderators see it: the public shape plus reasons and private details."""
    data = comment_to_json(comment, include_reasons=True)
    data["author"] = {**data["author"], "email": comment.author_email}
    data.update(
        author_email=comment.author_email,
        user_id=comment.user_id,
        ip=comment.ip,
        user_agent=comment.user_agent,
        flag_count=comment.flag_count,
        body=comment.body,
        post={"id": comment.post.id, "title": comment.post.title, "url": comment.post.url_path},
    )
    if history is not None:
        data["author_history"] = {s.value: n for s, n in history.items()}
        data["author_history_text"] = history_text(history)
    return data


def event_json(event: ModerationEvent) -> dict[str, Any]:
    actor = event.actor
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": {"id": actor.id, "display_name": actor.display_name} if actor else None,
        "action": event.action,
        "comment_id": event.comment_id,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
        "reasons": list(event.reasons or []),
        "note": event.note,
    }


def _me():
    return current_user._get_current_object()


@bp.get("/moderation/queue")
@role_required(Role.MODERATOR)
def moderation_queue():
    queue = parse_queue(request.args.get("status"))
    if queue is None:
        raise ApiError(400, "Unknown status; use pending, flagged, spam, rejected or approved.")
    page = page_arg()
    comments, next_page = _page(queue_select(queue), page, QUEUE_PER_PAGE)
    history = author_history(comments)
    items = [moderation_json(c, history[c.id]) for c in comments]
    return collection(items, next_page, "api.moderation_queue", status=queue.value)


def _page(query, page: int, per_page: int) -> tuple[list, int | None]:
    """One page of rows, and the next page's number when there is one."""
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return rows[:per_page], (page + 1 if len(rows) > per_page else None)


def _comment_or_404(comment_id: int) -> Comment:
    comment = find_comment(comment_id)
    if comment is None:
        raise ApiError(404, "There is no comment with that id.")
    return comment


@bp.post("/comments/<int:comment_id>/moderate")
@role_required(Role.MODERATOR)
def moderate_comment(comment_id: int):
    data = json_body()
    comment = _comment_or_404(comment_id)
    try:
        action = parse_action(data.get("action"), allowed=API_ACTIONS)
        if action == Action.EDIT:
            edit_comment(comment, _me(), **_edit_fields(data))
        else:
            moderate(comment, action, _me())
    except ModerationError as exc:
        db.session.rollback()
        raise ApiError(400, exc.message, **({"fields": exc.fields} if exc.fields else {})) from None
    db.session.commit()
    return moderation_json(comment, author_history([comment])[comment.id])


def _edit_fields(data: dict[str, Any]) -> dict[str, str | None]:
    fields = {"body": data.get("body"), "author_name": data.get("author_name")}
    fields["author_website"] = data.get("author_website", data.get("website"))
    bad = {
        k: "Must be a string."
        for k, v in fields.items()
        if v is not None and not isinstance(v, str)
    }
    if bad:
        raise ModerationError("Please correct the marked fields.", bad)
    if all(v is None for v in fields.values()):
        raise ModerationError(
            "Send body, author_name or author_website to edit.", {"body": "Required."}
        )
    return fields


@bp.post("/moderation/bulk")
@role_required(Role.MODERATOR)
def moderation_bulk():
    data = json_body()
    ids = data.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 500
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise ApiError(
            400, "'ids' must be a list of 1 to 500 comment ids.", fields={"ids": "Required."}
        )
    try:
        result = bulk(ids, data.get("action"), _me())
    except ModerationError as exc:
        raise ApiError(400, exc.message, fields=exc.fields) from None
    db.session.commit()
    return {
        "updated": len(result.updated),
        "items": [moderation_json(c) for c in result.updated],
        "skipped": result.skipped,
        "missing": result.missing,
    }


@bp.get("/moderation/settings")
@role_required(Role.MODERATOR)
def moderation_settings():
    return get_settings()


@bp.put("/moderation/settings")
@role_required(Role.MODERATOR)
def moderation_settings_update():
    data = json_body()
    try:
        settings = update_settings(data)
    except SettingsError as exc:
        db.session.rollback()
        raise ApiError(400, str(exc), fields=exc.fields) from None
    db.session.commit()
    return settings


@bp.get("/moderation/log")
@role_required(Role.MODERATOR)
def moderation_log():
    events, next_page = _page(log_select(), page_arg(), LOG_PER_PAGE)
    return collection([event_json(e) for e in events], next_page, "api.moderation_log")
