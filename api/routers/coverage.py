"""Coverage endpoints (to be filled in by the coverage work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(tags=["coverage"], dependencies=[Depends(strict_query)])
