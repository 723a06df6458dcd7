"""What readers see: the home page, post pages, tag pages, old addresses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from blog.extensions import db
from blog.models import PostKind, PostStatus, Redirect, Role, utcnow
from tests.factories import make_comment, make_post, make_user


@pytest.fixture
def config_overrides():
    return {"POSTS_PER_PAGE": 3}


def days_ago(n: float) -> datetime:
    return utcnow() - timedelta(days=n)


def test_home_lists_newest_first_with_pagination_links(client):
    for n in range(7):
        make_post(title=f"Entry {n}", published_at=days_ago(10 - n))
    first = client.get("/").get_data(as_text=True)
    assert first.index("Entry 6") < first.index("Entry 5") < first.index("Entry 4")
    assert "Entry 3" not in first
    assert '<link rel="next" href="/?page=2">' in first
    assert 'rel="prev"' not in first

    second = client.get("/?page=2").get_data(as_text=True)
    assert "Entry 3" in second and "Entry 6" not in second
    assert '<link rel="prev" href="/">' in second
    assert '<link rel="next" href="/?page=3">' in second
    assert "Page 2 of 3" in second

    last = client.get("/?page=3").get_data(as_text=True)
    assert "Entry 0" in last and 'rel="next"' not in last


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "4", "99999999999999999999", "%00"])
def test_bad_page_numbers_are_404_never_500(client, page):
    make_post()
    assert client.get(f"/?page={page}").status_code == 404
    assert client.get(f"/search?q=post&page={page}").status_code == 404


def test_empty_site_home_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing has been published yet." in response.get_data(as_text=True)


def test_post_page_shows_body_meta_tags_and_comment_area(client):
    author = make_user(Role.AUTHOR, display_name="Arthur Author")
    post = make_post(
        title="On <tags> & things",
        body="# Heading\n\nA **bold** claim.\n\n<script>alert(1)</script>",
        author=author,
        tags=["Craft"],
        published_at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        slug="on-tags",
    )
    make_comment(post, body="Nice one.")
    response = client.get("/2024/03/05/on-tags/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>On &lt;tags&gt; &amp; things" in html
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    assert '<link rel="canonical" href="http://127.0.0.1:5000/2024/03/05/on-tags/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="On &lt;tags&gt; &amp; things">' in html
    assert '<meta property="og:url" content="http://127.0.0.1:5000/2024/03/05/on-tags/">' in html
    assert '<meta property="article:tag" content="Craft">' in html
    assert 'href="/tag/craft/"' in html and "by Arthur Author" in html
    assert 'id="comments"' in html and "Nice one." in html
    # No inline script or style anywhere (a strict CSP holds).
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_post_page_404s(client):
    post = make_post(slug="here", published_at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC))
    make_post(slug="draft-one", status=PostStatus.DRAFT)
    assert client.get("/2024/03/05/nowhere/").status_code == 404
    assert client.get("/2024/13/05/here/").status_code == 404  # no such date
    assert client.get("/2024/02/31/here/").status_code == 404
    assert client.get("/2024/3/05/here/").status_code == 404
    assert client.get(f"/{utcnow():%Y/%m/%d}/draft-one/").status_code == 404
    assert client.get(post.url_path).status_code == 200


def test_post_at_an_old_date_redirects_permanently(client):
    post = make_post(slug="moved", published_at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC))
    response = client.get("/2023/01/01/moved/")
    assert response.status_code == 301
    assert response.headers["Location"] == post.url_path


def test_old_paths_from_redirect_rows_lead_to_the_post(client):
    post = make_post(slug="imported", published_at=datetime(2019, 6, 1, tzinfo=UTC))
    db.session.add_all(
        [
            Redirect(old_path="/?p=12", post_id=post.id),
            Redirect(old_path="/archives/2019/imported-post", post_id=post.id),
            Redirect(old_path="/2019/06/01/old-slug/", post_id=post.id),
        ]
    )
    db.session.commit()
    for old in (
        "/?p=12",
        "/archives/2019/imported-post",
        "/archives/2019/imported-post/",
        "/2019/06/01/old-slug/",
    ):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == "/2019/06/01/imported/"
    assert client.get("/?p=13").status_code == 200  # an unknown old id: just the home page
    assert client.get("/archives/2019/other").status_code == 404


def test_redirect_to_a_hidden_post_is_a_404(client):
    post = make_post(slug="gone-draft", status=PostStatus.DRAFT)
    db.session.add(Redirect(old_path="/old/gone", post_id=post.id))
    db.session.commit()
    assert client.get("/old/gone").status_code == 404


def test_tag_page_lists_visible_posts_with_that_tag(client):
    make_post(title="Tagged and live", tags=["Garden Notes"])
    make_post(title="Tagged draft", tags=["Garden Notes"], status=PostStatus.DRAFT)
    make_post(title="Other tag", tags=["Kitchen"])
    html = client.get("/tag/garden-notes/").get_data(as_text=True)
    assert "Posts tagged “Garden Notes”" in html
    assert "Tagged and live" in html
    assert "Tagged draft" not in html and "Other tag" not in html
    assert '<link rel="canonical" href="http://127.0.0.1:5000/tag/garden-notes/">' in html
    assert client.get("/tag/nope/").status_code == 404
    assert client.get("/tag/garden-notes/?page=2").status_code == 404


def test_pages_stay_out_of_the_stream_but_have_their_permalink(client):
    page = make_post(title="About this site", kind=PostKind.PAGE, slug="about")
    assert "About this site" not in client.get("/").get_data(as_text=True)
    assert client.get(page.url_path).status_code == 200
    assert page.url_path in client.get("/sitemap.xml").get_data(as_text=True)


def test_comment_page_argument(client):
    post = make_post()
    assert client.get(post.url_path + "?cpage=1").status_code == 200
    assert client.get(post.url_path + "?cpage=x").status_code == 404
    assert client.get(post.url_path + "?cpage=-3").status_code == 404


def test_edit_link_shows_only_to_those_who_may_edit(client, login_as):
    author = make_user(Role.AUTHOR)
    post = make_post(author=author)
    assert "Edit this post" not in client.get(post.url_path).get_data(as_text=True)
    login_as(make_user(Role.AUTHOR))
    assert "Edit this post" not in client.get(post.url_path).get_data(as_text=True)
    login_as(author)
    assert "Edit this post" in client.get(post.url_path).get_data(as_text=True)


def test_site_title_links_home_and_skip_link_and_landmarks(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="site-title" href="/" rel="home">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert 'role="search"' in html and '<label for="site-search-q"' in html
    assert 'type="application/atom+xml"' in html


def test_summaries_come_from_the_excerpt_or_the_start_of_the_body(client):
    make_post(title="No excerpt", body="Fish & chips, " + "and more words " * 40)
    make_post(
        title="With excerpt", body="Long body", excerpt_html="<p>Short <em>and</em> sweet.</p>"
    )
    html = client.get("/").get_data(as_text=True)
    assert "Fish &amp; chips" in html and "&amp;amp;" not in html
    assert re.search(r"(and|more|words)…", html)  # cut at a word, not mid-way
    assert "<p>Short <em>and</em> sweet.</p>" in html


@pytest.mark.parametrize(
    "url",
    [
        "/2024/03/05/nul%00slug/",
        "/tag/nul%00tag/",
        "/search?q=nul%00byte",
        "/?p=%00",
        "/old/%00/path",
        "/api/posts/nul%00slug",
        "/tag/" + "x" * 3000 + "/",
    ],
)
def test_odd_bytes_in_addresses_never_500(client, url):
    make_post()
    assert client.get(url).status_code in (200, 404)
