"""The metadata registry: importing this module registers every table, for Alembic and tests."""

from sqlmodel import SQLModel

import domain.access.models
import domain.audit.models
import domain.coverage.models
import domain.equipment.models
import domain.maintenance.models
import domain.province.models
import domain.review.models
import domain.sharing.models
import domain.station.models
import domain.wigos.models
import domain.zone.models  # noqa: F401

metadata = SQLModel.metadata
