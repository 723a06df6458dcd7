"""The moderation screen: the queues and what a moderator does to one comment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required, safe_next
from ..extensions import db
from ..models import Comment, Role, User
from . import bp
from .bans import ban_author
from .forms import BanForm, EditForm, ReplyForm
from .queues import (
    Queue,
    author_history,
    history_text,
    log_select,
    parse_queue,
    queue_counts,
    queue_page,
)
from .services import (
    DECISIONS,
    Action,
    ModerationError,
    bulk,
    can_apply,
    edit_comment,
    find_comment,
    moderate,
    past_tense,
    reply_as_moderator,
)

PER_PAGE = 20
LABELS = {"approve": "Approve", "reject": "Reject", "spam": "Spam", "restore": "Restore"}
QUEUE_TITLES = {
    "pending": "Waiting for a decision",
    "flagged": "Flagged by readers, not yet reviewed",
    "spam": "Spam",
    "rejected": "Rejected",
    "approved": "Recently approved",
}


def me() -> User:
    """The logged-in moderator as a model object (not the proxy)."""
    return current_user._get_current_object()


def back(default: str | None = None) -> str:
    """Where to go after an action: the page it came from, if on this site."""
    return safe_next(
        request.form.get("next") or request.args.get("next"), default or url_for(".queue")
    )


def comment_or_404(comment_id: int) -> Comment:
    comment = find_comment(comment_id)
    if comment is None:
        abort(404, description="There is no comment with that id.")
    return comment


def _card_context(comments: list[Comment]) -> dict:
    history = author_history(comments)
    return {
        "history": {cid: history_text(counts) for cid, counts in history.items()},
        "can_apply": can_apply,
        "decisions": DECISIONS,
        "labels": LABELS,
    }


@bp.get("/")
@role_required(Role.MODERATOR)
def queue():
    current = parse_queue(request.args.get("status"))
    if current is None:
        abort(404, description="There is no such queue.")
    page = min(request.args.get("page", 1, type=int), 100_000)  # past it: an empty page
    counts = queue_counts()
    pagination = queue_page(current, max(page, 1), PER_PAGE, counts[current])
    return render_template(
        "moderation/queue.html",
        queue=current,
        queues=list(Queue),
        counts=counts,
        queue_titles=QUEUE_TITLES,
        pagination=pagination,
        here=request.full_path.rstrip("?"),
        **_card_context(pagination.items),
    )


@bp.post("/comments/<int:comment_id>/<any(approve, reject, spam, restore):action>")
@role_required(Role.MODERATOR)
def act(comment_id: int, action: str):
    comment = comment_or_404(comment_id)
    try:
        moderate(comment, Action(action), me())
    except ModerationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"The comment by {comment.author_name} was {past_tense(action)}.", "success")
    return redirect(back())


@bp.post("/bulk")
@role_required(Role.MODERATOR)
def bulk_action():
    ids = request.form.getlist("ids", type=int)
    if not ids:
        flash("Select at least one comment first.", "error")
        return redirect(back())
    try:
        result = bulk(ids, request.form.get("action", ""), me())
    except ModerationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back())
    db.session.commit()
    done = len(result.updated)
    words = f"{done} comment{'s' if done != 1 else ''} {past_tense(request.form['action'])}."
    if result.skipped or result.missing:
        words += f" {len(result.skipped) + len(result.missing)} left as they were."
    flash(words, "success" if done else "info")
    return redirect(back())


@bp.get("/comments/<int:comment_id>")
@role_required(Role.MODERATOR)
def comment(comment_id: int):
    item = comment_or_404(comment_id)
    events = db.session.scalars(log_select(comment_id=item.id)).all()
    return render_template(
        "moderation/comment.html",
        comment=item,
        events=events,
        here=request.path,
        **_card_context([item]),
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def edit(comment_id: int):
    item = comment_or_404(comment_id)
    form = EditForm(obj=item)
    if form.validate_on_submit():
        try:
            edit_comment(
                item,
                me(),
                body=form.body.data,
                author_name=form.author_name.data,
                author_website=form.author_website.data or "",
            )
        except ModerationError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            db.session.commit()
            flash("The comment was saved.", "success")
            return redirect(back(url_for(".comment", comment_id=item.id)))
    status = 400 if form.errors else 200
    return render_template("moderation/edit.html", comment=item, form=form), status


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def reply(comment_id: int):
    parent = comment_or_404(comment_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            answer = reply_as_moderator(parent, me(), form.body.data)
        except ModerationError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            db.session.commit()
            flash("Your reply is published.", "success")
            return redirect(back(url_for(".comment", comment_id=answer.id)))
    status = 400 if form.errors else 200
    return render_template("moderation/reply.html", comment=parent, form=form), status


@bp.route("/comments/<int:comment_id>/ban", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def ban(comment_id: int):
    item = comment_or_404(comment_id)
    form = BanForm()
    if form.validate_on_submit():
        try:
            result = ban_author(
                item,
                me(),
                user=form.user.data,
                email=form.email.data,
                ip=form.ip.data,
                spam=form.spam.data,
                reason=form.reason.data,
            )
        except ModerationError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            db.session.commit()
            what = ", ".join(result.banned) or "nothing new (already banned)"
            flash(f"Banned: {what}.", "success")
            return redirect(back(url_for(".comment", comment_id=item.id)))
    status = 400 if form.errors else 200
    return render_template("moderation/ban.html", comment=item, form=form), status


def _field_errors(form, exc: ModerationError) -> None:
    """Show a service's error next to its field, or at the top of the form."""
    placed = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)
