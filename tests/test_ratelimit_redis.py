"""Comment limits kept in a real Redis: the counts, and the headers read with the hit."""

from __future__ import annotations

import time
import uuid

import pytest
from limits.storage import RedisStorage

from blog.extensions import limiter
from blog.ratelimit import CountingRedisStorage
from tests.factories import make_post

LIMIT = "2 per minute"


@pytest.fixture
def config_overrides(redis_url):
    return {"REDIS_URL": redis_url, "COMMENT_RATE_LIMIT": LIMIT}


@pytest.fixture
def keys(redis_url) -> list[str]:
    """The two limits' keys for a guest of this test's own, counted from zero."""
    email = f"ann-{uuid.uuid4().hex[:12]}@example.com"
    names = [
        f"LIMITER/blog/ip:127.0.0.1/comment-ip/{LIMIT.replace(' per ', '/1/')}",
        f"LIMITER/blog/email:{email}/comment-account/{LIMIT.replace(' per ', '/1/')}",
    ]
    stock = RedisStorage(redis_url)
    for name in names:
        stock.clear(name)
    return names


def guest_comment(client, slug: str, email: str, n: int):
    data = {"body": f"Comment number {n}.", "name": "Ann", "email": email}
    return client.post(f"/api/posts/{slug}/comments", json=data)


def test_limits_count_in_redis_and_answer_their_headers(app, client, redis_url, keys):
    assert isinstance(limiter.storage, CountingRedisStorage)
    post = make_post()
    email = keys[1].split("email:")[1].split("/")[0]
    first, second, third = (guest_comment(client, post.slug, email, n) for n in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 429]
    now = time.time()
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    for answer in (first, second, third):
        assert now < int(answer.headers["X-RateLimit-Reset"]) <= now + 61
        assert 0 < int(answer.headers["Retry-After"]) <= 60
    # Redis holds the counts as the stock storage reads them: the refused comment
    # counted against the first limit it broke, and the check stopped there.
    stock = RedisStorage(redis_url)
    assert sorted(stock.get(name) for name in keys) == [2, 3]
    for name in keys:
        assert now < stock.get_expiry(name) <= now + 61


def test_a_key_not_counted_in_this_request_is_read_from_redis(app, redis_url):
    storage = limiter.storage
    assert isinstance(storage, CountingRedisStorage)
    key = f"test-{uuid.uuid4().hex}"
    with app.test_request_context("/"):
        assert storage.incr(key, 60) == 1
        assert storage.incr(key, 60) == 2
        assert storage.get(key) == 2
    with app.test_request_context("/"):
        RedisStorage(redis_url).incr(key, 60)  # another process counts
        assert storage.get(key) == 3
        assert time.time() < storage.get_expiry(key) <= time.time() + 61
        storage.clear(key)
        assert storage.get(key) == 0
