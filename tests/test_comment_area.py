"""The comment area: threading to the set depth, paging by threads, permalinks, queries."""

from __future__ import annotations

import re
import time
from collections import namedtuple
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.comments import threads
from blog.comments.area import page_links
from blog.models import Comment, CommentStatus, utcnow

from .factories import make_comment, make_post, make_user
from .test_comment_support import comment_ids_in, set_rules

Row = namedtuple("Row", "id parent_id status")
A = CommentStatus.APPROVED


@pytest.fixture
def post(app):
    return make_post()


def chain(post, length: int, start=None) -> list[Comment]:
    """A top comment and ``length - 1`` replies, each answering the one before."""
    made, parent = [], None
    base = start or utcnow() - timedelta(hours=5)
    for n in range(length):
        parent = make_comment(
            post, body=f"Level {n + 1}", parent=parent, created_at=base + timedelta(minutes=n)
        )
        made.append(parent)
    return made


def children_of(html: str, comment_id: int) -> list[int]:
    """The ids drawn directly in a comment's list of replies."""
    start = html.rindex("<li", 0, html.index(f'id="comment-{comment_id}"'))
    depth, ids = 0, []
    for match in re.finditer(r'<li class="comment[^"]*" id="comment-(\d+)"|</li>', html[start:]):
        if match.group(0) == "</li>":
            depth -= 1
            if depth == 0:
                break
        else:
            depth += 1
            if depth == 2:
                ids.append(int(match.group(1)))
    return ids


# --- threading, as plain Python ---------------------------------------------


def test_layout_attaches_deep_replies_at_the_deepest_level():
    rows = [Row(1, None, A), Row(2, 1, A), Row(3, 2, A), Row(4, 3, A), Row(5, 1, A)]
    lay = threads.layout(rows, depth=2, per_page=10, page=1)
    assert lay.threads == [[1]]
    assert lay.children == {1: [2, 3, 4, 5]}
    assert lay.level == {1: 1, 2: 2, 3: 2, 4: 2, 5: 2}


def test_layout_depth_one_is_flat_within_each_thread():
    rows = [Row(1, None, A), Row(2, None, A), Row(3, 1, A), Row(4, 3, A)]
    lay = threads.layout(rows, depth=1, per_page=10, page=1)
    assert lay.threads == [[1, 3, 4], [2]]
    assert lay.children == {}


def test_layout_hides_orphans_and_empty_placeholders():
    deleted = CommentStatus.DELETED
    rows = [
        Row(1, None, A),
        Row(2, 99, A),  # its parent is not shown (held, spam)
        Row(3, None, deleted),  # deleted, nothing below: gone
        Row(4, None, deleted),
        Row(5, 4, A),  # keeps its deleted parent as a placeholder
    ]
    lay = threads.layout(rows, depth=5, per_page=10, page=1)
    assert lay.threads == [[1], [4]]
    assert lay.ids == [1, 4, 5]


def test_layout_pages_by_threads_and_clamps():
    rows = [Row(n, None, A) for n in range(1, 6)] + [Row(10, 5, A)]
    lay = threads.layout(rows, depth=5, per_page=2, page=3)
    assert (lay.page, lay.pages, lay.thread_count) == (3, 3, 5)
    assert lay.ids == [5, 10]
    assert threads.layout(rows, depth=5, per_page=2, page=99).page == 3
    newest = threads.layout(rows, depth=5, per_page=2, page=1, newest_first=True)
    assert newest.threads == [[5], [4]]
    assert threads.page_of(rows, 10, per_page=2) == 3
    assert threads.page_of(rows, 10, per_page=2, newest_first=True) == 1
    assert threads.page_of(rows, 77, per_page=2) is None


def test_layout_of_ten_thousand_comments_is_quick():
    rows = [Row(n, None if n % 10 == 1 else n - 1, A) for n in range(1, 10_001)]
    began = time.perf_counter()
    lay = threads.layout(rows, depth=5, per_page=50, page=7)
    assert time.perf_counter() - began < 1.0
    assert lay.thread_count == 1000 and len(lay.ids) == 500


# --- the page -------------------------------------------------------------------


def test_page_threads_replies_to_the_set_depth(client, post):
    set_rules(thread_depth=2)
    one, two, three, four = chain(post, 4)
    html = client.get(post.url_path).get_data(as_text=True)
    assert children_of(html, one.id) == [two.id, three.id, four.id]
    assert children_of(html, two.id) == []
    assert 'class="comment depth-2"' in html and "depth-3" not in html


def test_page_threads_by_default_depth(client, post):
    made = chain(post, 3)
    html = client.get(post.url_path).get_data(as_text=True)
    assert children_of(html, made[0].id) == [made[1].id]
    assert children_of(html, made[1].id) == [made[2].id]


