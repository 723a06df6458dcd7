"""One-click links from moderation mails: GET shows a confirm page, POST acts.

The signature authorises the action, so it works for a moderator who is not
logged in; the action is recorded as theirs.
"""

from __future__ import annotations

from flask import render_template, request

from ..extensions import db
from . import bp
from .links import LinkError, decided_since, read_token
from .services import ModerationError, can_apply, moderate, past_tense

_LABELS = {"approve": "Approve", "spam": "Mark as spam", "reject": "Reject"}


def _page(status: int = 200, **context):
    """The link page in one of its states: error, decided, confirm or done."""
    values = dict.fromkeys(("error", "decided", "done", "confirm", "claim", "comment", "label"))
    values.update(context)
    return render_template("moderation/link.html", **values), status


@bp.route("/link/<token>", methods=["GET", "POST"])
def mail_link(token: str):
    try:
        claim = read_token(token)
    except LinkError as exc:
        return _page(exc.status, error=exc.message)
    context = {"claim": claim, "comment": claim.comment, "label": _LABELS[claim.action.value]}
    decided = decided_since(claim)
    if decided is not None or not can_apply(claim.comment, claim.action):
        return _page(409, decided=decided or True, **context)
    if request.method == "GET":
        return _page(confirm=True, **context)
    try:
        moderate(claim.comment, claim.action, claim.moderator, note="From a mail link")
    except ModerationError as exc:
        db.session.rollback()
        return _page(409, error=exc.message)
    db.session.commit()
    return _page(done=past_tense(claim.action), **context)
