"""``blog import json``: a JSON export of this engine, into this or another site.

Users are matched by email (or by a login identity), posts and comments by
their import key (the one they came with, or ``json:<site>:post:<id>``), so
importing the same file again changes nothing and importing into a site with
content merges. The site's own settings win over the file's; bans and
subscriptions are added where missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Ban,
    BanKind,
    Comment,
    CommentKind,
    CommentStatus,
    Identity,
    Post,
    PostKind,
    PostStatus,
    Role,
    SiteSetting,
    Subscription,
    User,
    utcnow,
)
from ..moderation.services import reason
from ..moderation.settings import SettingsError, update_settings
from ..sanitise import render_post
from .common import (
    NAME_MAX,
    TITLE_MAX,
    ImportFileError,
    ImportReport,
    Progress,
    Site,
    add_comment,
    clean_email,
    clean_ip,
    clean_website,
    clip_key,
    existing_comments,
    find_existing,
    no_progress,
    parse_iso,
    plain,
    same_post,
    threaded,
)
from .export import JSON_FORMAT, JSON_VERSION


def _load(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"malformed JSON: {exc.msg}", exc.lineno, exc.colno) from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ImportFileError(f'not an export of this engine (no "format": "{JSON_FORMAT}")')
    if doc.get("version") != JSON_VERSION:
        raise ImportFileError(f"export version {doc.get('version')!r} is not one this site reads")
    for name in ("users", "tags", "posts", "comments", "redirects", "bans", "subscriptions"):
        if not isinstance(doc.get(name, []), list):
            raise ImportFileError(f'"{name}" must be a list')
    return doc


def _field(row: dict[str, Any], name: str, where: str, kind: type | tuple = str) -> Any:
    value = row.get(name)
    if not isinstance(value, kind):
        raise ImportFileError(f'{where}: "{name}" is missing or of the wrong type')
    return value


def _enum(enum_cls: Callable, value: Any, default: Any) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        return default


class _Import:
    def __init__(self, doc: dict[str, Any], progress: Progress) -> None:
        self.doc = doc
        self.base = str((doc.get("site") or {}).get("base_url") or "unknown").rstrip("/")
        self.report = ImportReport(source=f"a JSON export of {self.base}")
        self.site = Site(self.report)
        self.progress = progress
        self.users: dict[int, User] = {}
        self.posts: dict[int, Post] = {}

    def run(self) -> ImportReport:
        for i, row in enumerate(self.doc.get("users", [])):
            self.user(row, f"users[{i}]")
        tags = {t.get("slug"): t for t in self.doc.get("tags", []) if isinstance(t, dict)}
        for tag in tags.values():
            self.site.tag(str(tag.get("name") or ""), str(tag.get("slug") or ""))
        for i, row in enumerate(self.progress(self.doc.get("posts", []), "Importing posts")):
            self.post(row, f"posts[{i}]", tags)
        for row in self.doc.get("redirects", []):
            post = self.posts.get(row.get("post_id"))
            if post is not None and isinstance(row.get("old_path"), str):
                self.site.redirect(row["old_path"][:500], post)
        self.comments()
        self.settings()
        self.bans_and_subscriptions()
        return self.report

    def user(self, row: dict[str, Any], where: str) -> None:
        user_id = _field(row, "id", where, int)
        name = plain(_field(row, "display_name", where), NAME_MAX) or "Reader"
        user = self._find_user(row)
        if user is None:
            email = clean_email(row.get("email"))
            # No password: the person sets one through the reset link.
            user = User(
                email=email.lower() if email else None,
                email_verified=bool(row.get("email_verified")) and email is not None,
                display_name=name,
                website=clean_website(row.get("website")),
                role=_enum(Role, row.get("role"), Role.READER),
                banned=bool(row.get("banned")),
                created_at=parse_iso(row.get("created_at")) or utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            self.report.users_created += 1
        else:
            self.report.users_matched += 1
        self.users[user_id] = user
        for ident in row.get("identities") or []:
            if isinstance(ident, dict):
                self._identity(user, ident)

    def _find_user(self, row: dict[str, Any]) -> User | None:
        email = clean_email(row.get("email"))
        if email:
            found = db.session.scalar(
                sa.select(User).where(sa.func.lower(User.email) == email.lower())
            )
            if found:
                return found
        for ident in row.get("identities") or []:
            found = db.session.scalar(
                sa.select(User)
                .join(Identity)
                .where(
                    Identity.provider == ident.get("provider"),
                    Identity.subject == ident.get("subject"),
                )
            )
            if found:
                return found
        return None

    def _identity(self, user: User, row: dict[str, Any]) -> None:
        provider, subject = row.get("provider"), row.get("subject")
        if not isinstance(provider, str) or not isinstance(subject, str):
            return
        taken = db.session.scalar(
            sa.select(Identity.id).where(Identity.provider == provider, Identity.subject == subject)
        )
        if taken is None:
            user.identities.append(
                Identity(
                    provider=provider[:40],
                    subject=subject[:255],
                    email=clean_email(row.get("email")),
                    email_verified=bool(row.get("email_verified")),
                    display_name=plain(row.get("display_name"), NAME_MAX) or None,
                    username=plain(row.get("username"), NAME_MAX) or None,
                )
            )
            db.session.flush()

    def post(self, row: dict[str, Any], where: str, tags: dict) -> None:
        post_id = _field(row, "id", where, int)
        key = row.get("import_key") or f"json:{self.base}:post:{post_id}"
        post = self.site.post_by_key(key)
        if post is not None:
            self.report.posts_existing += 1
            self.posts[post_id] = post
            return
        title = plain(_field(row, "title", where), TITLE_MAX) or "Untitled"
        body = str(row.get("body") or "")
        excerpt = str(row.get("excerpt") or "")
        created = parse_iso(row.get("created_at")) or utcnow()
        post = Post(
            title=title,
            slug=self.site.unique_slug(row.get("slug"), title, f"post-{post_id}"),
            kind=_enum(PostKind, row.get("kind"), PostKind.POST),
            status=_enum(PostStatus, row.get("status"), PostStatus.DRAFT),
            body=body,
            body_html=render_post(body),
            excerpt=excerpt,
            excerpt_html=render_post(excerpt) if excerpt else "",
            published_at=parse_iso(row.get("published_at")),
            created_at=created,
            updated_at=parse_iso(row.get("updated_at")) or created,
            comments_enabled=bool(row.get("comments_enabled", True)),
            author=self.users.get(row.get("author_id")),
            import_key=clip_key(key),
        )
        post.tags = [t for t in (self._tag(s, tags) for s in row.get("tags") or []) if t]
        db.session.add(post)
        db.session.flush()
        self.posts[post_id] = post
        self.report.posts[post.kind.value] += 1

    def _tag(self, slug: Any, tags: dict) -> Any:
        found = tags.get(slug) or {"slug": slug, "name": slug}
        return self.site.tag(str(found.get("name") or slug), str(slug))

    def comments(self) -> None:
        rows = [r for r in self.doc.get("comments", []) if isinstance(r, dict)]
        ordered = threaded(rows, lambda r: str(r.get("id")), lambda r: str(r.get("parent_id")))
        made: dict[Any, Comment] = {}
        known: dict[int, dict[str, Comment]] = {}
        for i, row in enumerate(self.progress(ordered, "Importing comments")):
            where = f"comments[{i}]"
            post = self.posts.get(row.get("post_id"))
            if post is None:
                self.report.skip("comments whose post is not in the file")
                continue
            comment_id = _field(row, "id", where, int)
            key = row.get("import_key") or f"json:{self.base}:comment:{comment_id}"
            if post.id not in known:
                known[post.id] = existing_comments(post)
            if find_existing(known[post.id], key) is not None:
                made[comment_id] = find_existing(known[post.id], key)
                self.report.comments_existing += 1
                continue
            made[comment_id] = self.comment(row, where, post, key, made.get(row.get("parent_id")))

    def comment(self, row, where: str, post: Post, key: str, parent: Comment | None) -> Comment:
        status = _enum(CommentStatus, row.get("status"), CommentStatus.PENDING)
        reasons = row.get("reasons") if isinstance(row.get("reasons"), list) else []
        comment = add_comment(
            post,
            key=key,
            status=status,
            source_name="a JSON export",
            body=str(row.get("body") or ""),
            parent=parent if same_post(parent, post) else None,
            kind=_enum(CommentKind, row.get("kind"), CommentKind.COMMENT),
            reasons=[*reasons, reason("imported", "Imported from a JSON export")],
            user=self.users.get(row.get("user_id")),
            author_name=plain(row.get("author_name"), NAME_MAX),
            author_email=clean_email(row.get("author_email")),
            author_website=clean_website(row.get("author_website")),
            ip=clean_ip(row.get("ip")),
            user_agent=str(row.get("user_agent") or "")[:500] or None,
            notify=bool(row.get("notify")),
            created_at=parse_iso(row.get("created_at")) or post.created_at,
            edited_at=parse_iso(row.get("edited_at")),
        )
        self.report.comments[status.value] += 1
        if comment.kind != CommentKind.COMMENT:
            self.report.comment_kinds[comment.kind.value] += 1
        return comment

    def settings(self) -> None:
        for key, value in (self.doc.get("settings") or {}).items():
            if not isinstance(value, dict) or db.session.get(SiteSetting, str(key)) is not None:
                if isinstance(value, dict):
                    self.report.warnings.append(f"kept this site's own {key} settings")
                continue
            if key == "moderation":
                try:
                    update_settings(value)
                except SettingsError as exc:
                    raise ImportFileError(f"settings.moderation: {exc.fields}") from None
            else:
                db.session.add(SiteSetting(key=str(key)[:50], value=value))

    def bans_and_subscriptions(self) -> None:
        for row in self.doc.get("bans", []):
            kind = _enum(BanKind, row.get("kind"), None)
            value = str(row.get("value") or "")[:254]
            if kind is None or not value:
                continue
            exists = db.session.scalar(
                sa.select(Ban.id).where(Ban.kind == kind, Ban.value == value)
            )
            if exists is None:
                db.session.add(Ban(kind=kind, value=value, reason=row.get("reason")))
        for row in self.doc.get("subscriptions", []):
            post = self.posts.get(row.get("post_id"))
            email = clean_email(row.get("email"))
            if post is None or email is None:
                continue
            exists = db.session.scalar(
                sa.select(Subscription.id).where(
                    Subscription.post_id == post.id, Subscription.email == email
                )
            )
            if exists is None:
                user = self.users.get(row.get("user_id"))
                db.session.add(
                    Subscription(
                        post_id=post.id,
                        email=email,
                        user_id=user.id if user else None,
                        confirmed=bool(row.get("confirmed")),
                    )
                )


def import_json(data: bytes, *, progress: Progress = no_progress) -> ImportReport:
    """Import a JSON export's bytes into the session; the caller commits or rolls back."""
    return _Import(_load(data), progress).run()
