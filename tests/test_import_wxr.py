"""``blog import wxr``: real WordPress exports and our own fixtures, read in place.

The expected numbers below were read out of the files by hand (see
../shared/data/SOURCES.md for where each file comes from).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.models import (
    Comment,
    CommentKind,
    CommentStatus,
    ModerationEvent,
    OutboxMail,
    Post,
    PostKind,
    PostStatus,
    Redirect,
    Tag,
    User,
)
from tests.conftest import SHARED_DATA
from tests.factories import make_post

pytestmark = pytest.mark.shared_data

WXR = SHARED_DATA / "wxr"
DATA = Path(__file__).parent / "data"
THEME = WXR / "themeunittestdata.wordpress.xml"


def run_import(runner, path: Path, *args: str):
    result = runner.invoke(args=["import", "wxr", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def depth(comment: Comment) -> int:
    level = 1
    while comment.parent is not None:
        comment, level = comment.parent, level + 1
    return level


def comments_of(db, slug: str) -> list[Comment]:
    post = db.session.scalar(sa.select(Post).where(Post.slug == slug))
    query = sa.select(Comment).where(Comment.post_id == post.id).order_by(Comment.id)
    return list(db.session.scalars(query))


def by_status(db) -> dict[str, int]:
    rows = db.session.execute(sa.select(Comment.status, sa.func.count()).group_by(Comment.status))
    return {status.value: n for status, n in rows}


def test_theme_unit_test_export_imports_every_comment_in_place(runner, db, client):
    result = run_import(runner, THEME)
    assert result.exit_code == 0, result.output
    # The summary at the end says what happened.
    assert "posts: 58 new, pages: 21 new" in result.output
    assert "comments: 33 new (approved 30, pending 3)" in result.output
    assert "pingbacks: 2, trackbacks: 2" in result.output
    assert "37: attachment items (not imported)" in result.output
    assert "70: nav_menu_item items (not imported)" in result.output

    assert count(db, Post, Post.kind == PostKind.POST) == 58
    assert count(db, Post, Post.kind == PostKind.PAGE) == 21
    assert count(db, Comment) == 33
    assert by_status(db) == {"approved": 30, "pending": 3}
    assert count(db, Comment, Comment.kind == CommentKind.PINGBACK) == 2
    assert count(db, Comment, Comment.kind == CommentKind.TRACKBACK) == 2
    commented = db.session.scalars(
        sa.select(Post.slug).join(Comment, Comment.post_id == Post.id).distinct()
    )
    assert set(commented) == {
        "theme-block-category",
        "page-with-comments",
        "blog",
        "template-comments",
        "template-pingbacks-an-trackbacks",
        "template-password-protected",
        "edge-case-no-content",
    }

    # Replies ten levels deep, each under the comment it answers.
    thread = comments_of(db, "template-comments")
    assert len(thread) == 20
    deepest = max(thread, key=depth)
    assert depth(deepest) == 10
    chain = []
    comment = deepest
    while comment is not None:
        chain.append(comment.body[: len("Comment Depth 00")])
        comment = comment.parent
    assert chain == [f"Comment Depth {n:02d}" for n in range(10, 0, -1)]
    assert deepest.author_name == "themedemos"
    assert deepest.created_at == datetime(2013, 3, 14, 15, 14, 47, tzinfo=UTC)

    # Held comments are held, including a held reply to an approved one.
    pending = db.session.scalars(sa.select(Comment).where(Comment.status == "pending"))
    held = {c.body: c for c in pending}
    assert set(held) == {
        "nothing useful to say",
        "I want to learn how to make chinese eggrolls",
        "this is test comment\n\nFeeling testy?",
    }
    assert held["nothing useful to say"].parent.body == "Contributor comment."
    assert held["nothing useful to say"].author_email == "themereviewteam@gmail.com"

    # Pingbacks and trackbacks keep their kind, names (entities decoded) and sites.
    pings = {
        c.author_name: c
        for c in db.session.scalars(sa.select(Comment).where(Comment.kind != CommentKind.COMMENT))
    }
    assert pings["Ping 3 « What’s a tellyworth?"].kind == CommentKind.PINGBACK
    assert pings["Ping 1 « What’s a tellyworth?"].kind == CommentKind.TRACKBACK
    assert (
        pings["Ping 3 « What’s a tellyworth?"].author_website
        == "http://tellyworth.wordpress.com/2007/11/21/ping-3/"
    )

    # HTML in comments is sanitised like any other comment's.
    markup = next(c for c in thread if c.author_name == "John Γιάννης Doe Κάποιος")
    assert "<strong>Headings</strong>" in markup.body_html
    assert "<h1>" not in markup.body_html and "<table" not in markup.body_html
    assert "Header one" in markup.body_html

    # Counts the post pages use are right, and each comment's import was logged.
    template = db.session.scalar(sa.select(Post).where(Post.slug == "template-comments"))
    assert template.comment_count == 19
    assert count(db, ModerationEvent, ModerationEvent.action == "import") == 33
    # An import mails nobody.
    assert count(db, OutboxMail) == 0

    # The reader sees the imported discussion on the post's page.
    page = client.get(template.url_path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'id="comment-{deepest.id}"' in text
    assert "Comment Depth 10" in text
    assert "this is test comment" not in text  # held: shown to nobody but its author


def test_theme_posts_keep_dates_slugs_statuses_tags_and_authors(runner, db):
    run_import(runner, THEME)
    post = db.session.scalar(sa.select(Post).where(Post.slug == "template-comments"))
    assert post.status == PostStatus.PUBLISHED
    assert post.published_at == datetime(2012, 1, 3, 17, 11, 37, tzinfo=UTC)
    assert post.url_path == "/2012/01/03/template-comments/"  # the old link, unchanged
    assert post.author.email == "themeshaperwp+demos@gmail.com"
    assert post.author.role.value == "author" and post.author.password_hash is None
    scheduled = db.session.scalar(sa.select(Post).where(Post.slug == "scheduled"))
    assert scheduled.status == PostStatus.SCHEDULED
    assert scheduled.published_at == datetime(2030, 1, 1, 19, 0, 18, tzinfo=UTC)
    draft = db.session.scalar(sa.select(Post).where(Post.title == "Draft"))
    assert draft.status == PostStatus.DRAFT and draft.published_at is None
    # Password-protected posts are not published here: there is no password to ask.
    protected = db.session.scalar(sa.select(Post).where(Post.slug == "template-password-protected"))
    assert protected.status == PostStatus.DRAFT
    # Categories and tags both become tags.
    tagged = db.session.scalar(sa.select(Post).where(Post.slug == "template-comments"))
    assert {t.slug for t in tagged.tags} == {
        "classic",
        "comments-2",
        "template",
        "template-2",
        "uncategorized",
    }
    assert db.session.scalar(sa.select(Tag).where(Tag.slug == "aciform")).name == "aciform"
    # Percent-encoded slugs are read as the words they encode.
    assert db.session.scalar(sa.select(Post).where(Post.slug == "epipedo-2")) is not None
    # Old permalinks of other shapes lead to the post.
    page = db.session.scalar(sa.select(Post).where(Post.slug == "page-with-comments"))
    paths = set(db.session.scalars(sa.select(Redirect.old_path).where(Redirect.post_id == page.id)))
    assert "/about/page-with-comments/" in paths


def test_reimport_changes_nothing(runner, db):
    run_import(runner, THEME)
    before = {
        "posts": count(db, Post),
        "comments": count(db, Comment),
        "tags": count(db, Tag),
        "users": count(db, User),
        "redirects": count(db, Redirect),
        "events": count(db, ModerationEvent),
    }
    result = run_import(runner, THEME)
    assert result.exit_code == 0, result.output
    assert "posts: 0 new, pages: 0 new, 79 already there" in result.output
    assert "comments: 0 new, 33 already there" in result.output
    after = {
        "posts": count(db, Post),
        "comments": count(db, Comment),
        "tags": count(db, Tag),
        "users": count(db, User),
        "redirects": count(db, Redirect),
        "events": count(db, ModerationEvent),
    }
    assert after == before


def test_a11y_export(runner, db):
    result = run_import(runner, WXR / "a11y-unit-test-data.xml")
    assert result.exit_code == 0, result.output
    assert count(db, Comment) == 29
    # One comment has neither an approved nor a type element: held, a plain comment.
    assert by_status(db) == {"approved": 28, "pending": 1}
    anon = db.session.scalar(sa.select(Comment).where(Comment.body == "Anonymous comment."))
    assert anon.status == CommentStatus.PENDING and anon.kind == CommentKind.COMMENT
    assert count(db, Comment, Comment.kind == CommentKind.PINGBACK) == 4
    assert max(depth(c) for c in db.session.scalars(sa.select(Comment))) == 10
    assert count(db, Post, Post.kind == PostKind.PAGE) == 17
    # The file repeats post id 156; both items are kept, and the report says so.
    assert "post:156 appears 2 times" in result.output
    assert count(db, Post, Post.kind == PostKind.POST) == 48


def test_isso_export_wxr_1_0(runner, db):
    result = run_import(runner, WXR / "isso-wordpress.xml")
    assert result.exit_code == 0, result.output
    assert "WXR 1.0" in result.output
    assert count(db, Comment) == 8
    assert by_status(db) == {"approved": 8}
    assert max(depth(c) for c in db.session.scalars(sa.select(Comment))) == 3
    first = db.session.scalar(sa.select(Comment).where(Comment.body == "Erster!1"))
    # Whitespace around values (the file wraps emails) does not end up in the data.
    assert first.author_email == "test@example.org"
    assert first.ip == "::ffff:82.119.20.0"
    multi = db.session.scalar(sa.select(Comment).where(Comment.author_name == "Multiline Author"))
    assert multi.body == (
        "When you have a comment with multiple lines:\nWordPress exports it like this."
    )
    assert multi.created_at == datetime(2022, 6, 6, 2, 13, 14, tzinfo=UTC)  # the GMT date
    # A comment id used on two posts stays two comments; the ?p=4 link redirects.
    assert count(db, Comment, Comment.author_name == "Anonymous") == 1
    redirect = db.session.scalar(sa.select(Redirect).where(Redirect.old_path == "/?p=4"))
    assert redirect is not None


def test_remark42_export(runner, db):
    run_import(runner, WXR / "remark42-wordpress.xml")
    assert count(db, Comment) == 4
    assert by_status(db) == {"approved": 3, "pending": 1}
    held = db.session.scalar(sa.select(Comment).where(Comment.status == "pending"))
    assert held.author_name == "SuperUser2" and held.ip == "97.36.113.1"
    ping = db.session.scalar(sa.select(Comment).where(Comment.kind == CommentKind.PINGBACK))
    assert ping.author_name == "Wednesday Reading « Cynwise's Battlefield Manual"
    reply = db.session.scalar(sa.select(Comment).where(Comment.author_name == "SuperUser3"))
    assert reply.parent_id == ping.id
    post = db.session.scalar(sa.select(Post).where(Post.slug == "do-you-rp"))
    assert {t.name for t in post.tags} == {
        "alts",
        "role playing",
        "Stuff",
        "weird in a can't quite help myself way",
    }
    old = set(db.session.scalars(sa.select(Redirect.old_path).where(Redirect.post_id == post.id)))
    assert old == {"/2010/07/do-you-rp/", "/?p=100"}


def test_statuses_fixture_every_status_and_kind(runner, db, client):
    result = run_import(runner, DATA / "wxr-statuses.xml")
    assert result.exit_code == 0, result.output
    assert "WXR 1.1" in result.output
    assert by_status(db) == {"approved": 5, "pending": 1, "spam": 1, "rejected": 1}
    comments = {c.author_name: c for c in db.session.scalars(sa.select(Comment))}
    assert comments["Cheap Pills"].status == CommentStatus.SPAM
    assert comments["Binned Reader"].status == CommentStatus.REJECTED
    assert comments["Held Reader"].status == CommentStatus.PENDING
    # No GMT date: the local one is used.
    assert comments["Held Reader"].created_at == datetime(2019, 3, 3, 11, 0, tzinfo=UTC)
    assert comments["Tea Digest » Weekly links"].kind == CommentKind.PINGBACK
    assert comments["Leaf Blog"].kind == CommentKind.TRACKBACK
    # A reply listed before its parent still hangs under it.
    late = comments["Reply Before Parent"]
    assert late.parent_id == comments["Approved Reader"].id
    # Unsafe websites and addresses that are not IPs are dropped.
    assert late.author_website is None and late.ip is None
    assert comments["Approved Reader"].ip == "203.0.113.5"
    # Scripts and javascript: links never survive; bare URLs become safe links.
    html = comments["Approved Reader"].body_html
    assert "<script" not in html and "javascript:" not in html
    assert "<b>post</b>" in html
    assert 'href="https://tea.example.com/"' in html
    assert 'rel="nofollow ugc noopener noreferrer"' in html
    assert comments["Approved Reader"].link_count == 1
    # A reply whose parent is missing becomes a top-level comment, linked to its author.
    ada = comments["Ada"]
    assert ada.parent_id is None and ada.user.email == "ada@kettle.example"
    assert "parent 999 is not in the file" in result.output

    posts = {p.slug: p for p in db.session.scalars(sa.select(Post))}
    assert set(posts) == {
        "steeping-times",
        "kettles",
        "unfinished-thoughts",
        "coming-soon",
        "members",
        "private-notes",
        "hello-world",
    }
    assert posts["steeping-times"].comment_count == 5
    assert posts["kettles"].kind == PostKind.PAGE and not posts["kettles"].comments_enabled
    assert posts["unfinished-thoughts"].status == PostStatus.DRAFT
    assert posts["coming-soon"].status == PostStatus.SCHEDULED
    assert posts["members"].status == PostStatus.DRAFT  # password-protected
    assert posts["private-notes"].status == PostStatus.DRAFT
    assert posts["steeping-times"].excerpt == "How long to steep."
    # Indented WordPress text is not turned into a code block.
    assert "<pre>" not in posts["steeping-times"].body_html
    assert "Two for green." in posts["steeping-times"].body_html
    assert {t.slug for t in posts["steeping-times"].tags} == {"brewing", "green-tea"}
    assert "1: posts with status trash" in result.output
    assert "1: attachment items (not imported)" in result.output
    # Authors are users matched by email, without a usable password.
    ada_user = db.session.scalar(sa.select(User).where(User.email == "ada@kettle.example"))
    assert ada_user.display_name == "Ada & Co" and ada_user.password_hash is None
    assert posts["hello-world"].author.display_name == "someone-not-declared"

    # Old permalinks answer with a redirect to the new one.
    new = posts["steeping-times"].url_path
    assert new == "/2019/03/02/steeping-times/"
    for old in ("/2019/03/02/steeping/", "/?p=10"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"].endswith(new)


def test_import_into_a_site_with_content_merges(runner, db):
    mine = make_post(title="My own hello", slug="hello-world")
    result = run_import(runner, DATA / "wxr-statuses.xml")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Post, mine.id).slug == "hello-world"
    imported = db.session.scalar(sa.select(Post).where(Post.title == "Hello world"))
    assert imported.slug == "hello-world-2"
    # The old link was /2019/02/01/hello-world/: it now needs a redirect.
    assert (
        db.session.scalar(
            sa.select(Redirect.post_id).where(Redirect.old_path == "/2019/02/01/hello-world/")
        )
        == imported.id
    )
    # An existing user with the author's email is reused, not duplicated.
    assert count(db, User, sa.func.lower(User.email) == "ada@kettle.example") == 1


def test_existing_user_is_matched_by_email(runner, db):
    from tests.factories import make_user

    ada = make_user(email="ada@kettle.example", display_name="Ada Here")
    result = run_import(runner, DATA / "wxr-statuses.xml")
    assert "1 matched by email" in result.output
    post = db.session.scalar(sa.select(Post).where(Post.slug == "steeping-times"))
    assert post.author_id == ada.id
    db.session.refresh(ada)
    assert ada.display_name == "Ada Here" and ada.password_hash  # left as it was


def test_dry_run_changes_nothing(runner, db):
    result = run_import(runner, DATA / "wxr-statuses.xml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "comments: 8 new" in result.output and "Dry run" in result.output
    assert count(db, Post) == 0 and count(db, Comment) == 0 and count(db, User) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("wxr-unclosed.xml", "line 16, column 10: malformed XML: Opening and ending tag mismatch"),
        ("wxr-doctype.xml", "line 2, column 1: the file declares a document type"),
        ("not-wxr.xml", "not a WordPress export: the root element is <feed>"),
        ("rss-plain.xml", "not a WordPress export: no element in the WordPress export namespace"),
        ("wxr-bad-encoding.xml", "line 4, column"),
        ("empty.xml", "the file is empty"),
    ],
)
def test_malformed_files_fail_clearly_and_change_nothing(runner, db, name, message):
    make_post(title="Already here", slug="already-here")
    result = runner.invoke(args=["import", "wxr", str(DATA / name)])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Nothing was imported." in result.output
    assert count(db, Post) == 1 and count(db, Comment) == 0 and count(db, Tag) == 0
    assert count(db, User) == 0


def test_doctype_entities_are_never_read(runner, db):
    result = runner.invoke(args=["import", "wxr", str(DATA / "wxr-doctype.xml")])
    assert "root:" not in result.output  # nothing of /etc/passwd
    assert count(db, Post) == 0


NEW_COMMENT = """
    <wp:comment>
      <wp:comment_id>109</wp:comment_id>
      <wp:comment_author><![CDATA[Newcomer]]></wp:comment_author>
      <wp:comment_date_gmt>2019-04-01 10:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Written after the first export.]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>103</wp:comment_parent>
    </wp:comment>
  </item>"""


def test_a_later_export_of_the_same_blog_adds_only_what_is_new(runner, db, tmp_path):
    run_import(runner, DATA / "wxr-statuses.xml")
    later = tmp_path / "later.xml"
    text = (DATA / "wxr-statuses.xml").read_text()
    later.write_text(text.replace("</item>", NEW_COMMENT, 1))
    result = run_import(runner, later)
    assert "comments: 1 new (approved 1), 8 already there" in result.output
    assert "posts: 0 new, pages: 0 new, 7 already there" in result.output
    newcomer = db.session.scalar(sa.select(Comment).where(Comment.author_name == "Newcomer"))
    assert newcomer.parent.author_name == "Reply Before Parent"
    assert depth(newcomer) == 3


def test_very_long_links_still_make_stable_keys(runner, db, tmp_path):
    link = "https://long.example/" + "a" * 400
    wxr = tmp_path / "long.xml"
    wxr.write_text(
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        f"<item><title>Long</title><link>{link}</link><wp:status>publish</wp:status>"
        "<wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt>"
        "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>Hi</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>"
    )
    assert run_import(runner, wxr).exit_code == 0
    result = run_import(runner, wxr)
    assert result.exit_code == 0, result.output
    assert "comments: 0 new, 1 already there" in result.output
    assert count(db, Post) == 1
    assert len(db.session.scalar(sa.select(Post.import_key))) == 300
