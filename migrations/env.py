"""Alembic environment: the URL comes from HYDROMET_DATABASE_URL (or the caller's connection)."""

from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from domain.db.engine import sqlalchemy_url
from domain.db.registry import metadata
from domain.settings import get_settings

POSTGIS_TABLES = {"spatial_ref_sys", "layer", "topology"}
POSTGIS_SCHEMAS = {"tiger", "tiger_data", "topology"}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Skip PostGIS's own tables; let geoalchemy2 hide its automatic spatial indexes."""
    if type_ == "table" and (name in POSTGIS_TABLES or getattr(obj, "schema", None) in POSTGIS_SCHEMAS):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def run_migrations(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_item=alembic_helpers.render_item,
        process_revision_directives=alembic_helpers.writer,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or str(get_settings().database_url)
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_migrations(conn)
