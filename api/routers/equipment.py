"""Equipment endpoints (to be filled in by the equipment work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(tags=["equipment"], dependencies=[Depends(strict_query)])
