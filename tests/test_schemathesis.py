"""schemathesis against /api/openapi.json: generated requests for every operation, sent
through the app as a logged-in moderator with a CSRF token (so writes get past CSRF),
must never make a server error, and every answer must match the document.

schemathesis's own pytest glue (``schema.parametrize`` on a fixture) does not run on
pytest 9, so each operation is a test of its own that runs Hypothesis itself: valid
requests (positive) and requests the document says are invalid (negative).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from blog.api.openapi import PATHS
from blog.models import CommentStatus, Role
from tests.factories import make_comment, make_post, make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]
MODES = [(GenerationMode.POSITIVE, 25), (GenerationMode.NEGATIVE, 15)]
CSRF_REFUSED = "lacks its security token"


@pytest.fixture
def world(app):
    """A moderator, and a post and comments for generated calls to find half the time."""
    user = make_user(Role.MODERATOR, email="mod@example.com")
    post = make_post(author=user, slug="a-post", tags=["news"])
    held = [make_comment(post, body=f"Held {n}", status=CommentStatus.PENDING) for n in range(3)]
    shown = make_comment(post, body="Shown")
    return {"moderator": user, "slug": post.slug, "ids": [c.id for c in [*held, shown]]}


def aim_at_real_rows(case, world, index: int) -> None:
    """Point a generated call at a row that exists (a random slug finds nothing)."""
    params = case.path_parameters or {}
    if "slug" in params:
        params["slug"] = world["slug"]
    if "comment_id" in params:
        params["comment_id"] = world["ids"][index % len(world["ids"])]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(o) for o in OPERATIONS])
@pytest.mark.parametrize(("mode", "examples"), MODES, ids=["positive", "negative"])
def test_the_api_keeps_to_its_document(app, client, login_as, world, method, path, mode, examples):
    operation = schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method]
    statuses = []

    @given(case=operation.as_strategy(generation_mode=mode), real=st.integers(-1, 7))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same calls on every run, so CI failures reproduce
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case, real):
        if real >= 0 and mode == GenerationMode.POSITIVE:
            aim_at_real_rows(case, world, real)
        login_as(world["moderator"])  # again each time: a generated call may log out
        response = case.call_and_validate(
            session=client, headers={"X-CSRFToken": client.csrf_token()}, checks=CHECKS
        )
        assert CSRF_REFUSED not in response.text
        statuses.append(response.status_code)

    try:
        call()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (no parameters, no body).
        assert mode == GenerationMode.NEGATIVE
        return
    if mode == GenerationMode.POSITIVE and path != "/api/login":  # (random passwords)
        # Valid calls by a moderator do succeed: CSRF and the session got through.
        assert any(200 <= status < 300 for status in statuses), statuses


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(o) for o in OPERATIONS])
def test_a_visitor_gets_documented_answers_too(app, client, world, method, path):
    """Not logged in (with a CSRF token): the 401s and 403s are in the document too."""
    operation = schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method]

    @given(case=operation.as_strategy(), real=st.integers(0, 7))
    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def call(case, real):
        aim_at_real_rows(case, world, real)
        client.post("/api/logout")  # a generated /api/login may have logged in
        response = case.call_and_validate(
            session=client, headers={"X-CSRFToken": client.csrf_token()}, checks=CHECKS
        )
        assert CSRF_REFUSED not in response.text

    call()
