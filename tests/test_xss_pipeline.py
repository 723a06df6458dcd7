"""Every XSS case in ../shared/data/xss/ through the comment pipeline, as text, name and website.

The payloads are read in place: DOMPurify's expectations (``payload`` strings
in an ES module), and the HTML5 Security Cheatsheet (``data`` strings in
items.js, and the rendered vectors in vectors.txt). Each goes through
``submit_comment`` as a guest's comment; then the post page, the post's
comment feed and the API's JSON are parsed with an HTML parser and must carry
nothing active: no script, no event handler, no style attribute, no
javascript:/data:/vbscript: URL, no iframe/object/embed/svg/math/form.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from blog.models import Comment, CommentStatus

from .factories import make_post
from .test_comment_support import set_rules, submit
from .xss_payloads import all_payloads, dompurify_payloads, h5sc_item_payloads, h5sc_vectors

pytestmark = pytest.mark.shared_data

CHUNK = 50  # a post feed shows 50 comments, so each post gets at most that many

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "form", "style", "base", "frame",
    "frameset", "applet", "link", "meta", "img", "video", "audio", "source", "input",
    "button", "textarea", "select", "isindex", "template", "xml", "image", "set", "animate",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "srcset", "cite", "lowsrc", "dynsrc", "ping", "codebase", "longdesc", "usemap", "manifest",
}  # fmt: skip
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "livescript:")
COMMENT_TAGS = set("a abbr b blockquote br cite code del em i li ol p pre q s strong ul".split())


EXTRA_WEBSITES = [
    'https://example.com/"><script>alert(1)</script>',
    "https://example.com/' onmouseover='alert(1)",
    'https://example.com/" style="color:red',
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example.com/x",
    "https://exa mple.com/<svg onload=alert(1)>",
    "https://example.com/?q=%22onmouseover%3Dalert(1)%22&r=%3Cscript%3E",
    "example.com/#javascript:alert(1)",
]


def test_payload_files_are_read_in_full():
    assert len(dompurify_payloads()) >= 200
    assert len(h5sc_item_payloads()) >= 140
    assert len(h5sc_vectors()) >= 60
    assert any("<script" in p.lower() for p in all_payloads())


# --- checking what a page shows -------------------------------------------------------------


class Scan(HTMLParser):
    """Collects everything active in a document, and what sits inside the comment parts."""

    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, *, fragment: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.fragment = fragment
        self.problems: list[str] = []
        self.stack: list[tuple[str, str]] = []

    def _inside(self) -> str | None:
        for _tag, role in reversed(self.stack):
            if role:
                return role
        return "comment-body" if self.fragment else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        inside = self._inside()
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            squashed = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in URL_ATTRIBUTES and squashed.startswith(BAD_SCHEMES):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if inside:
            if inside == "comment-body" and tag not in COMMENT_TAGS:
                self.problems.append(f"<{tag}> in a comment's text")
            if inside == "comment-author" and tag != "a":
                self.problems.append(f"<{tag}> in a comment's author")
            if tag == "a":
                href = values.get("href") or ""
                if not re.match(r"^(https?://|mailto:)", href):
                    self.problems.append(f"link to {href!r} in {inside}")
                if inside == "comment-author" and "ugc" not in (values.get("rel") or ""):
                    self.problems.append("author link without rel ugc")
        elif tag in FORBIDDEN_TAGS and not self._ours(tag, values):
            self.problems.append(f"<{tag}> on the page")
        if tag in self.VOID:
            return
        role = next((c for c in classes if c in ("comment-body", "comment-author")), "")
        self.stack.append((tag, role))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    @staticmethod
    def _ours(tag: str, values: dict[str, str | None]) -> bool:
        """The page's own scripts, styles, forms and avatars (outside any comment's parts)."""
        src, href, action = values.get("src") or "", values.get("href") or "", values.get("action")
        if tag == "script":
            return src.startswith("/static/")
        if tag == "link":
            local = href.startswith("/") and not href.startswith("//")
            return local or href.startswith("http://127.0.0.1:5000/")  # the canonical URL
        if tag == "meta":
            return True
        if tag == "img":
            return "avatar" in (values.get("class") or "") and not src.startswith("javascript")
        if tag in ("form", "input", "button", "textarea"):
            return action is None or bool(
                re.match(
                    # the comment forms, logout, search, and the area's flag form (the post)
                    r"^/(comments/\d+(/(flag|delete|edit))?(\?cpage=\d+)?|logout|search"
                    r"|\d{4}/\d{2}/\d{2}/[\w-]+/)$",
                    action,
                )
            )
        return False


def scan(html: str, *, fragment: bool = False) -> list[str]:
    parser = Scan(fragment=fragment)
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_checker_catches_what_it_should():
    assert scan('<p onclick="x">a</p>', fragment=True)
    assert scan('<a href=" javascript:alert(1)">x</a>', fragment=True)
    assert scan("<svg></svg>", fragment=True)
    assert scan('<p style="color:red">x</p>', fragment=True)
    assert scan('<div class="comment-body"><iframe></iframe></div>')
    assert not scan(
        '<p><a href="https://x.example.com" rel="nofollow ugc">x</a></p>', fragment=True
    )


# --- the payloads through the pipeline ----------------------------------------------------


@pytest.fixture
def rules(app, db):
    set_rules(policy="none", max_links=1000, comments_per_page=500)
    if db.engine.dialect.name == "sqlite":
        # A thousand commits: skip the disk flush each would wait for (speed only).
        db.session.execute(sa.text("PRAGMA synchronous = OFF"))


def _store(post, payload: str, n: int) -> None:
    name = " ".join(payload.split())[:100] or f"Guest {n}"
    # Text and name together; a website that passes validation on a comment of its own.
    result = submit(post, payload, name=name, email=f"x{n}@example.com")
    if "body" in result.errors:  # nothing left once sanitised: keep it, with words around it
        result = submit(post, f"Case {n}.\n\n{payload}", name=name, email=f"x{n}@example.com")
    assert result.ok, result.errors
    submit(post, f"Site {n}", name=f"Site {n}", email=f"s{n}@example.com", website=payload)


def _check_post(client, post) -> None:
    page = client.get(post.url_path)
    assert page.status_code == 200
    problems = scan(page.get_data(as_text=True))
    assert problems == [], problems[:10]

    feed = ET.fromstring(client.get(post.url_path + "comments.atom").data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for entry in feed.findall("a:entry", ns):
        problems = scan(entry.findtext("a:content", namespaces=ns) or "", fragment=True)
        assert problems == [], problems[:10]
        uri = entry.findtext("a:author/a:uri", namespaces=ns)
        assert uri is None or re.match(r"^https?://", uri)

    items = client.get(f"/api/posts/{post.slug}/comments").get_json()["items"]
    for item in items:
        problems = scan(item["html"], fragment=True)
        assert problems == [], problems[:10]
        website = item["author"]["website"]
        assert website is None or re.match(r"^https?://[^\s\"'<>]+$", website), website


def test_every_payload_is_harmless_everywhere_it_is_shown(client, db, rules):
    payloads = all_payloads() + EXTRA_WEBSITES
    posts = []
    for start in range(0, len(payloads), CHUNK):
        post = make_post(slug=f"xss-{start}")
        posts.append(post)
        for n, payload in enumerate(payloads[start : start + CHUNK], start=start):
            _store(post, payload, n)
    stored = db.session.scalars(db.select(Comment.status)).all()
    assert len(stored) > len(payloads)  # every text and name, and the sites that passed
    assert set(stored) == {CommentStatus.APPROVED}
    for post in posts:
        _check_post(client, post)
    site_feed = ET.fromstring(client.get("/comments/feed.atom").data)
    for content in site_feed.iter("{http://www.w3.org/2005/Atom}content"):
        assert scan(content.text or "", fragment=True) == []
