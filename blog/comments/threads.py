"""Threading and paging of a post's comments, in plain Python over slim rows.

The post page loads every visible comment of the post as (id, parent_id,
status) in creation order, one cheap query even for ten thousand comments,
and this module decides which threads fall on the asked page and where each
comment is drawn. Only the comments on that page are then loaded in full.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..models import CommentStatus


class SlimRow(Protocol):
    id: int
    parent_id: int | None
    status: CommentStatus


@dataclass
class Layout:
    page: int = 1
    pages: int = 1
    thread_count: int = 0
    # One list per thread on the page: its top comment, then (only when the
    # depth is 1) its replies, flattened.
    threads: list[list[int]] = field(default_factory=list)
    # Where replies are drawn: display parent -> its display children, oldest first.
    children: dict[int, list[int]] = field(default_factory=dict)
    level: dict[int, int] = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        found = []
        for thread in self.threads:
            for top in thread:
                found.append(top)
                found.extend(self.descendants(top))
        return found

    def descendants(self, comment_id: int) -> Iterable[int]:
        stack = list(reversed(self.children.get(comment_id, [])))
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(self.children.get(current, [])))


@dataclass
class _Tree:
    root: dict[int, int]
    level: dict[int, int]
    roots: list[int]


def _resolve(rows: Sequence[SlimRow]) -> _Tree:
    """Each shown comment's thread root and true level; orphans and empty placeholders go."""
    by_id = {r.id: r for r in rows}
    root: dict[int, int] = {}
    level: dict[int, int] = {}
    hidden: set[int] = set()
    for row in rows:
        path: list[SlimRow] = []
        current: SlimRow | None = row
        top, start = None, 0
        while current is not None:
            if current.id in root:
                top, start = root[current.id], level[current.id]
                break
            if current.id in hidden or len(path) > len(by_id):
                break  # under a hidden comment, or a loop in bad data
            path.append(current)
            if current.parent_id is None:
                top = current.id
                break
            current = by_id.get(current.parent_id)  # None: the parent is not shown
        if top is None:
            hidden.update(node.id for node in path)
            continue
        for offset, node in enumerate(reversed(path), start=1):
            root[node.id], level[node.id] = top, start + offset

    # A deleted comment stays as a placeholder only above a reply still shown.
    needed: set[int] = set()
    for row in rows:
        if row.id in root and row.status != CommentStatus.DELETED:
            current_id = row.parent_id
            while current_id is not None and current_id not in needed:
                needed.add(current_id)
                current_id = by_id[current_id].parent_id
    for row in rows:
        if row.status == CommentStatus.DELETED and row.id not in needed:
            root.pop(row.id, None)
    roots = [r.id for r in rows if r.parent_id is None and r.id in root]
    return _Tree(root=root, level=level, roots=roots)


def _ordered_roots(tree: _Tree, newest_first: bool) -> list[int]:
    return list(reversed(tree.roots)) if newest_first else tree.roots


def layout(
    rows: Sequence[SlimRow], *, depth: int, per_page: int, page: int, newest_first: bool = False
) -> Layout:
    """The threads on ``page`` and where each of their comments is drawn."""
    tree = _resolve(rows)
    roots = _ordered_roots(tree, newest_first)
    pages = max(1, math.ceil(len(roots) / per_page))
    page = min(max(1, page), pages)
    on_page = roots[(page - 1) * per_page : page * per_page]
    wanted = set(on_page)
    shown = [r for r in rows if r.id in tree.root and tree.root[r.id] in wanted]

    # A reply deeper than ``depth`` is drawn beside its parent, at the deepest level.
    display_parent: dict[int, int | None] = {}
    result = Layout(page=page, pages=pages, thread_count=len(roots))
    flat: dict[int, list[int]] = {top: [] for top in on_page}
    for row in sorted(shown, key=lambda r: tree.level[r.id]):
        true_level = tree.level[row.id]
        if true_level == 1:
            display_parent[row.id] = None
        elif true_level <= depth:
            display_parent[row.id] = row.parent_id
        else:
            display_parent[row.id] = display_parent[row.parent_id]
        result.level[row.id] = min(true_level, depth)
    for row in shown:  # creation order, so every list is oldest first
        parent = display_parent[row.id]
        if parent is not None:
            result.children.setdefault(parent, []).append(row.id)
        elif tree.level[row.id] > 1:
            flat[tree.root[row.id]].append(row.id)
    result.threads = [[top, *flat[top]] for top in on_page]
    return result


def page_of(
    rows: Sequence[SlimRow], comment_id: int, *, per_page: int, newest_first: bool = False
) -> int | None:
    """The page a comment is shown on, or None when it is not shown."""
    tree = _resolve(rows)
    top = tree.root.get(comment_id)
    if top is None:
        return None
    index = _ordered_roots(tree, newest_first).index(top)
    return index // per_page + 1
