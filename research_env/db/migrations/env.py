"""Alembic's environment for research-env's migrations: runs them on the connection the caller passes.

``research_env.db.upgrade`` builds the Alembic configuration in code and sets
``config.attributes["connection"]``; there is no alembic.ini and no offline (SQL script) mode.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
