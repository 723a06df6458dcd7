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


Slim = tuple  # (id, parent_id, status): rows as plain tuples, quick to read in a loop


def plain(rows: Sequence[SlimRow] | Sequence[Slim]) -> list[Slim]:
    """``rows`` as (id, parent_id, status) tuples (left as they are when they already are)."""
    if rows and type(rows[0]) is tuple:
        return list(rows)
    return [(r.id, r.parent_id, r.status) for r in rows]


def _resolve(rows: list[Slim]) -> _Tree:
    """Each shown comment's thread root and true level; orphans and empty placeholders go."""
    by_id = {r[0]: r for r in rows}
    root: dict[int, int] = {}
    level: dict[int, int] = {}
    hidden: set[int] = set()
    limit = len(by_id)
    for row in rows:
        path: list[Slim] = []
        current: Slim | None = row
        top, start = None, 0
        while current is not None:
            cid = current[0]
            if cid in root:
                top, start = root[cid], level[cid]
                break
            if cid in hidden or len(path) > limit:
                break  # under a hidden comment, or a loop in bad data
            path.append(current)
            if current[1] is None:
                top = cid
                break
            current = by_id.get(current[1])  # None: the parent is not shown
        if top is None:
            hidden.update(node[0] for node in path)
            continue
        for offset, node in enumerate(reversed(path), start=1):
            root[node[0]], level[node[0]] = top, start + offset

    # A deleted comment stays as a placeholder only above a reply still shown.
    deleted = CommentStatus.DELETED
    needed: set[int] = set()
    for cid, parent_id, status in rows:
        if cid in root and status != deleted:
            current_id = parent_id
            while current_id is not None and current_id not in needed:
                needed.add(current_id)
                current_id = by_id[current_id][1]
    for cid, _parent_id, status in rows:
        if status == deleted and cid not in needed:
            root.pop(cid, None)
    roots = [r[0] for r in rows if r[1] is None and r[0] in root]
    return _Tree(root=root, level=level, roots=roots)


def _ordered_roots(tree: _Tree, newest_first: bool) -> list[int]:
    return list(reversed(tree.roots)) if newest_first else tree.roots


def layout(
    rows: Sequence[SlimRow] | Sequence[Slim],
    *,
    depth: int,
    per_page: int,
    page: int,
    newest_first: bool = False,
) -> Layout:
    """The threads on ``page`` and where each of their comments is drawn."""
    rows = plain(rows)
    tree = _resolve(rows)
    roots = _ordered_roots(tree, newest_first)
    pages = max(1, math.ceil(len(roots) / per_page))
    page = min(max(1, page), pages)
    on_page = roots[(page - 1) * per_page : page * per_page]
    wanted = set(on_page)
    tree_root, tree_level = tree.root, tree.level
    shown = [r for r in rows if r[0] in tree_root and tree_root[r[0]] in wanted]

    # A reply deeper than ``depth`` is drawn beside its parent, at the deepest level.
    display_parent: dict[int, int | None] = {}
    result = Layout(page=page, pages=pages, thread_count=len(roots))
    flat: dict[int, list[int]] = {top: [] for top in on_page}
    for cid, parent_id, _status in sorted(shown, key=lambda r: tree_level[r[0]]):
        true_level = tree_level[cid]
        if true_level == 1:
            display_parent[cid] = None
        elif true_level <= depth:
            display_parent[cid] = parent_id
        else:
            display_parent[cid] = display_parent[parent_id]
        result.level[cid] = min(true_level, depth)
    children = result.children
    for cid, _parent_id, _status in shown:  # creation order, so every list is oldest first
        parent = display_parent[cid]
        if parent is not None:
            children.setdefault(parent, []).append(cid)
        elif tree_level[cid] > 1:
            flat[tree_root[cid]].append(cid)
    result.threads = [[top, *flat[top]] for top in on_page]
    return result


def page_of(
    rows: Sequence[SlimRow], comment_id: int, *, per_page: int, newest_first: bool = False
) -> int | None:
    """The page a comment is shown on, or None when it is not shown."""
    tree = _resolve(plain(rows))
    top = tree.root.get(comment_id)
    if top is None:
        return None
    index = _ordered_roots(tree, newest_first).index(top)
    return index // per_page + 1
