"""Imports endpoints (to be filled in by the imports work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(tags=["imports"], dependencies=[Depends(strict_query)])
