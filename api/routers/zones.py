"""Zones endpoints (to be filled in by the zones work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(tags=["zones"], dependencies=[Depends(strict_query)])