def test_pages_by_top_level_comments_oldest_first(client, post):
    set_rules(comments_per_page=2)
    base = utcnow() - timedelta(days=1)
    tops = [make_comment(post, created_at=base + timedelta(minutes=n)) for n in range(5)]
    reply = make_comment(post, parent=tops[4], created_at=base + timedelta(minutes=30))
    first = client.get(post.url_path).get_data(as_text=True)
    assert comment_ids_in(first) == [tops[0].id, tops[1].id]
    assert f'href="{post.url_path}?cpage=3#comments"' in first
    last = client.get(f"{post.url_path}?cpage=3").get_data(as_text=True)
    assert comment_ids_in(last) == [tops[4].id, reply.id]
    assert "6 comments" in first


def test_newest_first_setting(client, post):
    set_rules(comments_per_page=2, newest_first=True)
    base = utcnow() - timedelta(days=1)
    tops = [make_comment(post, created_at=base + timedelta(minutes=n)) for n in range(3)]
    html = client.get(post.url_path).get_data(as_text=True)
    assert comment_ids_in(html) == [tops[2].id, tops[1].id]


def test_permalink_finds_the_right_comment_page(client, post):
    set_rules(comments_per_page=1)
    base = utcnow() - timedelta(days=1)
    make_comment(post, created_at=base)
    second = make_comment(post, created_at=base + timedelta(minutes=1))
    reply = make_comment(post, parent=second, created_at=base + timedelta(minutes=2))
    response = client.get(f"/c/{reply.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{post.url_path}?cpage=2#comment-{reply.id}"
    page = client.get(f"{post.url_path}?cpage=2").get_data(as_text=True)
    assert f'id="comment-{reply.id}"' in page


def test_permalink_of_a_hidden_comment_is_404(client, post):
    held = make_comment(post, status=CommentStatus.PENDING)
    spam = make_comment(post, status=CommentStatus.SPAM)
    assert client.get(f"/c/{held.id}").status_code == 404
    assert client.get(f"/c/{spam.id}").status_code == 404
    assert client.get("/c/424242").status_code == 404


def test_comment_count_and_singular(client, post):
    assert "No comments yet" in client.get(post.url_path).get_data(True)
    make_comment(post)
    assert "1 comment<" in client.get(post.url_path).get_data(True)
    make_comment(post, body="Two")
    make_comment(post, body="Three")
    make_comment(post, body="Held", status=CommentStatus.PENDING)
    assert "3 comments" in client.get(post.url_path).get_data(True)


def test_author_link_avatar_and_badge(client, db, post):
    author = make_user(display_name="Post Author")
    post.author = author
    db.session.commit()
    make_comment(post, user=author, author_website="https://author.example.com")
    make_comment(post, author_name="No Site", author_website="javascript:alert(1)")
    html = client.get(post.url_path).get_data(as_text=True)
    assert 'href="https://author.example.com" rel="nofollow ugc">Post Author</a>' in html
    assert "by-post-author" in html and ">Author</span>" in html
    assert "javascript:" not in html
    assert html.count('class="avatar"') == 2


def test_deleted_placeholder_keeps_its_replies(client, post):
    top = make_comment(post, status=CommentStatus.DELETED, body="", author_name="")
    reply = make_comment(post, parent=top, body="Still here")
    html = client.get(post.url_path).get_data(as_text=True)
    assert "This comment was deleted." in html
    assert children_of(html, top.id) == [reply.id]


def test_replies_under_a_held_comment_are_not_shown(client, post):
    top = make_comment(post, status=CommentStatus.SPAM)
    make_comment(post, parent=top, body="Orphaned reply")
    assert "Orphaned reply" not in client.get(post.url_path).get_data(True)


def test_bad_comment_page_number_is_404(client, post):
    assert client.get(f"{post.url_path}?cpage=abc").status_code == 404


def _count_queries(app, client, url) -> int:
    engine = sa.inspect(app.extensions["sqlalchemy"].engine).engine
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_queries_do_not_grow_with_the_number_of_comments(app, client, db, post):
    users = [make_user() for _ in range(3)]
    for n in range(3):
        make_comment(post, user=users[n])
    few = _count_queries(app, client, post.url_path)
    base = utcnow() - timedelta(hours=3)
    rows = [
        {
            "post_id": post.id,
            "author_name": f"Guest {n}",
            "author_email": f"g{n}@example.com",
            "body": "Bulk",
            "body_html": "<p>Bulk</p>",
            "status": CommentStatus.APPROVED,
            "created_at": base + timedelta(seconds=n),
            "user_id": users[n % 3].id,
        }
        for n in range(300)
    ]
    db.session.execute(sa.insert(Comment), rows)
    db.session.commit()
    many = _count_queries(app, client, post.url_path)
    assert many == few


def test_page_links_skip_the_middle():
    assert page_links(1, 1) == [1]
    assert page_links(1, 4) == [1, 2, 3, 4]
    assert page_links(10, 40) == [1, None, 8, 9, 10, 11, 12, None, 40]
