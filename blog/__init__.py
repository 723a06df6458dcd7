"""A self-hosted blog engine with moderated discussion."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def theme_path(name: str) -> str:
    """``templates``, ``static`` or ``migrations``: the top-level folder in a
    checkout (where a site owner edits it), else the copy inside the wheel."""
    in_checkout = (ROOT / "pyproject.toml").is_file() and (ROOT / name).is_dir()
    return str(ROOT / name if in_checkout else PACKAGE / name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, commands. Nothing else."""
    test_config = dict(test_config or {})
    app = Flask(
        __name__,
        instance_path=test_config.pop("INSTANCE_PATH", None)
        or os.environ.get("BLOG_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=theme_path("templates"),
        static_folder=theme_path("static"),
    )
    from . import config

    config.load_config(app, test_config)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def register_extensions(app: Flask) -> None:
    from . import auth, jobs, ratelimit
    from .extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=theme_path("migrations"))
    csrf.init_app(app)
    auth.init_app(app)
    ratelimit.init_app(app)
    jobs.init_app(app)
    from .accounts import oauth as accounts_oauth

    accounts_oauth.init_app(app)


def register_blueprints(app: Flask) -> None:
    from . import errors

    errors.init_routing(app)
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .comments import bp as comments_bp
    from .moderation import bp as moderation_bp
    from .posts import bp as posts_bp

    for bp in (accounts_bp, admin_bp, api_bp, comments_bp, moderation_bp, posts_bp):
        app.register_blueprint(bp)
    from .portability import bp as portability_bp

    app.register_blueprint(portability_bp)


def register_hooks(app: Flask) -> None:
    from . import cache, errors, security, templating

    cache.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    from . import cache_fast
    from .comments import cards

    cards.init_app(app)

    cache_fast.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
