"""``blog demo``: a ready database with demo content."""

from __future__ import annotations

import click


@click.command("demo")
def demo_command():
    """Create the database and fill it with demo posts, users and comments."""
    raise click.ClickException("not written yet")
