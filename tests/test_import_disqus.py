"""``blog import disqus``: the real Disqus exports (some deliberately broken), read in place."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.models import Comment, CommentStatus, Post, Redirect
from tests.conftest import SHARED_DATA
from tests.factories import make_post

pytestmark = pytest.mark.shared_data

DISQUS = SHARED_DATA / "disqus"
DATA = Path(__file__).parent / "data"


def run_import(runner, path: Path, *args: str):
    return runner.invoke(args=["import", "disqus", str(path), *args])


def comments(db) -> dict[str, Comment]:
    return {c.import_key: c for c in db.session.scalars(sa.select(Comment))}


def isso_site(db) -> tuple[Post, Post]:
    """Posts for the isso file's threads: one at the old site's root, one by permalink."""
    root = make_post(title="Hello, World!", slug="hello-world")
    db.session.add(Redirect(old_path="/", post_id=root.id))
    dated = make_post(
        title="Redacted", slug="redacted", published_at=datetime(2013, 2, 12, 16, tzinfo=UTC)
    )
    db.session.commit()
    return root, dated


def test_isso_disqus_threads_replies_and_a_deleted_comment(runner, db):
    root, dated = isso_site(db)
    result = run_import(runner, DISQUS / "isso-disqus.xml")
    assert result.exit_code == 0, result.output
    assert "comments: 5 new (approved 4, deleted 1)" in result.output
    assert "1: comments whose thread is not in the file" in result.output
    found = comments(db)
    assert set(found) == {"disqus:4", "disqus:5", "disqus:8", "disqus:9", "disqus:11"}
    assert found["disqus:5"].parent_id == found["disqus:4"].id
    assert found["disqus:5"].body_html == "<p>Hello, World.</p>"
    assert found["disqus:4"].author_name == "peter" and found["disqus:4"].ip == "127.0.0.1"
    assert found["disqus:4"].created_at == datetime(2013, 10, 10, 19, 20, 29, tzinfo=UTC)
    # The deleted comment someone answered stays as a placeholder, the reply under it.
    placeholder = found["disqus:9"]
    assert placeholder.status == CommentStatus.DELETED
    assert placeholder.body == "" and placeholder.author_email is None and placeholder.ip is None
    assert found["disqus:11"].parent_id == placeholder.id
    # Thread 7 (empty id and title) matched its post by the permalink in its link.
    assert found["disqus:8"].post_id == dated.id
    assert {c.post_id for k, c in found.items() if k != "disqus:8"} == {root.id}
    db.session.expire_all()
    assert db.session.get(Post, root.id).comment_count == 3


def test_keep_deleted_keeps_them_as_rejected(runner, db):
    isso_site(db)
    result = run_import(runner, DISQUS / "isso-disqus.xml", "--keep-deleted")
    assert result.exit_code == 0, result.output
    assert comments(db)["disqus:9"].status == CommentStatus.REJECTED


def test_threads_with_no_post_are_listed(runner, db):
    result = run_import(runner, DISQUS / "isso-disqus.xml")
    assert result.exit_code == 0, result.output
    assert "threads with no post here: 2" in result.output
    assert 'thread 2 "Hello, World!" at http://example.org/: 4 comment(s)' in result.output
    assert (
        "http://localhost:4000/blog/2013/02/12/redacted/index.html: 1 comment(s)" in result.output
    )
    assert "5: comments on threads with no post here" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def remark42_site(db) -> tuple[Post, Post]:
    podcast = make_post(
        title="Радио-Т 229", slug="podcast-229", published_at=datetime(2011, 3, 5, 20, tzinfo=UTC)
    )
    old = make_post(title="Old 229", slug="old-229", published_at=datetime(2011, 3, 7, tzinfo=UTC))
    db.session.add(Redirect(old_path="/2011/03/229_8880.html", post_id=old.id))
    db.session.commit()
    return podcast, old


def test_remark42_export_is_read_leniently(runner, db):
    podcast, old = remark42_site(db)
    result = run_import(runner, DISQUS / "remark42-disqus.xml")
    assert result.exit_code == 0, result.output
    # What was repaired or guessed is said in the report, with where.
    assert "line 1, column 1: ignored 1 stray byte(s) before the XML" in result.output
    assert "line 147, column 24: quoted an attribute value" in result.output
    assert "comments: 6 new (approved 4, pending 1, spam 1)" in result.output
    found = comments(db)
    assert found["disqus:299986073"].status == CommentStatus.SPAM
    # The comment with a broken date and spam flag: held, dated by its thread.
    odd = found["disqus:x299986073"]
    assert odd.status == CommentStatus.PENDING
    assert odd.created_at == datetime(2011, 3, 7, 21, 17, 17, tzinfo=UTC)
    assert odd.post_id == podcast.id
    # A post with no dsq:id is keyed by its plain id.
    assert found["disqus:id:12345678890"].post_id == old.id
    russian = found["disqus:299744309"]
    assert "Microsoft показал проводник Windows 8" in russian.body_html
    assert russian.author_email == "mihail.noname@gmail.com"
    assert 'rel="nofollow ugc noopener noreferrer"' in russian.body_html
    assert found["disqus:299619020"].author_email is None  # <email/> is no address


def test_remark42_deleted_post_and_deleted_thread(runner, db):
    remark42_site(db)
    result = run_import(runner, DISQUS / "remark42-disqus-deleted-post.xml")
    assert result.exit_code == 0, result.output
    assert "1: comments deleted on Disqus" in result.output
    assert "disqus:299619020" not in comments(db)

    db.session.execute(sa.delete(Comment))
    db.session.commit()
    result = run_import(runner, DISQUS / "remark42-disqus-deleted-thread.xml")
    assert result.exit_code == 0, result.output
    # The deleted thread takes its four comments with it; the other thread's two stay.
    assert "4: comments deleted on Disqus" in result.output
    assert len(comments(db)) == 2


def test_reimport_changes_nothing(runner, db):
    isso_site(db)
    run_import(runner, DISQUS / "isso-disqus.xml")
    before = {k: (c.id, c.status, c.parent_id) for k, c in comments(db).items()}
    result = run_import(runner, DISQUS / "isso-disqus.xml")
    assert result.exit_code == 0, result.output
    assert "comments: 0 new, 5 already there" in result.output
    db.session.expire_all()
    assert {k: (c.id, c.status, c.parent_id) for k, c in comments(db).items()} == before


def test_after_a_wordpress_import_threads_find_posts_by_old_links(runner, db):
    """A blog moved from WordPress: the Disqus threads point at the old permalinks."""
    runner.invoke(args=["import", "wxr", str(DATA / "wxr-statuses.xml")])
    result = run_import(runner, DATA / "disqus-kettle.xml")
    assert result.exit_code == 0, result.output
    post = db.session.scalar(sa.select(Post).where(Post.slug == "steeping-times"))
    found = comments(db)
    assert found["disqus:501"].post_id == post.id  # the old /2019/03/02/steeping/ link
    assert found["disqus:502"].post_id == post.id  # ?p=10
    assert found["disqus:502"].parent_id == found["disqus:501"].id


def test_unrecoverable_file_fails_with_a_clear_message(runner, db):
    make_post(title="Stays", slug="stays")
    result = run_import(runner, DATA / "disqus-garbage.xml")
    assert result.exit_code == 1
    assert "line 1, column 1: malformed XML" in result.output
    assert "Nothing was imported." in result.output
    result = run_import(runner, DATA / "not-wxr.xml")
    assert "not a Disqus export: the root element is <feed>" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
