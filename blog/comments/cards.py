"""Each comment's markup on the post page, drawn once and reused.

A post page is read far more often than its comments change, and drawing a
comment through Jinja (a dozen escaped values, each its own Markup) is most of
what a cold page costs. A card is one comment's markup as
``comments/_comment.html`` draws it for a ``Card``: every value the template
reads, the comment's and the page's. Cards are remembered under the ``Card``
itself, so a change to anything drawn (an edit, a new status, another
picture, a closed discussion) asks for a new card and nothing ever has to be
told to forget one; the least recently used cards give way when the
process's cards outgrow their budget.

A card holds nothing of the viewer's session (buttons that post submit the
area's one form, which carries the token), so one reader's card serves all.

``BLOG_COMMENT_CARD_CACHE_MB`` sets the budget of each process, counted in
the characters its cards and their texts hold (a comment may be 10,000
characters, so a count of cards would not bound the memory); 0 keeps none and
draws every comment anew. Templates reloaded while debugging bypass it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from threading import Lock
from typing import NamedTuple

from flask import Flask, current_app
from markupsafe import Markup

TEMPLATE = "comments/_comment.html"
EXTENSION = "blog.comment_cards"
DEFAULT_MB = 16  # some 7,000 cards of an ordinary comment (about 2 KB with its text)


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
    app.config.setdefault("COMMENT_CARD_CACHE_MB", DEFAULT_MB)
    app.extensions[EXTENSION] = _Cards(app)


def drawer() -> Callable[[Card], Markup]:
    """The app's ``draw(card)``: the markup of a card, reused when drawn before."""
    return current_app.extensions[EXTENSION].draw


class _Cards:
    def __init__(self, app: Flask) -> None:
        self.env = app.jinja_env
        budget = _budget(app.config["COMMENT_CARD_CACHE_MB"])
        self.remembered = Remembered(self.render, budget) if budget > 0 else None

    def render(self, card: Card) -> Markup:
        return Markup(self.env.get_template(TEMPLATE).render(c=card))

    def draw(self, card: Card) -> Markup:
        # Templates that reload when edited (debugging) must show the edit at once.
        if self.remembered is None or self.env.auto_reload:
            return self.render(card)
        return self.remembered(card)


class Remembered:
    """Cards by ``Card``, least recently used first, within a budget of characters.

    A lock guards the order and the count, for threaded workers; drawing a
    missing card happens outside it (two threads may both draw one: the same
    markup, kept once).
    """

    def __init__(self, render: Callable[[Card], Markup], budget: int) -> None:
        self.render, self.budget = render, budget
        self.cards: OrderedDict[Card, Markup] = OrderedDict()
        self.size = self.hits = self.misses = 0
        self.lock = Lock()

    def __call__(self, card: Card) -> Markup:
        with self.lock:
            found = self.cards.get(card)
            if found is not None:
                self.cards.move_to_end(card)
                self.hits += 1
                return found
            self.misses += 1
        drawn = self.render(card)
        with self.lock:
            if card not in self.cards:
                self.cards[card] = drawn
                self.size += _weight(card, drawn)
                while self.size > self.budget:
                    old, markup = self.cards.popitem(last=False)
                    self.size -= _weight(old, markup)
        return drawn


def _budget(megabytes: object) -> int:
    try:
        return max(0, int(float(megabytes) * 1024 * 1024))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(
            f"BLOG_COMMENT_CARD_CACHE_MB must be a number of megabytes, not {megabytes!r}"
        ) from None


def _weight(card: Card, markup: Markup) -> int:
    # What a kept card holds beyond what is shared: its markup and the comment's text.
    return len(markup) + len(card.html)
