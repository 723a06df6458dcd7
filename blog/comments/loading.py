"""Reading a post's discussion from the database: who sees what, one page of
threads, and the page a given comment is on.

A page of threads costs two queries whatever the size of the discussion:
the number of top-level comments this viewer sees, then the page's top-level
comments and every reply under them, walked down the tree in SQL (a recursive
query over ``parent_id``) with the columns the page draws and the authors'
pictures. Threading in Python then runs over that page only.

When a deleted comment stands at the top of a thread, whether it stays as a
placeholder depends on replies anywhere below it, so such a discussion is
read whole (slim rows of every shown comment) and paged in Python, as
``threads.layout`` always did. The statements are built once for each kind of
viewer, with the post, the viewer and the paging as bound parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Comment, CommentStatus, Post, User
from . import threads

# Past this many comments on a page, one query by post beats a long IN list.
_IN_LIST_LIMIT = 900


def visible_to(
    user: User | None, guest_ids: list[int], table: Any = Comment
) -> sa.ColumnElement[bool]:
    """Comments this viewer sees: approved ones, placeholders, and their own held ones."""
    return _visible(table, user.id if user is not None else None, guest_ids or None)


def _visible(table: Any, viewer_id: Any, guest_ids: Any) -> sa.ColumnElement[bool]:
    """``visible_to`` for a user id and guest ids given as values or as parameters."""
    own = [table.user_id == viewer_id] if viewer_id is not None else []
    if guest_ids is not None:
        own.append(sa.and_(table.user_id.is_(None), table.id.in_(guest_ids)))
    visible = table.status.in_([CommentStatus.APPROVED, CommentStatus.DELETED])
    if own:
        visible = sa.or_(visible, sa.and_(table.status == CommentStatus.PENDING, sa.or_(*own)))
    return visible


def shown_rows(post: Post, user: User | None, guest_ids: list[int]) -> list[tuple]:
    """(id, parent_id, status) of every comment this viewer sees on ``post``, oldest first."""
    # The status as its plain string: no enum made per row (it compares equal all the same).
    status = sa.type_coerce(Comment.status, sa.String)
    result = db.session.execute(
        sa.select(Comment.id, Comment.parent_id, status)
        .where(Comment.post_id == post.id, visible_to(user, guest_ids))
        .order_by(Comment.created_at, Comment.id)
    )
    return [tuple(row) for row in result]


class Drawn(NamedTuple):
    """What the page draws of a comment, and its author's account picture.

    Rows are copied into these once: reading a field of a NamedTuple costs a
    tenth of reading it from a SQLAlchemy Row, and a page reads each a few times.
    """

    id: int
    parent_id: int | None
    user_id: int | None
    author_name: str
    author_email: str | None
    author_website: str | None
    status: CommentStatus
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    user_avatar_url: str | None


_DRAWN = Drawn._fields[:-1]  # the comment's own columns


def _by_id(rows: Any) -> dict[int, Drawn]:
    make = Drawn._make
    return {row[0]: make(row) for row in rows}


def load_drawn(post: Post, ids: list[int]) -> dict[int, Drawn]:
    """Rows to draw for the comments ``ids`` of ``post``, by id."""
    if not ids:
        return {}
    query = (
        sa.select(*(getattr(Comment, name) for name in _DRAWN))
        .add_columns(User.avatar_url.label("user_avatar_url"))
        .outerjoin(User, User.id == Comment.user_id)
        .where(Comment.post_id == post.id)
    )
    if len(ids) <= _IN_LIST_LIMIT:
        query = query.where(Comment.id.in_(ids))
    wanted = set(ids)
    return _by_id(row for row in db.session.execute(query) if row[0] in wanted)


def page_of_threads(
    post: Post, user: User | None, guest_ids: list[int], settings: dict[str, Any], page: int
) -> tuple[threads.Layout, dict[int, Drawn]]:
    """The layout of comment page ``page`` (clamped) and the rows it draws, by id."""
    per_page = settings["comments_per_page"]
    newest_first = settings["newest_first"]
    depth = settings["thread_depth"]
    statements, params = _for_viewer(post, user, guest_ids, newest_first)
    connection = db.session.connection()
    total, deleted_tops = connection.execute(statements.count, params).one()
    if deleted_tops:
        rows = shown_rows(post, user, guest_ids)
        lay = threads.layout(
            rows, depth=depth, per_page=per_page, page=page, newest_first=newest_first
        )
        return lay, load_drawn(post, lay.ids)

    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    params.update(offset=(page - 1) * per_page, limit=per_page)
    drawn = _by_id(connection.execute(statements.threads, params))
    lay = threads.layout(
        [(r.id, r.parent_id, r.status) for r in drawn.values()],
        depth=depth,
        per_page=per_page,
        page=1,  # the rows hold this page's threads only
        newest_first=newest_first,
    )
    lay.page, lay.pages, lay.thread_count = page, pages, total
    return lay, drawn


def page_of_comment(
    post: Post, comment_id: int, user: User | None, guest_ids: list[int], settings: dict[str, Any]
) -> int | None:
    """The comment page that shows ``comment_id`` to this viewer, or None if it is not shown.

    Three queries whatever the size of the discussion: the comment's line of
    parents up to its thread's top (each must be shown, or the comment is an
    orphan nobody sees), whether any top-level comment is deleted, then the
    number of threads before that top. Where a
    deleted comment stands at the top of a thread, or is the comment asked
    for, whether it shows depends on replies anywhere below it, so the
    discussion is read whole, as ``threads.page_of`` always did.
    """
    per_page, newest_first = settings["comments_per_page"], settings["newest_first"]
    statements, params = _for_viewer(post, user, guest_ids, newest_first)
    connection = db.session.connection()
    line = connection.execute(statements.line, {**params, "comment_id": comment_id}).all()
    if not line or not all(row.shown for row in line):
        return None  # not on this post, hidden, or under a comment that is
    top = next((row for row in line if row.parent_id is None), None)
    itself = next(row for row in line if row.id == comment_id)
    _total, deleted_tops = connection.execute(statements.count, params).one()
    if top is None or deleted_tops or itself.status == CommentStatus.DELETED:
        return threads.page_of(
            shown_rows(post, user, guest_ids),
            comment_id,
            per_page=per_page,
            newest_first=newest_first,
        )
    before = connection.execute(
        statements.before, {**params, "created_at": top.created_at, "top_id": top.id}
    ).scalar_one()
    return before // per_page + 1


def _for_viewer(
    post: Post, user: User | None, guest_ids: list[int], newest_first: bool
) -> tuple[_PageStatements, dict[str, Any]]:
    """The page statements for this kind of viewer, and the parameters naming them."""
    statements = _page_statements(user is not None, bool(guest_ids), newest_first)
    params: dict[str, Any] = {"post_id": post.id, "viewer_id": user.id if user else None}
    if guest_ids:
        params["guest_ids"] = guest_ids
    return statements, params


class _PageStatements(NamedTuple):
    count: sa.Select  # (top-level comments shown, how many of them are deleted)
    threads: sa.Select  # one page of top-level comments and every reply shown below them
    line: sa.Select  # a comment and its parents up to the top, each saying if it is shown
    before: sa.Select  # how many top-level comments come before a given one


@cache
def _page_statements(has_user: bool, has_guests: bool, newest_first: bool) -> _PageStatements:
    """The two queries of a page of threads, built once for each kind of viewer.

    Building a recursive query costs more than running it, so they are made
    once, with the post, the viewer, the offset and the limit as parameters.
    """
    viewer_id = sa.bindparam("viewer_id") if has_user else None
    guest_ids = sa.bindparam("guest_ids", expanding=True) if has_guests else None

    def visible(table: Any) -> sa.ColumnElement[bool]:
        return _visible(table, viewer_id, guest_ids)

    top = sa.and_(
        Comment.post_id == sa.bindparam("post_id"),
        Comment.parent_id.is_(None),
        visible(Comment),
    )
    deleted = sa.case((Comment.status == CommentStatus.DELETED, 1))
    count = sa.select(sa.func.count(), sa.func.count(deleted)).where(top)
    order = (Comment.created_at, Comment.id)
    if newest_first:
        order = (Comment.created_at.desc(), Comment.id.desc())
    tops = (
        sa.select(Comment.id)
        .where(top)
        .order_by(*order)
        .offset(sa.bindparam("offset"))
        .limit(sa.bindparam("limit"))
    )
    place = sa.tuple_(Comment.created_at, Comment.id)
    given = sa.tuple_(
        sa.bindparam("created_at", type_=Comment.created_at.type),
        sa.bindparam("top_id", type_=sa.Integer),
    )
    earlier = place > given if newest_first else place < given
    before = sa.select(sa.func.count()).where(top, earlier)
    return _PageStatements(count, _subtree(tops, visible), _line(visible), before)


def _line(visible: Callable[[Any], sa.ColumnElement[bool]]) -> sa.Select:
    """The comment ``comment_id`` of the post and its parents, up to the top."""
    columns = (Comment.id, Comment.parent_id, Comment.status, Comment.created_at)
    shown = visible(Comment).label("shown")
    start = sa.select(*columns, shown).where(
        Comment.id == sa.bindparam("comment_id"), Comment.post_id == sa.bindparam("post_id")
    )
    line = start.cte("line", recursive=True)
    parent = aliased(Comment)
    line = line.union_all(
        sa.select(
            parent.id, parent.parent_id, parent.status, parent.created_at, visible(parent)
        ).join(line, parent.id == line.c.parent_id)
    )
    return sa.select(line)


def _subtree(tops: sa.Select, visible: Callable[[Any], sa.ColumnElement[bool]]) -> sa.Select:
    """The comments ``tops`` and every reply the viewer sees below them, oldest first.

    A reply under a comment the viewer does not see is not reached, as in
    ``threads.layout``, which hides such orphans.
    """
    anchor = sa.select(*(getattr(Comment, name) for name in _DRAWN)).where(Comment.id.in_(tops))
    tree = anchor.cte("thread", recursive=True)
    reply = aliased(Comment)
    tree = tree.union_all(
        sa.select(*(getattr(reply, name) for name in _DRAWN))
        .join(tree, reply.parent_id == tree.c.id)
        .where(reply.post_id == sa.bindparam("post_id"), visible(reply))
    )
    return (
        sa.select(tree, User.avatar_url.label("user_avatar_url"))
        .outerjoin(User, User.id == tree.c.user_id)
        .order_by(tree.c.created_at, tree.c.id)
    )
