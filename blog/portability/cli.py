"""``blog import wxr|disqus|json FILE`` and ``blog export FILE``."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .common import ImportFileError, ImportReport, Progress

T = TypeVar("T")


def init_app(app: Flask) -> None:
    app.cli.add_command(import_cli)
    app.cli.add_command(export_command)


import_cli = click.Group("import", help="Import posts and comments from another blog.")

_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_dry_run = click.option(
    "--dry-run", is_flag=True, help="Read and check everything, then roll back and change nothing."
)


@import_cli.command("wxr")
@_file
@_dry_run
def import_wxr_command(file: Path, dry_run: bool) -> None:
    """Import a WordPress export (WXR 1.0, 1.1 or 1.2): posts, pages, tags, comments."""
    from .wxr import import_wxr

    _run(lambda data, progress: import_wxr(data, progress=progress), file, dry_run)


@import_cli.command("disqus")
@_file
@_dry_run
@click.option(
    "--keep-deleted",
    is_flag=True,
    help="Keep comments deleted on Disqus, as rejected, instead of skipping them.",
)
def import_disqus_command(file: Path, dry_run: bool, keep_deleted: bool) -> None:
    """Import a Disqus export: comments matched to posts by their URL."""
    from .disqus import import_disqus

    _run(
        lambda data, progress: import_disqus(data, progress=progress, keep_deleted=keep_deleted),
        file,
        dry_run,
    )


@import_cli.command("json")
@_file
@_dry_run
def import_json_command(file: Path, dry_run: bool) -> None:
    """Import a JSON export made by `blog export FILE.json`."""
    from .jsonimport import import_json

    _run(lambda data, progress: import_json(data, progress=progress), file, dry_run)


def _run(importer: Callable[[bytes, Progress], ImportReport], path: Path, dry_run: bool) -> None:
    """One transaction: everything is imported, or (on any error) nothing is."""
    try:
        with _progress_bars() as progress:
            report = importer(path.read_bytes(), progress)
        db.session.flush()
    except ImportFileError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc}\nNothing was imported.") from None
    except SQLAlchemyError as exc:
        db.session.rollback()
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(
            f"{path}: the database refused the import ({detail}).\nNothing was imported."
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(report.summary())
    if dry_run:
        click.echo("Dry run: nothing was changed.")


@contextmanager
def _progress_bars() -> Iterator[Progress]:
    with ExitStack() as stack:

        def progress(items: list[T], label: str) -> Iterable[T]:
            bar = click.progressbar(items, label=label, file=sys.stderr)
            return stack.enter_context(bar)

        yield progress


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["wxr", "json"]),
    help="Defaults to the file's suffix: .xml for WXR, .json for JSON.",
)
def export_command(file: Path, fmt: str | None) -> None:
    """Export the whole site as WordPress WXR 1.2 (.xml) or as JSON (.json)."""
    from .export import export_json, export_wxr

    fmt = fmt or {".xml": "wxr", ".json": "json"}.get(file.suffix.lower())
    if fmt is None:
        raise click.BadParameter("name a .xml or .json file, or give --format", param_hint="FILE")
    data = export_wxr() if fmt == "wxr" else export_json()
    _write_atomically(file, data)
    click.echo(f"Exported the site as {fmt.upper()} to {file} ({len(data)} bytes).")


def _write_atomically(path: Path, data: bytes) -> None:
    # A half-written export is worse than none: write aside, then rename.
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
