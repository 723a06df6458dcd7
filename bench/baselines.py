"""The baselines, served by gunicorn like the blog:

- ``bench.baselines:ceiling`` returns a fixed 30 KB page: the most any
  Python WSGI app can do on this machine (the ceiling);
- ``bench.baselines:flask_app`` renders 200 comments held in memory with a
  Jinja template into about 60 KB: a plain Flask page with no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, render_template
from jinja2 import DictLoader

COMMENTS = 200

_PARAGRAPH = (
    "A fixed paragraph that stands for a page of the blog, repeated until the page "
    "weighs about thirty kilobytes, as a post page with a short discussion does. "
)
FIXED_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Fixed</title></head><body>"
    + "".join(f"<p>{_PARAGRAPH}</p>\n" for _ in range(30 * 1024 // (len(_PARAGRAPH) + 8)))
    + "</body></html>"
).encode()


def ceiling(environ, start_response):
    """The same 30 KB for every request."""
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(FIXED_PAGE)))],
    )
    return [FIXED_PAGE]


@dataclass
class Comment:
    id: int
    author: str
    website: str | None
    html: str
    created_at: datetime
    depth: int


def _comments() -> list[Comment]:
    start = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    return [
        Comment(
            id=i,
            author=f"Reader {i % 37}",
            website=f"https://reader{i % 37}.example.org/" if i % 3 == 0 else None,
            html=f"<p>Comment {i} says something short, with <em>some</em> words.</p>",
            created_at=start + timedelta(minutes=7 * i),
            depth=1 + i % 3,
        )
        for i in range(1, COMMENTS + 1)
    ]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><article><h1>{{ title }}</h1><p>{{ intro }}</p></article>
<section id="comments"><h2>{{ comments|length }} comments</h2><ol class="comment-list">
{% for c in comments %}
<li class="comment depth-{{ c.depth }}" id="comment-{{ c.id }}">
<header><span class="author">{% if c.website %}<a href="{{ c.website }}" rel="nofollow ugc">\
{{ c.author }}</a>{% else %}{{ c.author }}{% endif %}</span>
<a href="/c/{{ c.id }}"><time datetime="{{ c.created_at.isoformat() }}">\
{{ c.created_at.strftime("%-d %B %Y at %H:%M") }}</time></a></header>
<div class="comment-body">{{ c.html|safe }}</div>
</li>
{% endfor %}
</ol></section></main></body></html>
"""

flask_app = Flask(__name__)
flask_app.jinja_loader = DictLoader({"page.html": _PAGE})
_DATA = _comments()


@flask_app.get("/")
def page():
    return render_template(
        "page.html", title="A post", intro="The post's text, short.", comments=_DATA
    )
