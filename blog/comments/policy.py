"""The moderation policy: what is held and why.

``decide`` looks at a comment about to be stored and answers approved,
pending or spam with every reason it found, as ``{code, text}``. Spam wins
over pending, pending over approved. Nothing here writes to the database.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Ban, BanKind, Comment, CommentStatus, Post, User, utcnow
from ..moderation.services import Reason, reason
from ..moderation.settings import Policy, get_settings
from . import akismet

# A person needs a few seconds to read a post and write something.
MIN_FORM_SECONDS = 3.0

SPAM_CODES = frozenset({"honeypot", "banned_email", "banned_ip", "block_word", "akismet_spam"})


@dataclass
class Candidate:
    """What the policy looks at: a comment about to be stored or just edited."""

    post: Post
    body: str
    name: str
    email: str | None
    website: str | None
    ip: str | None
    user_agent: str | None
    link_count: int
    user: User | None = None
    # Seconds the form was open; None when the comment did not come from the form.
    form_age: float | None = None
    honeypot: bool = False
    referrer: str | None = None
    is_reply: bool = False


@dataclass
class Decision:
    status: CommentStatus
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Record:
    """What the database holds about a commenter that the policy looks at."""

    banned_email: bool = False
    banned_ip: bool = False
    has_approved: bool = False


def decide(
    candidate: Candidate, settings: dict[str, Any] | None = None, record: Record | None = None
) -> Decision:
    """Approved, pending or spam, with every reason that applies.

    ``record`` is the commenter's record when the caller read it with its own
    query (see ``record_columns``); otherwise it is read here.
    """
    settings = settings or get_settings()
    user = candidate.user
    if user is not None and user.is_moderator:
        return Decision(CommentStatus.APPROVED)  # moderators are trusted
    if record is None:
        record = read_record(user, candidate.email, candidate.ip)
    reasons = [
        *_form_reasons(candidate),
        *ban_reasons(candidate.ip, record),
        *content_reasons(candidate, settings),
        *_policy_reasons(candidate, settings, record),
    ]
    if not any(r["code"] in SPAM_CODES for r in reasons):
        verdict = akismet.check(candidate)
        if verdict is not None:
            reasons.append(verdict)
    return verdict_for(reasons)


def verdict_for(reasons: list[Reason]) -> Decision:
    """Spam when a spam reason is present, pending for any other reason, else approved."""
    if any(r["code"] in SPAM_CODES for r in reasons):
        return Decision(CommentStatus.SPAM, reasons)
    if reasons:
        return Decision(CommentStatus.PENDING, reasons)
    return Decision(CommentStatus.APPROVED, reasons)


def content_reasons(candidate: Candidate, settings: dict[str, Any]) -> list[Reason]:
    """The rules about what a comment says: block words, hold words, links."""
    reasons: list[Reason] = []
    fields = _searchable_fields(candidate)
    for word, places in _matches(settings["block_words"], fields):
        reasons.append(reason("block_word", f'Contains the blocked word "{word}" ({places}).'))
    for word, places in _matches(settings["hold_words"], fields):
        reasons.append(reason("hold_word", f'Contains the hold word "{word}" ({places}).'))
    limit = settings["max_links"]
    if candidate.link_count > limit:
        reasons.append(
            reason(
                "too_many_links",
                f"Has {candidate.link_count} links; more than {limit} are held.",
            )
        )
    return reasons


def ban_reasons(ip: str | None, record: Record) -> list[Reason]:
    """Reasons for a banned email address or IP address."""
    reasons: list[Reason] = []
    if record.banned_email:
        reasons.append(reason("banned_email", "The email address is banned."))
    if record.banned_ip:
        reasons.append(reason("banned_ip", f"The IP address {ip} is banned."))
    return reasons


def record_columns(*, user: bool, email: bool, ip: bool) -> list[sa.ColumnElement[Any]]:
    """The columns that read a commenter's ``Record``, for a query of the caller's own
    (one round trip for everything): for a user or a guest, with an email address and
    an IP address or without. Their parameters come from ``record_params``; the row
    goes to ``record_from``."""
    email_banned: sa.ColumnElement[Any] = sa.false()
    if email:
        # Always two keys (the address and its domain): plain parameters, not an
        # expanding list, so the statement is the same text every time.
        keys = [sa.bindparam("record_email_key"), sa.bindparam("record_email_domain")]
        email_banned = sa.exists().where(
            Ban.kind == BanKind.EMAIL, sa.func.lower(Ban.value).in_(keys)
        )
    ip_banned: sa.ColumnElement[Any] = sa.false()
    networks: sa.ColumnElement[Any] = sa.null()
    if ip:
        ip_banned = sa.exists().where(
            Ban.kind == BanKind.IP, Ban.value == sa.bindparam("record_ip")
        )
        # Ranges are written as networks ("203.0.113.0/24"); there are few of them.
        # (A value with a line break is no network: leaving it out keeps the list whole.)
        networks = (
            sa.select(sa.func.aggregate_strings(Ban.value, "\n"))
            .where(Ban.kind == BanKind.IP, Ban.value.contains("/"), ~Ban.value.contains("\n"))
            .scalar_subquery()
        )
    # Whether this identity (a user, or a guest's email) has an approved comment.
    has_approved: sa.ColumnElement[Any] = sa.false()
    if user:
        mine = Comment.user_id == sa.bindparam("record_user_id")
        has_approved = sa.exists().where(Comment.status == CommentStatus.APPROVED, mine)
    elif email:
        mine = sa.and_(
            Comment.user_id.is_(None), Comment.author_email == sa.bindparam("record_email")
        )
        has_approved = sa.exists().where(Comment.status == CommentStatus.APPROVED, mine)
    return [
        email_banned.label("record_banned_email"),
        ip_banned.label("record_banned_ip"),
        networks.label("record_ip_networks"),
        has_approved.label("record_has_approved"),
    ]


def record_params(user: User | None, email: str | None, ip: str | None) -> dict[str, Any]:
    """The parameters of ``record_columns`` for this commenter."""
    params: dict[str, Any] = {}
    if user is not None:
        params["record_user_id"] = user.id
    if email:
        params["record_email_key"], params["record_email_domain"] = _email_keys(email)
        params["record_email"] = email
    if ip:
        params["record_ip"] = ip
    return params


def record_from(row: sa.Row[Any], ip: str | None) -> Record:
    """The ``Record`` in a row that has the ``record_columns``."""
    networks = (row.record_ip_networks or "").split("\n")
    return Record(
        banned_email=bool(row.record_banned_email),
        banned_ip=bool(ip) and (bool(row.record_banned_ip) or _in_networks(ip, networks)),
        has_approved=bool(row.record_has_approved),
    )


def read_record(user: User | None, email: str | None, ip: str | None) -> Record:
    """A commenter's ``Record``, in one query."""
    query = _record_query(user is not None, bool(email), bool(ip))
    row = db.session.execute(query, record_params(user, email, ip)).one()
    return record_from(row, ip)


