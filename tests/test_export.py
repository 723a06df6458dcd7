"""``blog export FILE``: WXR and JSON, and the round trips back through our importers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from blog.models import (
    Ban,
    BanKind,
    Comment,
    CommentStatus,
    Identity,
    Post,
    PostStatus,
    Redirect,
    Role,
    Subscription,
    User,
)
from blog.moderation.services import change_status
from blog.moderation.settings import get_settings, update_settings
from tests.conftest import SHARED_DATA
from tests.factories import make_comment, make_post, make_user

pytestmark = pytest.mark.shared_data

DATA = Path(__file__).parent / "data"
THEME = SHARED_DATA / "wxr" / "themeunittestdata.wordpress.xml"
WP = "{http://wordpress.org/export/1.2/}"


def empty_site(db) -> None:
    """Every row gone, as in a freshly made site."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def snapshot(db, *, seconds: bool = False) -> dict:
    """The site's posts and comments, compared without ids."""

    def when(value):
        return value.replace(microsecond=0) if value and seconds else value

    def ref(comment: Comment | None):
        if comment is None:
            return None
        return (comment.post.slug, comment.author_name, when(comment.created_at), comment.body)

    posts = {
        p.slug: (
            p.title,
            p.kind,
            p.effective_status,
            when(p.published_at),
            when(p.created_at) if p.status == PostStatus.DRAFT else None,
            p.body,
            p.body_html,
            p.excerpt,
            p.comments_enabled,
            p.comment_count,
            sorted(t.slug for t in p.tags),
            p.author.email if p.author else None,
        )
        for p in db.session.scalars(sa.select(Post))
    }
    comments = sorted(
        (
            *ref(c),
            c.author_email,
            c.author_website,
            c.ip,
            c.kind,
            c.status,
            c.body_html,
            ref(c.parent),
        )
        for c in db.session.scalars(sa.select(Comment))
    )
    return {"posts": posts, "comments": comments}


def build_site(db, runner) -> None:
    """Imported content plus content written here: Markdown, accounts, every status."""
    result = runner.invoke(args=["import", "wxr", str(DATA / "wxr-statuses.xml")])
    assert result.exit_code == 0, result.output
    author = make_user(Role.AUTHOR, email="writer@example.com", display_name="Writer")
    reader = make_user(email="reader@example.com", display_name="Reader")
    post = make_post(
        title="Written here",
        body="Some *Markdown* with a [link](https://example.com/).",
        author=author,
        tags=["tea", "Kettle Care"],
        excerpt="A short one.",
    )
    top = make_comment(post, body="First, with **bold**.", user=reader)
    reply = make_comment(post, body="A reply to the first.", parent=top)
    make_comment(post, body="Held for now.", status=CommentStatus.PENDING)
    gone = make_comment(post, body="Soon gone.", parent=reply)
    make_comment(post, body="Under the gone one.", parent=gone)
    change_status(gone, CommentStatus.DELETED, actor=None, action="delete")
    gone.body = gone.body_html = ""
    db.session.commit()


