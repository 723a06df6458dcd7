"""Migrations build the whole schema, and the models hold nothing they lack."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from blog import create_app
from blog.extensions import db
from tests.conftest import _make_postgres_database


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("BLOG_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrated.sqlite3")
        return
    url, admin, name = _make_postgres_database(base)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_empty_database_then_autogenerate_finds_nothing(empty_database_url, tmp_path):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_database_url, "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models differ from migrations; regenerate: {diff}"