@functools.cache
def _record_query(user: bool, email: bool, ip: bool) -> sa.Select[Any]:
    # Built once for each kind of commenter: building a query costs more than running it.
    return sa.select(*record_columns(user=user, email=email, ip=ip))


def closed_reason(post: Post, settings: dict[str, Any] | None = None) -> str | None:
    """Why nobody may comment on ``post`` now, or None when comments are open."""
    settings = settings or get_settings()
    if not post.comments_enabled:
        return "Comments are closed on this post."
    days = settings["close_after_days"]
    published = post.published_at or post.created_at
    if days and published and published + timedelta(days=days) < utcnow():
        return f"Comments are closed: this post is more than {days} days old."
    return None


def _form_reasons(candidate: Candidate) -> list[Reason]:
    reasons: list[Reason] = []
    if candidate.honeypot:
        reasons.append(reason("honeypot", "A field that people leave empty was filled in."))
    if candidate.form_age is not None and candidate.form_age < MIN_FORM_SECONDS:
        reasons.append(
            reason("too_fast", f"Sent {candidate.form_age:.1f} s after the form was shown.")
        )
    return reasons


def _policy_reasons(candidate: Candidate, settings: dict[str, Any], record: Record) -> list[Reason]:
    policy = settings["policy"]
    if policy == Policy.ALL:
        return [reason("hold_all", "Every comment is held for a moderator.")]
    if policy == Policy.FIRST_TIME and not record.has_approved:
        return [reason("first_time", "A first comment from this commenter.")]
    return []


def _searchable_fields(candidate: Candidate) -> dict[str, str]:
    return {
        "text": candidate.body,
        "name": candidate.name,
        "email": candidate.email or "",
        "website": candidate.website or "",
        "IP": candidate.ip or "",
        "user agent": candidate.user_agent or "",
    }


def _matches(words: list[str], fields: dict[str, str]) -> list[tuple[str, str]]:
    """Each word found (as a case-insensitive substring, as WordPress does) and where."""
    lowered = {name: value.casefold() for name, value in fields.items()}
    found = []
    for word in words:
        needle = word.strip().casefold()
        if not needle:
            continue
        places = [name for name, value in lowered.items() if needle in value]
        if places:
            found.append((word, "in the " + ", ".join(places)))
    return found


def _email_keys(email: str) -> list[str]:
    """The banned values that catch ``email``: the address and its ``@domain``."""
    email = email.strip().lower()
    return [email, "@" + email.rpartition("@")[2]]


def _in_networks(ip: str, networks: list[str]) -> bool:
    """Whether ``ip`` is inside one of the banned ``networks``."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for value in networks:
        if "/" not in value:
            continue
        try:
            if address in ipaddress.ip_network(value, strict=False):
                return True
        except ValueError:
            continue
    return False
