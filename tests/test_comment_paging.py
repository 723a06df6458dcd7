"""Reading a discussion: a page of threads read in SQL matches threading the whole
discussion in Python, and no page costs more queries as the discussion grows."""

from __future__ import annotations

import gc
import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.comments import threads
from blog.comments.loading import page_of_comment, page_of_threads, shown_rows
from blog.models import Comment, CommentStatus, Post, utcnow
from blog.moderation.settings import get_settings

from .factories import make_post, make_user
from .test_comment_support import set_rules

STATUSES = [CommentStatus.APPROVED] * 6 + [
    CommentStatus.PENDING,
    CommentStatus.SPAM,
    CommentStatus.REJECTED,
    CommentStatus.DELETED,
]


def bulk_comments(db, post: Post, count: int, *, seed: int = 0, statuses=None, user=None) -> None:
    """``count`` comments in random threads (each reply answers an earlier comment)."""
    rng = random.Random(seed)
    base = utcnow() - timedelta(days=2)
    first = (db.session.scalar(sa.select(sa.func.max(Comment.id))) or 0) + 1
    rows = []
    for n in range(count):
        cid = first + n
        parent = None if n == 0 or rng.random() < 0.3 else rng.randrange(first, cid)
        rows.append(
            {
                "id": cid,
                "post_id": post.id,
                "parent_id": parent,
                "user_id": user.id if user is not None and n % 4 == 0 else None,
                "author_name": f"Guest {n}",
                "author_email": f"g{n}@example.com",
                "body": f"Comment {n}",
                "body_html": f"<p>Comment {n}</p>",
                "status": rng.choice(statuses or STATUSES),
                # Some share a second, so the id decides their order.
                "created_at": base + timedelta(seconds=n - n % 3),
            }
        )
    db.session.execute(sa.insert(Comment), rows)
    db.session.commit()


def layout_by_python(post, user, guest_ids, settings, page):
    rows = shown_rows(post, user, guest_ids)
    return threads.layout(
        rows,
        depth=settings["thread_depth"],
        per_page=settings["comments_per_page"],
        page=page,
        newest_first=settings["newest_first"],
    )


def same_layout(a: threads.Layout, b: threads.Layout) -> None:
    assert (a.page, a.pages, a.thread_count) == (b.page, b.pages, b.thread_count)
    assert a.threads == b.threads
    assert a.children == b.children
    assert {i: a.level[i] for i in a.ids} == {i: b.level[i] for i in b.ids}


@pytest.mark.parametrize("seed", range(6))
def test_a_page_read_in_sql_is_the_page_threaded_in_python(app, db, seed):
    """Random threads with held, spam, rejected and deleted comments, orphans included."""
    post = make_post()
    reader = make_user()
    bulk_comments(db, post, 160, seed=seed, user=reader)
    rng = random.Random(seed)
    set_rules(
        comments_per_page=rng.choice([3, 7, 50]),
        thread_depth=rng.choice([1, 2, 5]),
        newest_first=rng.random() < 0.5,
    )
    settings = get_settings()
    guest_ids = list(db.session.scalars(sa.select(Comment.id).where(Comment.id % 9 == 0)))
    for user, guests in ((None, []), (reader, []), (None, guest_ids)):
        for page in (1, 2, 4, 999):
            expected = layout_by_python(post, user, guests, settings, page)
            got, rows = page_of_threads(post, user, guests, settings, page)
            same_layout(got, expected)
            assert set(expected.ids) <= set(rows)


