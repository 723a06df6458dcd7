"""Links in posts and comments keep to http, https and mailto, however the scheme is
written: bleach's own URL parser reads "javascript:123" as a host and a port."""

import pytest

from blog.sanitise import render_comment, render_post


@pytest.mark.parametrize(
    "source",
    [
        '<a href="javascript:123">x</a>',
        '<a href="JAVASCRIPT:1">x</a>',
        '<a href="java\tscript:1">x</a>',
        '<a href=" javascript:1">x</a>',
        '<a href="vbscript:1">x</a>',
        '<a href="data:1">x</a>',
        '<q cite="javascript:1">x</q>',
        '<abbr cite="javascript:1" title="t">x</abbr>',
    ],
)
def test_no_other_scheme_gets_through(source):
    for html in (render_post(source), render_comment(source)):
        assert "script:" not in html and "data:" not in html, html


def test_allowed_links_stay():
    assert 'href="/2024/01/01/a/"' in render_post('<a href="/2024/01/01/a/">a</a>')
    assert 'href="#notes"' in render_post('<a href="#notes">a</a>')
    assert 'href="mailto:a@example.com"' in render_post("<a href='mailto:a@example.com'>a</a>")
    assert 'cite="https://example.com/"' in render_comment('<q cite="https://example.com/">q</q>')
