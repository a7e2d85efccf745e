"""Alembic's environment for kdv_policy's schema: run on the connection the caller passes
(``kdv_policy.data.sql.migrate``), with its own version table."""

from alembic import context

from kdv_policy.data.sql.schema import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
