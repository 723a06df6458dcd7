"""The XSS wall: every payload in ../shared/data/xss/ and the classic ones, sent in
through the real ways in, then every page that shows them loaded in Chromium.

Each payload is a comment's text, a guest's name, website and browser, a user's
display name and provider identity (as an OAuth login stores them), a post's title,
excerpt, tag and body. The pages that show them (post pages, home, tag pages,
search, the moderation queue and log, the feeds, account pages, the admin's posts
and users) are loaded with alert/confirm/prompt/print replaced by functions that
note the call. A page fails when any script runs (a dialog, a noted call, a console
message, a script error, a CSP report) or when its DOM holds an event-handler
attribute, a style attribute, a javascript:/data:/vbscript: URL, or an element that
runs or embeds something (script not from /static/, iframe, object, embed, base...).

Payloads are batched: many to a page, so the whole wall takes a few page loads.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import Comment, CommentStatus, Identity, Post, Role, Tag, User, utcnow
from tests.browser.helpers import sign_in, watch
from tests.factories import make_user
from tests.test_comment_support import set_rules, submit
from tests.xss_payloads import CLASSIC, XSS, every_payload

# Without ../shared beside the checkout the wall still stands, on the classic
# payloads alone (the pipeline tests, marked shared_data, say what is missing).
PAYLOADS = every_payload() if XSS.is_dir() else list(CLASSIC)
CHUNK = 20  # payloads to a post page (its body, its tags (20 at most) and comments)
HELD_CHUNK = 10  # payloads in one held comment's text
ATOM = "{http://www.w3.org/2005/Atom}"

# Runs before any page script: the dialog functions only note that they were called.
TRAP = """
(() => {
  const calls = [];
  Object.defineProperty(window, "__xss", { value: calls });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const trap = function (...args) { calls.push(name + "(" + String(args[0]) + ")"); };
    try {
      Object.defineProperty(window, name, { value: trap, writable: false, configurable: false });
    } catch (e) { calls.push("could not trap " + name); }
  }
})();
"""

# Everything active in the document, in the browser's own parse of the page.
SCAN = r"""
() => {
  const problems = [];
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href",
    "data", "poster", "background", "srcset", "cite", "lowsrc", "dynsrc", "ping",
    "codebase", "longdesc", "usemap", "manifest", "icon", "to", "from", "values", "by"]);
  const badUrl = /(^|,)(javascript|data|vbscript|livescript):/;
  // What browsers skip or strip in a URL's scheme: controls, spaces, invisible marks.
  const invisible = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u3000\ufeff]/g;
  const origin = location.origin;
  const local = (url) => url === "" || new URL(url, location.href).origin === origin;
  const describe = (el) => "<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ">";
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on")) problems.push(`${name} handler on ${describe(el)}`);
        if (name === "style") problems.push(`style attribute on ${describe(el)}`);
        const squashed = attr.value.replace(invisible, "").toLowerCase();
        if (urlAttributes.has(name) && badUrl.test(squashed)) {
          problems.push(`${name}="${attr.value.slice(0, 60)}" on ${describe(el)}`);
        }
      }
      if (tag === "script" && (!el.src || !local(el.src) || el.textContent.trim())) {
        problems.push(`script ${el.src || el.textContent.slice(0, 60)}`);
      }
      if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
           "style", "svg", "math", "template", "isindex"].includes(tag)) {
        problems.push(`${describe(el)} in the page`);
      }
      if (tag === "meta" && el.httpEquiv) problems.push(`meta http-equiv=${el.httpEquiv}`);
      if (tag === "link" && el.href && !local(el.href) && el.rel !== "canonical") {
        problems.push(`link to ${el.href}`);
      }
      if (tag === "form" && el.getAttribute("action") && !local(el.action)) {
        problems.push(`form to ${el.action}`);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return problems.concat(window.__xss || ["the trap did not run"]);
}
"""


@pytest.fixture
def config_overrides():
    return {"POSTS_PER_PAGE": 1000}


# --- putting the payloads in, the ways a visitor, a provider and an author do -------


def make_payload_users() -> list[User]:
    """A user per payload, named as a provider's profile would name them."""
    users = []
    for n, payload in enumerate(PAYLOADS):
        provider = "google" if n % 2 else "twitter"
        user = User(
            email=f"wall{n}@example.com",
            email_verified=True,
            display_name=payload[:100],
            role=Role.AUTHOR,
        )
        user.identities.append(
            Identity(
                provider=provider,
                subject=f"wall-{n}",
                display_name=payload[:100],
                username=payload[:100] if provider == "twitter" else None,
                email=user.email,
                email_verified=True,
            )
        )
        users.append(user)
    db.session.add_all(users)
    db.session.commit()
    return users


