"""Search over titles and bodies: full text on PostgreSQL, LIKE on SQLite."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.extensions import db
from blog.models import PostStatus, utcnow
from tests.factories import make_post


def titles(html: str) -> list[str]:
    return re.findall(r'class="post-title"><a href="[^"]+">([^<]+)</a>', html)


def test_search_finds_words_in_titles_and_bodies(client):
    make_post(title="Sourdough basics", body="Flour, water, salt and patience.")
    make_post(title="Bicycle repairs", body="Patching a tyre on the road.")
    make_post(title="Notes", body="Nothing about bread here.")
    html = client.get("/search?q=sourdough").get_data(as_text=True)
    assert titles(html) == ["Sourdough basics"]
    html = client.get("/search?q=tyre").get_data(as_text=True)
    assert titles(html) == ["Bicycle repairs"]
    html = client.get("/search?q=salt+patience").get_data(as_text=True)
    assert titles(html) == ["Sourdough basics"]  # every word must match
    assert "1 result for “salt patience”" in html


def test_title_matches_rank_above_body_matches(client):
    make_post(title="Walking in the hills", body="A long day outdoors.")
    make_post(title="Cooking", body="After walking all day, soup tastes better.")
    html = client.get("/search?q=walking").get_data(as_text=True)
    assert titles(html) == ["Walking in the hills", "Cooking"]


def test_search_leaves_out_drafts_and_future_posts(client):
    make_post(title="Visible kettle", body="kettle")
    make_post(title="Draft kettle", body="kettle", status=PostStatus.DRAFT)
    make_post(
        title="Future kettle",
        body="kettle",
        status=PostStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=1),
    )
    html = client.get("/search?q=kettle").get_data(as_text=True)
    assert titles(html) == ["Visible kettle"]


def test_empty_query_shows_the_form_only(client):
    make_post(title="Anything")
    response = client.get("/search?q=+++")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="search-q">' in html and "result" not in html
    assert client.get("/search").status_code == 200


def test_overlong_query_is_refused_politely(client):
    response = client.get("/search?q=" + "a" * 500)
    assert response.status_code == 400
    assert "fewer than 200 characters" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "q", ["100%", "under_score", "back\\slash", "'; DROP TABLE posts; --", "!!!"]
)
def test_odd_queries_never_break(client, q):
    make_post(title="A plain post", body="100% under_score words")
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert db.session.scalar(sa.text("SELECT count(*) FROM posts")) == 1


def test_like_wildcards_are_taken_literally(client):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("LIKE is the SQLite fallback")
    make_post(title="Percent", body="It went up 100% today")
    make_post(title="Other", body="It went up 1000 today")
    html = client.get("/search", query_string={"q": "100%"}).get_data(as_text=True)
    assert titles(html) == ["Percent"]


def test_results_are_paginated(app, client):
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(5):
        make_post(title=f"Lantern {n}", body="lantern")
    first = client.get("/search?q=lantern").get_data(as_text=True)
    assert len(titles(first)) == 2 and "5 results" in first
    assert '<link rel="next" href="/search?q=lantern&amp;page=2">' in first
    third = client.get("/search?q=lantern&page=3").get_data(as_text=True)
    assert len(titles(third)) == 1
    assert client.get("/search?q=lantern&page=4").status_code == 404


def test_postgresql_uses_the_gin_index_expression(client):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the GIN index exists on PostgreSQL only")
    indexdef = db.session.scalar(
        sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_search'")
    )
    assert "USING gin" in indexdef and "to_tsvector" in indexdef
    make_post(title="Running shoes", body="The runners ran.")
    # Stemming: "running" finds "runners ran"? At least the title's own stem.
    html = client.get("/search?q=run").get_data(as_text=True)
    assert titles(html) == ["Running shoes"]
