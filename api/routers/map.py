"""The web map under /map (to be filled in by the map work)."""

from fastapi import APIRouter

router = APIRouter(tags=["map"])
