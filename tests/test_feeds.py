"""The Atom feed, the sitemap and robots.txt, read as machines read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from blog.models import PostKind, PostStatus, Role, utcnow
from tests.factories import make_post, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "http://127.0.0.1:5000"


def parse_atom(client) -> ET.Element:
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def test_atom_feed_is_valid_atom_with_escaped_html_content(client):
    author = make_user(Role.AUTHOR, display_name="Arthur <Author>")
    post = make_post(
        title="Fish & <chips>",
        body="Salt *and* vinegar.\n\n![A plate](/uploads/plate.png)",
        author=author,
        tags=["Food"],
        published_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        excerpt="A short & sweet summary.",
        excerpt_html="<p>A short &amp; sweet summary.</p>",
    )
    make_post(title="Draft", status=PostStatus.DRAFT)
    make_post(title="Tomorrow", status=PostStatus.SCHEDULED, published_at=utcnow() + timedelta(1))
    feed = parse_atom(client)

    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == BASE + "/"
    assert feed.findtext(f"{ATOM}title") == "A Blog"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "A Blog"
    datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": BASE + "/feed.atom", "alternate": BASE + "/"}

    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Fish & <chips>"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}id").startswith("tag:127.0.0.1,")
    assert entry.find(f"{ATOM}link").get("href") == BASE + post.url_path
    assert entry.findtext(f"{ATOM}published") == "2024-05-01T12:00:00+00:00"
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Arthur <Author>"
    assert entry.find(f"{ATOM}category").get("term") == "food"
    assert entry.findtext(f"{ATOM}summary") == "A short & sweet summary."
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    # Escaped in the XML, so the parsed text is the HTML itself.
    assert "<em>and</em>" in content.text and '<img src="/uploads/plate.png"' in content.text


def test_empty_feed_is_still_valid(client):
    feed = parse_atom(client)
    assert feed.findall(f"{ATOM}entry") == []
    assert datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))


def test_feed_holds_the_latest_twenty_posts_only(client):
    for n in range(22):
        make_post(title=f"Post {n}", published_at=utcnow() - timedelta(hours=30 - n))
    titles = [e.findtext(f"{ATOM}title") for e in parse_atom(client).findall(f"{ATOM}entry")]
    assert len(titles) == 20 and titles[0] == "Post 21" and "Post 0" not in titles


def test_feed_uses_the_base_url(app, client):
    app.config["BASE_URL"] = "https://blog.example.org"
    post = make_post()
    feed = parse_atom(client)
    assert feed.findtext(f"{ATOM}id") == "https://blog.example.org/"
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == "https://blog.example.org" + post.url_path
    assert entry.findtext(f"{ATOM}id").startswith("tag:blog.example.org,")


def test_sitemap_lists_home_visible_posts_pages_and_tags(client):
    post = make_post(tags=["Walks"])
    page = make_post(kind=PostKind.PAGE, slug="about")
    draft = make_post(status=PostStatus.DRAFT, tags=["Secret"])
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    locs = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert BASE + "/" in locs
    assert BASE + post.url_path in locs and BASE + page.url_path in locs
    assert BASE + draft.url_path not in locs
    assert BASE + "/tag/walks/" in locs and BASE + "/tag/secret/" not in locs
    for url in root.findall(f"{SITEMAP}url"):
        lastmod = url.findtext(f"{SITEMAP}lastmod")
        if lastmod:
            datetime.fromisoformat(lastmod)


def test_robots_txt_points_at_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {BASE}/sitemap.xml" in text and "Disallow: /admin/" in text
