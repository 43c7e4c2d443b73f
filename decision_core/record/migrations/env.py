"""Alembic's environment for the record: run on the connection decision_core.record.schema gives it."""
from alembic import context

from decision_core.record.models import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