def test_wxr_export_is_wordpress_shaped(runner, db, tmp_path):
    result = runner.invoke(args=["import", "wxr", str(THEME)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "site.xml"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported the site as WXR" in result.output
    root = etree.parse(str(out)).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    items = channel.findall("item")
    assert len(items) == 79
    types = [i.findtext(f"{WP}post_type") for i in items]
    assert types.count("page") == 21 and types.count("post") == 58
    comments = [c for i in items for c in i.findall(f"{WP}comment")]
    assert len(comments) == 33
    ids = {c.findtext(f"{WP}comment_id") for c in comments}
    parents = {c.findtext(f"{WP}comment_parent") for c in comments} - {"0"}
    assert parents <= ids and len(parents) >= 10
    assert sorted(c.findtext(f"{WP}comment_approved") for c in comments).count("0") == 3
    kinds = [c.findtext(f"{WP}comment_type") for c in comments]
    assert kinds.count("pingback") == 2 and kinds.count("trackback") == 2
    authors = channel.findall(f"{WP}author")
    assert {a.findtext(f"{WP}author_email") for a in authors} >= {"themeshaperwp+demos@gmail.com"}
    creators = {i.findtext("{http://purl.org/dc/elements/1.1/}creator") for i in items}
    assert creators <= {a.findtext(f"{WP}author_login") for a in authors} | {""}


def test_wxr_round_trip_of_the_theme_unit_test(runner, db, tmp_path):
    runner.invoke(args=["import", "wxr", str(THEME)])
    before = snapshot(db, seconds=True)
    out = tmp_path / "site.xml"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    empty_site(db)
    result = runner.invoke(args=["import", "wxr", str(out)])
    assert result.exit_code == 0, result.output
    assert "comments: 33 new (approved 30, pending 3)" in result.output
    db.session.expire_all()
    assert snapshot(db, seconds=True) == before


def test_wxr_round_trip_keeps_markdown_statuses_and_placeholders(runner, db, tmp_path):
    build_site(db, runner)
    before = snapshot(db, seconds=True)
    assert {c[8] for c in before["comments"]} == set(CommentStatus)
    out = tmp_path / "site.xml"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    empty_site(db)
    result = runner.invoke(args=["import", "wxr", str(out)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert snapshot(db, seconds=True) == before
    # Our own export read again changes nothing.
    result = runner.invoke(args=["import", "wxr", str(out)])
    assert "comments: 0 new, 13 already there" in result.output


def test_json_export_holds_everything_but_secrets(runner, db, tmp_path):
    build_site(db, runner)
    reader = db.session.scalar(sa.select(User).where(User.email == "reader@example.com"))
    reader.identities.append(Identity(provider="google", subject="g-123", email=reader.email))
    db.session.add(Ban(kind=BanKind.IP, value="198.51.100.9", reason="spam run"))
    post = db.session.scalar(sa.select(Post).where(Post.title == "Written here"))
    db.session.add(Subscription(post_id=post.id, email="reader@example.com", confirmed=True))
    update_settings({"max_links": 5, "hold_words": ["casino"]})
    db.session.commit()
    out = tmp_path / "site.json"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_text()
    doc = json.loads(raw)
    assert doc["format"] == "blog-export" and doc["version"] == 1
    assert len(doc["posts"]) == 8 and len(doc["comments"]) == 13
    assert {"password_hash", "password"}.isdisjoint(k for u in doc["users"] for k in u)
    assert reader.password_hash not in raw
    assert doc["settings"]["moderation"]["max_links"] == 5
    assert any(i["subject"] == "g-123" for u in doc["users"] for i in u["identities"])
    assert doc["bans"] == [{"kind": "ip", "value": "198.51.100.9", "reason": "spam run"}]
    assert any(r["old_path"] == "/?p=10" for r in doc["redirects"])
    assert doc["moderation_log"], "the log is part of the site"


def test_json_round_trip(runner, db, tmp_path):
    build_site(db, runner)
    reader = db.session.scalar(sa.select(User).where(User.email == "reader@example.com"))
    reader.identities.append(Identity(provider="google", subject="g-123", email=reader.email))
    post = db.session.scalar(sa.select(Post).where(Post.title == "Written here"))
    db.session.add(Subscription(post_id=post.id, email="reader@example.com", confirmed=True))
    update_settings({"max_links": 5})
    db.session.commit()
    before = snapshot(db)
    redirects = set(db.session.scalars(sa.select(Redirect.old_path)))
    out = tmp_path / "site.json"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    empty_site(db)
    result = runner.invoke(args=["import", "json", str(out)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert snapshot(db) == before
    assert set(db.session.scalars(sa.select(Redirect.old_path))) == redirects
    assert get_settings()["max_links"] == 5
    reader = db.session.scalar(sa.select(User).where(User.email == "reader@example.com"))
    assert [i.subject for i in reader.identities] == ["g-123"]
    assert reader.password_hash is None  # never exported, so never imported
    first = db.session.scalar(sa.select(Comment).where(Comment.body == "First, with **bold**."))
    assert first.user_id == reader.id
    assert db.session.scalar(sa.select(Subscription.email)) == "reader@example.com"
    # Importing it again changes nothing.
    result = runner.invoke(args=["import", "json", str(out)])
    assert "comments: 0 new, 13 already there" in result.output
    assert "posts: 0 new, pages: 0 new, 8 already there" in result.output


def test_json_import_errors_say_where_and_roll_back(runner, db):
    make_post(title="Stays", slug="stays")
    result = runner.invoke(args=["import", "json", str(DATA / "export-broken.json")])
    assert result.exit_code == 1
    assert "line 5, column 41: malformed JSON" in result.output
    result = runner.invoke(args=["import", "json", str(DATA / "export-wrong-format.json")])
    assert 'not an export of this engine (no "format": "blog-export")' in result.output
    # The first post is fine, the second is not: nothing at all is kept.
    result = runner.invoke(args=["import", "json", str(DATA / "export-bad-post.json")])
    assert result.exit_code == 1
    assert 'posts[1]: "title" is missing or of the wrong type' in result.output
    assert "Nothing was imported." in result.output
    assert [p.slug for p in db.session.scalars(sa.select(Post))] == ["stays"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_export_needs_a_known_suffix(runner, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path / "site.txt")])
    assert result.exit_code == 2
    assert "name a .xml or .json file" in result.output
    result = runner.invoke(args=["export", str(tmp_path / "site.txt"), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "site.txt").read_text())["format"] == "blog-export"