@pytest.mark.parametrize("seed", range(4))
def test_the_page_of_a_comment_found_in_sql_is_the_page_threaded_in_python(app, db, seed):
    """Every comment of random threads, for every kind of viewer, deleted tops or none."""
    post, elsewhere = make_post(), make_post()
    reader = make_user()
    statuses = STATUSES if seed % 2 else [s for s in STATUSES if s != CommentStatus.DELETED]
    bulk_comments(db, post, 120, seed=seed, user=reader, statuses=statuses)
    bulk_comments(db, elsewhere, 5, seed=seed)
    rng = random.Random(seed)
    set_rules(comments_per_page=rng.choice([1, 4, 50]), newest_first=rng.random() < 0.5)
    settings = get_settings()
    ids = list(db.session.scalars(sa.select(Comment.id).order_by(Comment.id)))
    guest_ids = [i for i in ids if i % 7 == 0]
    for user, guests in ((None, []), (reader, []), (None, guest_ids)):
        rows = shown_rows(post, user, guests)
        for comment_id in [*ids, 10**9]:
            expected = threads.page_of(
                rows,
                comment_id,
                per_page=settings["comments_per_page"],
                newest_first=settings["newest_first"],
            )
            got = page_of_comment(post, comment_id, user, guests, settings)
            assert got == expected, (comment_id, user, guests)


def test_without_deleted_top_comments_the_sql_way_is_taken(app, db):
    post = make_post()
    bulk_comments(db, post, 120, statuses=[CommentStatus.APPROVED, CommentStatus.PENDING])
    set_rules(comments_per_page=5)
    settings = get_settings()
    got, rows = page_of_threads(post, None, [], settings, 3)
    same_layout(got, layout_by_python(post, None, [], settings, 3))
    # Only the page's threads were read, not the whole discussion.
    assert len(rows) < len(shown_rows(post, None, []))


# --- a fixed number of queries per page ---------------------------------------


def count_queries(app, client, url: str) -> int:
    engine = sa.inspect(app.extensions["sqlalchemy"].engine).engine
    seen = []
    here = threading.get_ident()  # the test client runs the app in this thread

    def count(*_args, **_kwargs):
        if threading.get_ident() == here:  # not a server or sender left by another test
            seen.append(1)

    # Requests share the test's session, whose identity map holds rows weakly:
    # collect first, so that each counted request starts from the same state
    # whenever the collector happened to run.
    gc.collect()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code in (200, 302)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_pages_cost_the_same_queries_for_10_and_500_comments(app, client, db, login_as):
    small, large = make_post(), make_post()
    # (A deleted comment at the top of a thread has the whole discussion read: a
    # different, also fixed, number of queries; the paging test above covers it.)
    shown = [CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.SPAM]
    bulk_comments(db, small, 10, seed=1, statuses=shown)
    bulk_comments(db, large, 500, seed=1, statuses=shown)
    set_rules(comments_per_page=3)
    for suffix in ("", "?cpage=2"):
        assert count_queries(app, client, small.url_path + suffix) == count_queries(
            app, client, large.url_path + suffix
        )
    api = "/api/posts/{}/comments"
    assert count_queries(app, client, api.format(small.slug)) == count_queries(
        app, client, api.format(large.slug)
    )
    feed = "{}comments.atom"
    assert count_queries(app, client, feed.format(small.url_path)) == count_queries(
        app, client, feed.format(large.url_path)
    )
    last = {
        post: db.session.scalar(
            sa.select(sa.func.max(Comment.id)).where(
                Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED
            )
        )
        for post in (small, large)
    }
    assert count_queries(app, client, f"/c/{last[small]}") == count_queries(
        app, client, f"/c/{last[large]}"
    )


def test_the_moderation_queue_costs_the_same_queries_for_few_and_many(app, client, db, login_as):
    from blog.models import Role

    login_as(make_user(role=Role.MODERATOR))
    post = make_post()
    bulk_comments(db, post, 10, statuses=[CommentStatus.PENDING])
    client.get("/moderation/")  # the first request also loads what the session holds
    few = count_queries(app, client, "/moderation/")
    bulk_comments(db, post, 1100, seed=3, statuses=[CommentStatus.PENDING])
    page = client.get("/moderation/").get_data(as_text=True)
    assert "Pending (1000+)" in page and "Page 1 of 50+" in page
    assert count_queries(app, client, "/moderation/") == few
    assert "Page 2 of 50+" in client.get("/moderation/?page=2").get_data(as_text=True)
