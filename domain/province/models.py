"""Provinces: the reference polygons a station's province is derived from."""

from typing import Any

from geoalchemy2 import Geometry
from sqlmodel import Field, SQLModel


class Province(SQLModel, table=True):
    __tablename__ = "province"
    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    geom: Any = Field(sa_type=Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
