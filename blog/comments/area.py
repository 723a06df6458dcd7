"""The comment area under a post: the threads on one page, and the form.

A page costs a fixed handful of queries whatever the number of comments:
the settings, the count of threads, and the page's threads with the columns
drawn and the authors' pictures (see ``loading``). Each comment's markup is
its card (see ``cards``: drawn once, reused while nothing drawn changes), and
the template gets them as one flat list, so it draws the page in one loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from markupsafe import Markup

from ..accounts.avatars import Avatars
from ..accounts.providers import enabled_providers, login_method_title
from ..cache import fresh
from ..extensions import db
from ..models import Comment, CommentStatus, Post, User
from ..moderation.settings import get_settings
from ..sanitise import safe_url
from . import cards, editing, forms, policy, threads
from .guest import guest_comment_ids
from .loading import page_of_comment, page_of_threads
from .pipeline import as_user

# Where the form view leaves what was typed and what was wrong, for the page it renders.
FORM_STATE = "blog.comment_form"


@dataclass(slots=True)
class Placed:
    """A comment's card where the page draws it: whether a list of its replies
    opens after it, and how many reply lists close after it."""

    card: Markup
    opens: bool = False
    closes: int = 0


def comment_url(comment: Comment, user: User | None, guest_ids: list[int]) -> str | None:
    """The post page (and comment page) that shows ``comment`` to this viewer, or None."""
    post = comment.post
    page = page_of_comment(post, comment.id, user, guest_ids, get_settings())
    if page is None:
        return None
    query = f"?cpage={page}" if page > 1 else ""
    return f"{post.url_path}{query}#comment-{comment.id}"


def viewer() -> tuple[User | None, list[int]]:
    """The logged-in user (or None) and the comment ids of this browser's guest cookie."""
    if not has_request_context():
        return None, []
    return as_user(current_user), guest_comment_ids()


def comment_area(post: Post, page: int = 1) -> dict[str, Any]:
    """Everything the post page needs to show its discussion and the form."""
    settings = get_settings()
    user, guest_ids = viewer()
    page = page if isinstance(page, int) else 1
    lay, full = page_of_threads(post, user, guest_ids, settings, page)
    form = _form(post, settings, user)
    cards_of = _PageCards(post, user, set(guest_ids), settings, lay.page, form["can_reply"])
    return {
        "post": post,
        "here": post.url_path,
        "flat": place(lay, full, cards_of),
        "page": lay.page,
        "pages": lay.pages,
        "page_links": page_links(lay.page, lay.pages),
        "count": post.comment_count,
        "count_text": count_text(post.comment_count),
        "newest_first": settings["newest_first"],
        "feed_url": post.url_path + "comments.atom",
        "form": form,
    }


def place(
    lay: threads.Layout, rows: dict[int, Any], card: Callable[[Any, int], Markup]
) -> list[Placed]:
    """The page's comments in page order, each with its card and the reply lists
    that open and close after it, so the template draws them in a single loop."""
    placed: list[Placed] = []

    def walk(comment_id: int) -> None:
        item = Placed(card(rows[comment_id], lay.level[comment_id]))
        placed.append(item)
        replies = [r for r in lay.children.get(comment_id, ()) if r in rows]
        if replies:
            item.opens = True
            for reply in replies:
                walk(reply)
            placed[-1].closes += 1  # the reply list this comment opened ends here

    for thread in lay.threads:
        for comment_id in thread:
            if comment_id in rows:
                walk(comment_id)
    return placed


