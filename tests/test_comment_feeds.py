"""Comment feeds: the site's latest approved comments, and one post's."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from blog.models import CommentStatus, PostStatus

from .factories import make_comment, make_post

NS = {"a": "http://www.w3.org/2005/Atom"}


def parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def entry_texts(feed: ET.Element) -> list[str]:
    return [e.findtext("a:content", namespaces=NS) for e in feed.findall("a:entry", NS)]


@pytest.fixture
def posts(app):
    first = make_post(title="First & <best>", slug="first")
    second = make_post(title="Second", slug="second")
    make_comment(first, body="On the *first*", author_website="https://w.example.com")
    make_comment(second, body="On the second")
    make_comment(first, body="Held one", status=CommentStatus.PENDING)
    make_comment(first, body="Spam one", status=CommentStatus.SPAM)
    draft = make_post(status=PostStatus.DRAFT, slug="draft")
    make_comment(draft, body="On a draft")
    return first, second


def test_site_feed_is_valid_atom_with_approved_comments_only(client, posts):
    feed = parse(client.get("/comments/feed.atom"))
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated"):
        assert feed.findtext(f"a:{name}", namespaces=NS)
    assert feed.find("a:link[@rel='self']", NS).get("href").endswith("/comments/feed.atom")
    texts = entry_texts(feed)
    assert texts == ["<p>On the second</p>", "<p>On the <em>first</em></p>"]
    for entry in feed.findall("a:entry", NS):
        for name in ("id", "title", "updated", "published"):
            assert entry.findtext(f"a:{name}", namespaces=NS)
        assert entry.findtext("a:author/a:name", namespaces=NS) == "A Guest"
        assert entry.find("a:content", NS).get("type") == "html"
        assert "/c/" in entry.find("a:link", NS).get("href")
    first_entry = feed.findall("a:entry", NS)[1]
    assert first_entry.findtext("a:title", namespaces=NS) == "A Guest on “First & <best>”"
    assert first_entry.findtext("a:author/a:uri", namespaces=NS) == "https://w.example.com"


def test_post_feed_by_query_and_by_address(client, posts):
    first, _ = posts
    by_query = parse(client.get("/comments/feed.atom?post=first"))
    by_path = parse(client.get(first.url_path + "comments.atom"))
    assert entry_texts(by_query) == entry_texts(by_path) == ["<p>On the <em>first</em></p>"]
    assert "First" in by_path.findtext("a:title", namespaces=NS)


def test_unknown_or_hidden_post_feed_is_404(client, posts):
    assert client.get("/comments/feed.atom?post=nope").status_code == 404
    assert client.get("/comments/feed.atom?post=draft").status_code == 404
    assert client.get("/2000/01/01/first/comments.atom").status_code == 404


def test_empty_feed_is_still_valid(client, app):
    feed = parse(client.get("/comments/feed.atom"))
    assert feed.findtext("a:updated", namespaces=NS)
    assert feed.findall("a:entry", NS) == []


def test_page_links_its_feed(client, posts):
    first, _ = posts
    html = client.get(first.url_path).get_data(as_text=True)
    assert f'href="{first.url_path}comments.atom"' in html
