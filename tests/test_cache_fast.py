"""The page cache's fast path: plain anonymous hits answered before Flask, gzip included.

The probe page and fixtures are those of ``test_cache``; a hit from the fast
path says so by varying on Accept-Encoding as well as Cookie.
"""

from __future__ import annotations

import gzip
import re
import time
import zlib

import pytest

from blog import create_app
from blog.comments.forms import stamp_age
from blog.gzip_pieces import Piece, crc_combine, crc_shift, gzipped, plain, static_piece
from blog.models import CommentStatus
from blog.moderation.services import change_status
from tests.factories import make_comment, make_post, make_user
from tests.test_cache import (  # noqa: F401 (fixtures)
    add_probe,
    config_overrides,
    count_in,
    dispose,
    probe_app,
    reader,
    redis_config,
    token_in,
)

FAST = "Cookie, Accept-Encoding"


def test_crc_of_joined_pieces_is_zlibs():
    first, second = b"page start " * 999, b"and its end" * 77
    combined = crc_combine(zlib.crc32(first), zlib.crc32(second), crc_shift(len(second)))
    assert combined == zlib.crc32(first + second)


def test_pieces_deflated_apart_make_one_gzip_answer():
    pieces = [
        static_piece(""),
        Piece(spec="token"),
        static_piece("<p>" + "stored text " * 5000 + "</p>"),
        Piece(spec="stamp"),
        Piece(spec="token"),
        static_piece("<footer>é</footer>"),
    ]
    values = {"token": b"T" * 70_000, "stamp": b""}  # past one stored block, and empty
    assert gzip.decompress(gzipped(pieces, values)) == plain(pieces, values)


def test_a_new_visitor_gets_the_cached_page_with_a_token_of_their_own(probe_app):  # noqa: F811
    first, second = probe_app.test_client(), probe_app.test_client()
    miss = first.get("/probe/home")
    hit = second.get("/probe/home")
    assert (hit.headers["X-Cache"], hit.headers["Vary"]) == ("hit", FAST)
    assert "Content-Security-Policy" in hit.headers
    assert token_in(hit) != token_in(miss) and "per-request-" not in hit.get_data(True)
    assert "session=" in hit.headers["Set-Cookie"] and "HttpOnly" in hit.headers["Set-Cookie"]
    assert second.post("/probe-post", data={"csrf_token": token_in(hit)}).status_code == 200
    assert second.post("/probe-post", data={"csrf_token": token_in(miss)}).status_code == 400


def test_a_returning_visitor_keeps_their_session(reader):  # noqa: F811
    reader.get("/probe/home")
    again = reader.get("/probe/home")
    assert (again.headers["X-Cache"], again.headers["Vary"]) == ("hit", FAST)
    assert "Set-Cookie" not in again.headers
    assert reader.post("/probe-post", data={"csrf_token": token_in(again)}).status_code == 200


def test_gzip_is_the_same_page(probe_app):  # noqa: F811
    probe_app.test_client().get("/probe/home")
    client = probe_app.test_client()
    packed = client.get("/probe/home", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    page = gzip.decompress(packed.data).decode()  # checks the CRC and the length too
    plain = client.get("/probe/home").get_data(True)
    assert re.sub(r'content="[^"]+"|value="[^"]+"|stamp">[^<]+', "", page) == re.sub(
        r'content="[^"]+"|value="[^"]+"|stamp">[^<]+', "", plain
    )
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    assert client.post("/probe-post", data={"csrf_token": token}).status_code == 200


def test_values_made_per_request_are_made_anew(reader):  # noqa: F811
    reader.get("/probe/home")
    time.sleep(1.1)  # the stamp counts whole seconds
    hit = reader.get("/probe/home")
    assert hit.headers["Vary"] == FAST
    assert stamp_age(re.search(r'id="stamp">([^<]+)<', hit.get_data(True))[1], 7) < 1


def test_head_is_answered_without_a_body(reader):  # noqa: F811
    reader.get("/probe/home")
    head = reader.head("/probe/home")
    assert (head.status_code, head.headers["Vary"], head.data) == (200, FAST, b"")


def test_logged_in_readers_and_posts_go_the_normal_way(reader, login_as):  # noqa: F811
    reader.get("/probe/home")
    assert reader.post("/probe-post").status_code == 200  # not answered from the cache
    login_as(make_user(), reader)
    page = reader.get("/probe/home")
    assert page.headers.get("X-Cache") != "hit"


def test_fast_path_can_be_turned_off(app, base_config, config_overrides, request):  # noqa: F811
    slow = create_app({**base_config, **config_overrides, "PAGE_CACHE_FAST_PATH": False})
    add_probe(slow)
    request.addfinalizer(lambda: dispose(slow))
    slow.test_client().get("/probe/home")
    hit = slow.test_client().get("/probe/home")
    assert (hit.headers["X-Cache"], hit.headers["Vary"]) == ("hit", "Cookie")


@pytest.mark.redis
def test_a_change_reaches_every_process_fast_path(base_config, redis_config, db, request):  # noqa: F811
    first = create_app({**base_config, **redis_config})
    second = create_app({**base_config, **redis_config})
    for each in (first, second):
        add_probe(each)
    request.addfinalizer(lambda: dispose(first, second))
    with first.app_context():
        comment = make_comment(make_post(), status=CommentStatus.PENDING)
        first.test_client().get("/probe/home")
        for _ in range(2):  # prepared once, then served from this process's memory
            hit = second.test_client().get("/probe/home")
            assert (hit.headers["X-Cache"], hit.headers["Vary"], count_in(hit)) == ("hit", FAST, 0)
        change_status(comment, CommentStatus.APPROVED, actor=None, action="ok")
        db.session.commit()
    after = second.test_client().get("/probe/home")
    assert after.headers["X-Cache"] == "miss" and count_in(after) == 1
    packed = second.test_client().get("/probe/home", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "1 approved" in gzip.decompress(packed.data).decode()
