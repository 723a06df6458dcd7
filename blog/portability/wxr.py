"""``blog import wxr``: a WordPress export (WXR 1.0, 1.1 or 1.2) into this site.

Posts and pages, their authors (users matched by email), categories and tags
(both become tags), dates, slugs and statuses, and every comment with its
thread, status and kind. Old permalinks that differ from ours become
redirects. Each post and comment remembers where it came from
(``import_key``), so importing the same file again changes nothing and a
later export of the same blog adds only what is new.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

from ..extensions import db
from ..models import CommentKind, CommentStatus, Post, PostKind, PostStatus, User, utcnow
from ..sanitise import render_post
from .common import (
    TITLE_MAX,
    ImportFileError,
    ImportReport,
    Progress,
    Site,
    add_comment,
    clean_email,
    clean_ip,
    clean_name,
    clean_website,
    clip_key,
    existing_comments,
    find_existing,
    no_progress,
    old_path,
    parse_rfc822,
    parse_wp_date,
    text_of,
    threaded,
)
from .xmlsafe import localname, parse_strict

_WP = re.compile(r"^https?://wordpress\.org/export/(\d+\.\d+)/$")
_WP_EXCERPT = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/excerpt/$")
_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content:",
    "http://purl.org/dc/elements/1.1/": "dc:",
}

POST_STATUS = {
    "publish": PostStatus.PUBLISHED,
    "future": PostStatus.SCHEDULED,
    "draft": PostStatus.DRAFT,
    "pending": PostStatus.DRAFT,
    "private": PostStatus.DRAFT,
}
COMMENT_STATUS = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.REJECTED,
    "post-trashed": CommentStatus.REJECTED,
}
# Meta keys our own export writes, so a round trip keeps what WXR cannot say.
META_SOURCE = "_blog_source"
META_STATUS = "_blog_status"
META_EXCERPT = "_blog_excerpt"


def _prefix(uri: str | None) -> str | None:
    if not uri:
        return ""
    if _WP.match(uri):
        return "wp:"
    if _WP_EXCERPT.match(uri):
        return "excerpt:"
    return _PREFIXES.get(uri)


class Node:
    """An element's children by prefixed name (``wp:post_id``), whatever WXR version."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.kids: dict[str, list[etree._Element]] = defaultdict(list)
        for child in element:
            name = localname(child)
            prefix = _prefix(etree.QName(child).namespace) if name else None
            if prefix is not None:
                self.kids[prefix + name].append(child)

    def text(self, name: str) -> str:
        found = self.kids.get(name)
        return (found[0].text or "").strip() if found else ""

    def raw(self, name: str) -> str:
        found = self.kids.get(name)
        return found[0].text or "" if found else ""

    def all(self, name: str) -> list[etree._Element]:
        return self.kids.get(name, [])

    def meta(self, name: str) -> dict[str, str]:
        """``wp:postmeta`` / ``wp:commentmeta`` as a dict."""
        pairs = (Node(m) for m in self.all(name))
        return {m.text("wp:meta_key"): m.raw("wp:meta_value") for m in pairs}


def wp_source(content: str) -> str:
    """WordPress HTML as a source our Markdown renderer reads the same way.

    WordPress does not treat indented lines as code, Markdown does: the
    indentation goes, except inside ``<pre>`` where it matters.
    """
    parts = re.split(r"(<pre\b.*?</pre>)", content.strip(), flags=re.DOTALL | re.IGNORECASE)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"(?m)^[ \t]+", "", parts[i])
    return "".join(parts)


