"""Maintenance endpoints (to be filled in by the maintenance work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(tags=["maintenance"], dependencies=[Depends(strict_query)])
