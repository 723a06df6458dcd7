"""Bad input never makes a 500: oversized bodies, invalid UTF-8, NUL bytes, silly page
numbers, unknown slugs and ids, malformed JSON and wrong content types, on every GET
route and the API. Each answer is a page or JSON error with a 4xx status."""

from __future__ import annotations

import json

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from blog.models import CommentStatus, Role
from tests.factories import make_comment, make_post, make_user

# Query strings as raw bytes after "?": the test client sends them untouched.
BAD_QUERIES = [
    "page=-1",
    "page=0",
    "page=" + "9" * 30,
    "page=abc",
    "page=",
    "page=1.5",
    "page=%C2%B2",  # "²": str.isdigit() says yes, int() says no
    "page=%D9%A3",  # an Arabic-Indic three
    "page=%00",
    "page=%FF%FE",
    "page=1&page=2",
    "cpage=-1",
    "cpage=" + "9" * 30,
    "cpage=abc",
    "cpage=%C2%B2",
    "q=%00",
    "q=%FF%FE%FD",
    "q=" + "x" * 5000,
    "q=%27%22%3B--%20%25_%5C",
    "status=%00",
    "status=bogus",
    "post=%FF",
    "next=%00",
    "replytocom=abc",
    "replytocom=" + "9" * 30,
    "%FF=%FF",
]
HUGE_ID = 10**20
NOT_THERE = 987654


@pytest.fixture
def world(app):
    """One of everything, so routes with ids and slugs find something."""
    admin = make_user(Role.ADMIN)
    post = make_post(author=admin, tags=["news"])
    comment = make_comment(post, status=CommentStatus.PENDING)
    return {"admin": admin, "post": post, "comment": comment}


def assert_no_server_error(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.data[:300])
    response.close()


def get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and rule.endpoint != "static":
            yield rule


def fill(rule, world, variant: str) -> str:
    """The rule's path with real values, or with ones that match nothing."""
    post = world["post"]
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            real = {
                "year": post.published_at.year,
                "month": post.published_at.month,
                "day": post.published_at.day,
                "comment_id": world["comment"].id,
                "post_id": post.id,
                "user_id": world["admin"].id,
            }.get(name, 1)
            odd = {"year": 2024, "month": 2, "day": 30}.get(name, HUGE_ID)
            values[name] = real if variant == "real" else odd if variant == "odd" else NOT_THERE
        else:
            real = {"slug": post.slug, "provider": "google"}.get(name, "token")
            values[name] = real if variant == "real" else "ODD" if variant == "odd" else "n"
    path = rule.build(values, append_unknown=False)[1]
    return path.replace("ODD", "%00%FF")  # a NUL and a byte that is not UTF-8


def test_every_get_route_survives_bad_query_strings(app, client, login_as, world):
    routes = list(get_rules(app))
    assert len(routes) > 30
    for visitor in ("anonymous", "admin"):
        if visitor == "admin":
            login_as(world["admin"])
        for rule in routes:
            path = fill(rule, world, "real")
            for query in BAD_QUERIES:
                response = client.get(path + "?" + query)
                assert_no_server_error(response, (visitor, path, query))


def test_unknown_and_impossible_ids_and_slugs_are_404s(app, client, login_as, world):
    login_as(world["admin"])
    for rule in get_rules(app):
        if not rule.arguments:
            continue
        for variant in ("missing", "odd"):
            path = fill(rule, world, variant)
            response = client.get(path)
            assert_no_server_error(response, path)
            if rule.endpoint != "accounts.oauth_callback":
                assert response.status_code in (400, 404, 302), (path, response.status_code)
    for path in ("/tag/%00/", "/2024/01/01/%00/", "/api/posts/%00", "/api/posts/%00%FF/comments"):
        assert client.get(path).status_code == 404, path


def test_write_routes_survive_odd_ids(app, client, login_as, world):
    login_as(world["admin"])
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not rule.arguments or not methods:
            continue
        for variant in ("missing", "odd"):
            path = fill(rule, world, variant)
            for method in methods:
                response = client.open(path, method=method, data={"body": "x"})
                assert_no_server_error(response, (method, path))


# --- bodies ----------------------------------------------------------------------------

SMALL_LIMIT = {"MAX_CONTENT_LENGTH": 64 * 1024}


@pytest.mark.parametrize("config_overrides", [SMALL_LIMIT])
def test_oversized_bodies_are_413(client, world):
    post = world["post"]
    big = "x" * (100 * 1024)
    response = client.post(f"/comments/{post.id}", data={"body": big, "name": "A"})
    assert response.status_code == 413 and b"too large" in response.data
    response = client.post(f"/api/posts/{post.slug}/comments", json={"body": big})
    assert response.status_code == 413 and "error" in response.get_json()
    response = client.post("/api/login", data=big, content_type="application/json")
    assert response.status_code == 413 and "error" in response.get_json()


