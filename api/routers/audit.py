"""The audit trail of admin actions (read-only; admins)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import PagingDep, ReadSessionDep, StaffDep, strict_query
from api.errors import problem_responses
from api.routers.stations import next_url
from domain.audit import service
from domain.audit.models import AuditEventPublic, AuditFilter
from domain.audit.rules import csv_lines

router = APIRouter(tags=["audit"], dependencies=[Depends(strict_query)])
CSV = "text/csv; charset=utf-8"


class AuditList(BaseModel):
    items: list[AuditEventPublic]
    next: str | None


def audit_filter(
    action: Annotated[list[str], Query(description="e.g. api_key.rotated, zone.updated")] = [],  # noqa: B006
    resource: Annotated[list[str], Query(description=f"one of {', '.join(service.RESOURCES)}")] = [],  # noqa: B006
    actor: Annotated[str | None, Query(description="actor organization code, key id or label")] = None,
    organization: Annotated[str | None, Query(description="the organization an event concerns")] = None,
    since: Annotated[datetime | None, Query(description="events at or after this time")] = None,
    until: Annotated[datetime | None, Query(description="events before this time")] = None,
) -> AuditFilter:
    """Return the filters of the audit list."""
    return AuditFilter(
        action=action, resource=resource, actor=actor, organization=organization, since=since, until=until
    )


@router.get(
    "/audit",
    responses=problem_responses(400, 401, 403) | {200: {"model": AuditList, "content": {"text/csv": {}}}},
    summary="Admin actions that are not station revisions, newest first (admins; CSV with f=csv)",
)
def list_audit(
    request: Request, session: ReadSessionDep, principal: StaffDep, page: PagingDep,
    filters: Annotated[AuditFilter, Depends(audit_filter)], f: Literal["json", "csv"] | None = None,
) -> Response:  # fmt: skip
    items, cursor = service.list_audit_events(
        session, principal=principal, filters=filters, cursor=page.cursor, limit=page.limit
    )
    nxt = next_url(request, cursor)
    if f == "csv":
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
        rows = (item.model_dump(mode="json") for item in items)
        return StreamingResponse(csv_lines(rows), media_type=CSV, headers=headers)
    body = AuditList(items=items, next=nxt)
    return Response(body.model_dump_json(), media_type="application/json")
