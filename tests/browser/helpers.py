"""What the browser tests share: logging in (by the form, or by a session cookie made
for a user), and a watch on what a page does that it should not."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask

from blog.models import User
from tests.factories import PASSWORD


def log_in(page, email: str, password: str = PASSWORD, next: str | None = None) -> None:
    """Log in through the login form, as a person does."""
    page.goto("/login" + (f"?next={next}" if next else ""))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('form button:has-text("Log in")')


def session_cookie(app: Flask, user: User, method: str = "email") -> str:
    """A signed session cookie that logs ``user`` in, as logging in by ``method`` would."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "login_method": method})


def sign_in(context, app: Flask, user: User, method: str = "email") -> None:
    """Give a browser context ``user``'s session (quicker than the form, for setup)."""
    context.clear_cookies()
    context.add_cookies(
        [
            {
                "name": app.config.get("SESSION_COOKIE_NAME", "session"),
                "value": session_cookie(app, user, method),
                "url": app.config["BASE_URL"],
            }
        ]
    )


@dataclass
class Watch:
    """Everything a page reports that a page of this site should never report."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.dialogs + self.errors + self.csp + self.console


# The browser's own notes: images it could not fetch (a post may show an image from
# anywhere), and its hints about forms ("[DOM] Password forms should have...").
_BENIGN = re.compile(r"^(Failed to load resource|\[DOM\] )")


def watch(page) -> Watch:
    """Record dialogs (dismissed), script errors, CSP violations and console output."""
    seen = Watch()

    def on_dialog(dialog) -> None:
        seen.dialogs.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text:
            seen.csp.append(text)
        elif not _BENIGN.match(text):
            seen.console.append(f"console {message.type}: {text}")

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
    page.on("console", on_console)
    return seen
