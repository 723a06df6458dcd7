"""``blog import disqus``: comments from a Disqus export, onto this site's posts.

Each Disqus thread is matched to a post by its URL: our permalink shape
``/YYYY/MM/DD/slug/`` (under any prefix), or an old path kept as a redirect
(a WordPress import leaves those). Threads with no post are listed in the
report and their comments skipped.

Comments deleted on Disqus are skipped, except those with replies, which stay
as "deleted" placeholders (no text, no author) so the replies keep their
place; with ``keep_deleted`` they are all kept as rejected, text and all.
Spam stays spam. Known damage in real exports (stray bytes before the XML, an
unquoted attribute) is repaired and noted in the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from lxml import etree

from ..extensions import db
from ..models import Comment, CommentStatus, Post, Redirect, utcnow
from .common import (
    ImportFileError,
    ImportReport,
    Progress,
    add_comment,
    clean_email,
    clean_ip,
    clean_name,
    clip_key,
    no_progress,
    old_path,
    parse_iso,
    same_post,
    threaded,
)
from .wxr import wp_source
from .xmlsafe import localname, parse_lenient

_PERMALINK = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/([^/?#]+)(?:/(?:index\.html?)?)?$")


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if localname(c) == name), None)


def _text(element: etree._Element, *path: str) -> str:
    for name in path:
        element = _child(element, name) if element is not None else None
    return (element.text or "").strip() if element is not None else ""


def _dsq_id(element: etree._Element | None) -> str:
    if element is None:
        return ""
    for name, value in element.attrib.items():
        if etree.QName(name).localname == "id":
            return value.strip()
    return ""


@dataclass
class _Thread:
    id: str
    link: str
    ident: str
    title: str
    created_at: datetime | None
    deleted: bool
    post: Post | None = None
    searched: bool = False


@dataclass
class _Message:
    key: str
    element: etree._Element
    thread_id: str
    parent_key: str | None
    deleted: bool

    def text(self, *path: str) -> str:
        return _text(self.element, *path)


def _flag(value: str) -> bool | None:
    return {"true": True, "false": False, "": False}.get(value.lower())


class _Import:
    def __init__(self, root: etree._Element, notes: list[str], keep_deleted: bool) -> None:
        if localname(root) != "disqus":
            raise ImportFileError(
                f"not a Disqus export: the root element is <{localname(root)}>, not <disqus>",
                root.sourceline,
            )
        self.report = ImportReport(source="Disqus", comments_only=True)
        self.report.warnings += notes
        self.keep_deleted = keep_deleted
        self.threads = {t.id: t for t in map(self._thread, self._all(root, "thread")) if t.id}
        self.messages = [m for m in map(self._message, self._all(root, "post")) if m]
        self.made: dict[str, Comment] = {}

    @staticmethod
    def _all(root: etree._Element, name: str) -> list[etree._Element]:
        return [c for c in root if localname(c) == name]

    def _thread(self, element: etree._Element) -> _Thread:
        return _Thread(
            id=_dsq_id(element),
            link=_text(element, "link"),
            ident=_text(element, "id"),
            title=_text(element, "title"),
            created_at=parse_iso(_text(element, "createdAt")),
            deleted=_flag(_text(element, "isDeleted")) is True,
        )

    def _message(self, element: etree._Element) -> _Message | None:
        dsq_id, plain_id = _dsq_id(element), _text(element, "id")
        if not dsq_id and not plain_id:
            self.report.skip("comments with no id")
            return None
        parent = _dsq_id(_child(element, "parent"))
        return _Message(
            key=clip_key(f"disqus:{dsq_id}" if dsq_id else f"disqus:id:{plain_id}"),
            element=element,
            thread_id=_dsq_id(_child(element, "thread")),
            parent_key=clip_key(f"disqus:{parent}") if parent else None,
            deleted=_flag(_text(element, "isDeleted")) is True or self._thread_deleted(element),
        )

    def _thread_deleted(self, element: etree._Element) -> bool:
        # A thread deleted on Disqus takes its comments with it.
        thread = self.threads.get(_dsq_id(_child(element, "thread")))
        return thread is not None and thread.deleted

    def run(self, progress: Progress) -> ImportReport:
        known = _existing([m.key for m in self.messages])
        wanted = self._wanted()
        ordered = threaded(self.messages, lambda m: m.key, lambda m: m.parent_key)
        for message in progress(ordered, "Importing comments"):
            if message.key in known:
                self.made[message.key] = known[message.key]
                self.report.comments_existing += 1
            elif message.key in wanted:
                self._import(message)
        self._report_unmatched()
        return self.report

    def _wanted(self) -> set[str]:
        """Keys to import: comments on a known post, less deleted ones nobody answered."""
        on_post: dict[str, _Message] = {}
        for message in self.messages:
            thread = self.threads.get(message.thread_id)
            if thread is None:
                self.report.skip("comments whose thread is not in the file")
            elif self._post(thread) is None:
                self.report.skip("comments on threads with no post here")
            else:
                on_post[message.key] = message
        keep = {k for k, m in on_post.items() if self.keep_deleted or not m.deleted}
        for key in list(keep):
            # A reply keeps its deleted ancestors, as placeholders.
            parent = on_post.get(on_post[key].parent_key or "")
            while parent is not None and parent.key not in keep:
                keep.add(parent.key)
                parent = on_post.get(parent.parent_key or "")
        dropped = len(on_post) - len(keep)
        if dropped:
            self.report.skip("comments deleted on Disqus", dropped)
        return keep

    def _post(self, thread: _Thread) -> Post | None:
        if not thread.searched:
            thread.post = find_post(thread.link) or find_post(thread.ident)
            thread.searched = True
        return thread.post

    def _import(self, message: _Message) -> None:
        thread = self.threads[message.thread_id]
        post = self._post(thread)
        assert post is not None
        parent = self.made.get(message.parent_key or "")
        if message.parent_key and not same_post(parent, post):
            self.report.warnings.append(
                f"{message.key}: its parent is not imported on the same post; "
                "now a top-level comment"
            )
            parent = None
        status = self._status(message)
        placeholder = status == CommentStatus.DELETED
        raw_date = message.text("createdAt")
        when = parse_iso(raw_date)
        if when is None:
            when = thread.created_at or utcnow()
            self.report.warnings.append(
                f"{message.key}: unreadable date {raw_date!r}; used its thread's date"
            )
        comment = add_comment(
            post,
            key=message.key,
            status=status,
            source_name="Disqus",
            body="" if placeholder else wp_source(message.text("message")),
            parent=parent,
            author_name=""
            if placeholder
            else clean_name(message.text("author", "name") or message.text("author", "username")),
            author_email=None if placeholder else clean_email(message.text("author", "email")),
            ip=None if placeholder else clean_ip(message.text("ipAddress")),
            created_at=when,
        )
        self.made[message.key] = comment
        self.report.comments[status.value] += 1

    def _status(self, message: _Message) -> CommentStatus:
        if message.deleted:
            return CommentStatus.REJECTED if self.keep_deleted else CommentStatus.DELETED
        spam = _flag(message.text("isSpam"))
        if spam is None:
            self.report.warnings.append(
                f"{message.key}: unreadable isSpam {message.text('isSpam')!r}; held for moderation"
            )
            return CommentStatus.PENDING
        if spam:
            return CommentStatus.SPAM
        if _flag(message.text("isApproved") or "true") is False:
            return CommentStatus.PENDING
        return CommentStatus.APPROVED

    def _report_unmatched(self) -> None:
        counts: dict[str, int] = {}
        for message in self.messages:
            counts[message.thread_id] = counts.get(message.thread_id, 0) + 1
        for thread in self.threads.values():
            if counts.get(thread.id) and self._post(thread) is None:
                title = f' "{thread.title}"' if thread.title else ""
                self.report.unmatched_threads.append(
                    f"thread {thread.id}{title} at {thread.link or thread.ident or '(no URL)'}: "
                    f"{counts[thread.id]} comment(s)"
                )


def _existing(keys: list[str]) -> dict[str, Comment]:
    found: dict[str, Comment] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for comment in db.session.scalars(sa.select(Comment).where(Comment.import_key.in_(chunk))):
            found[comment.import_key] = comment
    return found


def find_post(url: str) -> Post | None:
    """The post an old URL means: a kept redirect, or our permalink shape by slug and date."""
    full = old_path(url)
    if not full:
        return None
    path = full.split("?", 1)[0]
    candidates = {full, path, path.rstrip("/") or "/", path.rstrip("/") + "/"}
    post_id = db.session.scalar(
        sa.select(Redirect.post_id).where(Redirect.old_path.in_(candidates)).limit(1)
    )
    if post_id is not None:
        return db.session.get(Post, post_id)
    match = _PERMALINK.search(path)
    if not match:
        return None
    year, month, day, slug = match.groups()
    post = db.session.scalar(sa.select(Post).where(Post.slug == slug))
    if post is None:
        return None
    try:
        day_in_url = datetime(int(year), int(month), int(day)).date()
    except ValueError:
        return None
    when = (post.published_at or post.created_at).date()
    # Old blogs put the local date in links; ours is UTC: a day either way is the same post.
    return post if abs(when - day_in_url) <= timedelta(days=1) else None


def import_disqus(
    data: bytes, *, progress: Progress = no_progress, keep_deleted: bool = False
) -> ImportReport:
    """Import a Disqus export's bytes into the session; the caller commits or rolls back."""
    root, notes = parse_lenient(data)
    return _Import(root, notes, keep_deleted).run(progress)
