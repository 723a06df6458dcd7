import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context
from alembic.autogenerate import renderers
from alembic.autogenerate.render import render_op
from alembic.operations import ops

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy ones, so migrations do not
    import the app's code (which changes over time)."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


class DialectIndexOp(ops.MigrateOperation):
    """An index that exists on one database only (``Index.info["only_dialect"]``),
    such as the GIN search index on PostgreSQL: rendered as an ``if`` on the
    connection's dialect, so one migration serves SQLite and PostgreSQL."""

    def __init__(self, index_op, dialect):
        self.index_op = index_op
        self.dialect = dialect

    def reverse(self):
        return DialectIndexOp(self.index_op.reverse(), self.dialect)


@renderers.dispatch_for(DialectIndexOp)
def _render_dialect_index(autogen_context, op):
    lines = render_op(autogen_context, op.index_op)
    return [f"if op.get_bind().dialect.name == {op.dialect!r}:", *lines, ""]


def _dialect_only_indexes():
    return {
        ix.name: (ix, ix.info["only_dialect"])
        for table in get_metadata().tables.values()
        for ix in table.indexes
        if ix.info.get("only_dialect")
    }


def _take_index_ops(container, names, kind):
    """Remove the plain create/drop ops for ``names`` from ``container`` (any depth)."""
    taken = set()
    for item in list(container.ops):
        if isinstance(item, kind) and item.index_name in names:
            container.ops.remove(item)
            taken.add(item.index_name)
        elif isinstance(item, ops.OpContainer):
            taken |= _take_index_ops(item, names, kind)
            if isinstance(item, ops.ModifyTableOps) and not item.ops:
                container.ops.remove(item)
    return taken


def make_dialect_indexes_conditional(script):
    """Autogenerate skips expression indexes on SQLite and writes them plainly on
    PostgreSQL; either way, write them as ``DialectIndexOp``s instead."""
    indexes = _dialect_only_indexes()
    if not indexes:
        return
    upgrade, downgrade = script.upgrade_ops, script.downgrade_ops
    found = _take_index_ops(upgrade, set(indexes), ops.CreateIndexOp)
    _take_index_ops(downgrade, set(indexes), ops.DropIndexOp)
    created = {o.table_name for o in upgrade.ops if isinstance(o, ops.CreateTableOp)}
    for name, (index, dialect) in indexes.items():
        if name in found or index.table.name in created:
            upgrade.ops.append(DialectIndexOp(ops.CreateIndexOp.from_index(index), dialect))
            downgrade.ops.insert(0, DialectIndexOp(ops.DropIndexOp.from_index(index), dialect))


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            make_dialect_indexes_conditional(script)
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        conf_args.setdefault("render_item", render_item)
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        conf_args.setdefault("render_as_batch", connection.dialect.name == "sqlite")
        conf_args.setdefault("compare_type", True)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