def write_posts(client, login_as, users: list[User]) -> list[Post]:
    """Through the posts API: a post per payload, and a post per chunk of payloads."""
    for n, (user, payload) in enumerate(zip(users, PAYLOADS, strict=True)):
        login_as(user)
        post = {
            "title": payload[:300],
            "body": f"xsswall {n}\n\n{payload}",
            "excerpt": payload,
            "tags": [payload[:100]],
            "status": "published",
        }
        response = client.post("/api/posts", json=post)
        assert response.status_code == 201, (payload, response.get_json())
    chunks = []
    for start in range(0, len(PAYLOADS), CHUNK):
        part = PAYLOADS[start : start + CHUNK]
        login_as(users[start])
        response = client.post(
            "/api/posts",
            json={
                "title": f"Chunk {start}",
                "body": "\n\n".join(part),
                "tags": list(dict.fromkeys(p[:100] for p in part)),
                "status": "published",
            },
        )
        assert response.status_code == 201, response.get_json()
        chunks.append(response.get_json()["slug"])
    return [db.session.scalar(sa.select(Post).filter_by(slug=slug)) for slug in chunks]


def write_comments(chunks: list[Post]) -> None:
    """Through the comment pipeline: each payload as a guest's text, name, website and
    browser; then held comments (for the moderation queue) named after the classics."""
    set_rules(policy="none", max_links=1000, comments_per_page=500)
    for n, payload in enumerate(PAYLOADS):
        post = chunks[n // CHUNK]
        name = " ".join(payload.split())[:100] or f"Guest {n}"
        fields = {"name": name, "email": f"x{n}@example.com", "user_agent": payload[:500]}
        result = submit(post, payload, **fields)
        if "body" in result.errors:  # nothing left once sanitised: add words around it
            result = submit(post, f"Case {n}.\n\n{payload}", **fields)
        assert result.ok, result.errors
        submit(post, f"Site {n}", name=f"Site {n}", email=f"s{n}@example.com", website=payload)
    set_rules(policy="all")
    names = CLASSIC + PAYLOADS
    for n, start in enumerate(range(0, len(PAYLOADS), HELD_CHUNK)):
        text = "\n\n".join(PAYLOADS[start : start + HELD_CHUNK])
        name = " ".join(names[n].split())[:100]
        result = submit(chunks[n % len(chunks)], f"Held {n}.\n\n{text}", name=name,
                        email=f"h{n}@example.com", user_agent=names[n][:500])  # fmt: skip
        assert result.ok and result.comment.status.value == "pending", result.errors


@pytest.fixture
def wall(app, db, client, login_as):
    if db.engine.dialect.name == "sqlite":
        # Thousands of commits: skip the disk flush each would wait for (speed only).
        db.session.execute(sa.text("PRAGMA synchronous = OFF"))
    users = make_payload_users()
    admin = make_user(Role.ADMIN, display_name='"><img src=x onerror=alert(1)>')
    chunks = write_posts(client, login_as, users)
    write_comments(chunks)
    # Every post shown, and the newest first: date them in payload order.
    posts = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
    for n, post in enumerate(posts):
        post.published_at = utcnow() - timedelta(minutes=len(posts) - n)
    db.session.commit()
    return {"users": users, "admin": admin, "chunks": chunks}


# --- loading the pages ---------------------------------------------------------------


class Wall:
    """One browser page, trapped and watched; ``visit`` loads and checks a URL."""

    def __init__(self, page) -> None:
        self.page = page
        page.context.add_init_script(TRAP)
        self.seen = watch(page)
        self.visited = 0

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response.status < 400, (path, response.status)
        self.check(path)

    def check(self, where: str) -> None:
        problems = self.page.evaluate(SCAN) + self.seen.problems()
        assert problems == [], (where, problems[:10])
        self.visited += 1

    def pages(self, first: str, most: int = 100) -> None:
        """A listing and each page after it, following its "next" link."""
        path = first
        for _ in range(most):
            self.visit(path)
            following = self.page.locator('a[rel="next"]')
            if not following.count():
                return
            path = following.first.get_attribute("href")
        raise AssertionError(f"{first} has more than {most} pages")


def test_no_payload_runs_on_any_page(app, db, live_server, new_page, wall):
    reader = Wall(new_page())
    reader.visit("/")
    reader.visit("/search?q=xsswall")
    for post in wall["chunks"]:
        reader.visit(post.url_path)
    tags = db.session.scalars(sa.select(Tag.slug).order_by(Tag.id)).all()
    for slug in tags[:: max(1, len(tags) // 12)]:
        reader.visit(f"/tag/{quote(slug)}/")
    for payload in CLASSIC[:12]:
        reader.visit("/search?q=" + quote(payload))
    check_feeds(reader, wall["chunks"])

    moderator = Wall(new_page())
    sign_in(moderator.page.context, app, wall["admin"])
    moderator.pages("/moderation/")
    moderator.visit("/moderation/?status=approved")
    moderator.visit("/moderation/log")
    moderator.pages("/admin/")
    moderator.pages("/admin/users")
    held = db.session.scalar(
        sa.select(Comment.id).where(Comment.status == CommentStatus.PENDING).limit(1)
    )
    moderator.visit(f"/moderation/comments/{held}")

    owner = Wall(new_page())
    for user in [u for u, p in zip(wall["users"], PAYLOADS, strict=True) if p in CLASSIC]:
        sign_in(owner.page.context, app, user, method="google")
        owner.visit("/account")
    owner.visit(wall["chunks"][0].url_path)  # the comment box names the account too

    assert reader.visited + moderator.visited + owner.visited > 60


def check_feeds(wall: Wall, chunks: list[Post]) -> None:
    """Load the feeds, then show every entry's HTML as a feed reader would: in a
    page without this site's CSP, where anything active in it would run."""
    feeds = ["/feed.atom", "/comments/feed.atom"] + [p.url_path + "comments.atom" for p in chunks]
    entries = []
    for path in feeds[:2]:
        wall.page.goto(path)  # Chromium shows a feed as text; nothing in it may run
        assert wall.seen.problems() == [], path
    for path in feeds:
        feed = ET.fromstring(wall.page.request.get(path).body())
        for content in feed.iter(ATOM + "content"):
            entries.append(content.text or "")
        for uri in feed.iter(ATOM + "uri"):
            assert uri.text.startswith(("http://", "https://")), uri.text
    assert len(entries) > len(PAYLOADS)
    wall.page.goto("about:blank")
    wall.page.set_content("<!doctype html><title>feed entries</title>" + "".join(
        f"<article>{html}</article>" for html in entries))  # fmt: skip
    wall.page.wait_for_timeout(200)  # an onerror on a broken image fires a moment later
    wall.check("the feed entries, without a CSP")


# --- a provider's profile, through a real login ------------------------------------

PROFILES = [
    ("google", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"),
    ("google", "<script>alert(1)</script>", "data:image/svg+xml,<svg onload=alert(1)>"),
    (
        "google",
        "</title><svg onload=alert(1)>",
        'http://127.0.0.1:9/a.png" onerror="alert(1)',
    ),
    ("twitter", "<iframe src=javascript:alert(1)>", " javascript:alert(1)"),
]


@pytest.mark.oauth
class TestProviderProfiles:
    @pytest.fixture
    def config_overrides(self, oauth):
        return oauth.settings()

    def test_names_and_pictures_from_a_provider_cannot_script_a_page(self, new_page, oauth):
        from tests.factories import make_post
        from tests.test_oauth import google_says, x_says

        set_rules(policy="none")
        post = make_post(title="Profiles")
        for n, (provider, name, picture) in enumerate(PROFILES):
            if provider == "google":
                google_says(oauth, sub=f"g-{n}", email=f"p{n}@gmail.example", name=name,
                            picture=picture)  # fmt: skip
            else:
                x_says(oauth, user_id=f"x-{n}", name=name, username=name[:15],
                       profile_image_url=picture)  # fmt: skip
            visitor = Wall(new_page())
            visitor.visit(post.url_path)
            with visitor.page.expect_navigation(url=f"**{post.url_path}#respond"):
                visitor.page.click(f"#respond a.login-{provider}")
            visitor.check("the post, just logged in")
            visitor.page.fill("#comment-body", f"Comment {n}, posted by the script.")
            visitor.page.click("#commentform button[type=submit]")
            visitor.page.locator(f"text=Comment {n}, posted by the script.").wait_for()
            visitor.check("the post, a comment added by the script")
            visitor.visit("/account")
        reader = Wall(new_page())
        reader.visit(post.url_path)
        assert reader.page.locator("#comments .comment").count() == len(PROFILES)