class _Import:
    def __init__(self, root: etree._Element, progress: Progress) -> None:
        self.channel = self._channel(root)
        self.node = Node(self.channel)
        self.items = [Node(i) for i in self.channel if localname(i) == "item"]
        self.version = self._version()
        self.base = self._base_url()
        self.report = ImportReport(source=f"WordPress (WXR {self.version}) {self.base}")
        self.site = Site(self.report)
        self.progress = progress
        self.authors = {a.text("wp:author_login"): a for a in map(Node, self.node.all("wp:author"))}
        self.author_ids = {a.text("wp:author_id"): a for a in self.authors.values()}
        self.seen: Counter[str] = Counter()

    @staticmethod
    def _channel(root: etree._Element) -> etree._Element:
        if localname(root) != "rss":
            raise ImportFileError(
                f"not a WordPress export: the root element is <{localname(root)}>, not <rss>",
                root.sourceline,
            )
        channel = next((c for c in root if localname(c) == "channel"), None)
        if channel is None:
            raise ImportFileError("not a WordPress export: no <channel>", root.sourceline)
        return channel

    def _version(self) -> str:
        declared = self.node.text("wp:wxr_version")
        if declared:
            return declared
        for element in [self.channel, *(i.element for i in self.items[:5])]:
            for child in element:
                match = _WP.match(etree.QName(child).namespace or "") if localname(child) else None
                if match:
                    return match.group(1)
        raise ImportFileError(
            "not a WordPress export: no element in the WordPress export namespace",
            self.channel.sourceline,
        )

    def _base_url(self) -> str:
        for name in ("wp:base_blog_url", "wp:base_site_url", "link"):
            if self.node.text(name):
                return self.node.text(name).rstrip("/")
        for item in self.items:
            parts = urlsplit(item.text("link"))
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
        return "unknown"

    def run(self) -> ImportReport:
        for tag in map(Node, self.node.all("wp:category")):
            self.site.tag(tag.text("wp:cat_name"), tag.text("wp:category_nicename"))
        for tag in map(Node, self.node.all("wp:tag")):
            slug = tag.text("wp:tag_slug")
            self.site.tag(tag.text("wp:tag_name") or slug, slug)
        for item in self.progress(self.items, "Importing posts and comments"):
            self.item(item)
        return self.report

    # --- posts ------------------------------------------------------------------

    def item(self, item: Node) -> None:
        post_type = item.text("wp:post_type") or "post"
        if post_type not in ("post", "page"):
            self.report.skip(f"{post_type} items (not imported)")
            return
        status = item.text("wp:status")
        if status in ("trash", "auto-draft", "inherit"):
            self.report.skip(f"{post_type}s with status {status}")
            return
        key = self._key(item)
        if key is None:
            self.report.skip("items with neither a post id nor a link")
            return
        post = self.site.post_by_key(key)
        if post is None:
            post = self.new_post(item, key, post_type, status)
        else:
            self.report.posts_existing += 1
        self.comments(item, post, key)

    def _key(self, item: Node) -> str | None:
        wp_id = (
            item.text("wp:post_id") or _query_id(item.text("link")) or _query_id(item.text("guid"))
        )
        link = item.text("link")
        if not wp_id and not link:
            return None
        ident = f"post:{wp_id}" if wp_id else f"link:{link}"
        self.seen[ident] += 1
        if self.seen[ident] > 1:
            # A broken export repeats an id: keep each item, in file order.
            self.report.warnings.append(
                f"{ident} appears {self.seen[ident]} times; imported each as its own post"
            )
            ident = f"{ident}:{self.seen[ident]}"
        return f"wxr:{self.base}:{ident}"

    def new_post(self, item: Node, key: str, post_type: str, raw_status: str) -> Post:
        title = text_of(item.raw("title"))[:TITLE_MAX] or "Untitled"
        status = POST_STATUS.get(raw_status, PostStatus.DRAFT)
        if raw_status and raw_status not in POST_STATUS:
            self.report.warnings.append(f'"{title}": unknown status {raw_status}; now a draft')
        if item.text("wp:post_password") and status != PostStatus.DRAFT:
            # No password protection here: publishing would expose what was hidden.
            status = PostStatus.DRAFT
            self.report.warnings.append(
                f'"{title}" is password-protected in WordPress; imported as a draft'
            )
        when = (
            parse_wp_date(item.text("wp:post_date_gmt"))
            or parse_wp_date(item.text("wp:post_date"))
            or parse_rfc822(item.text("pubDate"))
        )
        meta = item.meta("wp:postmeta")
        body = meta.get(META_SOURCE) or wp_source(item.raw("content:encoded"))
        excerpt = meta.get(META_EXCERPT) or wp_source(item.raw("excerpt:encoded"))
        wp_id = key.rsplit(":", 1)[-1]
        post = Post(
            title=title,
            slug=self.site.unique_slug(unquote(item.text("wp:post_name")), title, f"post-{wp_id}"),
            kind=PostKind.PAGE if post_type == "page" else PostKind.POST,
            status=status,
            body=body,
            body_html=render_post(body),
            excerpt=excerpt,
            excerpt_html=render_post(excerpt) if excerpt else "",
            published_at=when if status != PostStatus.DRAFT else None,
            created_at=when or utcnow(),
            updated_at=when or utcnow(),
            comments_enabled=item.text("wp:comment_status") != "closed",
            author=self.user(item.text("dc:creator")),
            import_key=clip_key(key),
        )
        post.tags = self._tags(item)
        db.session.add(post)
        db.session.flush()
        host = urlsplit(item.text("link")).hostname
        self.site.redirect(old_path(item.text("link")), post)
        guid = item.text("guid")
        if host and urlsplit(guid).hostname == host:
            self.site.redirect(old_path(guid), post)
        self.report.posts[post.kind.value] += 1
        return post

    def _tags(self, item: Node) -> list:
        tags = []
        for element in item.all("category"):
            if element.get("domain") not in (None, "category", "post_tag"):
                continue  # post formats, menus and custom taxonomies
            tag = self.site.tag(element.text or "", element.get("nicename"))
            if tag is not None and tag not in tags:
                tags.append(tag)
        return tags

    def user(self, login: str) -> User | None:
        # Real exports have typos such as ">name" in dc:creator.
        login = login.strip("<> \t\n")
        if not login:
            return None
        author = self.authors.get(login)
        if author is None:
            return self.site.author(None, clean_name(login))
        name = clean_name(author.text("wp:author_display_name") or login)
        return self.site.author(author.text("wp:author_email"), name)

    # --- comments ------------------------------------------------------------------

    def comments(self, item: Node, post: Post, post_key: str) -> None:
        nodes = [Node(c) for c in item.all("wp:comment")]
        ids = {id(n): n.text("wp:comment_id") or f"n{i}" for i, n in enumerate(nodes)}
        known = existing_comments(post)
        made: dict[str, object] = {}
        for node in threaded(nodes, lambda n: ids[id(n)], lambda n: n.text("wp:comment_parent")):
            wp_id = ids[id(node)]
            key = f"{post_key}:comment:{wp_id}"
            if find_existing(known, key) is not None:
                made[wp_id] = find_existing(known, key)
                self.report.comments_existing += 1
                continue
            made[wp_id] = self.comment(node, post, key, made)

    def comment(self, node: Node, post: Post, key: str, made: dict) -> object:
        parent_id = node.text("wp:comment_parent")
        parent = made.get(parent_id) if parent_id not in ("", "0") else None
        if parent_id not in ("", "0") and parent is None:
            self.report.warnings.append(
                f"{key}: its parent {parent_id} is not in the file; imported as a top-level comment"
            )
        meta = node.meta("wp:commentmeta")
        raw_status = node.text("wp:comment_approved")
        status = COMMENT_STATUS.get(raw_status, CommentStatus.PENDING)
        if meta.get(META_STATUS) in set(CommentStatus):
            status = CommentStatus(meta[META_STATUS])
        kind_name = node.text("wp:comment_type")
        kind = CommentKind.COMMENT
        if kind_name in (CommentKind.PINGBACK, CommentKind.TRACKBACK):
            kind = CommentKind(kind_name)
        when = (
            parse_wp_date(node.text("wp:comment_date_gmt"))
            or parse_wp_date(node.text("wp:comment_date"))
            or post.published_at
            or post.created_at
        )
        author = self.author_ids.get(node.text("wp:comment_user_id"))
        user = self.user(author.text("wp:author_login")) if author is not None else None
        comment = add_comment(
            post,
            key=key,
            status=status,
            source_name="WordPress",
            body=meta.get(META_SOURCE) or wp_source(node.raw("wp:comment_content")),
            parent=parent,
            kind=kind,
            user=user,
            author_name=clean_name(node.raw("wp:comment_author")),
            author_email=clean_email(node.text("wp:comment_author_email")),
            author_website=clean_website(node.text("wp:comment_author_url")),
            ip=clean_ip(node.text("wp:comment_author_IP")),
            created_at=when,
        )
        self.report.comments[status.value] += 1
        if kind != CommentKind.COMMENT:
            self.report.comment_kinds[kind.value] += 1
        return comment


def _query_id(url: str) -> str | None:
    """The id in WordPress's plain permalinks (``?p=123``, ``?page_id=7``)."""
    query = parse_qs(urlsplit(url or "").query)
    for name in ("p", "page_id"):
        if query.get(name, [""])[0].isdigit():
            return query[name][0]
    return None


def import_wxr(data: bytes, *, progress: Progress = no_progress) -> ImportReport:
    """Import a WXR file's bytes into the session; the caller commits or rolls back."""
    root = parse_strict(data)
    return _Import(root, progress).run()
