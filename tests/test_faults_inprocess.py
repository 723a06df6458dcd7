"""Redis configured but down, in one process: what still works and how limits behave."""

from __future__ import annotations

import pytest

from tests.factories import make_post
from tests.procs import free_port


@pytest.fixture
def config_overrides():
    return {
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        "COMMENT_RATE_LIMIT": "2 per minute",
        "PAGE_CACHE": True,
    }


def guest_comment(client, slug: str, n: int):
    data = {"body": f"Comment {n} while Redis is away.", "name": "Ann", "email": "ann@example.com"}
    return client.post(f"/api/posts/{slug}/comments", json=data)


def test_rate_limits_fall_back_to_this_processs_memory(app, client):
    post = make_post()
    codes = [guest_comment(client, post.slug, n).status_code for n in range(3)]
    assert codes == [201, 201, 429]


def test_pages_and_health_answer_without_redis(app, client):
    post = make_post()
    for path in ("/", post.url_path, "/feed.atom", "/healthz"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "X-Cache" not in answer.headers  # the cache is skipped, not an error


def test_an_unreachable_database_is_a_503_not_a_500(base_config, tmp_path):
    from blog import create_app

    gone = create_app(
        {
            **base_config,
            "INSTANCE_PATH": str(tmp_path / "gone"),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/nothing",
        }
    )
    client = gone.test_client()
    page = client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "briefly unavailable" in page.get_data(as_text=True)
    api = client.get("/api/posts")
    assert api.status_code == 503 and "error" in api.get_json()
    assert client.get("/healthz").status_code == 503
