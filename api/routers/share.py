"""Partner data sharing under /share/v1 (to be filled in by the sharing work)."""

from fastapi import APIRouter, Depends

from api.deps import strict_query

router = APIRouter(prefix="/share/v1", tags=["share"], dependencies=[Depends(strict_query)])
