"""The comment area under a post (placeholder until the discussion work lands)."""

from __future__ import annotations

from typing import Any

from ..models import Post


def comment_area(post: Post, page: int = 1) -> dict[str, Any]:
    """Everything the post page needs to show its discussion and the form."""
    return {"post": post, "threads": [], "page": page, "pages": 1}