def test_invalid_utf8_and_nul_in_forms(client, login_as, world):
    post = world["post"]
    bodies = [
        b"body=%FF%FE&name=%FF&email=a%40example.com",
        b"body=\xff\xfe&name=\xc3\x28&email=a@example.com",
        b"body=a%00b&name=%00&email=a%00%40example.com&website=http://x%00.example",
        b"body=ok&name=ok&email=a@example.com&parent_id=%00",
        b"body=ok&name=ok&email=a@example.com&parent_id=" + b"9" * 30,
        b"body=ok&name=ok&email=a@example.com&parent_id=-1",
        b"body=ok&ts=%FF%00",
    ]
    for body in bodies:
        response = client.post(
            f"/comments/{post.id}", data=body, content_type="application/x-www-form-urlencoded"
        )
        assert_no_server_error(response, body)
    for path, body in [
        ("/login", b"email=%FF%00&password=%00"),
        ("/signup", b"display_name=%00&email=a%00@example.com&password=%FF%FF%FF%FF%FF%FF%FF%FF"),
        ("/reset", b"email=%00%FF"),
        ("/search", b"q=%00"),
    ]:
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert_no_server_error(response, path)
    login_as(world["admin"])
    for path, body in [
        ("/admin/posts/new", b"title=%00&body=%FF%00&tags=%00,%FF&status=published&slug=%00"),
        ("/account/profile", b"display_name=%00%FF&website=%00"),
        ("/moderation/settings", b"max_links=%00&hold_words=%00%FF&comments_per_page=" + b"9" * 30),
        ("/moderation/bulk", b"ids=%00&ids=" + b"9" * 30 + b"&action=%FF"),
        ("/moderation/bans", b"kind=%00&value=%FF"),
    ]:
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert_no_server_error(response, path)


def test_json_api_survives_malformed_bodies(client, login_as, world):
    post = world["post"]
    login_as(world["admin"])
    writes = [
        ("POST", "/api/login"),
        ("POST", "/api/posts"),
        ("PATCH", f"/api/posts/{post.slug}"),
        ("POST", f"/api/posts/{post.slug}/comments"),
        ("POST", f"/api/comments/{world['comment'].id}/moderate"),
        ("POST", "/api/moderation/bulk"),
        ("PUT", "/api/moderation/settings"),
    ]
    bodies = [
        b"{",
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"1e999",
        b"NaN",
        b'{"body": "\xff\xfe"}',
        b'{"body": "a\\u0000b", "name": "\\u0000", "title": "\\u0000", "action": "\\u0000"}',
        b'{"body": "\\ud800"}',
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"body": {"nested": True}, "ids": "1", "parent_id": "x", "tags": 5}).encode(),
        json.dumps({"ids": [10**30, -1, None, "x"], "action": "approve"}).encode(),
        json.dumps(
            {"parent_id": 10**30, "body": "x", "name": "n", "email": "a@example.com"}
        ).encode(),
        json.dumps({"max_links": 10**30, "hold_words": [None, 1], "policy": []}).encode(),
        json.dumps(
            {"published_at": "not a date", "status": "nope", "title": "t", "body": "b"}
        ).encode(),
        json.dumps({"published_at": "99999-01-01T00:00:00", "title": "t", "body": "b"}).encode(),
    ]
    for method, path in writes:
        for body in bodies:
            for content_type in (
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
            ):
                response = client.open(path, method=method, data=body, content_type=content_type)
                assert_no_server_error(response, (method, path, body[:40], content_type))
                assert response.is_json, (method, path, response.status_code)
        response = client.open(
            path, method=method, data=b"--x--", content_type="multipart/form-data"
        )
        assert_no_server_error(response, (method, path, "multipart"))


def test_wrong_content_types_are_refused_with_json(client, world):
    post = world["post"]
    response = client.post(f"/api/posts/{post.slug}/comments", data={"body": "form"})
    assert response.status_code == 415 and "error" in response.get_json()
    response = client.post("/api/login", data="email=a", content_type="text/plain")
    assert response.status_code == 415
    response = client.put("/api/posts")
    assert response.status_code == 405 and "error" in response.get_json()


def test_the_comment_form_survives_json_and_missing_fields(client, world):
    post = world["post"]
    response = client.post(f"/comments/{post.id}", json={"body": "json to a form"})
    assert response.status_code == 400
    response = client.post(f"/comments/{post.id}", data={})
    assert response.status_code == 400
    response = client.post(f"/comments/{NOT_THERE}", data={"body": "x"})
    assert response.status_code == 404
