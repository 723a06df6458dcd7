"""Isso, the comment server the blog is compared with: its own venv, config and data."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .procs import Server

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-isso"
URI = "/2024/05/01/a-post/"


def python() -> str:
    return str(VENV / "bin" / "python")


def ensure_venv() -> None:
    """``python3 -m venv bench/.venv-isso && pip install isso gunicorn``, once."""
    probe = [python(), "-c", "import isso, gunicorn"]
    if VENV.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return
    subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([python(), "-m", "pip", "install", "-q", "isso", "gunicorn"], check=True)


def version() -> str:
    out = subprocess.run([python(), "-m", "pip", "show", "isso"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "?"


def prepare(workdir: Path, comments: int, site: str = "http://127.0.0.1:5000") -> Path:
    """A config and a database holding one thread of ``comments`` comments."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "isso.sqlite3"
    db.unlink(missing_ok=True)
    cfg = workdir / "isso.cfg"
    cfg.write_text(
        "[general]\n"
        f"dbpath = {db}\n"
        f"host = {site}\n"
        "notify = stdout\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        "[server]\nlisten = http://127.0.0.1:0\n"
    )
    subprocess.run(
        [python(), str(HERE / "isso_seed.py"), str(cfg), URI, str(comments)],
        check=True,
        capture_output=True,
    )
    return cfg


def server(cfg: Path, log_dir: Path) -> Server:
    return Server(
        "isso",
        "isso.run:application",
        {"ISSO_SETTINGS": str(cfg)},
        python=python(),
        cwd=cfg.parent,
        log_dir=log_dir,
    )
