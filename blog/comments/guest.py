"""The ``blog_guest`` cookie: which comments this browser wrote as a guest.

It is signed, so a guest can see, edit and delete only their own comments.
The page cache serves no cached page to a browser holding it.
"""

from __future__ import annotations

from flask import Response, current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "blog_guest"
MAX_IDS = 50
MAX_AGE = 30 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="blog-guest")


def guest_comment_ids() -> list[int]:
    """The ids of the comments this browser wrote as a guest (empty outside a request)."""
    raw = request.cookies.get(COOKIE) if has_request_context() else None
    if not raw:
        return []
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return []
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)][-MAX_IDS:]


def remember_comment(response: Response, comment_id: int) -> None:
    """Add ``comment_id`` to the browser's cookie (keeping the newest few)."""
    ids = [i for i in guest_comment_ids() if i != comment_id] + [comment_id]
    _set(response, ids[-MAX_IDS:])


def forget_comment(response: Response, comment_id: int) -> None:
    """Drop ``comment_id`` from the cookie (after the guest deleted it)."""
    ids = [i for i in guest_comment_ids() if i != comment_id]
    if not ids:
        response.delete_cookie(COOKIE)
    else:
        _set(response, ids)


def _set(response: Response, ids: list[int]) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"ids": ids}),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
