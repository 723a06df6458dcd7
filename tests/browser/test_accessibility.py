"""Accessibility: axe-core (from npm, pinned in package.json) run in Chromium on the
pages readers, authors and moderators use, in the light and the dark theme. No
serious or critical violation is allowed.

axe is injected as a script, which the site's CSP would refuse; so this context, and
only this one, bypasses the CSP (the XSS wall and every other test keep it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blog.models import CommentStatus, Identity, Role
from tests.browser.helpers import sign_in
from tests.conftest import ROOT
from tests.factories import make_comment, make_post, make_user
from tests.oauth_servers import _npm_ci
from tests.test_comment_support import set_rules

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# What axe checks: WCAG 2.x A and AA, and its best practices (landmarks, headings...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = r"""
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help}: ` + v.nodes.slice(0, 3)
      .map((n) => n.target.join(" ") + " (" + n.failureSummary.replace(/\s+/g, " ") + ")")
      .join(" | "));
}
"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    _npm_ci()  # node_modules may predate axe-core
    return AXE


@pytest.fixture
def config_overrides():
    # Providers configured, so the comment box shows its icons (nothing is contacted).
    return {
        "GOOGLE_CLIENT_ID": "g",
        "GOOGLE_CLIENT_SECRET": "g",
        "TWITTER_CLIENT_ID": "x",
        "TWITTER_CLIENT_SECRET": "x",
        "FACEBOOK_CLIENT_ID": "f",
        "FACEBOOK_CLIENT_SECRET": "f",
    }


@pytest.fixture
def site(app):
    """A post with a discussion (threaded, paged, one comment held), and the people."""
    set_rules(comments_per_page=3)
    author = make_user(Role.AUTHOR, display_name="Ada Author")
    post = make_post(
        title="Lighthouses of the north",
        body="## Why they stand\n\nA *short* history, with [a map](https://example.com/map).",
        author=author,
        tags=["coast", "history"],
    )
    make_post(title="An older post", tags=["coast"])
    first = make_comment(post, author_name="Pat", body="Which one is the **oldest**?")
    make_comment(post, parent=first, author_name="Ada Author", body="The one on the point.")
    for n in range(4):
        make_comment(post, author_name=f"Reader {n}", body=f"Comment {n} with https://x.example")
    make_comment(post, body="Held for a moderator.", status=CommentStatus.PENDING)
    reader = make_user(display_name="Eve Email")
    google = make_user(display_name="Greta Google", password=None)
    google.identities.append(Identity(provider="google", subject="g-1", display_name="Greta"))
    moderator = make_user(Role.MODERATOR, display_name="Mo Moderator")
    from blog.extensions import db

    db.session.commit()
    return {"post": post, "reader": reader, "google": google, "moderator": moderator}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_violations(app, new_page, axe_script, site, scheme):
    page = new_page(bypass_csp=True, color_scheme=scheme)
    post = site["post"].url_path
    found: dict[str, list[str]] = {}

    def audit(path: str, name: str | None = None) -> None:
        response = page.goto(path)
        assert response.status == (404 if "no-such" in path else 200), path
        check(name or path)

    def check(name: str) -> None:
        page.add_script_tag(path=str(axe_script))
        problems = page.evaluate(RUN_AXE, TAGS)
        if problems:
            found[name] = problems

    # As a guest.
    for path in ("/", post, post + "?cpage=2", "/tag/coast/", "/search?q=lighthouses",
                 "/login", "/signup", "/reset", "/no-such-page"):  # fmt: skip
        audit(path)
    page.goto(post)
    page.click("#commentform button[type=submit]")  # nothing filled in: field errors
    page.locator(".field-error").first.wait_for()
    check("the comment form with errors")

    # An email account, then a Google account: the form names who is commenting.
    sign_in(page.context, app, site["reader"])
    audit(post, "post, as an email account")
    audit("/account")
    sign_in(page.context, app, site["google"], method="google")
    audit(post, "post, as a Google account")
    page.click(".comment-reply-link >> nth=0")  # the form moves under the comment
    check("post, replying")
    audit("/account", "account of a Google user")

    sign_in(page.context, app, site["moderator"])
    for path in ("/moderation/", "/moderation/?status=approved", "/moderation/log",
                 "/moderation/settings", "/admin/", "/admin/posts/new"):  # fmt: skip
        audit(path)

    assert found == {}
