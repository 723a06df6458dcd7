"""Akismet's comment-check, asked only when ``BLOG_AKISMET_KEY`` is set.

Akismet answers ``true`` (spam) or ``false`` (not spam) in the body; anything
else, or no answer in time, is an error. An error never loses or refuses a
comment: it is held with a reason, for a person to decide.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import requests
from flask import current_app

from ..moderation.services import Reason, reason

if TYPE_CHECKING:
    from .policy import Candidate

log = logging.getLogger(__name__)

TIMEOUT = 5


def enabled() -> bool:
    return bool(current_app.config.get("AKISMET_KEY"))


def check(candidate: Candidate) -> Reason | None:
    """Akismet's verdict as a reason (spam, or an error that holds), or None for "not spam"."""
    if not enabled():
        return None
    key = current_app.config["AKISMET_KEY"]
    url = current_app.config["AKISMET_URL"].format(key=key)
    try:
        response = requests.post(
            url,
            data=comment_fields(candidate, key),
            timeout=TIMEOUT,
            headers={"User-Agent": "blog/0.1 | Akismet"},
        )
    except requests.RequestException as exc:
        log.warning("Akismet unreachable: %s", exc)
        return reason("akismet_error", "Akismet could not be reached; held to be safe.")
    answer = response.text.strip()
    if response.status_code == 200 and answer == "true":
        return reason("akismet_spam", "Akismet says this is spam.")
    if response.status_code == 200 and answer == "false":
        return None
    detail = response.headers.get("X-akismet-debug-help") or answer[:100] or response.status_code
    log.warning("Akismet gave no verdict: %s", detail)
    return reason("akismet_error", f"Akismet gave no verdict ({detail}); held to be safe.")


def comment_fields(candidate: Candidate, key: str) -> dict[str, str]:
    """The form fields comment-check reads."""
    cfg = current_app.config
    post = candidate.post
    fields = {
        "api_key": key,
        "blog": cfg["BASE_URL"],
        "user_ip": candidate.ip or "",
        "user_agent": candidate.user_agent or "",
        "referrer": candidate.referrer or "",
        "permalink": cfg["BASE_URL"].rstrip("/") + post.url_path,
        "comment_type": "reply" if candidate.is_reply else "comment",
        "comment_author": candidate.name,
        "comment_author_email": candidate.email or "",
        "comment_author_url": candidate.website or "",
        "comment_content": candidate.body,
        "blog_lang": "en",
        "blog_charset": "UTF-8",
    }
    if post.published_at:
        fields["comment_post_modified_gmt"] = post.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if cfg.get("TESTING"):
        fields["is_test"] = "1"
    return fields
