"""What moderators look at: the queues, their counts, authors' history, the log.

The "flagged" queue holds comments readers have flagged (``flag_count`` > 0)
that no moderator has decided on since the latest flag; the other queues are
comments by status, newest first.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Comment, CommentStatus, Flag, ModerationEvent
from .services import DECISIONS


class Queue(enum.StrEnum):
    PENDING = "pending"
    FLAGGED = "flagged"
    SPAM = "spam"
    REJECTED = "rejected"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def parse_queue(value: str | None) -> Queue | None:
    """The queue named in input (pending when empty), or None when unknown."""
    try:
        return Queue(value or Queue.PENDING)
    except ValueError:
        return None


def _undecided_flags() -> sa.ColumnElement[bool]:
    last_flag = (
        sa.select(sa.func.max(Flag.created_at))
        .where(Flag.comment_id == Comment.id)
        .scalar_subquery()
    )
    decided = (
        sa.select(ModerationEvent.id)
        .where(
            ModerationEvent.comment_id == Comment.id,
            ModerationEvent.actor_id.is_not(None),
            ModerationEvent.action.in_([a.value for a in DECISIONS]),
            # Flags counted without rows (imports): any decision settles them.
            sa.or_(last_flag.is_(None), ModerationEvent.at >= last_flag),
        )
        .exists()
    )
    return sa.and_(
        Comment.flag_count > 0,
        Comment.status.in_([CommentStatus.PENDING, CommentStatus.APPROVED]),
        ~decided,
    )


def queue_filter(queue: Queue) -> sa.ColumnElement[bool]:
    if queue == Queue.FLAGGED:
        return _undecided_flags()
    return Comment.status == CommentStatus(queue.value)


def queue_select(queue: Queue) -> sa.Select:
    """The comments of one queue, newest first, with their post and user loaded."""
    return (
        sa.select(Comment)
        .where(queue_filter(queue))
        .options(
            selectinload(Comment.post),
            selectinload(Comment.user),
            # each card names the comment it answers
            selectinload(Comment.parent),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


# Past this many, a queue's size shows as "1000+": counting every row of a queue
# of a hundred thousand would cost each view a scan of them all.
COUNT_CAP = 1000


class AtLeast(int):
    """A count that was stopped at its cap: shown as "1000+", compares as the cap."""

    def __str__(self) -> str:
        return f"{int(self)}+"


def capped_count(condition: sa.ColumnElement[bool], cap: int = COUNT_CAP) -> int:
    """How many comments match ``condition``, reading at most ``cap`` + 1 of them."""
    some = sa.select(Comment.id).where(condition).limit(cap + 1).subquery()
    n = db.session.scalar(sa.select(sa.func.count()).select_from(some))
    return AtLeast(cap) if n > cap else n


def queue_counts() -> dict[Queue, int]:
    """How many comments each queue holds (up to ``COUNT_CAP``), for the header."""
    return {q: capped_count(queue_filter(q)) for q in Queue}


@dataclass
class QueuePage:
    """One page of a queue, with what the pager needs; no count of the whole queue."""

    items: list[Comment]
    page: int
    pages: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def queue_page(queue: Queue, page: int, per_page: int, total: int) -> QueuePage:
    """Page ``page`` of ``queue``; ``total`` is its (capped) count from ``queue_counts``."""
    rows = list(
        db.session.scalars(queue_select(queue).limit(per_page + 1).offset((page - 1) * per_page))
    )
    has_next = len(rows) > per_page
    pages = max(1, math.ceil(total / per_page)) if total else 0
    if isinstance(total, AtLeast):
        pages = AtLeast(max(pages, page + 1 if has_next else page))
    return QueuePage(items=rows[:per_page], page=page, pages=pages, has_next=has_next)


def author_history(comments: Iterable[Comment]) -> dict[int, Counter]:
    """For each comment, its author's other comments counted by status.

    The author is the user for comments by an account, else the guest email.
    """
    comments = list(comments)
    user_ids = {c.user_id for c in comments if c.user_id}
    emails = {c.author_email for c in comments if not c.user_id and c.author_email}
    by_user: dict[int, Counter] = {}
    by_email: dict[str, Counter] = {}
    if user_ids:
        rows = db.session.execute(
            sa.select(Comment.user_id, Comment.status, sa.func.count())
            .where(Comment.user_id.in_(user_ids))
            .group_by(Comment.user_id, Comment.status)
        )
        for user_id, status, n in rows:
            by_user.setdefault(user_id, Counter())[status] = n
    if emails:
        rows = db.session.execute(
            sa.select(Comment.author_email, Comment.status, sa.func.count())
            .where(Comment.author_email.in_(emails), Comment.user_id.is_(None))
            .group_by(Comment.author_email, Comment.status)
        )
        for email, status, n in rows:
            by_email.setdefault(email, Counter())[status] = n
    history: dict[int, Counter] = {}
    for c in comments:
        source = by_user.get(c.user_id) if c.user_id else by_email.get(c.author_email)
        counts = Counter(source or {})
        counts[c.status] -= 1  # the comment itself is not history
        history[c.id] = +counts
    return history


def history_text(counts: Counter) -> str:
    """``"2 approved, 1 spam"``, or words saying there is none."""
    order = [
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
        CommentStatus.SPAM,
        CommentStatus.REJECTED,
        CommentStatus.DELETED,
    ]
    parts = [f"{counts[s]} {s.value}" for s in order if counts.get(s)]
    return ", ".join(parts) if parts else "no other comments"


def log_select(comment_id: int | None = None) -> sa.Select:
    """Every moderation event, newest first (optionally for one comment)."""
    query = sa.select(ModerationEvent).options(
        selectinload(ModerationEvent.actor), selectinload(ModerationEvent.comment)
    )
    if comment_id is not None:
        query = query.where(ModerationEvent.comment_id == comment_id)
    return query.order_by(ModerationEvent.at.desc(), ModerationEvent.id.desc())
