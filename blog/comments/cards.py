"""Each comment's markup on the post page, drawn once and reused.

A post page is read far more often than its comments change, and drawing a
comment through Jinja (a dozen escaped values, each its own Markup) is most of
what a cold page costs. A card is one comment's markup as
``comments/_comment.html`` draws it for a ``Card``: every value the template
reads, the comment's and the page's. Cards are remembered under the ``Card``
itself, so a change to anything drawn (an edit, a new status, another
picture, a closed discussion) asks for a new card and nothing ever has to be
told to forget one; unused cards fall out of a bounded LRU.

A card holds nothing of the viewer's session (buttons that post submit the
area's one form, which carries the token), so one reader's card serves all.

``BLOG_COMMENT_CARD_CACHE`` sets how many cards each process keeps (0: none,
every comment drawn anew); templates reloaded while debugging bypass it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from flask import Flask, current_app
from markupsafe import Markup

TEMPLATE = "comments/_comment.html"
EXTENSION = "blog.comment_cards"
DEFAULT_SIZE = 5000  # about 1 KB each, with the values they were drawn from


class Card(NamedTuple):
    """Everything ``comments/_comment.html`` reads: the cache key of its markup."""

    id: int
    level: int
    author_name: str
    website: str | None
    avatar: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    held: bool
    deleted: bool
    by_post_author: bool
    can_edit: bool
    # The page's part: where Reply links point, and whether replying is open.
    here: str
    page: int
    can_reply: bool


def init_app(app: Flask) -> None:
    app.config.setdefault("COMMENT_CARD_CACHE", DEFAULT_SIZE)
    app.extensions[EXTENSION] = _Cards(app)


def drawer() -> Callable[[Card], Markup]:
    """The app's ``draw(card)``: the markup of a card, reused when drawn before."""
    return current_app.extensions[EXTENSION].draw


class _Cards:
    def __init__(self, app: Flask) -> None:
        self.env = app.jinja_env
        size = int(app.config["COMMENT_CARD_CACHE"])
        # lru_cache: a C-level, thread-safe LRU keyed by the (hashable) Card.
        self.remembered = lru_cache(maxsize=size)(self.render) if size > 0 else self.render

    def render(self, card: Card) -> Markup:
        return Markup(self.env.get_template(TEMPLATE).render(c=card))

    def draw(self, card: Card) -> Markup:
        # Templates that reload when edited (debugging) must show the edit at once.
        return self.render(card) if self.env.auto_reload else self.remembered(card)
