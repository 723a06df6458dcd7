"""The author area: list, write, preview, edit and delete posts."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..extensions import db
from ..models import Post, PostStatus, Role
from ..posts import queries
from ..posts.services import PostError, can_edit, delete_post, save_post, validate
from ..posts.views import page_number
from ..sanitise import render_post
from . import bp
from .forms import DeleteForm, PostForm

STATUS_TABS = [("all", "All")] + [(s.value, s.value.capitalize()) for s in PostStatus]


def editable_post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    if not can_edit(current_user, post):
        abort(403)
    return post


@bp.app_context_processor
def admin_links() -> dict:
    """The author area's menu; pages other parts add appear once they exist."""

    def links() -> list[tuple[str, str]]:
        items = [("admin.posts", "Posts"), ("admin.new_post", "New post")]
        items.append(("admin.uploads", "Images"))
        for endpoint, label, role in (
            ("admin.users", "Users", Role.ADMIN),
            ("admin.settings", "Settings", Role.ADMIN),
            ("moderation.queue", "Moderation", Role.MODERATOR),
            ("moderation.settings", "Comment rules", Role.MODERATOR),
        ):
            if endpoint in current_app.view_functions and current_user.can(role):
                items.append((endpoint, label))
        return items

    return {"admin_links": links}


@bp.get("/")
@role_required(Role.AUTHOR)
def posts():
    status = request.args.get("status", "all")
    if status not in dict(STATUS_TABS):
        abort(404)
    query = queries.manageable(current_user)
    if status != "all":
        query = queries.with_status(query, PostStatus(status))
    per_page = 25
    pages = db.paginate(query, page=page_number(), per_page=per_page, error_out=True)
    return render_template(
        "admin/posts.html", pages=pages, status=status, tabs=STATUS_TABS, delete_form=DeleteForm()
    )


@bp.route("/posts/new", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def new_post():
    form = PostForm()
    return _edit(form, None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def edit_post(post_id: int):
    post = editable_post_or_404(post_id)
    form = PostForm()
    if request.method == "GET":
        form.fill_from(post)
    return _edit(form, post)


def _edit(form: PostForm, post: Post | None):
    """Show the form; on Preview render it unsaved; on Save save and go to the list."""
    preview = None
    status = 200
    if form.validate_on_submit():
        data = form.to_input()
        try:
            if form.preview.data:
                clean = validate(data, post)
                preview = {
                    "title": clean.title,
                    "html": render_post(clean.body),
                    "excerpt_html": render_post(clean.excerpt) if clean.excerpt else "",
                    "status": clean.status,
                    "published_at": clean.published_at,
                    "tags": clean.tags,
                }
            else:
                saved = save_post(data, author=current_user, post=post)
                flash(_saved_message(saved), "success")
                return redirect(url_for("admin.edit_post", post_id=saved.id))
        except PostError as exc:
            form.show_errors(exc.fields)
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("admin/edit_post.html", form=form, post=post, preview=preview), status


def _saved_message(post: Post) -> str:
    status = post.effective_status
    if status == PostStatus.PUBLISHED:
        return f"Saved. “{post.title}” is published."
    if status == PostStatus.SCHEDULED:
        return f"Saved. “{post.title}” will appear on {post.published_at:%-d %B %Y at %H:%M} UTC."
    return f"Saved. “{post.title}” is a draft: only you can see it."


@bp.get("/posts/<int:post_id>/preview")
@role_required(Role.AUTHOR)
def preview_post(post_id: int):
    """The post as readers will see it, drafts and scheduled posts included."""
    post = editable_post_or_404(post_id)
    return render_template("admin/preview_post.html", post=post)


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def delete(post_id: int):
    """GET asks to confirm; POST deletes the post and its comments."""
    post = editable_post_or_404(post_id)
    form = DeleteForm()
    if form.validate_on_submit():
        title = post.title
        delete_post(post)
        flash(f"Deleted “{title}”.", "success")
        return redirect(url_for("admin.posts"))
    return render_template("admin/delete_post.html", post=post, form=form)
