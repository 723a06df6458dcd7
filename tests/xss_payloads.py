"""The XSS payloads the tests throw at the site, read in place from ../shared/data/xss/.

DOMPurify's expectations (``payload`` strings in an ES module), the HTML5
Security Cheatsheet (``data`` strings in items.js, and the rendered vectors in
vectors.txt), and a few classic ones of our own (``CLASSIC``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .conftest import SHARED_DATA

XSS = Path(SHARED_DATA) / "xss"

# Classic payloads, each in a context it is known to break out of: text,
# attributes (quoted and not), URLs, CSS, templates and markup parsers' corners.
CLASSIC = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=javascript:alert(1)>click</a>",
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '![x](x" onerror="alert(1))',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div style="position:fixed;inset:0">cover</div>',
    '"><script>alert(1)</script>',
    "'><svg onload=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus x='",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<!--<img src=--><img src=x onerror=alert(1)//>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><button formaction=javascript:alert(1)>go</button></form>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<base href=javascript:/a/-alert(1)///////>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<link rel=import href=data:text/html,<script>alert(1)</script>>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<xss onpointerover=alert(1)>hover</xss>",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "{% raw %}{{7*7}}{% endraw %}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    'https://example.com/"><script>alert(1)</script>',
    "https://example.com/' onmouseover='alert(1)",
    'https://example.com/" style="color:red',
    "https://example.com/?q=%22onmouseover%3Dalert(1)%22&r=%3Cscript%3E",
    "\u202e<script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    '<IMG SRC="jav&#x0A;ascript:alert(1);">',
    '<svg><a xlink:href="javascript:alert(1)"><text y=20>x</text></a></svg>',
    '<a href="vbscript:msgbox(1)">vb</a>',
]


# --- reading the files ---------------------------------------------------------

_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}


def js_unescape(text: str) -> str:
    """A JavaScript string literal's body to the string it stands for."""

    def one(match: re.Match) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(int(code[2:-1], 16))
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code.isdigit():
            return chr(int(code, 8))
        return _SIMPLE.get(code, code)

    raw = _JS_ESCAPE.sub(one, text)
    # \uD83D\uDE00 pairs arrive as two halves: join them into one character.
    return raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def dompurify_payloads() -> list[str]:
    text = (XSS / "dompurify-expect.mjs").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"""(["'])payload\1\s*:\s*(["'`])((?:\\.|(?!\2).)*)\2""", text, re.S):
        literal = match.group(3)
        try:
            found.append(
                json.loads(f'"{literal}"') if match.group(2) == '"' else js_unescape(literal)
            )
        except json.JSONDecodeError:
            found.append(js_unescape(literal))
    return found


def h5sc_item_payloads() -> list[str]:
    text = (XSS / "h5sc-items.js").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"""(["'])data\1\s*:\s*(["'])((?:\\.|(?!\2).)*)\2""", text, re.S):
        found.append(_fill_placeholders(js_unescape(match.group(3))))
    return found


def h5sc_vectors() -> list[str]:
    text = (XSS / "h5sc-vectors.txt").read_text(encoding="utf-8")
    pattern = r"""<div id="\d+">(.*?)//\["'`-->\]\]>\]</div>"""
    return [m.group(1) for m in re.finditer(pattern, text, re.S)]


def _fill_placeholders(text: str) -> str:
    """items.js leaves holes such as %js_alert% that its test page fills in."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if "uri" in name or "path" in name:
            return "javascript:alert(1)"
        return "alert(1)"

    return re.sub(r"%([a-z_0-9]+)%", fill, text)


def all_payloads() -> list[str]:
    """Every payload from the files, once each, in file order."""
    payloads = dompurify_payloads() + h5sc_item_payloads() + h5sc_vectors()
    return list(dict.fromkeys(p for p in payloads if p.strip()))


def every_payload() -> list[str]:
    """The files' payloads and the classic ones."""
    return list(dict.fromkeys(all_payloads() + CLASSIC))