def page_links(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around ``page``; None for a gap."""
    wanted = {1, pages, *range(page - around, page + around + 1)}
    links: list[int | None] = []
    for n in sorted(n for n in wanted if 1 <= n <= pages):
        if links and links[-1] is not None and n > links[-1] + 1:
            links.append(None)
        links.append(n)
    return links


def count_text(count: int) -> str:
    if count == 0:
        return "No comments yet"
    return f"{count} comment" if count == 1 else f"{count} comments"


class _PageCards:
    """The card of each comment of one page, as this viewer sees it (see ``cards``)."""

    def __init__(
        self,
        post: Post,
        user: User | None,
        own: set[int],
        settings: dict[str, Any],
        page: int,
        can_reply: bool,
    ) -> None:
        self.post, self.user, self.own, self.settings = post, user, own, settings
        self.here, self.page, self.can_reply = post.url_path, page, can_reply
        self.avatars = Avatars()
        self.draw = cards.drawer()
        self.websites: dict[str | None, str | None] = {}  # authors come back, page after page

    def __call__(self, c: Any, level: int) -> Markup:
        deleted = c.status == CommentStatus.DELETED
        website = self.websites.get(c.author_website, False)
        if website is False:
            website = self.websites[c.author_website] = safe_url(c.author_website)
        return self.draw(
            cards.Card(  # in field order: a page makes hundreds, keywords cost
                c.id,
                level,
                "" if deleted else c.author_name,
                None if deleted else website,
                self.avatars(c.user_id, c.user_avatar_url, c.author_email, c.author_name),
                "" if deleted else c.body_html,
                c.created_at,
                c.edited_at,
                c.status == CommentStatus.PENDING,
                deleted,
                c.user_id is not None and c.user_id == self.post.author_id,
                self._can_edit(c),
                self.here,
                self.page,
                self.can_reply,
            )
        )

    def _can_edit(self, c: Any) -> bool:
        mine = c.id in self.own or (self.user is not None and c.user_id == self.user.id)
        return mine and c.status in editing.EDITABLE and editing.within_window(c, self.settings)


# --- the form ------------------------------------------------------------------


def _form(post: Post, settings: dict[str, Any], user: User | None) -> dict[str, Any]:
    state = request.environ.get(FORM_STATE) if has_request_context() else None
    state = state if state and state.get("post_id") == post.id else {}
    values = dict(state.get("values") or {})
    reply_to = _reply_to(post, values.get("parent_id") or _arg("replytocom"))
    here = post.url_path
    cpage = _arg("cpage")
    action = f"/comments/{post.id}"
    if cpage and cpage > 1:
        action += f"?cpage={cpage}"
    closed = policy.closed_reason(post, settings)
    refusal = _refusal(user, settings)
    return {
        "closed": closed,
        "refusal": refusal,
        "can_reply": not closed and not refusal,
        "user": user,
        "login_title": login_method_title(user) if user is not None else "",
        "providers": enabled_providers(),
        "next": quote(here + "#respond", safe="/"),
        "values": values,
        "errors": state.get("errors") or {},
        "message": state.get("message") or "",
        "reply_to": reply_to,
        "cancel_url": here + "#respond",
        "stamp": fresh(forms.make_stamp, post.id),  # made anew on a cached page too
        "action": action,
        "honeypot": forms.HONEYPOT,
        "show_notify": user is None or bool(user.email),
    }


def _refusal(user: User | None, settings: dict[str, Any]) -> str | None:
    if user is not None and user.banned:
        return "Your account may no longer comment here."
    if user is None and not settings["guests_allowed"]:
        return "Log in to leave a comment."
    return None


def _arg(name: str) -> int | None:
    if not has_request_context():
        return None
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def _reply_to(post: Post, parent_id: Any) -> dict[str, Any] | None:
    try:
        parent_id = int(parent_id)
    except (TypeError, ValueError):
        return None
    if not 0 < parent_id < 2**62:  # no row has it, and SQLite cannot even compare it
        return None
    row = db.session.execute(
        sa.select(Comment.id, Comment.author_name).where(
            Comment.id == parent_id,
            Comment.post_id == post.id,
            Comment.status == CommentStatus.APPROVED,
        )
    ).first()
    return {"id": row.id, "name": row.author_name} if row else None
