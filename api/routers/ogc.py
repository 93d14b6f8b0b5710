"""OGC API - Features under /ogc (to be filled in by the sharing work)."""

from fastapi import APIRouter

router = APIRouter(prefix="/ogc", tags=["ogc"])
