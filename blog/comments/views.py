"""The comment form and the commenter's own actions, working without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..extensions import _client_ip, db
from ..models import Comment, CommentStatus, Post
from . import bp, editing
from .area import FORM_STATE, comment_area, comment_url, viewer
from .flags import flag_comment, reporter_key
from .guest import forget_comment, remember_comment
from .limits import comment_rate_limits, flag_rate_limit
from .pipeline import HELD_MESSAGE, RequestInfo, Result, submit_comment


def visible_post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not post.is_visible:
        abort(404)
    return post


def _shown_comment_or_404(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or not comment.post.is_visible:
        abort(404)
    return comment


@bp.post("/comments/<int:post_id>")
@comment_rate_limits
def submit(post_id: int):
    """The form's target: store the comment and go to it, or show the form again with errors."""
    post = visible_post_or_404(post_id)
    result = submit_comment(
        post, request.form, current_user, RequestInfo.from_request(via_form=True)
    )
    if not result.ok:
        if result.status == 404:
            abort(404, description=result.message)
        return render_post_page(post, result)
    comment = result.comment
    user, guest_ids = viewer()
    if user is None:
        guest_ids = [*guest_ids, comment.id]
    target = comment_url(comment, user, guest_ids)
    if target is None:  # not shown, even to its author (spam)
        flash(HELD_MESSAGE, "info")
        target = post.url_path + "#comments"
    response = redirect(target, code=303)
    if user is None:
        remember_comment(response, comment.id)
    return response


def render_post_page(post: Post, result: Result) -> Response:
    """The post page again, its form holding what was typed and a message per field."""
    request.environ[FORM_STATE] = {
        "post_id": post.id,
        "values": result.values,
        "errors": result.errors,
        "message": result.message,
    }
    try:
        adapter = current_app.create_url_adapter(request)
        endpoint, args = adapter.match(post.url_path, method="GET")
        body: Any = current_app.view_functions[endpoint](**args)
    except (HTTPException, LookupError):
        # No post page to borrow (it moved, or is not built): a page of our own.
        cpage = request.args.get("cpage", 1, type=int)
        body = render_template("comments/post_form.html", post=post, area=comment_area(post, cpage))
    response = make_response(body)
    response.status_code = result.status
    return response


@bp.get("/c/<int:comment_id>")
def permalink(comment_id: int):
    """A comment's lasting address: the post page, on the comment page that shows it."""
    comment = _shown_comment_or_404(comment_id)
    user, guest_ids = viewer()
    target = comment_url(comment, user, guest_ids)
    if target is None:
        abort(404, description="This comment is not shown.")
    return redirect(target)


@bp.post("/comments/<int:comment_id>/flag")
@flag_rate_limit
def flag(comment_id: int):
    """A reader reports a comment; enough reports hold it for a moderator."""
    comment = _shown_comment_or_404(comment_id)
    if comment.status != CommentStatus.APPROVED:
        abort(404)
    note = (request.form.get("reason") or "").strip()[:500] or None
    added = flag_comment(comment, reporter_key(current_user, _client_ip()), note)
    if added:
        flash("Thank you for the report. A moderator will have a look.", "info")
    else:
        flash("You have already reported this comment.", "info")
    return redirect(comment.post.url_path + "#comments", code=303)


def _own_comment(comment_id: int) -> Comment:
    comment = _shown_comment_or_404(comment_id)
    user, guest_ids = viewer()
    if not editing.is_author(comment, user, guest_ids):
        abort(403, description="Only its author can change this comment.")
    if not editing.can_modify(comment, user, guest_ids):
        abort(403, description="The time for changing this comment has passed.")
    return comment


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    """Edit one's own comment within the edit window."""
    comment = _own_comment(comment_id)
    user, _ = viewer()
    body, errors = comment.body, {}
    if request.method == "POST":
        body = request.form.get("body", "")
        errors = editing.edit_comment(comment, body, user)
        if not errors:
            user, guest_ids = viewer()
            target = comment_url(comment, user, guest_ids)
            if comment.status == CommentStatus.SPAM or target is None:
                flash(HELD_MESSAGE, "info")
                target = comment.post.url_path + "#comments"
            return redirect(target, code=303)
    page = render_template("comments/edit.html", comment=comment, body=body, errors=errors)
    return page, 400 if errors else 200


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int):
    """Delete one's own comment within the edit window."""
    comment = _own_comment(comment_id)
    post_url = comment.post.url_path
    user, _ = viewer()
    editing.delete_comment(comment, user)
    flash("Your comment was deleted.", "info")
    response = redirect(post_url + "#comments", code=303)
    if user is None:
        forget_comment(response, comment_id)
    return response
