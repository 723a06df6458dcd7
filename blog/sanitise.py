"""Markdown rendering and HTML sanitising: the one module that imports bleach.

Everything users write is stored twice: the source, and the HTML made here.
Templates mark only the HTML made here as safe. When an allowlist changes,
``blog rerender`` rebuilds every stored HTML field from its source.
"""

from __future__ import annotations

import re
import threading
from functools import partial
from urllib.parse import urlsplit

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

LINK_REL = "nofollow ugc noopener noreferrer"

COMMENT_TAGS = frozenset(
    "a abbr b blockquote br cite code del em i li ol p pre q s strong ul".split()
)
COMMENT_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "q": lambda tag, name, value: name == "cite" and _is_allowed_link(value),
}
COMMENT_PROTOCOLS = frozenset({"http", "https", "mailto"})

POST_TAGS = COMMENT_TAGS | frozenset(
    "h1 h2 h3 h4 h5 h6 img hr table thead tbody tfoot tr th td caption "
    "sup sub dl dt dd figure figcaption kbd mark small span div".split()
)
POST_PROTOCOLS = COMMENT_PROTOCOLS

_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _post_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("title", "alt"):
        return True
    if tag == "a" and name == "rel":
        return True
    if tag == "a" and name == "href":
        return _is_allowed_link(value)
    if tag == "img" and name in ("src", "width", "height"):
        return name != "src" or _is_safe_image_src(value)
    if tag in ("th", "td") and name in ("colspan", "rowspan", "align"):
        return True
    if tag == "code" and name == "class":
        return bool(_LANGUAGE_CLASS.match(value))
    if tag in ("abbr", "q") and name in ("cite",):
        return _is_allowed_link(value)
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and name == "id":
        return True
    return False


def _is_allowed_link(value: str) -> bool:
    """An allowed scheme, or none (a link on this site). Checked here as well as by
    bleach, whose URL parser reads "javascript:123" as a host and port, not a scheme."""
    squashed = re.sub(r"[\x00-\x20]", "", value)  # browsers skip these in a scheme
    try:
        scheme = urlsplit(squashed).scheme.lower()
    except ValueError:
        return False
    return not scheme or scheme in POST_PROTOCOLS


def _is_safe_image_src(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") or (not parts.scheme and value.startswith("/"))


def _absolute_links_only(attrs: dict, new: bool = False) -> dict | None:
    """Linkify callback: comments link only to absolute http(s)/mailto URLs."""
    href = attrs.get((None, "href"), "")
    try:
        scheme = urlsplit(href.strip()).scheme.lower()
    except ValueError:  # e.g. "http://[oops": keep the text, drop the link
        return None
    if scheme not in COMMENT_PROTOCOLS:
        return None  # keep the text, drop the link
    return attrs


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


class _Renderer:
    """A markdown-it parser plus a bleach cleaner, one per thread (bleach's
    cleaner keeps parser state and is not safe to share between threads)."""

    def __init__(self, *, md: MarkdownIt, tags, attributes, protocols, callbacks) -> None:
        self.md = md
        self.cleaner = bleach.Cleaner(
            tags=tags,
            attributes=attributes,
            protocols=protocols,
            strip=True,
            strip_comments=True,
            filters=[
                partial(
                    LinkifyFilter, callbacks=callbacks, parse_email=True, skip_tags={"pre", "code"}
                )
            ],
        )

    def render(self, source: str) -> str:
        html = self.md.render(clean_text(source))
        return self.cleaner.clean(html).strip()


def _comment_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "breaks": True})
    # Headings, images and tables are not part of a comment's vocabulary:
    # leave their Markdown as plain text rather than dropping words.
    md.disable(["heading", "lheading", "image"])
    return md


def _post_markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


_local = threading.local()


def _renderers() -> tuple[_Renderer, _Renderer]:
    pair = getattr(_local, "pair", None)
    if pair is None:
        comment = _Renderer(
            md=_comment_markdown(),
            tags=COMMENT_TAGS,
            attributes=COMMENT_ATTRIBUTES,
            protocols=COMMENT_PROTOCOLS,
            callbacks=[_absolute_links_only, _set_rel],
        )
        post = _Renderer(
            md=_post_markdown(),
            tags=POST_TAGS,
            attributes=_post_attribute,
            protocols=POST_PROTOCOLS,
            callbacks=[],
        )
        pair = _local.pair = (comment, post)
    return pair


def clean_text(value: str) -> str:
    """Drop NUL and other control characters that have no place in text."""
    return _CONTROL_CHARS.sub("", value or "")


def render_comment(source: str) -> str:
    """Comment Markdown (with a little inline HTML) to safe HTML."""
    return _renderers()[0].render(source)


def render_post(source: str) -> str:
    """Post Markdown to safe HTML, with headings, images, tables and code."""
    return _renderers()[1].render(source)


def count_links(html: str) -> int:
    """Links in sanitised HTML (bare URLs were linkified, so they count)."""
    return html.count("<a ")


def strip_tags(html: str) -> str:
    """Plain text of a fragment of HTML, for excerpts, feeds and mail."""
    text = bleach.clean(html, tags=set(), strip=True)
    return re.sub(r"\s+", " ", text).strip()


def safe_url(value: str | None) -> str | None:
    """An http(s) URL fit for an href, or None (for guests' websites)."""
    if not value:
        return None
    value = clean_text(value).strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[oops" (a bad IPv6 literal)
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return value
    return None
