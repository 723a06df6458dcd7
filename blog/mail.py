"""Mail: written to the outbox with the change that causes it, sent by a job.

The outbox is the source of truth. A mail is claimed by one sender with a
conditional UPDATE before it is sent, so two workers never send it twice;
a failed send is retried with exponential backoff.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import socket
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .extensions import db
from .models import MailStatus, OutboxMail, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
#: the longest wait between two attempts; with the default base of 30 s a mail
#: is retried for about five hours before it is marked failed
MAX_BACKOFF = timedelta(hours=1)
#: a claim older than this is taken to belong to a sender that died mid-send
CLAIM_TIMEOUT = timedelta(minutes=10)


def queue_mail(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMail:
    """Add a mail to the outbox in the current transaction; it is sent after commit."""
    mail = OutboxMail(to=to, subject=subject, text=text, html=html, headers=headers or {})
    db.session.add(mail)
    db.session.info["mail_queued"] = True
    return mail


def queue_mails(mails: list[dict[str, Any]]) -> None:
    """Add rendered mails (``to``, ``subject``, ``text``, ``html``, ``headers``) to the
    outbox in one INSERT, in the current transaction; they are sent after commit.

    For mail nobody needs as an object afterwards: no ORM bookkeeping per mail.
    """
    if not mails:
        return
    db.session.connection().execute(_outbox_insert(), mails)
    db.session.info["mail_queued"] = True


@functools.cache
def _outbox_insert() -> sa.Insert:
    # Built once; the columns' defaults (pending, due now) apply as in ``queue_mail``.
    return sa.insert(OutboxMail.__table__)


@sa.event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.info.pop("mail_queued", False):
        from . import jobs

        # One sender waiting in the queue is enough: it sends everything due when it runs.
        jobs.enqueue_once(sweep_outbox)


@sa.event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("mail_queued", None)


def send_due_mail(limit: int = 100) -> int:
    """Send every due mail in the outbox; return how many were sent."""
    now = utcnow()
    due = db.session.scalars(
        sa.select(OutboxMail.id)
        .where(OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now)
        .where(sa.or_(OutboxMail.claimed_by.is_(None), OutboxMail.claimed_at < now - CLAIM_TIMEOUT))
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    sent = 0
    for mail_id in due:
        if _claim(mail_id):
            sent += _deliver_claimed(mail_id)
    return sent


def sweep_outbox(batch: int = 100) -> int:
    """Send due mail in batches until none is left; return how many were sent."""
    total = 0
    while True:
        sent = send_due_mail(batch)
        total += sent
        if sent < batch:
            return total


def _claim(mail_id: int) -> bool:
    """Take ``mail_id`` for this sender in one conditional UPDATE; False if another has it.

    On PostgreSQL a concurrent claimer waits for the row lock and then finds
    ``claimed_by`` set, so exactly one UPDATE matches; SQLite serialises writers.
    """
    token = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.status == MailStatus.PENDING)
        .where(OutboxMail.next_attempt_at <= now)
        .where(sa.or_(OutboxMail.claimed_by.is_(None), OutboxMail.claimed_at < now - CLAIM_TIMEOUT))
        .values(claimed_by=token, claimed_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def _deliver_claimed(mail_id: int) -> int:
    mail = db.session.get(OutboxMail, mail_id)
    try:
        transport_send(mail)
    except Exception as exc:  # any transport failure: retry later
        mail.attempts += 1
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        mail.claimed_by = mail.claimed_at = None
        if mail.attempts >= MAX_ATTEMPTS:
            mail.status = MailStatus.FAILED
        else:
            mail.next_attempt_at = utcnow() + retry_delay(mail.attempts)
        log.warning("mail %s to %s failed (attempt %s): %s", mail.id, mail.to, mail.attempts, exc)
        db.session.commit()
        return 0
    mail.status = MailStatus.SENT
    mail.sent_at = utcnow()
    mail.attempts += 1
    db.session.commit()
    return 1


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failed tries: base, 2x base, 4x base, ..."""
    base = float(current_app.config.get("MAIL_RETRY_SECONDS", 30))
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def build_message(mail: OutboxMail) -> EmailMessage:
    cfg = current_app.config
    sender = (
        cfg["MAIL_FROM"] or f"{cfg['SITE_TITLE']} <noreply@{urlsplit(cfg['BASE_URL']).hostname}>"
    )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}")
    for name, value in (mail.headers or {}).items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return msg


def transport_send(mail: OutboxMail) -> None:
    """Hand one mail to SMTP, or to the log when no mail server is configured."""
    url = current_app.config["MAIL_URL"]
    msg = build_message(mail)
    if not url:
        log.info(
            "mail (not sent, BLOG_MAIL_URL unset) to %s: %s\n%s", mail.to, mail.subject, mail.text
        )
        return
    parts = urlsplit(url)
    smtp_cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_cls(parts.hostname or "localhost", parts.port or 25, timeout=20) as smtp:
        if "starttls" in (parts.query or ""):
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(msg)
